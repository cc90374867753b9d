"""verl 0.9's own config, loader and reward managers calling `mmreward.clients.adapters`.

`main_ppo`'s config is composed by Hydra from verl's own `ppo_trainer.yaml` and the overrides in
examples/verl/README.md; verl's reward-loop worker loads `compute_score` (an `async def`) from
`pkg://mmreward.clients.adapters`, its naive or dapo manager awaits it per sample, and the
manager's `assemble_rm_scores` puts each reward on the response's last valid token, as
`RewardLoopManager.compute_rm_score` does. The legacy naive, batch and prime managers (older
verl, or built by hand) get the sync forms. Batches are real `DataProto`s decoded by a real
tokenizer.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from pathlib import Path

import numpy as np
import pytest
import torch
from frameworks_tiny import chat_tokenizer
from live_server import LiveServer
from omegaconf import OmegaConf
from verl import DataProto
from verl.experimental.reward_loop import RewardLoopWorker
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
    monkeypatch.setattr(_adapt, "_shared_async", weakref.WeakKeyDictionary())
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


EXAMPLES = Path(__file__).parents[2] / "examples" / "verl"


def readme_overrides() -> list[str]:
    """The reward overrides of examples/verl/README.md's `main_ppo` command, as written."""
    text = (EXAMPLES / "README.md").read_text()
    return re.findall(r"^\s+(\+?reward\.\S+=\S+)", text, flags=re.MULTILINE)


def main_ppo_config(overrides: list[str]):
    """`main_ppo`'s config (`@hydra.main(config_name="ppo_trainer")`), composed the same way."""
    import verl
    from hydra import compose, initialize_config_dir

    config_dir = str(Path(verl.__file__).parent / "trainer" / "config")
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return compose(config_name="ppo_trainer", overrides=overrides)


def reward_loop(config, data):
    """What `RewardLoopManager.compute_rm_score` does on one reward worker (without Ray):
    every sample awaited on the worker's loop, rewards placed on the last valid token."""
    worker = RewardLoopWorker(config)
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(data))
    for client in _adapt._shared_async.get(worker.loop, {}).values():
        if hasattr(client, "aclose"):
            worker.loop.run_until_complete(client.aclose())
    scores = [out["reward_score"] for out in outputs]
    manager = reward.resolve_reward_manager_cls(config)
    return manager.assemble_rm_scores(data, scores), [out["reward_extra_info"] for out in outputs]


