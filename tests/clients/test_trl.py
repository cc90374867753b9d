"""Two real TRL `GRPOTrainer` steps whose logged rewards are our verdicts.

A tiny Llama from config samples completions over a vocabulary of whole answers, so a step has
right and wrong ones; the trainer calls our reward functions (sync, async and one per recipe
component), and every logged per-sample reward and per-function mean must be what the client
says about those same completions.
"""

from __future__ import annotations

from statistics import fmean

import datasets
import pytest
import transformers
import trl
from frameworks_tiny import answer_tokenizer, tiny_policy

from mmreward import LocalClient
from mmreward.clients.adapters import async_trl_reward_func, trl_component_funcs, trl_reward_func
from mmreward.settings import Settings


class Snapshots(transformers.TrainerCallback):
    """At each log: the logged metrics and the batch of completions they were computed on."""

    def __init__(self) -> None:
        self.trainer = None
        self.steps: list[dict] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and any(key.startswith("rewards/") for key in logs):
            record = self.trainer._logs
            self.steps.append(
                {
                    "logs": dict(logs),
                    "prompts": list(record["prompt"]),
                    "completions": list(record["completion"]),
                    "rewards": {name: list(values) for name, values in record["rewards"].items()},
                }
            )


@pytest.mark.slow
def test_two_grpo_steps_log_our_verdicts(tmp_path):
    solutions = {"What is 2+2?": "4", "What is 2+3?": "5"}
    dataset = datasets.Dataset.from_dict(
        {"prompt": list(solutions) * 4, "solution": list(solutions.values()) * 4}
    )
    tokenizer = answer_tokenizer()
    config = trl.GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=6,
        max_steps=2,
        logging_steps=1,
        learning_rate=1e-3,
        beta=0.0,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        seed=3,
    )
    with LocalClient(Settings(sandbox_workers=1)) as local:
        accuracy = trl_reward_func(local, verifier="math", name="math_acc")
        parts = trl_component_funcs(local, "r1v", ["accuracy", "format"])
        layout = async_trl_reward_func(local, verifier="format", spec="think_answer")
        snapshots = Snapshots()
        trainer = trl.GRPOTrainer(
            model=tiny_policy(tokenizer),
            reward_funcs=[accuracy, *parts, layout],
            args=config,
            train_dataset=dataset,
            processing_class=tokenizer,
            callbacks=[snapshots],
        )
        snapshots.trainer = trainer
        trainer.train()

        assert len(snapshots.steps) == 2
        acc_part, format_part = (f.__name__ for f in parts)
        names = {"math_acc", acc_part, format_part, layout.__name__}
        assert len(names) == 4  # unique names: no two functions merge in TRL's logs
        assert set(snapshots.steps[0]["rewards"]) == names
        seen = []
        for step in snapshots.steps:
            refs = [solutions[p] for p in step["prompts"]]
            items = [
                {"verifier": "math", "response": c, "reference": r}
                for c, r in zip(step["completions"], refs, strict=True)
            ]
            ours = [v.reward for v in local.verify(items)]
            recipe = local.reward(
                "r1v",
                [
                    {"response": c, "reference": r}
                    for c, r in zip(step["completions"], refs, strict=True)
                ],
            )
            shapes = [
                v.reward
                for v in local.verify(
                    [
                        {"verifier": "format", "response": c, "params": {"spec": "think_answer"}}
                        for c in step["completions"]
                    ]
                )
            ]
            assert step["rewards"]["math_acc"] == ours
            assert step["rewards"][acc_part] == [r.components["accuracy"].weighted for r in recipe]
            assert step["rewards"][format_part] == [r.components["format"].weighted for r in recipe]
            assert step["rewards"][layout.__name__] == shapes
            assert step["logs"]["rewards/math_acc/mean"] == pytest.approx(fmean(ours))
            assert step["logs"][f"rewards/{acc_part}/mean"] == pytest.approx(
                fmean(0.5 * r for r in ours)
            )
            seen.extend(ours)
        assert 0.0 < fmean(seen) < 1.0  # the batches held right and wrong answers
