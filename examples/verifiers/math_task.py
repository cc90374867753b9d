"""A verifiers 0.4 task scored by mmreward: `python examples/verifiers/math_task.py [--url URL]`.

`rubric(...).attach(MathTask)` gives the task one reward function per component of the `r1v`
recipe (answer and `<think>/<answer>` layout, each logged under its own name); verifiers' own
`Task.score` runs them on each finished trace. Here three traces stand in for rollouts; in an
environment the same task class goes to `vf.Taskset` / `vf.SingleAgentEnv`, and prime-rl or
verifiers' trainer consumes the rewards. Without --url the engine runs in this process.
"""

from __future__ import annotations

import argparse
import asyncio

import verifiers.v1 as vf
from verifiers.v1.graph import MessageNode
from verifiers.v1.trace import ModelCall, TraceTask

from mmreward import AsyncLocalClient, AsyncRewardClient
from mmreward.clients.verifiers import rubric


class MathData(vf.TaskData):
    answer: str


class MathTask(vf.Task[MathData]):
    """The task's own behaviour would go here; its rewards come from mmreward."""


ROLLOUTS = [
    ("What is 7 * 6?", "42", "<think>7 * 6 = 42</think><answer>42</answer>", "stop"),
    ("What is 9 - 4?", "5", "<think>9 - 4</think><answer>6</answer>", "stop"),
    ("What is 2^10?", "1024", "<think>2^10 = 1024</think><answer>1024", "length"),
]


def finished(task: MathTask, reply: str, finish: str) -> vf.Trace:
    return vf.Trace(
        task=TraceTask(type="MathTask", data=task.data),
        agent=vf.AgentInfo(config=vf.AgentConfig()),
        nodes=[
            MessageNode(message=vf.UserMessage(content=str(task.data.prompt))),
            MessageNode(parent=0, message=vf.AssistantMessage(content=reply), sampled=True),
        ],
        calls=[ModelCall(node=1, finish_reason=finish)],
    )


async def main(url: str | None) -> None:
    client = AsyncRewardClient(url) if url else AsyncLocalClient()
    rubric(client, recipe="r1v", components=["accuracy", "format"]).attach(MathTask)
    for question, answer, reply, finish in ROLLOUTS:
        task = MathTask(MathData(prompt=question, answer=answer))
        trace = finished(task, reply, finish)
        await task.score(trace)
        parts = {name: reward.score for name, reward in trace.rewards.items() if reward}
        print(f"{question:<16} reward {trace.reward:.2f}  {parts}  cut={trace.is_truncated}")
    await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="a running `mmreward serve`; in-process when left out")
    asyncio.run(main(parser.parse_args().url))
