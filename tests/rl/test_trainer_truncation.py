"""A response cut at the length limit earns no accuracy or format reward."""

import pytest

from mmreward.clients import LocalClient
from mmreward.items import RewardItem
from mmreward.settings import Settings

ANSWER = "<think>2 and 2</think> \\boxed{4}"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    recipes = tmp_path_factory.mktemp("recipes")
    (recipes / "len_only.yaml").write_text(
        "components:\n  - kind: length\n    params: {max_len: 4, cache_len: 2}\n"
    )
    with LocalClient(Settings(sandbox_workers=1, recipes_dir=recipes)) as local:
        yield local


def test_truncated_response_scores_zero_with_a_reason(client):
    whole, cut = client.reward(
        "math_format",
        [
            {"response": ANSWER, "reference": "4"},
            {"response": ANSWER, "reference": "4", "truncated": True},
        ],
    )
    assert whole.components["accuracy"].score == 1.0
    assert whole.components["format"].score == 1.0
    assert whole.reward == pytest.approx(1.0)
    assert cut.reward == 0.0
    for name in ("accuracy", "format"):
        assert cut.components[name].score == 0.0
        assert cut.components[name].details["status"] == "truncated"


def test_length_still_scores_a_truncated_response(client):
    [result] = client.reward(
        "len_only", [RewardItem(response="x", response_length=4, truncated=True)]
    )
    assert result.components["length"].score == -1.0


def test_truncated_must_be_a_boolean():
    with pytest.raises(ValueError, match="truncated"):
        RewardItem(response="x", truncated="maybe")
