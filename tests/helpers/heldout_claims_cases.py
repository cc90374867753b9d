"""Held-out labelled responses for the grounded rewards, written from the documented formats.

Each case carries the claims (or count, or boxes) a careful reader takes from the response, and a
short reason where the reading is a decision. Claims use `Claim.describe()` ("red circle == 2",
"objects == 3" for generic nouns); `<=` is an upper bound ("no more than two"). An expectation
given as a tuple of lists accepts any of them (equivalent readings).
"""

from __future__ import annotations

from typing import NamedTuple

Expected = list[str] | tuple[list[str], ...]


class ClaimCase(NamedTuple):
    text: str
    vocab: str  # "shapes" or "coco"
    expected: Expected
    reason: str = ""


class CountCase(NamedTuple):
    question: str | None
    response: str
    vocab: str
    expected: int | None  # None: no count can be read
    reason: str = ""


class BoxCase(NamedTuple):
    response: str
    expected: list[tuple[float, float, float, float]]
    reason: str = ""


C = ClaimCase
S, K = "shapes", "coco"

CLAIM_CASES: list[ClaimCase] = [
    # Plain captions of the shapes domain.
    C("There are two red circles and a blue square.", S, ["blue square >= 1", "red circle == 2"]),
    C("I can see 3 triangles; no circles are present.", S, ["circle == 0", "triangle == 3"]),
    C("The image shows a single square.", S, ["square == 1"], "'single' is exactly one"),
    C("There are a couple of circles.", S, ["circle == 2"], "'a couple of' read like 'a pair of'"),
    C("Several triangles are scattered around.", S, ["triangle >= 2"]),
    C("A pair of squares sits at the top.", S, ["square == 2"]),
    C("There are exactly two squares.", S, ["square == 2"]),
    C("Both circles are near the top edge.", S, ["circle == 2"]),
    C(
        "There is one circle and two other shapes.",
        S,
        (["circle == 1", "objects == 3"], ["circle == 1", "objects >= 3"]),
        "'two other shapes' adds to the circle",
    ),
    C("There is not a square in the picture.", S, ["square == 0"]),
    C("There aren't any triangles.", S, ["triangle == 0"]),
    C("A picture of two circles without any triangles.", S, ["circle == 2", "triangle == 0"]),
    C(
        "The only shape is a circle.",
        S,
        (["circle == 1", "objects == 1"], ["circle >= 1", "objects == 1"]),
        "one object in all, and it is a circle",
    ),
    C("circles: 2, squares: 1", S, ["circle == 2", "square == 1"], "label: count lists"),
    C("2x circle, 1x triangle", S, ["circle == 2", "triangle == 1"], "'2x' multiplier notation"),
    C("- 2 circles\n- 1 square\n- 0 triangles", S, ["circle == 2", "square == 1", "triangle == 0"]),
    C("* a circle\n* a square", S, ["circle >= 1", "square >= 1"]),
    C("1. Circle: 2\n2. Triangle: 1", S, ["circle == 2", "triangle == 1"], "numbered list"),
    C("There are twelve circles.", S, ["circle == 12"]),
    C("Fifteen triangles fill the image.", S, ["triangle == 15"]),
    C("There are twenty squares.", S, ["square == 20"]),
    C("I count eleven dots.", S, ["circle == 11"]),
    C("There are seven triangles.", S, ["triangle == 7"]),
    C("There are 10 squares.", S, ["square == 10"]),
    C("Eighteen circles and nineteen squares", S, ["circle == 18", "square == 19"]),
    C("There are thirteen discs.", S, ["circle == 13"]),
    C("Maybe there is a triangle.", S, ["triangle >= 1"], "hedges do not exempt a claim"),
    C("Possibly two circles.", S, ["circle == 2"], "hedges do not exempt a claim"),
    C(
        "There might be a square, I think.",
        S,
        ["square >= 1"],
        "hedging must not buy immunity from the hallucination check",
    ),
    C(
        "Are there any squares in the image? No, there are no squares.",
        S,
        ["square == 0"],
        "the echoed question is not a claim",
    ),
    C(
        "<think>I see maybe a triangle and a circle.</think><answer>There is one circle.</answer>",
        S,
        ["circle == 1"],
    ),
    C("How many circles are there? There are 3 circles.", S, ["circle == 3"]),
    C(
        "I see a red circle, a blue circle and a green triangle.",
        S,
        (
            ["blue circle >= 1", "green triangle >= 1", "red circle >= 1"],
            ["blue circle >= 1", "circle >= 2", "green triangle >= 1", "red circle >= 1"],
        ),
    ),
    C(
        "There are four shapes: two circles, a square and a triangle.",
        S,
        ["circle == 2", "objects == 4", "square >= 1", "triangle >= 1"],
    ),
    C("There are no shapes in the image.", S, ["objects == 0"]),
    C(
        "Neither circles nor squares appear; there is one triangle.",
        S,
        ["circle == 0", "square == 0", "triangle == 1"],
    ),
    C("There is a circle but no square.", S, ["circle >= 1", "square == 0"]),
    C("The image contains 5 objects.", S, ["objects == 5"]),
    C("There's a triangle next to the square.", S, ["square >= 1", "triangle >= 1"]),
    C("Not a single circle can be seen.", S, ["circle == 0"]),
    C("There are 2 triangles, not 3.", S, ["triangle == 2"], "a corrected number is not a count"),
    C("There are three circles, not four.", S, ["circle == 3"]),
    C("I see a few squares.", S, ["square >= 2"]),
    C("There are many circles.", S, ["circle >= 2"]),
    C(
        "There is only one triangle and nothing else.",
        S,
        (["objects == 1", "triangle == 1"], ["triangle == 1"]),
    ),
    C("The picture has three red triangles.", S, ["red triangle == 3"]),
    C(
        "a yellow square, an orange circle and a purple triangle",
        S,
        ["orange circle >= 1", "purple triangle >= 1", "yellow square >= 1"],
    ),
    C(
        "There are 2 blue squares and 2 green squares.",
        S,
        (
            ["blue square == 2", "green square == 2"],
            ["blue square == 2", "green square == 2", "square >= 4"],
        ),
    ),
    C("Two circles. One square.", S, ["circle == 2", "square == 1"]),
    C("I count 3 circles in total.", S, ["circle == 3"]),
    C("There is a total of four triangles.", S, ["triangle == 4"]),
    C("The number of circles is 3.", S, ["circle == 3"], "count written after the noun"),
    C("Circles = 2", S, ["circle == 2"]),
    C("No. There are no triangles.", S, ["triangle == 0"]),
    C("There isn't a circle.", S, ["circle == 0"]),
    C("The image doesn't contain any squares.", S, ["square == 0"]),
    C("There are no circles, but there are two squares.", S, ["circle == 0", "square == 2"]),
    C("Two large circles and a small triangle.", S, ["circle == 2", "triangle >= 1"]),
    C("A circle.", S, ["circle >= 1"]),
    C("Circle", S, ["circle >= 1"], "a bare noun answer names what is there"),
    C("Triangles", S, ["triangle >= 1"]),
    C("I don't see any triangles.", S, ["triangle == 0"]),
    C("There appear to be no squares.", S, ["square == 0"]),
    C("No circle is visible.", S, ["circle == 0"]),
    C("Answer: 2 circles and 1 square", S, ["circle == 2", "square == 1"]),
    C(
        "There are two circles and two triangles but no squares.",
        S,
        ["circle == 2", "square == 0", "triangle == 2"],
    ),
    C("There is no more than one square.", S, ["square <= 1"], "an upper bound, not absence"),
    C("There are no more than two circles.", S, ["circle <= 2"], "an upper bound, not absence"),
    C("There are at least two triangles.", S, ["triangle >= 2"]),
    C("There are more than two circles.", S, ["circle >= 3"]),
    C("There are fewer than three squares.", S, ["square <= 2"]),
    C("There is at most one circle.", S, ["circle <= 1"]),
    C("The image contains less than 3 triangles.", S, ["triangle <= 2"]),
    C(
        "There are two circles – one red and one blue.",
        S,
        (["circle == 2"], ["blue circle == 1", "circle == 2", "red circle == 1"]),
    ),
    C("Two blue triangles and one yellow circle.", S, ["blue triangle == 2", "yellow circle == 1"]),
    C(
        "There is one green square and there are no red squares.",
        S,
        [
            "green square == 1",
            "red square == 0",
        ],
    ),
    C("Exactly 4 circles are visible.", S, ["circle == 4"]),
    C("Just one square.", S, ["square == 1"]),
    C("There is one triangle only.", S, ["triangle == 1"]),
    C("The image has 3 squares and that's it.", S, ["square == 3"]),
    C(
        "**Objects:** 2 circles, 1 triangle",
        S,
        ["circle == 2", "triangle == 1"],
        "markdown emphasis around a label",
    ),
    C("TWO CIRCLES AND A SQUARE", S, ["circle == 2", "square >= 1"], "case-insensitive"),
    C("2 circles,3 squares", S, ["circle == 2", "square == 3"], "no space after the comma"),
    C(
        "There are two circles and no other shapes.",
        S,
        (
            ["circle == 2", "objects == 2"],
            ["circle == 2"],
        ),
    ),
    # COCO classes: irregular plurals, synonyms and multi-word names.
    C("There are two people and a dog.", K, ["dog >= 1", "person == 2"]),
    C("A person riding a motorbike.", K, ["motorcycle >= 1", "person >= 1"]),
    C("Three mice next to a laptop.", K, ["laptop >= 1", "mouse == 3"]),
    C(
        "two knives and a fork on the dining table",
        K,
        ["dining table >= 1", "fork >= 1", "knife == 2"],
    ),
    C("Five sheep graze in a field.", K, ["sheep == 5"], "'sheep' is its own plural"),
    C("A man talking on his cell phone.", K, ["cell phone >= 1", "person >= 1"]),
    C("She holds a mobile phone.", K, ["cell phone >= 1"]),
    C("A phone lies next to the remote.", K, ["cell phone >= 1", "remote >= 1"]),
    C("A tv on a stand.", K, ["tv >= 1"]),
    C("There is a television in the room.", K, ["tv >= 1"]),
    C("An aeroplane flying over the city.", K, ["airplane >= 1"]),
    C("A sofa and a couch", K, ["couch >= 2"], "both name the same class; indefinites add up"),
    C("Two hot dogs on a plate.", K, ["hot dog == 2"], "'hot dog' is not a dog"),
    C("A teddy bear sits on the bed.", K, ["bed >= 1", "teddy bear >= 1"], "not a bear"),
    C("There are no people in the image.", K, ["person == 0"]),
    C("A cat sleeping on a bed.", K, ["bed >= 1", "cat >= 1"]),
    C("Three cars and a bus on the street.", K, ["bus >= 1", "car == 3"]),
    C("A traffic light at the corner.", K, ["traffic light >= 1"]),
    C("Two buses parked side by side.", K, ["bus == 2"]),
    C("Three benches in a park.", K, ["bench == 3"]),
    C("Two wine glasses on the table.", K, ["dining table >= 1", "wine glass == 2"]),
    C("A giraffe and two zebras.", K, ["giraffe >= 1", "zebra == 2"]),
    C("Several knives in a block.", K, ["knife >= 2"]),
    C("An orange cat on a couch.", K, ["cat >= 1", "couch >= 1"], "'orange' is the cat's colour"),
    C("Two oranges and an apple.", K, ["apple >= 1", "orange == 2"]),
    C("No cars are on the road.", K, ["car == 0"]),
    C("A pair of skis leans on the wall.", K, ["skis >= 1"], "COCO labels a pair of skis once"),
    C("A pair of scissors on a desk.", K, ["scissors >= 1"], "one pair of scissors is one object"),
    C("Two pairs of skis.", K, ["skis == 2"]),
    C("A refrigerator and a microwave.", K, ["microwave >= 1", "refrigerator >= 1"]),
    C("There is a motorbike and two aeroplanes.", K, ["airplane == 2", "motorcycle >= 1"]),
    C(
        "There are two men and three women.",
        K,
        (["person == 5"], ["person >= 5"]),
        "both name persons",
    ),
    C("A dog is chasing a frisbee.", K, ["dog >= 1", "frisbee >= 1"]),
    C("A bowl of broccoli.", K, ["bowl >= 1", "broccoli >= 1"]),
    C("several people on the beach", K, ["person >= 2"]),
    C("A fire hydrant next to a stop sign.", K, ["fire hydrant >= 1", "stop sign >= 1"]),
    C("I don't see any cell phones.", K, ["cell phone == 0"]),
    C("There is no dining table.", K, ["dining table == 0"]),
    C("Four persons and two umbrellas.", K, ["person == 4", "umbrella == 2"]),
    C("A baseball bat and a baseball glove.", K, ["baseball bat >= 1", "baseball glove >= 1"]),
]

