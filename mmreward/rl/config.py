"""One dataclass holds every knob of a training run; a YAML file sets any subset of it.

Each field says its default and where it comes from, so a config file reads as the recipe of
the paper it reproduces. `algorithm` fills in that algorithm's defining choices (below) for the
fields a file leaves unset; a value written in the file always wins.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import TypeAdapter, ValidationError

from mmreward.errors import InvalidInputError
from mmreward.names import unknown_name
from mmreward.prm.steps import STEP_SEPARATOR

Algorithm = Literal["grpo", "dapo", "dr_grpo", "ppo"]
LossAggregation = Literal["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"]
RewardScaling = Literal["group", "batch", "none"]
PromptOrder = Literal["uniform", "curriculum", "prioritized"]
BudgetClock = Literal["wall", "cpu"]
CorrectReward = Literal["binary", "signed"]

ALGORITHM_DEFAULTS: dict[str, dict[str, Any]] = {
    # GRPO (DeepSeekMath, Shao et al. 2024): (r - mean) / std within the group, each sequence's
    # loss averaged over its own tokens, symmetric clip.
    "grpo": {
        "scale_rewards": "group",
        "loss_agg": "seq-mean-token-mean",
        "eps_high": 0.2,
        "group_size": 8,
    },
    # DAPO (Yu et al. 2025): clip-higher, token-level loss, dynamic sampling.
    "dapo": {
        "scale_rewards": "group",
        "loss_agg": "token-mean",
        "eps_high": 0.28,
        "dynamic_sampling": True,
        "group_size": 8,
    },
    # Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-like training"): no std division and
    # no per-sequence length division, both of which bias the gradient.
    "dr_grpo": {
        "scale_rewards": "none",
        "loss_agg": "seq-mean-token-sum-norm",
        "eps_high": 0.2,
        "group_size": 8,
    },
    # PPO (Schulman et al. 2017) with GAE; advantages whitened over the batch.
    "ppo": {"scale_rewards": "batch", "loss_agg": "token-mean", "eps_high": 0.2, "group_size": 1},
}


@dataclass
class RLConfig:
    """A training run. Paths are relative to the config file's directory."""

    algorithm: Algorithm = "grpo"
    """grpo | dapo | dr_grpo | ppo; sets the defaults in `ALGORITHM_DEFAULTS`."""

    # --- what is trained, on what, rewarded how -------------------------------------------
    policy: str = ""
    """A local Hugging Face model directory (causal LM, or a vision-language model with its
    processor). Never downloaded."""
    train_data: str = ""
    """JSONL of prompts: `prompt`, `reference`, optional `image` (base64) and pass-rate column."""
    eval_data: str = ""
    """JSONL of held-out prompts, scored greedily every `eval_every` steps; empty = no eval."""
    exact_match_column: str = ""
    """Column of `eval_data` holding the one right response (arith: `\\boxed{85}`): each
    evaluation also logs `eval/exact_match`, the share of greedy responses equal to it (not
    truncated). `eval/verifier_accuracy` is always logged: the accuracy component's score,
    which accepts any form the verifier takes as equal (`85`, `\\boxed{80+5}`)."""
    recipe: str = "math"
    """mmreward recipe scoring each response (accuracy, format, length, prm, grounding)."""
    recipes_dir: str = ""
    """Extra recipe files for the in-process engine (e.g. a DAPO overlong recipe)."""
    reward_url: str = ""
    """Score through a running `mmreward serve` (RewardClient); empty = in-process LocalClient."""
    accuracy_component: str = "accuracy"
    """Component whose score is the verifier accuracy, the one dynamic sampling filters on and
    which a truncated response loses."""
    correct_reward: CorrectReward = "binary"
    """binary: the accuracy component scores 0/1 as the recipe says; signed: -1/+1 in the
    training reward (DAPO's rule-based reward), so an overlong penalty weighs half as much
    against it. Logged components stay the recipe's."""
    zero_truncated: bool = True
    """A response cut at `max_new_tokens` gets no accuracy or format reward (otherwise a
    policy learns to run to the length limit on a lenient verifier; measured on arith)."""
    process_rewards: bool = False
    """PPO only: PRM step scores as dense rewards at step ends (process supervision,
    Lightman et al. 2023) added to the recipe's outcome reward on the last token."""
    step_separator: str = STEP_SEPARATOR
    """Text that ends a reasoning step, for `process_rewards` (`mmreward.prm.steps`)."""
    eval_process_rewards: bool = False
    """Also score held-out responses with the PRM (`eval/dense`); off, evaluation costs no
    PRM time."""
    eval_hook: str = ""
    """`module:function(records, texts, truncated) -> {name: value}` run on each evaluation's
    greedy responses, logged as `eval/<name>` (a task's exact match, wrong-step rate)."""

    # --- rollouts -------------------------------------------------------------------------
    prompts_per_step: int = 16
    """Prompts per optimisation batch (each sampled `group_size` times)."""
    group_size: int | None = None
    """Samples per prompt; GRPO's G (DeepSeekMath used 64). Default 8, or 1 for PPO."""
    generation_batch: int = 64
    """Sequences generated per `generate` call; scoring of one call overlaps the next."""
    max_new_tokens: int = 32
    """Response length limit; a response that hits it is `truncated`."""
    temperature: float = 1.0
    """Sampling temperature of rollouts (1.0 keeps the sampled log-probs the policy's)."""
    top_p: float = 1.0
    """Nucleus sampling of rollouts; 1.0 = off."""

    # --- advantages -----------------------------------------------------------------------
    scale_rewards: RewardScaling | None = None
    """group: divide by the group's std (GRPO); batch: by the batch std (PPO whitening,
    Hu et al. REINFORCE++); none: Dr. GRPO. Default: the algorithm's."""
    gamma: float = 1.0
    """PPO discount; 1.0 for outcome rewards (VC-PPO, Yuan et al. 2025)."""
    lam_actor: float = 0.95
    """GAE lambda of the policy's advantages (VC-PPO: < 1 lowers variance)."""
    lam_critic: float = 1.0
    """GAE lambda of the value targets (VC-PPO: 1.0, so a sparse end reward is not decayed)."""

    # --- loss -----------------------------------------------------------------------------
    eps_low: float = 0.2
    """Lower clip of the probability ratio (PPO)."""
    eps_high: float | None = None
    """Upper clip; 0.28 in DAPO ("clip-higher") to keep low-probability tokens explorable."""
    loss_agg: LossAggregation | None = None
    """token-mean (DAPO), seq-mean-token-mean (GRPO) or seq-mean-token-sum-norm (Dr. GRPO:
    divide by `max_new_tokens`, a constant). Default: the algorithm's."""
    kl_coef: float = 0.0
    """Weight of the k3 KL estimate against the frozen initial policy (GRPO used 0.04; DAPO
    and Dr. GRPO drop it). 0 skips the reference model entirely."""
    entropy_coef: float = 0.0
    """Entropy bonus; 0 logs entropy without optimising it."""
    value_clip: float = 0.2
    """PPO: clip of the new value around the old one (PPO2 value clipping)."""
    value_pretrain_steps: int = 0
    """PPO: critic-only updates on the first rollouts before the policy moves (VC-PPO value
    pre-training: a critic initialised from the policy starts biased)."""

    # --- sampling of prompts --------------------------------------------------------------
    dynamic_sampling: bool | None = None
    """Drop groups whose accuracy is all equal (all right or all wrong) and refill (DAPO
    filters on accuracy, not on the total reward with its length penalty)."""
    max_refill_rounds: int = 4
    """Extra generation rounds dynamic sampling may run per step before training on less."""
    prompt_order: PromptOrder = "uniform"
    """uniform; curriculum (easy prompts first, by pass rate); prioritized (prompts whose
    group rewards still vary, weight p(1-p))."""
    pass_rate_column: str = ""
    """Column of `train_data` holding a relabeling run's pass rate; empty = measured online."""
    curriculum_start: float = 0.3
    """Curriculum: fraction of prompts (easiest first) open at step 0; all open at the end."""

    # --- optimisation ---------------------------------------------------------------------
    learning_rate: float = 3e-4
    """AdamW learning rate (1e-3 collapsed every arith run)."""
    critic_learning_rate: float = 1e-3
    """PPO critic learning rate. The critic is a separate network with its own AdamW, so this
    is the one weight of its loss (a value-loss coefficient would cancel in Adam's update)."""
    weight_decay: float = 0.0
    warmup_steps: int = 10
    """Linear LR warm-up over this many training steps (rollout batches, whatever
    `mini_batches` and `epochs` are; value pre-training steps not counted), then constant."""
    max_grad_norm: float = 1.0
    """Global gradient-norm clip."""
    micro_batch_size: int = 64
    """Sequences per forward/backward; gradients accumulate over the batch."""
    mini_batches: int = 1
    """Optimiser steps per pass over a rollout batch (PPO's minibatches). The old log-probs
    are taken once, before the first; with `mini_batches * epochs > 1` the later updates see
    ratios != 1 and the clip (DAPO's clip-higher included) acts."""
    epochs: int = 1
    """Passes over each rollout batch (PPO's K epochs)."""

    # --- run ------------------------------------------------------------------------------
    seed: int = 0
    max_steps: int = 1000
    """The budget in training steps (rollout batches): the same work on any machine. 0 = no
    step limit (another budget must be set)."""
    max_samples: int = 0
    """The budget in sampled responses (dynamic sampling's refills count); 0 = no limit."""
    time_budget_s: float = 0.0
    """Stop after this many seconds of training (summed over resumes, evaluations excluded);
    0 = no limit. Not repeatable across machines (contention changes the work a second buys):
    for a quick local look, never a reported figure."""
    budget_clock: BudgetClock = "wall"
    """wall: elapsed time; cpu: CPU time of the training process."""
    eval_every: int = 10
    eval_size: int = 500
    """Held-out prompts per evaluation."""
    last_k: int = 3
    """The headline is the mean of the last k evaluations (adjacent ones swing by several
    points on 500 prompts; the peak of many noisy evaluations overstates)."""
    samples_per_eval: int = 8
    """Held-out prompts whose greedy responses go to `samples.jsonl` at every evaluation."""
    samples_every: int = 0
    """Every this many steps one sampled training group goes to `samples.jsonl`; 0 = none."""
    tensorboard: bool = False
    """Also write every metric to a TensorBoard event file in `DIR/tensorboard` (needs the
    `tensorboard` extra)."""
    checkpoint_every: int = 20
    torch_threads: int = 1
    """torch intra-op threads (1 per run on a shared CPU)."""
    device: str = "cpu"

    base_dir: Path = field(default=Path("."), repr=False)
    """Directory relative paths resolve against (the config file's)."""

    def __post_init__(self) -> None:
        # A config built in code has its named choices checked as a file's are.
        _typed(type(self).__name__, {name: getattr(self, name) for name in _choice_fields()})
        defaults = {"dynamic_sampling": False, **ALGORITHM_DEFAULTS[self.algorithm]}
        for name, value in defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        if self.group_size is None or self.group_size < 1 or self.prompts_per_step < 1:
            raise InvalidInputError("group_size and prompts_per_step must be positive")
        if self.algorithm != "ppo" and self.group_size < 2:
            raise InvalidInputError(f"{self.algorithm} needs group_size >= 2")
        if self.process_rewards and self.algorithm != "ppo":
            raise InvalidInputError("process_rewards needs a critic: use algorithm ppo")
        if self.max_steps <= 0 and self.max_samples <= 0 and self.time_budget_s <= 0:
            raise InvalidInputError("set a budget: max_steps, max_samples or time_budget_s")
        if self.mini_batches < 1 or self.epochs < 1:
            raise InvalidInputError("mini_batches and epochs must be at least 1")

    @property
    def clip_high(self) -> float:
        return self.eps_high if self.eps_high is not None else self.eps_low

    def path(self, value: str) -> Path:
        """Resolve a path field against the config file's directory."""
        candidate = Path(value)
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["base_dir"] = str(self.base_dir)
        return data