@pytest.fixture
def worker_loop():
    """verl's reward worker takes the thread's event loop (`get_event_loop`)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@pytest.mark.parametrize("manager", ["naive", "dapo"])
def test_main_ppo_reward_loop_awaits_the_async_function(
    manager, tokenizer, server, shared, tmp_path, worker_loop
):
    """The README's overrides, composed into `main_ppo`'s config: naive scores on the server,
    dapo in-process; each reward sits on the last token of its response, nothing elsewhere."""
    overrides = readme_overrides()
    assert "reward.custom_reward_function.name=compute_score" in overrides
    url = "+reward.custom_reward_function.reward_kwargs.url="
    overrides = [o for o in overrides if not o.startswith((url, "reward.reward_manager.name="))]
    overrides.append(f"reward.reward_manager.name={manager}")
    if manager == "naive":
        overrides.append(url + server)
    tokenizer.save_pretrained(tmp_path)
    overrides.append(f"actor_rollout_ref.model.path={tmp_path}")
    config = main_ppo_config(overrides)
    assert config.reward.custom_reward_function.reward_kwargs.recipe == "r1v"

    data = batch(tokenizer, SAMPLES)
    rm_scores, infos = reward_loop(config, data)

    # r1v = 0.5 accuracy + 0.5 think/answer layout; only the sixth sample has the layout
    want = [0.5 * s for s in expected()]
    want[5] = 1.0
    last = data.batch["attention_mask"][:, data.batch["prompts"].size(1) :].sum(dim=1) - 1
    assert rm_scores.sum(dim=-1).tolist() == want
    assert [rm_scores[i, last[i]].item() for i in range(len(SAMPLES))] == want
    assert [info["format"] for info in infos] == [0.0] * 5 + [1.0] + [0.0] * 2
    assert {tuple(info) for info in infos} == {tuple(infos[0])}  # one key set for verl's logs
    assert len(shared) == (0 if manager == "naive" else 1)  # one engine in-process, none on HTTP


@pytest.mark.slow
def test_reward_loop_manager_on_ray_scores_through_the_server(tokenizer, server, tmp_path):
    """`RewardLoopManager.compute_rm_score`, as the trainer calls it: the README's overrides,
    one Ray reward worker actor (its own process) awaiting the function against the server."""
    import ray
    from verl.experimental.reward_loop import RewardLoopManager

    overrides = [o for o in readme_overrides() if "reward_kwargs.url=" not in o]
    tokenizer.save_pretrained(tmp_path)
    overrides += [
        f"+reward.custom_reward_function.reward_kwargs.url={server}",
        f"actor_rollout_ref.model.path={tmp_path}",
        "reward.num_workers=1",
    ]
    config = main_ppo_config(overrides)
    data = batch(tokenizer, SAMPLES)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        out = RewardLoopManager(config).compute_rm_score(data)
    finally:
        ray.shutdown()
    want = [0.5 * s for s in expected()]
    want[5] = 1.0
    last = data.batch["attention_mask"][:, data.batch["prompts"].size(1) :].sum(dim=1) - 1
    rm_scores = out.batch["rm_scores"]
    assert rm_scores.sum(dim=-1).tolist() == want
    assert [rm_scores[i, last[i]].item() for i in range(len(SAMPLES))] == want
    assert list(out.non_tensor_batch["format"]) == [0.0] * 5 + [1.0] + [0.0] * 2


def test_load_reward_manager_awaits_every_sample_on_one_engine(tokenizer, shared, worker_loop):
    """The reward loop awaits every sample at once on one event loop; exactly one in-process
    engine serves them all."""
    manager = reward.load_reward_manager(config("compute_score"), tokenizer)
    assert manager.is_async_reward_score
    data = batch(tokenizer, SAMPLES)
    jobs = [manager.run_single(data[i : i + 1]) for i in range(len(data))]
    results = worker_loop.run_until_complete(asyncio.gather(*jobs))
    assert [r["reward_score"] for r in results] == expected()
    assert [r["reward_extra_info"]["acc"] for r in results] == [s == 1.0 for s in expected()]
    assert len(shared) == 1


def test_unknown_reward_manager_names_fail_in_verl(tokenizer, shared):
    """What the README no longer documents: verl 0.9's reward loop has no batch or prime."""
    for name in ("batch", "prime"):
        cfg = config("compute_score")
        cfg.reward.reward_manager.name = name
        with pytest.raises(ValueError, match=f"Unknown reward manager: {name}"):
            reward.load_reward_manager(cfg, tokenizer)


def test_legacy_naive_manager_logs_extra_keys(tokenizer, server, shared):
    fn = reward.get_custom_reward_fn(config("compute_score_sync", url=server))
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
    cfg = config("compute_score_sync")
    cfg.reward.custom_reward_function.path = adapters.__file__
    fn = reward.get_custom_reward_fn(cfg)
    out = NaiveRewardManager(tokenizer, 0, compute_score=fn)(batch(tokenizer, SAMPLES[:2]), True)
    assert out["reward_tensor"].sum(dim=-1).tolist() == [1.0, 1.0]


def test_the_example_reward_config_loads_and_scores(tokenizer, server, shared, worker_loop):
    """examples/verl/reward.yaml, as a user would merge it, with its server URL pointed here."""
    example = OmegaConf.load(EXAMPLES / "reward.yaml")
    example.reward.custom_reward_function.reward_kwargs.url = server
    manager = reward.load_reward_manager(example, tokenizer)
    assert manager.is_async_reward_score
    data = batch(tokenizer, SAMPLES)
    jobs = [manager.run_single(data[i : i + 1]) for i in range(len(data))]
    results = worker_loop.run_until_complete(asyncio.gather(*jobs))
    for client in _adapt._shared_async.get(worker_loop, {}).values():
        worker_loop.run_until_complete(client.aclose())
    # r1v: half for the answer, half for the <think>/<answer> layout (only the sixth has it)
    assert results[5]["reward_score"] == 1.0
    assert [r["reward_extra_info"]["format"] for r in results] == [0.0] * 5 + [1.0] + [0.0] * 2
