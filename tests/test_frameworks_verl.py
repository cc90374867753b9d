"""verl 0.9's own loader and reward managers calling `mmreward.clients.adapters`.

`load_reward_manager` resolves `custom_reward_function.path=pkg://mmreward.clients.adapters`
with verl's importer and builds its reward-loop naive manager, which runs `compute_score` on
executor threads, many samples at once. The registered naive, batch and prime managers get
the same loaded function; batches are real `DataProto`s decoded by a real tokenizer.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import torch
from frameworks_tiny import chat_tokenizer
from live_server import LiveServer
from omegaconf import OmegaConf
from verl import DataProto
from verl.trainer.ppo import reward
from verl.workers.reward_manager import BatchRewardManager, NaiveRewardManager, PrimeRewardManager

from mmreward import LocalClient
from mmreward.clients import _adapt
from mmreward.service import create_app
from mmreward.settings import Settings

SAMPLES = [
    # (response, ground truth as verl's parquet rows hand it over, expected score)
    ("The answer is \\boxed{5}.", np.int64(5), 1.0),
    ("#### 1,234", np.array("1234"), 1.0),
    ("so it is \\boxed{6}", torch.tensor(5), 0.0),
    ("\\boxed{\\frac{1}{2}}", 0.5, 1.0),
    ("I give up.", "7", 0.0),
    ("<think>a</think><answer>3</answer>", "3", 1.0),
    ("The answer is 12.", np.float64(12.0), 1.0),
    ("\\boxed{x+1}", "1+x", 1.0),
]


@pytest.fixture(scope="module")
def tokenizer():
    return chat_tokenizer()


@pytest.fixture
def shared(monkeypatch):
    """The adapters' per-process clients, fresh for the test and closed after it."""
    clients: dict = {}
    monkeypatch.setattr(_adapt, "_shared", clients)
    monkeypatch.delenv("MMREWARD_URL", raising=False)
    monkeypatch.setenv("MMREWARD_SANDBOX_WORKERS", "1")
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture(scope="module")
def server():
    with (
        LocalClient(Settings(sandbox_workers=1)) as local,
        LiveServer(create_app(engine=local.engine)) as url,
    ):
        yield url