def config_fields() -> list[str]:
    return [f.name for f in dataclasses.fields(RLConfig) if f.name != "base_dir"]


@functools.cache
def _field_type(name: str) -> tuple[TypeAdapter[Any], tuple[str, ...]]:
    """The field's validator, and its choices when it takes one of a few names."""
    hint = typing.get_type_hints(RLConfig)[name]
    literals = [a for a in (hint, *typing.get_args(hint)) if typing.get_origin(a) is Literal]
    return TypeAdapter(hint), tuple(typing.get_args(literals[0])) if literals else ()


@functools.cache
def _choice_fields() -> tuple[str, ...]:
    """The fields that take one of a few names (`algorithm`, `prompt_order`, ...)."""
    return tuple(name for name in config_fields() if _field_type(name)[1])


def _typed(where: str, given: dict[str, Any]) -> dict[str, Any]:
    """Each value read as its field's type, or a clear error naming the field and its source.

    YAML 1.1 reads `1e-4` (no dot) as a string, and a string learning rate would otherwise fail
    deep inside the optimiser; numbers written as strings are read as numbers, anything else
    of the wrong type (`max_steps: ten`, `algorithm: grop`) is refused here.
    """
    typed: dict[str, Any] = {}
    for name, value in given.items():
        adapter, choices = _field_type(name)
        try:
            typed[name] = adapter.validate_python(value)
        except ValidationError as error:
            if choices:
                names = ", ".join(choices[:-1]) + f" or {choices[-1]}"
                reason = f"must be {'one of ' if len(choices) > 2 else ''}{names}"
            else:
                reason = str(error.errors()[0]["msg"])
            raise InvalidInputError(f"{where}: {name} {reason}, not {value!r}") from None
    return typed


def load_config(path: Path, **overrides: Any) -> RLConfig:
    """Read a YAML config; unknown keys and values of the wrong type are errors, blamed on
    where they were written."""
    if not path.is_file():
        raise InvalidInputError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InvalidInputError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path}: a config must be a mapping of field: value")
    known = set(config_fields())
    for where, given in ((str(path), data), ("--set", overrides)):
        unknown = sorted(set(given) - known)
        if unknown:
            raise InvalidInputError(f"{where}: {unknown_name('config field', unknown[0], known)}")
    data = {**_typed(str(path), data), **_typed("--set", overrides)}
    return RLConfig(**data, base_dir=path.resolve().parent)
