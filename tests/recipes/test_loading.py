import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from mmreward.capabilities import CAPABILITIES, CapabilitySpec
from mmreward.components import ComponentKind
from mmreward.engine import Engine
from mmreward.errors import InvalidInputError
from mmreward.items import RewardItem
from mmreward.recipes import ComponentScore, RecipeBook, parse_recipe
from mmreward.service import create_app
from mmreward.settings import Settings

THINK_45 = "<think>the tallest bar reads 45</think><answer>45</answer>"


class _FixedParams(BaseModel):
    value: float


async def _fixed(engine, items, params):
    """A kind from a capability outside the package, given to the engine in its list."""
    return [ComponentScore(score=params.value, details={"n": len(items)}) for _ in items]


FIXED = CapabilitySpec("fixed", kinds={"test_fixed": ComponentKind(_fixed, _FixedParams)})


@pytest.fixture(scope="module")
def recipes_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("recipes")
    (directory / "chart_dapo.yaml").write_text(
        textwrap.dedent(
            """
            description: chart accuracy, think/answer format and overlong shaping
            components:
              - {kind: accuracy, weight: 0.8, params: {verifier: chart, tolerance: 0.02}}
              - {kind: format, name: layout, weight: 0.2, params: {spec: think_answer}}
              - {kind: length, weight: 1.0, params: {max_len: 20, cache_len: 4}}
            """
        )
    )
    (directory / "choice_fixed.toml").write_text(
        textwrap.dedent(
            """
            name = "choice_plus"
            [[components]]
            kind = "accuracy"
            weight = 2.0
            params = {verifier = "choice"}
            [[components]]
            kind = "test_fixed"
            name = "bonus"
            weight = -0.5
            params = {value = 0.2}
            """
        )
    )
    (directory / "notes.txt").write_text("not a recipe")
    return directory


@pytest.fixture(scope="module")
def client(recipes_dir):
    settings = Settings(sandbox_workers=1, recipes_dir=recipes_dir, max_items=50)
    engine = Engine(settings, capabilities=(*CAPABILITIES, FIXED))
    try:
        with TestClient(create_app(settings, engine=engine)) as test_client:
            yield test_client
    finally:
        engine.close()


def _assert_sums(result):
    parts = result["components"].values()
    for part in parts:
        assert part["weighted"] == pytest.approx(part["weight"] * part["score"])
    assert result["reward"] == pytest.approx(sum(part["weighted"] for part in parts))


def test_r1v_is_half_accuracy_half_format(client):
    items = [
        {"response": "<think>2+2</think><answer>4</answer>", "reference": "4"},
        {"response": "<think>2+2</think><answer>5</answer>", "reference": "4"},
        {"response": "The answer is 4", "reference": "4"},
        {"response": "no idea", "reference": "4"},
    ]
    response = client.post("/v1/reward/r1v", json={"items": items})
    assert response.status_code == 200
    body = response.json()
    assert body["recipe"] == "r1v"
    assert [r["reward"] for r in body["results"]] == [1.0, 0.5, 0.5, 0.0]
    for result in body["results"]:
        assert set(result["components"]) == {"accuracy", "format"}
        assert result["components"]["accuracy"]["weight"] == 0.5
        _assert_sums(result)
    assert body["results"][3]["components"]["accuracy"]["details"]["status"] == "no_answer"


def test_math_format_weighs_accuracy_nine_to_one(client):
    items = [
        {"response": r"<think>half</think>so \boxed{\frac{1}{2}}", "reference": "0.5"},
        {"response": r"so \boxed{\frac{1}{2}}", "reference": "0.5"},
        {"response": r"<think>half</think>so \boxed{1/3}", "reference": "0.5"},
    ]
    results = client.post("/v1/reward/math_format", json={"items": items}).json()["results"]
    assert [r["reward"] for r in results] == pytest.approx([1.0, 0.9, 0.1])
    for result in results:
        _assert_sums(result)


def test_user_recipe_with_three_components(client):
    items = [
        {"response": THINK_45, "reference": "45", "response_length": 10},
        {"response": THINK_45, "reference": "45", "response_length": 18},
        {"response": "44", "reference": "45", "response_length": 30},
        {"response": THINK_45, "reference": "45.5"},
    ]
    results = client.post("/v1/reward/chart_dapo", json={"items": items}).json()["results"]
    first, buffered, late, estimated = results
    assert first["reward"] == pytest.approx(0.8 + 0.2 + 0.0)
    assert buffered["components"]["length"]["score"] == pytest.approx(-0.5)  # (16 - 18) / 4
    assert buffered["reward"] == pytest.approx(1.0 - 0.5)
    # 44 vs 45 is 2.2% off: outside this recipe's 2% tolerance; no format; past max_len.
    assert late["components"]["accuracy"]["score"] == 0.0
    assert late["reward"] == pytest.approx(-1.0)
    length = estimated["components"]["length"]
    assert length["details"]["length"] == 15  # 58 chars / 4
    assert length["details"]["length_source"] == "estimated_chars"
    assert length["details"]["note"].startswith("a penalty: 0 up to")
    assert estimated["components"]["accuracy"]["score"] == 1.0  # 45 vs 45.5: 1.1% off
    assert first["components"]["length"]["details"]["length_source"] == "given"
    assert set(first["components"]) == {"accuracy", "layout", "length"}
    for result in results:
        _assert_sums(result)


