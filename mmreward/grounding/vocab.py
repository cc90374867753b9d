"""Words that name detector classes: plurals, synonyms, colour adjectives.

A `Vocabulary` maps surface forms ("people", "puppies", "tv monitor") to the class names the
detector reports ("person", "dog", "tv"). Two are built in: the synthetic shapes and COCO's 80
classes with common synonyms (CHAIR's evaluation uses a similar list), so a user's COCO-trained
YOLO checkpoint works as loaded; any other class list gets automatic plurals and can be given
extra synonyms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

ANY_OBJECT = "*"
"""Class of generic nouns ("three shapes", "how many objects"): every detection counts."""

GENERIC_NOUNS: tuple[str, ...] = ("object", "shape", "item", "thing", "figure")

COLOUR_WORDS: Mapping[str, str] = {
    "red": "red", "crimson": "red", "scarlet": "red", "green": "green", "lime": "green",
    "blue": "blue", "navy": "blue", "yellow": "yellow", "golden": "yellow",
    "orange": "orange", "purple": "purple", "violet": "purple", "magenta": "purple",
}  # fmt: skip
"""Colour adjectives and the hue family each names (see `colours.py`)."""

SHAPE_SYNONYMS: Mapping[str, Sequence[str]] = {
    "circle": ("circle", "disc", "disk", "dot", "round shape", "circular shape"),
    "square": ("square", "rectangle", "square shape"),
    "triangle": ("triangle", "triangular shape"),
}

COCO_SYNONYMS: Mapping[str, Sequence[str]] = {
    # people
    "person": (
        "person", "people", "persons", "man", "men", "woman", "women", "boy", "girl", "child",
        "children", "kid", "guy", "lady", "ladies", "pedestrian", "player", "skier", "surfer",
        "human", "toddler", "baby", "gentleman", "gentlemen",
    ),
    # vehicles
    "bicycle": ("bicycle", "bike", "cycle"),
    "car": ("car", "automobile", "sedan", "taxi", "suv", "van"),
    "motorcycle": ("motorcycle", "motorbike", "scooter", "moped"),
    "airplane": ("airplane", "aeroplane", "plane", "jet", "aircraft", "airliner"), "bus": ("bus",),
    "train": ("train", "locomotive"), "truck": ("truck", "lorry", "pickup truck"),
    "boat": ("boat", "ship", "sailboat", "canoe", "kayak", "yacht"),
    # outdoor
    "traffic light": ("traffic light", "stoplight", "traffic signal"),
    "fire hydrant": ("fire hydrant", "hydrant"), "stop sign": ("stop sign",),
    "parking meter": ("parking meter",), "bench": ("bench",),
    # animals
    "bird": ("bird", "pigeon", "seagull", "duck", "parrot"), "cat": ("cat", "kitten", "kitty"),
    "dog": ("dog", "puppy", "pup"), "horse": ("horse", "pony", "foal"), "sheep": ("sheep", "lamb"),
    "cow": ("cow", "cattle", "bull", "calf", "ox"), "elephant": ("elephant",), "bear": ("bear",),
    "zebra": ("zebra",), "giraffe": ("giraffe",),
    # accessories
    "backpack": ("backpack", "rucksack"), "umbrella": ("umbrella", "parasol"),
    "handbag": ("handbag", "purse"), "tie": ("tie", "necktie"), "suitcase": ("suitcase", "luggage"),
    # sports
    "frisbee": ("frisbee",), "skis": ("skis", "ski"), "snowboard": ("snowboard",),
    "sports ball": (
        "sports ball", "ball", "football", "soccer ball", "basketball", "baseball", "tennis ball",
        "volleyball",
    ),
    "kite": ("kite",), "baseball bat": ("baseball bat", "bat"),
    "baseball glove": ("baseball glove", "glove", "mitt"), "skateboard": ("skateboard",),
    "surfboard": ("surfboard",), "tennis racket": ("tennis racket", "racket", "racquet"),
    # kitchen
    "bottle": ("bottle",), "wine glass": ("wine glass",), "cup": ("cup", "mug"), "fork": ("fork",),
    "knife": ("knife",), "spoon": ("spoon",), "bowl": ("bowl",),
    # food
    "banana": ("banana",), "apple": ("apple",), "sandwich": ("sandwich",), "orange": ("orange",),
    "broccoli": ("broccoli",), "carrot": ("carrot",), "hot dog": ("hot dog",), "pizza": ("pizza",),
    "donut": ("donut", "doughnut"), "cake": ("cake", "cupcake"),
    # furniture
    "chair": ("chair", "stool"), "couch": ("couch", "sofa"),
    "potted plant": ("potted plant", "houseplant", "plant"), "bed": ("bed",),
    "dining table": ("dining table", "table"), "toilet": ("toilet",),
    # electronics
    "tv": ("tv", "television", "tv monitor", "monitor"), "laptop": ("laptop", "notebook computer"),
    "mouse": ("mouse", "computer mouse"), "remote": ("remote", "remote control"),
    "keyboard": ("keyboard",),
    "cell phone": ("cell phone", "cellphone", "phone", "mobile phone", "smartphone"),
    # appliances
    "microwave": ("microwave",), "oven": ("oven", "stove"), "toaster": ("toaster",),
    "sink": ("sink",), "refrigerator": ("refrigerator", "fridge"),
    # indoor
    "book": ("book",), "clock": ("clock",), "vase": ("vase",), "scissors": ("scissors",),
    "teddy bear": ("teddy bear", "teddy", "stuffed animal"),
    "hair drier": ("hair drier", "hair dryer", "blow dryer"), "toothbrush": ("toothbrush",),
}  # fmt: skip

COCO_CLASSES: tuple[str, ...] = tuple(COCO_SYNONYMS)
"""The 80 COCO detection classes in the order YOLO checkpoints number them."""

OTHER_OBJECT_NOUNS: tuple[str, ...] = (
    "pentagon", "hexagon", "heptagon", "octagon", "polygon", "star", "oval", "ellipse",
    "diamond", "heart", "cross", "arrow", "rhombus", "trapezoid", "parallelogram", "crescent",
    "ring", "cube", "sphere", "cylinder", "cone", "pyramid", "spiral", "tree", "flower", "house",
    "building", "sun", "moon", "cloud", "mountain", "river", "road", "lamp", "window", "door",
    "fish", "snake", "lion", "tiger", "monkey", "rabbit", "chicken", "pig", "goat", "deer", "fox",
    "wolf", "butterfly", "bee", "spider", "frog", "turtle", "shark", "whale", "dolphin", "hat",
    "shoe", "bag", "basket", "balloon", "candle", "guitar", "piano", "drum", "flag",
    "fence", "leaf", "bridge", "tower", "castle", "robot", "toy",
    "doll", "coin", "pencil", "pen", "desk", "shelf",
)  # fmt: skip
"""Object nouns beyond the built-in vocabularies: with COCO's and the shapes' names, the nouns
a response may claim that a detector with other classes cannot check (`unverifiable`)."""

_IRREGULAR_PLURALS: Mapping[str, str] = {
    "person": "people", "man": "men", "woman": "women", "child": "children",
    "gentleman": "gentlemen", "mouse": "mice", "knife": "knives", "ox": "oxen", "calf": "calves",
    "foot": "feet", "goose": "geese", "leaf": "leaves",
}  # fmt: skip
_UNCHANGED_PLURALS = frozenset({"sheep", "cattle", "skis", "scissors", "broccoli", "luggage"})


def plural(word: str) -> str:
    """English plural of a (possibly multi-word) noun; the last word is inflected."""
    head, _, last = word.rpartition(" ")
    if last in _IRREGULAR_PLURALS:
        inflected = _IRREGULAR_PLURALS[last]
    elif last in _UNCHANGED_PLURALS or last.endswith("people"):
        inflected = last
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        inflected = last + "es"
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        inflected = last[:-1] + "ies"
    else:
        inflected = last + "s"
    return f"{head} {inflected}" if head else inflected


@dataclass(frozen=True)
class Vocabulary:
    """Surface form (lower case, single spaces) -> class name, plus the colour words."""

    classes: tuple[str, ...]
    forms: Mapping[str, str]
    colours: Mapping[str, str] = field(default_factory=dict)
    check_colours: bool = False
    """Verify colour adjectives against the pixels of detections (flat-coloured domains only)."""

    @cached_property
    def max_words(self) -> int:
        """Words in the longest form; cached, since `find_mentions` asks at every token."""
        return max((form.count(" ") + 1 for form in self.forms), default=1)

    @classmethod
    def build(
        cls,
        classes: Iterable[str],
        synonyms: Mapping[str, Sequence[str]] | None = None,
        *,
        colours: Mapping[str, str] | None = None,
        check_colours: bool = False,
        generic: Sequence[str] = GENERIC_NOUNS,
    ) -> Vocabulary:
        """Each class name and synonym, singular and plural; generic nouns map to `ANY_OBJECT`."""
        names = tuple(classes)
        forms: dict[str, str] = {}
        entries: list[tuple[str, str]] = [(g, ANY_OBJECT) for g in generic]
        for name in names:
            words = [name, *((synonyms or {}).get(name, ()))]
            entries.extend((_normalise(w), name) for w in words)
        for word, name in entries:
            # Class names win over someone else's synonym ("orange" the fruit, not a colour).
            for form in (word, plural(word)):
                if form and (form not in forms or form == name):
                    forms[form] = name
        return cls(
            classes=names,
            forms=forms,
            colours=dict(colours if colours is not None else COLOUR_WORDS),
            check_colours=check_colours,
        )


def shapes_vocabulary() -> Vocabulary:
    """The bundled detector's classes; colours are checked because the shapes are flat-coloured."""
    return Vocabulary.build(SHAPE_SYNONYMS, SHAPE_SYNONYMS, check_colours=True)