Q = CountCase
HOW_MANY_CIRCLES = "How many circles are there?"

COUNT_CASES: list[CountCase] = [
    Q(HOW_MANY_CIRCLES, "3", S, 3),
    Q(HOW_MANY_CIRCLES, "three", S, 3),
    Q(HOW_MANY_CIRCLES, "There are 3.", S, 3),
    Q(HOW_MANY_CIRCLES, "\\boxed{3}", S, 3),
    Q(HOW_MANY_CIRCLES, "3 circles", S, 3),
    Q(HOW_MANY_CIRCLES, "<think>I see two circles and one square.</think><answer>2</answer>", S, 2),
    Q("How many triangles?", "There are no triangles.", S, 0),
    Q("How many triangles?", "None.", S, 0),
    Q("How many squares are in the image?", "I count four squares.", S, 4),
    Q("How many shapes are there?", "There are 5 shapes: 2 circles and 3 squares.", S, 5),
    Q(HOW_MANY_CIRCLES, "There are 2 squares and 3 circles.", S, 3, "the asked class's count"),
    Q("How many red circles are there?", "Two red circles.", S, 2),
    Q("How many people are in the picture?", "There are four people.", K, 4),
    Q("How many people?", "4 persons", K, 4),
    Q("How many mice are on the desk?", "two mice", K, 2),
    Q("How many sheep are there?", "There are 12 sheep in the field.", K, 12),
    Q(HOW_MANY_CIRCLES, "The answer is 3.", S, 3),
    Q(HOW_MANY_CIRCLES, "Answer: three circles", S, 3),
    Q(HOW_MANY_CIRCLES, "There are twenty circles.", S, 20),
    Q(HOW_MANY_CIRCLES, "eleven", S, 11),
    Q(HOW_MANY_CIRCLES, "There is one circle.", S, 1),
    Q(HOW_MANY_CIRCLES, "There is a circle.", S, 1, "'a circle' answers one"),
    Q(HOW_MANY_CIRCLES, "Only one.", S, 1),
    Q(HOW_MANY_CIRCLES, "3.", S, 3),
    Q(HOW_MANY_CIRCLES, "**3**", S, 3),
    Q(HOW_MANY_CIRCLES, "$3$", S, 3),
    Q("How many triangles?", "<answer>zero</answer>", S, 0),
    Q(HOW_MANY_CIRCLES, "There are 2 circles, not 3.", S, 2),
    Q(HOW_MANY_CIRCLES, "no circles", S, 0),
    Q("How many squares?", "The image contains 3 circles and no squares.", S, 0),
    Q("How many dogs are there?", "2 dogs and 1 cat", K, 2),
    Q("How many circles are there in the image?", "In the image, there are 3 circles.", S, 3),
    Q(HOW_MANY_CIRCLES, "Circles: 4", S, 4),
    Q(HOW_MANY_CIRCLES, "The number of circles is 4.", S, 4),
    Q(HOW_MANY_CIRCLES, "\\boxed{3} circles", S, 3),
    Q(HOW_MANY_CIRCLES, "\\boxed{\\text{3}}", S, 3),
    Q("How many objects are in the image?", "six", S, 6),
    Q(HOW_MANY_CIRCLES, "<think>Let me count: 1, 2, 3.</think><answer>3</answer>", S, 3),
    Q(HOW_MANY_CIRCLES, "<think>Counting.</think>There are 3 circles.", S, 3),
    Q(HOW_MANY_CIRCLES, "There are three circles and two of them are red.", S, 3),
    Q(None, "There are 4 triangles.", S, 4, "class read from the answer"),
    Q(HOW_MANY_CIRCLES, "I cannot determine that.", S, None),
    Q("How many cars can you see?", "I can see 7 cars.", K, 7),
    Q("How many people are there?", "There are 3 men.", K, 3),
    Q(HOW_MANY_CIRCLES, "3 (three) circles", S, 3),
    Q(HOW_MANY_CIRCLES, "There are 3 circles in the 256x256 image.", S, 3),
]