def test_toml_recipe_with_a_registered_component_kind(client):
    items = [{"response": "(B)", "reference": "B", "options": ["x", "y", "z"]}]
    result = client.post("/v1/reward/choice_plus", json={"items": items}).json()["results"][0]
    assert result["components"]["bonus"] == {
        "score": 0.2,
        "weight": -0.5,
        "weighted": -0.1,
        "details": {"n": 1},
    }
    assert result["reward"] == pytest.approx(2.0 - 0.1)
    _assert_sums(result)


def test_unknown_recipe_is_404_listing_the_known_ones(client):
    response = client.post("/v1/reward/nope", json={"items": [{"response": "1"}]})
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "nope" in detail
    for name in ("chart", "chart_dapo", "choice_plus", "math", "math_format", "r1v"):
        assert name in detail


def test_recipes_are_listed(client):
    recipes = client.get("/v1/reward").json()["recipes"]
    by_name = {recipe["name"]: recipe for recipe in recipes}
    assert {"chart", "math", "math_format", "r1v", "chart_dapo", "choice_plus"} <= set(by_name)
    assert [c["weight"] for c in by_name["math_format"]["components"]] == [0.9, 0.1]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": []},
        {"items": [{"reference": "4"}]},
        {"items": [{"response": "x", "response_length": -1}]},
    ],
)
def test_malformed_reward_requests_are_422(client, body):
    response = client.post("/v1/reward/math", json=body)
    assert response.status_code == 422


def test_too_many_items_is_422(client):
    items = [{"response": "1", "reference": "1"}] * 51
    assert client.post("/v1/reward/chart", json={"items": items}).status_code == 422


def test_bad_verifier_settings_give_error_verdicts_not_a_failed_batch(client, recipes_dir):
    items = [{"response": "45", "reference": None}, {"response": "45", "reference": "45"}]
    results = client.post("/v1/reward/chart", json={"items": items}).json()["results"]
    assert results[0]["components"]["accuracy"]["details"]["status"] == "unparsable_reference"
    assert results[1]["reward"] == 1.0


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        ({"name": "x", "components": []}, "components"),
        ({"name": "x", "components": [{"kind": "psychic"}]}, "psychic"),
        ({"name": "x", "components": [{"kind": "accuracy", "params": {"verifier": "y"}}]}, "y"),
        ({"name": "x", "components": [{"kind": "format", "params": {"spec": "xml"}}]}, "xml"),
        ({"name": "x", "components": [{"kind": "length", "params": {"max_len": 5}}]}, "cache_len"),
        (
            {"name": "x", "components": [{"kind": "format"}, {"kind": "format"}]},
            "unique",
        ),
        ({"name": "x", "components": [{"kind": "format", "weight": "inf"}]}, "finite"),
        ({"name": "bad name!", "components": [{"kind": "format"}]}, "name"),
    ],
)
def test_invalid_recipes_fail_at_load_with_a_message(recipe, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_recipe(recipe)


def test_a_broken_recipe_file_names_the_file(tmp_path):
    (tmp_path / "broken.yaml").write_text("components: [kind: {")
    with pytest.raises(InvalidInputError, match=r"broken\.yaml"):
        RecipeBook.load([tmp_path])


def test_a_user_recipe_replaces_a_builtin_of_the_same_name(tmp_path):
    (tmp_path / "chart.toml").write_text(
        '[[components]]\nkind = "accuracy"\nparams = {verifier = "chart", tolerance = 0.01}\n'
    )
    book = RecipeBook.load([tmp_path])
    assert book.get("chart").components[0].params["tolerance"] == 0.01
    assert RecipeBook.load().get("chart").components[0].params == {"verifier": "chart"}


def test_a_missing_recipes_directory_is_an_error(tmp_path):
    with pytest.raises(InvalidInputError, match="does not exist"):
        RecipeBook.load([tmp_path / "missing"])


def test_the_readme_geo_recipe_can_score_one(tmp_path):
    """The example in README.md: a right answer in the right layout earns the whole 1.0 (its
    length penalty takes no share), and a long one loses to the penalty."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("# recipes/geo.yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "geo.yaml").write_text(block)
    with Engine(Settings(sandbox_workers=1, recipes_dir=tmp_path)) as engine:
        right = RewardItem(response="<think>2+2</think><answer>4</answer>", reference="4")
        long = right.model_copy(update={"response_length": 3840})
        best, penalised = engine.reward("geo", [right, long])
    assert best.reward == pytest.approx(1.0)
    assert penalised.reward == pytest.approx(0.5)  # 1.0 - (3840 - 3584) / 512
    assert "never adds reward" in best.components["length"].details["note"]
