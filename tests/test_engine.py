"""The engine's per-item rules, the same for every capability and every recipe component."""

import pytest

from mmreward.engine import Engine
from mmreward.items import RewardItem, VerifyItem
from mmreward.settings import Settings

RECIPE = """
name: grounded_math
components:
  - kind: accuracy
    weight: 0.5
  - kind: grounding
    weight: 0.5
    params: {task: count}
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    recipes = tmp_path_factory.mktemp("recipes")
    (recipes / "grounded_math.yaml").write_text(RECIPE)
    with Engine(Settings(sandbox_workers=1, recipes_dir=recipes)) as engine:
        yield engine


def test_a_truncated_response_earns_nothing_and_says_so_and_its_neighbours_are_judged(engine):
    items = [
        VerifyItem(response="\\boxed{4}", reference="4"),
        VerifyItem(response="\\boxed{4}", reference="4", truncated=True),
    ]
    for verdicts in (engine.verify(items), engine.verify(items)):  # the second from the cache
        assert [v.reward for v in verdicts] == [1.0, 0.0]
        assert [v.status for v in verdicts] == ["ok", "truncated"]
        assert verdicts[1].correct is None


async def test_the_async_twin_applies_the_same_rule(engine):
    verdicts = await engine.averify(
        [VerifyItem(response="\\boxed{4}", reference="4", truncated=True)]
    )
    assert verdicts[0].status == "truncated"


def test_a_component_that_cannot_read_one_item_fails_that_item_only(engine):
    """No image: the grounding component scores that item 0 with the reason, the accuracy
    component still scores it, and no exception reaches the caller."""
    results = engine.reward(
        "grounded_math",
        [RewardItem(response="\\boxed{4}", reference="4"), RewardItem(response="x", reference="4")],
    )
    right, wrong = results
    assert right.components["accuracy"].score == 1.0
    assert right.components["grounding"].score == 0.0
    assert "image" in right.components["grounding"].details["error"]
    assert right.reward == 0.5
    assert wrong.reward == 0.0


def test_recipe_items_declare_every_field_a_component_reads():
    fields = set(RewardItem.model_fields)
    wanted = {"prompt", "problem", "steps", "image", "question", "grounding_reference"}
    assert wanted | {"response_length", "truncated", "options", "reference"} <= fields
    assert "truncated" in VerifyItem.model_fields


def test_an_engine_that_only_verifies_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from mmreward.engine import Engine\n"
        "from mmreward.items import RewardItem, VerifyItem\n"
        "from mmreward.settings import Settings\n"
        "with Engine(Settings(sandbox_workers=1)) as engine:\n"
        "    assert engine.verify([VerifyItem(response='so 1', reference='1')])[0].correct\n"
        "    item = RewardItem(response='The answer is 1.', reference='1')\n"
        "    assert engine.reward('math', [item])[0].reward == 1.0\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
