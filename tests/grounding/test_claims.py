import pytest

from mmreward.grounding.claims import (
    answer_text,
    find_mentions,
    parse_boxes,
    parse_claims,
    parse_count,
    parse_number,
    question_target,
)
from mmreward.grounding.vocab import (
    ANY_OBJECT,
    COCO_CLASSES,
    plural,
    shapes_vocabulary,
    vocabulary_for,
)

SHAPES = shapes_vocabulary()
COCO = vocabulary_for(COCO_CLASSES)


def claims(text, vocab=SHAPES):
    return sorted(c.describe() for c in parse_claims(text, vocab))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two triangles", ["triangle == 2"]),
        ("3 circles", ["circle == 3"]),
        ("a square", ["square >= 1"]),
        ("no circles", ["circle == 0"]),
        ("only one triangle", ["triangle == 1"]),
        ("There is exactly one circle.", ["circle == 1"]),
        ("There are twenty one dots", ["circle == 21"]),
        ("A pair of triangles", ["triangle == 2"]),
        ("both squares are blue", ["square == 2"]),
        ("several discs", ["circle >= 2"]),
        ("there are some circles", ["circle >= 1"]),
        ("Zero squares", ["square == 0"]),
        ("0 squares", ["square == 0"]),
    ],
)
def test_counts_as_digits_and_words(text, expected):
    assert claims(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "There aren't any triangles.",
        "There is not a single triangle.",
        "There is no triangle.",
        "The picture has no triangles at all.",
        "a picture without triangles",
        "None of the triangles",
    ],
)
def test_negations_claim_absence(text):
    assert claims(text) == ["triangle == 0"]


def test_negation_carries_over_a_coordinated_noun_but_not_past_a_new_quantifier():
    assert claims("no circles or squares, but a triangle") == [
        "circle == 0",
        "square == 0",
        "triangle >= 1",
    ]
    assert claims("no circles and two squares") == ["circle == 0", "square == 2"]


def test_indefinite_mentions_add_up_per_class_and_colour():
    # Two circles of different colours also claim two circles in all.
    assert claims("a red circle and a blue circle") == [
        "blue circle >= 1",
        "circle >= 2",
        "red circle >= 1",
    ]
    assert claims("a circle, a circle and a square") == ["circle >= 2", "square >= 1"]


def test_definite_mentions_do_not_add_up():
    # "the circle" refers back to the circle already mentioned.
    assert claims("There is a circle. The circle is large.") == ["circle >= 1"]


def test_generic_nouns_count_every_object():
    assert claims("There are 3 shapes: two circles and a square.") == [
        "circle == 2",
        "objects == 3",
        "square >= 1",
    ]
    assert claims("The image is empty: there are no shapes.") == ["objects == 0"]


def test_counts_written_after_the_noun():
    assert claims("Circles: 2, Squares: 0, Triangles: 1") == [
        "circle == 2",
        "square == 0",
        "triangle == 1",
    ]


def test_questions_and_asides_are_not_claims():
    assert claims("How many circles are there? 3") == []
    # "no other shapes" closes the list: two objects in all.
    assert claims("two circles and no other shapes") == ["circle == 2", "objects == 2"]


def test_colours_are_claims_only_where_the_vocabulary_checks_them():
    assert claims("two red circles") == ["red circle == 2"]
    assert sorted(c.describe() for c in parse_claims("two red cars", COCO)) == ["car == 2"]


def test_answer_tag_is_preferred_over_the_reasoning():
    response = "<think>maybe 5 circles</think><answer>There are 4 circles</answer>"
    assert answer_text(response) == "There are 4 circles"
    assert claims(response) == ["circle == 4"]
    assert answer_text("no tags here") == "no tags here"


def test_coco_synonyms_and_plurals():
    assert claims("Two people walk past a puppy and three kittens.", COCO) == [
        "cat == 3",
        "dog >= 1",
        "person == 2",
    ]
    assert claims("A man and a woman sit on a sofa next to a tv monitor.", COCO) == [
        "couch >= 1",
        "person >= 2",
        "tv >= 1",
    ]


def test_multiword_classes_win_over_their_last_word():
    assert claims("a teddy bear on a bed", COCO) == ["bed >= 1", "teddy bear >= 1"]
    assert claims("a hot dog", COCO) == ["hot dog >= 1"]


def test_a_noun_modifying_another_noun_is_not_a_mention():
    # "orange" the fruit is a COCO class, but here it describes the cat.
    assert claims("an orange cat", COCO) == ["cat >= 1"]


def test_plural_rules():
    assert [plural(w) for w in ("circle", "bus", "knife", "person", "sheep", "puppy")] == [
        "circles",
        "buses",
        "knives",
        "people",
        "sheep",
        "puppies",
    ]
    assert plural("wine glass") == "wine glasses"


def test_parse_number():
    assert parse_number(["twenty", "one"]) == (21, 2)
    assert parse_number(["seven"]) == (7, 1)
    assert parse_number(["12"]) == (12, 1)
    assert parse_number(["a"]) is None
    assert parse_number(["1234567"]) is None


@pytest.mark.parametrize(
    ("response", "cls", "expected"),
    [
        ("<answer>3</answer>", "circle", 3),
        ("<answer>three</answer>", "circle", 3),
        ("There are 2 circles and 4 squares.", "square", 4),
        ("There are no circles.", "circle", 0),
        ("none", "circle", 0),
        ("I cannot tell.", "circle", None),
        ("There are 2 red circles and 1 blue circle.", "circle", 3),
        ("There are 3 circles: 2 red circles and 1 blue circle.", "circle", 3),
        ("There are 2 squares.", "circle", None),
    ],
)
def test_parse_count(response, cls, expected):
    assert parse_count(response, SHAPES, cls) == expected


def test_parse_count_of_a_colour():
    answer = "There are 2 red circles and 1 blue circle."
    assert parse_count(answer, SHAPES, "circle", "blue") == 1
    assert parse_count("2 circles", SHAPES, "circle", "red") == 2
    assert parse_count("2 blue circles", SHAPES, "circle", "red") is None


def test_question_target():
    assert question_target("How many red circles are there?", SHAPES) == ("circle", "red")
    assert question_target("How many shapes can you see?", SHAPES) == (ANY_OBJECT, None)
    assert question_target("Where is the purple triangle?", SHAPES) == ("triangle", "purple")
    assert question_target(None, SHAPES) == (None, None)


def test_parse_boxes():
    response = (
        "<think>[1, 1, 2, 2]</think><answer>[10, 20.5, 30, 40] and [0.1,0.2,0.3,0.4]</answer>"
    )
    assert parse_boxes(response) == [(10.0, 20.5, 30.0, 40.0), (0.1, 0.2, 0.3, 0.4)]
    assert parse_boxes("[1, 2, 3]") == []
    assert len(parse_boxes("[1, 2, 3, 4] " * 100)) == 64


def test_find_mentions_keeps_the_phrase_text():
    mentions = find_mentions("I see two small red circles.", SHAPES)
    assert [(m.cls, m.kind, m.count, m.colour, m.text) for m in mentions] == [
        ("circle", "exact", 2, "red", "two small red circles")
    ]


def test_answer_text_is_the_last_answer_block_or_everything():
    assert answer_text("<answer>a</answer> then <ANSWER>b</Answer>") == "b"
    assert answer_text("<think>x</think><answer> 3 circles </answer>") == " 3 circles "
    assert answer_text("<answer>x<answer>y</answer>") == "y"
    assert answer_text("unclosed <answer>two circles") == "unclosed <answer>two circles"
    assert answer_text("no tags at all") == "no tags at all"