B = BoxCase

BOX_CASES: list[BoxCase] = [
    B("[10, 20, 30, 40]", [(10, 20, 30, 40)]),
    B("(10,20,30,40)", [(10, 20, 30, 40)], "a parenthesised 4-tuple is a box"),
    B("<answer>[12.5, 20, 30.5, 40]</answer>", [(12.5, 20, 30.5, 40)]),
    B(
        '```json\n[{"bbox_2d": [10, 20, 30, 40], "label": "circle"}]\n```',
        [(10, 20, 30, 40)],
        "Qwen2.5-VL JSON",
    ),
    B(
        '[{"bbox_2d": [1, 2, 3, 4], "label": "circle"}, '
        '{"bbox_2d": [5, 6, 7, 8], "label": "square"}]',
        [(1, 2, 3, 4), (5, 6, 7, 8)],
    ),
    B("[0.1, 0.2, 0.3, 0.4]", [(0.1, 0.2, 0.3, 0.4)]),
    B("<|box_start|>(100,200),(300,400)<|box_end|>", [(100, 200, 300, 400)], "Qwen-VL corners"),
    B("<ref>the circle</ref><box>(100,200),(300,400)</box>", [(100, 200, 300, 400)]),
    B("[[10,20,30,40],[50,60,70,80]]", [(10, 20, 30, 40), (50, 60, 70, 80)]),
    B(
        "<think>Maybe [0,0,5,5]</think><answer>[10,20,30,40]</answer>",
        [(10, 20, 30, 40)],
        "only the answer's box",
    ),
    B("[10, 20, 30]", [], "three numbers are not a box"),
    B("[10, 20, 30, 40, 50]", [], "five numbers are not a box"),
    B('{"bbox_2d": [10, 20, 30, 40]}', [(10, 20, 30, 40)]),
    B("[ 10 , 20 , 30 , 40 ]", [(10, 20, 30, 40)]),
    B("[10.0,20.0,30.0,40.0]", [(10, 20, 30, 40)]),
    B("The circle is at (10, 20, 30, 40).", [(10, 20, 30, 40)]),
    B("The centre is at (10, 20).", [], "a point is not a box"),
    B("[10,20,30,40] and [50,60,70,80]", [(10, 20, 30, 40), (50, 60, 70, 80)]),
    B('{"bbox": [10,20,30,40], "label": "dog"}', [(10, 20, 30, 40)]),
    B("[30, 40, 10, 20]", [(30, 40, 10, 20)], "kept as written; the reward judges it"),
    B("The box is [1e400, 2, 3, 4].", [], "an overflowing number is not a box"),
    B("x1, y1, x2, y2 = [10, 20, 30, 40]", [(10, 20, 30, 40)]),
    B("(10, 20), (30, 40)", [(10, 20, 30, 40)], "two corner points"),
]
