"""One rule splits a response into PRM steps: recipes, relabeling and the training loop."""

from mmreward.prm.steps import STEP_SEPARATOR, split_steps, step_spans


def test_steps_are_stripped_pieces_between_separators_and_blank_pieces_are_dropped():
    text = " a = 1 \n\n\n\n  b = 2\n\n \n\nso 3 "
    assert split_steps(text) == ["a = 1", "b = 2", "so 3"]
    assert [text[s:e].strip() for s, e in step_spans(text)] == split_steps(text)
    assert STEP_SEPARATOR == "\n"


def test_another_separator_and_no_steps():
    assert split_steps("x\ny\n\nz", "\n\n") == ["x\ny", "z"]
    assert split_steps("") == []
    assert split_steps("   \n\n  ") == []


def test_the_three_doors_split_alike():
    from mmreward.items import RewardItem
    from mmreward.jobs import RelabelSpec
    from mmreward.jobs.rows import prepare
    from mmreward.prm.component import prm_item
    from mmreward.rl.config import RLConfig
    from mmreward.rl.process import prm_steps
    from mmreward.rl.process import split_steps as trainer_steps

    text = "1 + 2 = 3\n\n 3 * 4 = 12 \n\nThe answer is 12."
    via_recipe = prm_item(RewardItem(response=text)).steps
    spec = RelabelSpec(capability="prm", name="")
    via_job = prepare({"response": text}, spec, "row 1")
    assert isinstance(via_job, dict)
    via_trainer = prm_steps([step for step, _ in trainer_steps(text, RLConfig.step_separator)])
    assert via_recipe == via_job["steps"] == via_trainer
    assert len(via_recipe) == 3