def batch(tokenizer, samples, extra_info=None) -> DataProto:
    """Left-padded prompts, right-padded responses, as verl's rollout produces them."""
    pad = tokenizer.pad_token_id
    prompts = [tokenizer(f"Question {i}?")["input_ids"] for i in range(len(samples))]
    responses = [tokenizer(r)["input_ids"] + [tokenizer.eos_token_id] for r, _, _ in samples]
    p_len, r_len = max(map(len, prompts)), max(map(len, responses))
    prompt_ids = torch.tensor([[pad] * (p_len - len(p)) + p for p in prompts])
    response_ids = torch.tensor([r + [pad] * (r_len - len(r)) for r in responses])
    mask = torch.tensor(
        [
            [0] * (p_len - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (r_len - len(r))
            for p, r in zip(prompts, responses, strict=True)
        ]
    )
    infos = extra_info or [{} for _ in samples]
    return DataProto.from_dict(
        tensors={"prompts": prompt_ids, "responses": response_ids, "attention_mask": mask},
        non_tensors={
            "data_source": np.array(["math"] * len(samples), dtype=object),
            "reward_model": np.array([{"ground_truth": t} for _, t, _ in samples], dtype=object),
            "extra_info": np.array(infos, dtype=object),
        },
    )


def config(name: str, **reward_kwargs):
    return OmegaConf.create(
        {
            "reward": {
                "custom_reward_function": {
                    "path": "pkg://mmreward.clients.adapters",
                    "name": name,
                    "reward_kwargs": reward_kwargs,
                },
                "reward_manager": {"source": "register", "name": "naive"},
            }
        }
    )


def expected(samples=SAMPLES):
    return [score for _, _, score in samples]


def test_load_reward_manager_naive_threads_share_one_engine(tokenizer, shared):
    """verl's reward loop scores every sample concurrently on executor threads: all first calls
    race for the client, and exactly one in-process engine comes out of it."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        manager = reward.load_reward_manager(config("compute_score"), tokenizer)
        data = batch(tokenizer, SAMPLES)
        jobs = [manager.run_single(data[i : i + 1]) for i in range(len(data))]
        results = loop.run_until_complete(asyncio.gather(*jobs))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert [r["reward_score"] for r in results] == expected()
    assert [r["reward_extra_info"]["acc"] for r in results] == [s == 1.0 for s in expected()]
    assert len(shared) == 1


def test_registered_naive_manager_logs_extra_keys(tokenizer, server, shared):
    fn = reward.get_custom_reward_fn(config("compute_score", url=server))
    out = NaiveRewardManager(tokenizer, 0, compute_score=fn)(batch(tokenizer, SAMPLES), True)
    rewards = out["reward_tensor"].sum(dim=-1).tolist()
    assert rewards == expected()
    assert out["reward_extra_info"]["status"] == ["ok"] * 4 + ["no_answer"] + ["ok"] * 3


def test_batch_manager_one_call_for_the_step_with_a_recipe(tokenizer, shared):
    """`reward_kwargs` pick the recipe; its components are logged beside the score."""
    fn = reward.get_custom_reward_fn(config("compute_score_batch", recipe="r1v"))
    manager = BatchRewardManager(tokenizer, 0, compute_score=fn)
    out = manager(batch(tokenizer, SAMPLES), return_dict=True)
    rewards = out["reward_tensor"].sum(dim=-1).tolist()
    # r1v = 0.5 accuracy + 0.5 think/answer layout; only the sixth sample has the layout
    assert rewards == [0.5 * s for s in expected()[:5]] + [1.0] + [0.5 * s for s in expected()[6:]]
    assert out["reward_extra_info"]["format"] == [0.0] * 5 + [1.0] + [0.0] * 2
    assert len(out["reward_extra_info"]["accuracy"]) == len(SAMPLES)


def test_extra_info_picks_the_verifier_per_sample(tokenizer, shared):
    samples = [("The answer is (B).", "B", 1.0), ("about 1.2 million", "1,200,000", 1.0)]
    infos = [{"verifier": "choice"}, {"verifier": "chart"}]
    fn = reward.get_custom_reward_fn(config("compute_score_batch"))
    out = BatchRewardManager(tokenizer, 0, compute_score=fn)(batch(tokenizer, samples, infos), True)
    assert out["reward_tensor"].sum(dim=-1).tolist() == [1.0, 1.0]


@pytest.mark.slow
def test_prime_manager_gets_floats_from_worker_processes(tokenizer, server, shared):
    """Prime scores in forked worker processes and wants a bare float per sample."""
    fn = reward.get_custom_reward_fn(config("compute_score_float", url=server))
    manager = PrimeRewardManager(tokenizer, 0, compute_score=fn)
    data = batch(tokenizer, SAMPLES[:4])
    assert manager.verify(data) == expected(SAMPLES[:4])


def test_a_file_path_from_another_directory_loads_too(tokenizer, shared, tmp_path, monkeypatch):
    from mmreward.clients import adapters

    monkeypatch.chdir(tmp_path)
    cfg = config("compute_score")
    cfg.reward.custom_reward_function.path = adapters.__file__
    fn = reward.get_custom_reward_fn(cfg)
    out = NaiveRewardManager(tokenizer, 0, compute_score=fn)(batch(tokenizer, SAMPLES[:2]), True)
    assert out["reward_tensor"].sum(dim=-1).tolist() == [1.0, 1.0]


def test_the_example_reward_config_loads_and_scores(tokenizer, server, shared):
    """examples/verl/reward.yaml, as a user would merge it, with its server URL pointed here."""
    from pathlib import Path

    example = OmegaConf.load(Path(__file__).parent.parent / "examples" / "verl" / "reward.yaml")
    example.reward.custom_reward_function.reward_kwargs.url = server
    fn = reward.get_custom_reward_fn(example)
    out = NaiveRewardManager(tokenizer, 0, compute_score=fn)(batch(tokenizer, SAMPLES), True)
    # r1v: half for the answer, half for the <think>/<answer> layout (only the sixth has it)
    assert out["reward_tensor"].sum(dim=-1).tolist()[5] == 1.0
    assert out["reward_extra_info"]["format"] == [0.0] * 5 + [1.0] + [0.0] * 2