def vocabulary_for(
    names: Sequence[str], extra_synonyms: Mapping[str, Sequence[str]] | None = None
) -> Vocabulary:
    """Vocabulary for a detector's class names: built-in synonyms where the names are known."""
    if set(names) <= set(SHAPE_SYNONYMS):
        base: Mapping[str, Sequence[str]] = SHAPE_SYNONYMS
        check = True
    else:
        base = COCO_SYNONYMS
        check = False
    synonyms = {n: (*base.get(n, ()), *((extra_synonyms or {}).get(n, ()))) for n in names}
    colours = COLOUR_WORDS if check else {k: v for k, v in COLOUR_WORDS.items() if k not in names}
    return Vocabulary.build(names, synonyms, colours=colours, check_colours=check)


_OUTSIDE: dict[tuple[str, ...], Mapping[str, str]] = {}
_AMBIGUOUS = frozenset({"cycle", "tie", "bat", "remote", "monitor", "plant", "table", "glass"})
"""COCO synonyms that are everyday words first ("a cycle of shapes"): not claims elsewhere."""


def outside_forms(vocab: Vocabulary) -> Mapping[str, str]:
    """Surface forms of known object nouns that `vocab` does not cover -> the noun (`dogs` ->
    `dog` for the shapes detector): what a response may claim that the detector cannot check."""
    key = vocab.classes
    if key not in _OUTSIDE:
        nouns = [
            *(w for words in SHAPE_SYNONYMS.values() for w in words),
            *(w for words in COCO_SYNONYMS.values() for w in words if w not in _AMBIGUOUS),
            *OTHER_OBJECT_NOUNS,
        ]
        found: dict[str, str] = {}
        for noun in nouns:
            word = _normalise(noun)
            for form in (word, plural(word)):
                if form not in vocab.forms and form not in vocab.colours:
                    found.setdefault(form, word)
        _OUTSIDE[key] = found
    return _OUTSIDE[key]


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())
