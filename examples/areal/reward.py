"""AReaL 1.0 with mmreward: `python examples/areal/reward.py [--url URL]`.

AReaL's RLVR workflow takes `reward_fn` as an object or an import string and runs it through
`AsyncRewardWrapper`, which pickles it into worker processes. Either door:

    workflow = RLVRWorkflow(reward_fn=AReaLReward(recipe="r1v", url=URL,
                                                  eos_token_id=tokenizer.eos_token_id), ...)
    # or, from a config: reward_fn: mmreward.clients.areal.reward_fn
    #   with MMREWARD_URL, MMREWARD_ADAPTER_RECIPE=r1v, MMREWARD_EOS_TOKEN_ID in the environment

This script scores three completions through AReaL's own wrapper, as a rollout would. Give a
server (`mmreward serve`) to AReaL's reward workers: each worker process would otherwise build
its own in-process engine.
"""

from __future__ import annotations

import argparse
import asyncio

from areal.api.reward_api import AsyncRewardWrapper

from mmreward.clients.areal import AReaLReward

EOS = 2
ROWS = [
    # (completion as AReaL decodes it, its token ids' last id, dataset answer)
    ("<think>7 * 6</think><answer>42</answer><|im_end|>", EOS, "42"),
    ("<think>9 - 4</think><answer>6</answer><|im_end|>", EOS, "5"),
    ("<think>2^10 = 1024</think><answer>1024", 17, "1024"),  # cut at max_new_tokens
]


async def main(url: str | None) -> None:
    reward = AsyncRewardWrapper(AReaLReward(recipe="r1v", url=url, eos_token_id=EOS))
    for completion, last_id, answer in ROWS:
        score = await reward("Question?", completion, [1, 2, 3], [5, 6, last_id], answer=answer)
        print(f"{completion!r:<58} reward {score:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="a running `mmreward serve`; in-process when left out")
    asyncio.run(main(parser.parse_args().url))
