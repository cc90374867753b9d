"""verifiers 0.4's own scoring (`Task.score`) running `mmreward.clients.verifiers` reward functions.

A small math dataset is scored through the library's own call, which discovers the attached
reward functions (or loads the plugged one from the task config with its own importer),
invokes them concurrently with the arguments they name and records each under its name and
weight on the trace; the rewards equal our engine's verdicts for the same items.
"""

from __future__ import annotations

import asyncio
import weakref

import pytest
import verifiers.v1 as vf
from live_server import LiveServer
from verifiers.v1.graph import MessageNode
from verifiers.v1.trace import ModelCall, TraceTask

from mmreward import AsyncRewardClient, LocalClient
from mmreward.clients import _adapt
from mmreward.clients.verifiers import rubric
from mmreward.items import VerifyItem
from mmreward.recipes import RewardItem
from mmreward.service import create_app
from mmreward.settings import Settings

DATASET = [
    # (question, answer, reply)
    ("What is 2 + 3?", "5", "The answer is \\boxed{5}."),
    ("What is 7 * 6?", "42", "<think>7 * 6</think><answer>42</answer>"),
    ("What is 1/2 + 1/4?", "3/4", "\\boxed{0.75}"),
    ("What is 9 - 4?", "5", "It is \\boxed{6}."),
    ("Solve x + 1 = 3.", "2", "I am not sure."),
    ("What is 2^10?", "1024", "<think>powers</think><answer>1,024</answer>"),
]


class MathData(vf.TaskData):
    answer: str


@pytest.fixture(scope="module")
def local():
    with LocalClient(Settings(sandbox_workers=1)) as client:
        yield client


@pytest.fixture(scope="module")
def url(local):
    with LiveServer(create_app(engine=local.engine)) as address:
        yield address


def trace_of(task: vf.Task, reply: str, finish: str = "stop") -> vf.Trace:
    """A finished single-turn rollout, as verifiers records one."""
    return vf.Trace(
        task=TraceTask(type=type(task).__name__, data=task.data),
        agent=vf.AgentInfo(config=vf.AgentConfig()),
        nodes=[
            MessageNode(message=vf.UserMessage(content=task.data.prompt)),
            MessageNode(parent=0, message=vf.AssistantMessage(content=reply), sampled=True),
        ],
        calls=[ModelCall(node=1, finish_reason=finish)],
    )


async def score_dataset(task_class, finish: str = "stop") -> list[vf.Trace]:
    tasks = [task_class(MathData(prompt=q, answer=a)) for q, a, _ in DATASET]
    traces = [trace_of(t, reply, finish) for t, (_, _, reply) in zip(tasks, DATASET, strict=True)]
    await asyncio.gather(*(t.score(trace) for t, trace in zip(tasks, traces, strict=True)))
    return traces


def test_a_verifier_rubric_scores_like_our_verdicts(local, url):
    """Same rewards as `LocalClient.verify`, in-process and over HTTP."""
    verdicts = local.verify([VerifyItem(response=r, reference=a) for _, a, r in DATASET])

    class InProcess(vf.Task[MathData]):
        pass

    math = rubric(local, verifier="math")
    math.attach(InProcess)
    [name] = [f.__name__ for f in math.funcs]
    assert name.startswith("mmreward_math")  # numbered if another math function took it
    traces = asyncio.run(score_dataset(InProcess))
    assert [t.rewards[name].score for t in traces] == [v.reward for v in verdicts]
    assert [t.reward for t in traces] == [1.0, 1.0, 1.0, 0.0, 0.0, 1.0]

    async def over_http():
        async with AsyncRewardClient(url) as http:

            class OverHTTP(vf.Task[MathData]):
                pass

            rubric(http, verifier="math", name="math_http", weight=2.0).attach(OverHTTP)
            return await score_dataset(OverHTTP)

    traces = asyncio.run(over_http())
    assert [t.rewards["math_http"].score for t in traces] == [v.reward for v in verdicts]
    assert [t.reward for t in traces] == [2.0 * v.reward for v in verdicts]


def test_a_recipe_rubric_logs_each_component_and_sums_to_the_recipe(local):
    results = local.reward("r1v", [RewardItem(response=r, reference=a) for _, a, r in DATASET])

    class R1V(vf.Task[MathData]):
        pass

    rubric(local, recipe="r1v", components=["accuracy", "format"], name="r1v").attach(R1V)
    traces = asyncio.run(score_dataset(R1V))
    for trace, result in zip(traces, results, strict=True):
        assert set(trace.rewards) == {"r1v_accuracy", "r1v_format"}
        assert trace.rewards["r1v_accuracy"].score == result.components["accuracy"].weighted
        assert trace.rewards["r1v_format"].score == result.components["format"].weighted
        assert trace.reward == pytest.approx(result.reward)


def test_a_response_cut_at_the_length_limit_earns_nothing(local):
    class Cut(vf.Task[MathData]):
        pass

    rubric(local, verifier="math").attach(Cut)
    traces = asyncio.run(score_dataset(Cut, finish="length"))
    assert all(t.is_truncated for t in traces)
    assert [t.reward for t in traces] == [0.0] * len(DATASET)


def test_the_config_door_loads_through_verifiers_own_importer(local, monkeypatch):
    """`TaskConfig.rewards` plugs `mmreward.clients.verifiers:score` by its import path."""
    monkeypatch.setattr(_adapt, "_shared", {(None, None): local})
    monkeypatch.setattr(_adapt, "_shared_async", weakref.WeakKeyDictionary())
    monkeypatch.delenv("MMREWARD_URL", raising=False)
    monkeypatch.setenv("MMREWARD_ADAPTER_VERIFIER", "math")
    config = vf.TaskConfig(
        rewards={"accuracy": {"fn": "mmreward.clients.verifiers:score", "weight": 0.5}}
    )
    verdicts = local.verify([VerifyItem(response=r, reference=a) for _, a, r in DATASET])

    async def main():
        traces = []
        for question, answer, reply in DATASET:
            task = vf.Task(MathData(prompt=question, answer=answer), config)
            trace = trace_of(task, reply)
            await task.score(trace)
            traces.append(trace)
        return traces

    traces = asyncio.run(main())
    assert [t.rewards["accuracy"].score for t in traces] == [v.reward for v in verdicts]
    assert [t.rewards["accuracy"].weight for t in traces] == [0.5] * len(DATASET)


def test_rubric_settings_are_checked_where_written(local):
    with pytest.raises(ValueError, match="components are a recipe's"):
        rubric(local, components=["accuracy"])
    with pytest.raises(ValueError, match="do not apply to a recipe"):
        rubric(local, recipe="r1v", tolerance=0.1)
