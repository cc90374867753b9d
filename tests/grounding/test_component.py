import base64

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mmreward.grounding.images import encode_png
from mmreward.grounding.synthetic import Scene, Shape, _draw
from mmreward.service import create_app
from mmreward.settings import Settings

pytestmark = pytest.mark.slow

RECIPE = """
name: grounded_caption
components:
  - kind: grounding
    weight: 1.0
    params: {task: hallucination}
"""


def _scene() -> Scene:
    """Two red circles and a blue square, drawn by hand so the truth is known."""
    from PIL import ImageDraw

    image = Image.new("RGB", (256, 256), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    shapes = (
        Shape("circle", "red", (20.0, 20.0, 70.0, 70.0)),
        Shape("circle", "red", (150.0, 30.0, 190.0, 70.0)),
        Shape("square", "blue", (60.0, 150.0, 110.0, 200.0)),
    )
    fills = {"red": (230, 20, 20), "blue": (20, 40, 230)}
    for shape in shapes:
        _draw(draw, shape.cls, shape.box, fills[shape.colour])
    return Scene(image=image, shapes=shapes)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    recipes = tmp_path_factory.mktemp("recipes")
    (recipes / "grounded_caption.yaml").write_text(RECIPE)
    settings = Settings(
        sandbox_workers=1,
        max_body_bytes=4 << 20,
        grounding_max_image_bytes=200_000,
        recipes_dir=recipes,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def image():
    return encode_png(_scene().image)


def _score(client, *items):
    return client.post("/v1/grounding/score", json={"items": list(items)})


def test_three_tasks_in_one_request(client, image):
    response = _score(
        client,
        {"image": image, "response": "Two red circles and a blue square; no triangles."},
        {"image": image, "response": "Three circles and a green triangle."},
        {"image": image, "task": "count", "question": "How many circles?", "response": "2"},
        {
            "image": image,
            "task": "grounding",
            "question": "Where is the blue square?",
            "response": "<answer>[60, 150, 110, 200]</answer>",
        },
        {
            "image": image,
            "task": "grounding",
            "question": "Where is the blue square?",
            "response": "<answer>[20, 20, 70, 70]</answer>",
        },
    )
    assert response.status_code == 200, response.text
    truthful, hallucinated, count, right_box, wrong_box = response.json()["results"]
    assert truthful["reward"] == 1.0
    assert truthful["details"]["source"] == "detector"
    assert {c["claim"] for c in truthful["details"]["claims"]} == {
        "red circle == 2",
        "blue square >= 1",
        "triangle == 0",
    }
    assert hallucinated["reward"] == 0.0
    assert hallucinated["details"]["hallucinated"] == ["triangle"]
    assert hallucinated["details"]["chair_i"] == 0.5
    assert count["reward"] == 1.0
    assert right_box["reward"] >= 0.7
    assert wrong_box["reward"] <= 0.2


def test_reference_replaces_the_detector(client, image):
    response = _score(
        client,
        {"image": image, "response": "a dog and two cats", "reference": {"circle": 1}},
        {"image": image, "response": "one circle", "reference": {"circle": 1, "square": 2}},
        {
            "image": image,
            "response": "[0, 0, 10, 10]",
            "task": "grounding",
            "reference": [0, 0, 10, 10],
        },
        {"image": image, "response": "one circle", "reference": {"unicorn": 1}},
    )
    results = response.json()["results"]
    # no shape words at all: claims the shapes detector cannot check, which earn nothing
    assert results[0]["reward"] == 0.0
    assert results[0]["details"]["unverifiable"] == ["cat", "dog"]
    assert results[1]["reward"] == 1.0
    assert results[1]["details"]["source"] == "reference"
    assert results[2]["reward"] == 1.0
    assert results[3]["status"] == "unparsable_reference"


def test_normalised_and_rescaled_boxes(client, image):
    square = (60 / 256, 150 / 256, 110 / 256, 200 / 256)
    response = _score(
        client,
        {
            "image": image,
            "task": "grounding",
            "question": "the square",
            "response": "[" + ", ".join(f"{v:.4f}" for v in square) + "]",
            "params": {"box_format": "normalized"},
        },
        {
            "image": image,
            "task": "grounding",
            "question": "the square",
            "response": "[120, 300, 220, 400]",  # the model saw a 512x512 resize
            "params": {"model_input_size": [512, 512]},
        },
    )
    assert [r["reward"] >= 0.7 for r in response.json()["results"]] == [True, True]


@pytest.mark.parametrize(
    ("image_field", "message"),
    [
        ("https://example.com/a.png", "not fetched"),
        (base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode(), "undecodable"),
        ("%%%", "base64"),
    ],
)
def test_a_bad_image_is_an_error_for_its_item_only(client, image, image_field, message):
    response = _score(
        client,
        {"image": image, "response": "a circle"},
        {"image": image_field, "response": "a circle"},
    )
    assert response.status_code == 200, response.text
    good, bad = response.json()["results"]
    assert good["status"] == "ok"
    assert bad["status"] == "error"
    assert bad["reward"] == 0.0
    assert "items[1].image" in bad["reason"]
    assert message in bad["reason"]


def test_oversized_image_is_an_error_verdict(client, image):
    noise = np.random.default_rng(0).integers(0, 255, (400, 400, 3), dtype=np.uint8)
    response = _score(
        client,
        {"image": encode_png(Image.fromarray(noise)), "response": "x"},
        {"image": image, "response": "a circle"},
    )
    assert response.status_code == 200, response.text
    big, fine = response.json()["results"]
    assert big["status"] == "error"
    assert "larger than" in big["reason"]
    assert fine["status"] == "ok"


def test_unknown_fields_and_tasks_are_422(client, image):
    assert _score(client, {"image": image, "response": "x", "task": "ocr"}).status_code == 422
    assert _score(client, {"image": image, "response": "x", "url": "y"}).status_code == 422
    bad_params = {"image": image, "response": "x", "params": {"box_format": "polar"}}
    assert _score(client, bad_params).status_code == 422


def test_grounding_as_a_recipe_component(client, image):
    response = client.post(
        "/v1/reward/grounded_caption",
        json={"items": [{"response": "two red circles and a blue square", "image": image}]},
    )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["reward"] == 1.0
    assert result["components"]["grounding"]["details"]["status"] == "ok"
    missing = client.post("/v1/reward/grounded_caption", json={"items": [{"response": "a circle"}]})
    assert missing.status_code == 200
    (refused,) = missing.json()["results"]
    assert refused["reward"] == 0.0
    assert "image" in refused["components"]["grounding"]["details"]["error"]


def test_one_malformed_recipe_item_is_an_error_in_its_place_and_the_others_are_scored(
    client, image
):
    good = {"response": "two red circles and a blue square", "image": image}
    items = [good, {"response": "a circle"}, {**good, "image": "not an image"}, good]
    response = client.post("/v1/reward/grounded_caption", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["reward"] for r in results] == [1.0, 0.0, 0.0, 1.0]
    assert "image" in results[1]["components"]["grounding"]["details"]["error"]
    assert results[2]["components"]["grounding"]["details"]["status"] == "error"


def _metric(client, name):
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not exported")


def test_a_group_of_responses_about_one_image_is_detected_once(client):
    """GRPO sends one image with many sampled responses: detect it once, reuse it after."""
    fresh = _scene().image
    fresh.putpixel((255, 255), (0, 0, 0))  # an image no other test sent
    image = encode_png(fresh)
    group = [{"image": image, "response": f"{n} circles"} for n in range(1, 9)]
    before = _metric(client, "mmreward_grounding_detected_images_total")
    first = _score(client, *group).json()["results"]
    again = _score(client, *group).json()["results"]
    after = _metric(client, "mmreward_grounding_detected_images_total")
    assert [r["reward"] for r in first] == [0.0, 1.0, 0, 0, 0, 0, 0, 0]
    assert again == first
    assert after - before == 1


def test_a_missing_detector_checkpoint_is_503(tmp_path, image):
    settings = Settings(sandbox_workers=1, detector=tmp_path / "nope.pt")
    with TestClient(create_app(settings)) as broken:
        response = broken.post(
            "/v1/grounding/score", json={"items": [{"image": image, "response": "a circle"}]}
        )
    assert response.status_code == 503
    assert "nope.pt" in response.json()["detail"]


def test_an_over_long_answer_is_an_error_verdict_and_its_neighbours_are_scored(client, image):
    flood = "<answer>" * 200_000 + "one circle</answer>"  # its answer is short: scored
    rambling = "There is one circle. " * 1_000  # 21,000 characters of answer
    response = _score(
        client,
        {"image": image, "response": flood, "reference": {"circle": 1}},
        {"image": image, "response": rambling, "reference": {"circle": 1}},
        {"image": image, "response": "one circle", "reference": {"circle": 1}},
    )
    flooded, long, short = response.json()["results"]
    assert flooded["reward"] == 1.0
    assert long["status"] == "error"
    assert long["reason"] == "answer_too_long"
    assert short["reward"] == 1.0


def test_an_image_still_queued_at_the_deadline_is_a_deadline_and_the_others_are_scored(
    client, image
):
    caption = "Two red circles and a blue square; no triangles."
    assert _score(client, {"image": image, "response": caption}).status_code == 200  # cached now
    scene = _scene().image
    scene.putpixel((0, 0), (1, 2, 3))  # an image the detector has not seen
    items = [
        {"image": encode_png(scene), "response": caption},
        {"image": image, "response": caption},
    ]
    reply = client.post(
        "/v1/grounding/score", json={"items": items}, headers={"X-Deadline-S": "1e-9"}
    )
    assert reply.status_code == 200
    late, known = reply.json()["results"]
    assert late["status"] == "deadline"
    assert late["reason"] == "request deadline passed before the item was evaluated"
    assert known["status"] == "ok"
    assert known["reward"] > 0
