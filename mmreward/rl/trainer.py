"""The training loop: sample groups, score them through a reward client, update the policy.

One step: draw prompts, generate their groups in chunks (each chunk is scored on a worker
thread while the next one generates), drop all-equal groups when dynamic sampling is on and
refill, compute advantages (group baseline, or GAE with a critic for PPO), take the old
log-probs of the rows trained after the first optimiser step, then run
`mini_batches * epochs` clipped-surrogate updates with gradient accumulation. Every step
appends a line to `metrics.jsonl` (and samples to `samples.jsonl`); checkpoints hold
everything a resumed run needs to continue those streams.
"""

from __future__ import annotations

import json
import logging
import math
import pickle
import random
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mmreward.clients.scorer import Scorer
from mmreward.errors import InvalidInputError, RequestEndedError
from mmreward.recipes import RewardResult
from mmreward.rl import advantages as adv
from mmreward.rl import losses
from mmreward.rl.budget import Budget, Spent
from mmreward.rl.config import RLConfig
from mmreward.rl.curriculum import PromptPool
from mmreward.rl.hooks import load_eval_hook
from mmreward.rl.logbook import Logbook
from mmreward.rl.policy import Policy, ValueModel, build_critic, load_policy
from mmreward.rl.process import dense_rewards, dense_stats
from mmreward.rl.results import exact_match
from mmreward.rl.rollout import (
    Rollout,
    concat,
    generate,
    position_ids,
    response_logits,
    token_logprobs,
)
from mmreward.rl.sampling import fill_batch, varied_groups

log = logging.getLogger(__name__)


@dataclass
class ChunkRewards:
    """Rewards of one generated chunk."""

    rewards: torch.Tensor
    """The training reward (with `correct_reward: signed`, accuracy counted -1/+1)."""
    accuracy: list[float]
    components: dict[str, list[float]]
    dense: torch.Tensor | None
    seconds: float
    dense_steps: list[int]
    """Steps the PRM scored, per response (empty without process rewards)."""
    prm_seconds: float = 0.0
    evidence: list[dict[str, Any]] = field(default_factory=list)
    """Per response, what a grounded reward saw (`detections`, their `source`); empty without
    a grounding component."""

    def item(self, i: int) -> dict[str, Any]:
        """One response's reward and components (and detections), for `samples.jsonl`."""
        return {
            "reward": round(float(self.rewards[i]), 6),
            "components": {name: values[i] for name, values in self.components.items()},
            **(self.evidence[i] if self.evidence else {}),
        }


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise InvalidInputError(f"data file {path} does not exist")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class Trainer:
    def __init__(
        self,
        config: RLConfig,
        output_dir: Path,
        client: Scorer,
        *,
        progress: Callable[[int, dict[str, Any]], None] | None = None,
    ) -> None:
        self.config = config
        self.output_dir = output_dir
        self.client = client
        self.progress = progress
        self.checkpoint_dir = output_dir / "checkpoint"
        self.budget = Budget(
            config.max_steps, config.max_samples, config.time_budget_s, config.budget_clock
        )
        torch.set_num_threads(config.torch_threads)
        output_dir.mkdir(parents=True, exist_ok=True)

        self.train_rows = read_jsonl(config.path(config.train_data))
        self.eval_rows = (
            read_jsonl(config.path(config.eval_data))[: config.eval_size]
            if config.eval_data
            else []
        )
        base = config.path(config.policy)
        self._recover_checkpoint()
        resuming = (self.checkpoint_dir / "state.pt").is_file()
        self._seed(config.seed)
        self.policy: Policy = load_policy(
            self.checkpoint_dir / "policy" if resuming else base, config.device
        )
        # The KL anchor is the initial policy, also after a resume.
        self.reference = (
            load_policy(base, config.device).model.eval() if config.kl_coef > 0 else None
        )
        self.critic: ValueModel | None = (
            build_critic(base, config.device) if config.algorithm == "ppo" else None
        )
        self.optimizer = torch.optim.AdamW(
            self.policy.model.parameters(),
            lr=config.learning_rate,
            weight_decay=config.weight_decay,
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._warmup)
        self.critic_optimizer = (
            torch.optim.AdamW(self.critic.parameters(), lr=config.critic_learning_rate)
            if self.critic is not None
            else None
        )
        pass_rates = (
            [row.get(config.pass_rate_column) for row in self.train_rows]
            if config.pass_rate_column
            else None
        )
        self.pool = PromptPool(
            len(self.train_rows),
            config.prompt_order,
            config.seed,
            pass_rates,
            config.curriculum_start,
        )
        self.step = 0
        self.samples = 0
        """Responses sampled so far (refills included): the samples budget's count."""
        self.elapsed = 0.0
        """Training seconds on the budget clock; `wall` and `cpu` are always both kept."""
        self.wall = 0.0
        self.cpu = 0.0
        self.evaluations: list[float] = []
        self.eval_hook = load_eval_hook(config.eval_hook) if config.eval_hook else None
        self._scoring = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rl-rewards")
        if resuming:
            self._load_checkpoint()
        self.log = Logbook(output_dir, tensorboard=config.tensorboard, resume_step=self.step)
        self.log.truncate(self.step)
        self.metrics_path = self.log.metrics_path

    # --- the loop -------------------------------------------------------------------------

    def run(self) -> list[dict[str, Any]]:
        """Train until the budget is spent; returns this call's metric lines."""
        written: list[dict[str, Any]] = []
        try:
            if self.step == 0 and self.eval_rows and not self.metrics_path.exists():
                start = {"step": 0, "samples": 0, "elapsed_s": 0.0, "wall_s": 0.0, "cpu_s": 0.0}
                written.append(self.log.metrics({**start, **self.evaluate()}))
            clock = time.process_time if self.config.budget_clock == "cpu" else time.perf_counter
            while not self.done:
                started, wall, cpu = clock(), time.perf_counter(), time.process_time()
                line = self.train_step()
                self.elapsed += clock() - started
                step_wall = time.perf_counter() - wall
                self.wall += step_wall
                self.cpu += time.process_time() - cpu
                line["samples"] = self.samples
                line["elapsed_s"] = round(self.elapsed, 3)
                line["wall_s"] = round(self.wall, 3)
                line["cpu_s"] = round(self.cpu, 3)
                line["tokens_per_s"] = round(line.pop("response_tokens") / step_wall, 2)
                if self.eval_rows and (self.step % self.config.eval_every == 0 or self.done):
                    line.update(self.evaluate())
                written.append(self.log.metrics(line))
                if self.step % self.config.checkpoint_every == 0 or self.done:
                    self.save_checkpoint()
                if self.progress is not None:
                    self.progress(self.step, line)
        finally:
            self._scoring.shutdown(wait=True)
            self.log.close()
        return written

    @property
    def spent(self) -> Spent:
        return Spent(self.step, self.samples, self.elapsed)

    @property
    def done(self) -> bool:
        return self.budget.reached(self.spent)

    def train_step(self) -> dict[str, Any]:
        cfg = self.config
        group = self._group_size
        self.policy.model.eval()
        timings = {"generation": 0.0, "reward": 0.0, "reward_wait": 0.0}
        kept_rollouts: list[Rollout] = []
        kept_rewards: list[torch.Tensor] = []
        kept_dense: list[torch.Tensor] = []
        sampled: list[ChunkRewards] = []
        sampled_lengths: list[torch.Tensor] = []
        sampled_truncated: list[bool] = []
        rounds = 1 + (cfg.max_refill_rounds if cfg.dynamic_sampling else 0)
        kept_groups = 0
        all_equal: list[bool] = []
        for round_ in range(rounds):
            indices = self.pool.sample(cfg.prompts_per_step, self.budget.progress(self.spent))
            rollout, scored = self._rollout_and_score(indices, timings)
            self.samples += len(rollout)
            sampled.append(scored)
            sampled_lengths.append(rollout.lengths)
            sampled_truncated.extend(rollout.truncated)
            rewards = scored.rewards.view(len(indices), group)
            accuracy = torch.tensor(scored.accuracy).view(len(indices), group)
            all_equal.extend((~varied_groups(rewards)).tolist())
            for i, index in enumerate(indices):
                self.pool.update(index, float(accuracy[i].mean()))
            if round_ == 0 and cfg.samples_every and (self.step + 1) % cfg.samples_every == 0:
                self._log_group(indices[0], rollout, scored)
            # DAPO keeps the groups whose accuracy varies (0 < pass rate < 1): a length penalty
            # alone would make an all-wrong group look informative.
            keep = (
                varied_groups(accuracy)
                if cfg.dynamic_sampling
                else torch.ones(len(indices), dtype=torch.bool)
            )
            chosen = [i for i in range(len(indices)) if keep[i]]
            chosen, _ = fill_batch(chosen, cfg.prompts_per_step - kept_groups)
            rows = [i * group + j for i in chosen for j in range(group)]
            if rows:
                kept_rollouts.append(rollout.select(rows))
                kept_rewards.append(rewards[chosen].reshape(-1))
                if scored.dense is not None:
                    kept_dense.append(scored.dense[rows])
            kept_groups += len(chosen)
            if kept_groups >= cfg.prompts_per_step:
                break

        line: dict[str, Any] = {"step": self.step + 1}
        all_scored = _merge(sampled)
        line["reward/mean"] = _mean(all_scored.rewards.tolist())
        line["reward/outcome"] = line["reward/mean"]
        if all_scored.dense is not None:
            line.update(dense_stats(all_scored.dense, all_scored.dense_steps))
            timings["prm"] = all_scored.prm_seconds
        for name, values in all_scored.components.items():
            line[f"reward/{name}"] = _mean(values)
        line["accuracy"] = _mean(all_scored.accuracy)
        lengths = torch.cat(sampled_lengths)
        line["response_length"] = float(lengths.mean())
        line["response_tokens"] = float(lengths.sum())
        line["truncated_frac"] = _mean([float(t) for t in sampled_truncated])
        line["groups_kept"] = kept_groups
        line["groups_sampled"] = len(sampled) * cfg.prompts_per_step
        if group > 1:
            # No group-relative signal in these (TRL logs it as frac_reward_zero_std).
            line["groups_all_equal_frac"] = _mean([float(e) for e in all_equal])

        started = time.perf_counter()
        if kept_rollouts:
            batch = concat(kept_rollouts, self.policy.pad_id)
            rewards = torch.cat(kept_rewards)
            dense = torch.cat(_pad_dense(kept_dense, batch)) if kept_dense else None
            line.update(self._update(batch, rewards, dense))
        timings["update"] = time.perf_counter() - started
        line.update({f"seconds/{k}": round(v, 4) for k, v in timings.items()})
        line["lr"] = line.get("lr", self.scheduler.get_last_lr()[0])
        self.step += 1
        return line

    def _log_group(self, index: int, rollout: Rollout, scored: ChunkRewards) -> None:
        """One sampled training group to `samples.jsonl`."""
        row = self.train_rows[index]
        self.log.samples(
            [
                {
                    "step": self.step + 1,
                    "split": "train",
                    "prompt": row["prompt"],
                    "reference": row.get("reference"),
                    "response": rollout.texts[j],
                    "truncated": rollout.truncated[j],
                    **scored.item(j),
                }
                for j in range(self._group_size)
            ]
        )

    # --- rollouts and rewards -------------------------------------------------------------

    def _rollout_and_score(
        self, indices: list[int], timings: dict[str, float]
    ) -> tuple[Rollout, ChunkRewards]:
        """Generate in chunks; each chunk's rewards are computed while the next generates."""
        cfg = self.config
        records = [self.train_rows[i] for i in indices for _ in range(self._group_size)]
        futures: list[Future[ChunkRewards]] = []
        rollouts: list[Rollout] = []
        for start in range(0, len(records), cfg.generation_batch):
            chunk = records[start : start + cfg.generation_batch]
            began = time.perf_counter()
            rollout = self._generate(chunk, greedy=False)
            timings["generation"] += time.perf_counter() - began
            rollouts.append(rollout)
            futures.append(self._scoring.submit(self._score, chunk, rollout))
        began = time.perf_counter()
        scored = [f.result() for f in futures]
        timings["reward_wait"] += time.perf_counter() - began
        merged = _merge(scored)
        timings["reward"] += merged.seconds
        return concat(rollouts, self.policy.pad_id), merged

    def _generate(self, records: list[dict[str, Any]], *, greedy: bool) -> Rollout:
        ids, mask, extras = self.policy.encode(records)
        device = self.config.device
        return generate(
            self.policy.model,
            ids.to(device),
            mask.to(device),
            eos_id=self.policy.eos_id,
            pad_id=self.policy.pad_id,
            max_new_tokens=self.config.max_new_tokens,
            decode=self.policy.decode,
            greedy=greedy,
            temperature=self.config.temperature,
            top_p=self.config.top_p,
            extras={k: v.to(device) for k, v in extras.items()},
            suppress=self.policy.suppressed,
        )

    def _score(
        self, records: list[dict[str, Any]], rollout: Rollout, *, process: bool = True
    ) -> ChunkRewards:
        """Runs on the scoring thread: one client call per chunk, plus PRM steps for PPO
        (when `process` and the config asks for them)."""
        began = time.perf_counter()
        lengths = rollout.lengths.long().tolist()
        items = [
            {
                **{k: v for k, v in record.items() if k != "prompt"},
                "prompt": record["prompt"],
                "response": text,
                "response_length": length,
                # The accuracy and format components score a truncated response 0.
                "truncated": truncated and self.config.zero_truncated,
            }
            for record, text, length, truncated in zip(
                records, rollout.texts, lengths, rollout.truncated, strict=True
            )
        ]
        results = judged_rewards(self.client, self.config.recipe, items)
        totals: list[float] = []
        accuracy: list[float] = []
        components: dict[str, list[float]] = {}
        signed = self.config.correct_reward == "signed"
        for result in results:
            parts = result.components
            chosen = parts.get(self.config.accuracy_component)
            accuracy.append(result.reward if chosen is None else chosen.score)
            # signed: the accuracy term w * s becomes w * (2s - 1), i.e. -w for a wrong answer.
            shift = chosen.weight * (chosen.score - 1.0) if signed and chosen is not None else 0.0
            totals.append(result.reward + shift)
            for name, part in parts.items():
                components.setdefault(name, []).append(part.score)
        evidence = _evidence(results)
        if not (process and self.config.process_rewards):
            return ChunkRewards(
                torch.tensor(totals),
                accuracy,
                components,
                None,
                time.perf_counter() - began,
                [],
                evidence=evidence,
            )
        # PRM step scores as dense rewards on the tokens that end the steps (`rl/process.py`).
        dense = dense_rewards(
            self.client,
            [str(r.get("problem") or r["prompt"]).strip() for r in records],
            rollout.texts,
            rollout.response_ids,
            self.policy.decode,
            self.config.step_separator,
        )
        return ChunkRewards(
            torch.tensor(totals),
            accuracy,
            components,
            dense.rewards.to(rollout.response_mask.dtype),
            time.perf_counter() - began,
            dense.steps,
            dense.seconds,
            evidence,
        )

    # --- the update -----------------------------------------------------------------------

    def _update(
        self, batch: Rollout, rewards: torch.Tensor, dense: torch.Tensor | None
    ) -> dict[str, Any]:
        cfg = self.config
        model = self.policy.model
        mask = batch.response_mask
        updates = cfg.mini_batches * cfg.epochs
        mini_batches = list(self._mini_batches(len(batch)))
        # The sampling policy's log-probs, taken before the first optimiser step for the rows
        # a later update trains on: their ratio is against them. The first mini-batch runs
        # before any step, so its ratio is 1 by construction and its own log-probs, detached,
        # stand in (with one update per rollout, no extra forward at all).
        later = sorted({row for rows in mini_batches[1:] for row in rows})
        old_logp = torch.zeros_like(mask)
        with torch.no_grad():
            if later:
                old_logp[later] = self._logprobs(model, batch.select(later))
            ref_logp = self._logprobs(self.reference, batch) if self.reference is not None else None
        line: dict[str, Any] = {}
        if self.critic is not None:
            with torch.no_grad():
                old_values = self._values(batch)
            token_rewards = adv.token_rewards(rewards, mask, dense)
            advantages, returns = adv.decoupled_gae(
                token_rewards, old_values, mask, cfg.gamma, cfg.lam_actor, cfg.lam_critic
            )
            if cfg.scale_rewards != "none":
                advantages = adv.whiten(advantages, mask)
            line["value/mean"] = float((old_values * mask).sum() / mask.sum())
        else:
            seq_adv = adv.group_advantages(
                rewards.view(-1, self._group_size), cfg.scale_rewards or "group"
            ).reshape(-1)
            advantages = seq_adv.unsqueeze(1) * mask
            old_values = returns = torch.zeros_like(mask)
        line["advantage/abs_mean"] = float((advantages.abs() * mask).sum() / mask.sum())

        pretraining_critic = self.critic is not None and self.step < cfg.value_pretrain_steps
        # A batch whose advantages are all zero has no policy gradient; stepping Adam on it
        # would still move the weights along its stale momentum.
        has_signal = bool(advantages.abs().max() > 1e-8) or cfg.kl_coef > 0 or cfg.entropy_coef > 0
        train_policy = not pretraining_critic and has_signal
        model.train()
        sums: dict[str, float] = {}
        for index, rows in enumerate(mini_batches):
            norm = losses.normaliser(mask[rows], cfg.max_new_tokens)
            if train_policy:
                self.optimizer.zero_grad(set_to_none=True)
            if self.critic_optimizer is not None:
                self.critic_optimizer.zero_grad(set_to_none=True)
            for micro in _chunks(rows, cfg.micro_batch_size):
                sub = batch.select(micro)
                m = mask[micro]
                if train_policy:
                    old = None if index == 0 else old_logp[micro]
                    ref = None if ref_logp is None else ref_logp[micro]
                    stats = self._policy_backward(sub, m, advantages[micro], old, ref, norm)
                    for key, value in stats.items():
                        sums[key] = sums.get(key, 0.0) + value
                if self.critic is not None:
                    values = self._values(sub)
                    value_loss = losses.aggregate(
                        losses.clipped_value_loss(
                            values, old_values[micro], returns[micro], cfg.value_clip
                        ),
                        m,
                        "token-mean",
                        norm,
                    )
                    value_loss.backward()  # type: ignore[no-untyped-call]
                    sums["loss/value"] = sums.get("loss/value", 0.0) + float(value_loss.detach())
            if train_policy:
                grad = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                sums["grad_norm"] = sums.get("grad_norm", 0.0) + float(grad)
                self.optimizer.step()
            if self.critic is not None and self.critic_optimizer is not None:
                torch.nn.utils.clip_grad_norm_(self.critic.parameters(), cfg.max_grad_norm)
                self.critic_optimizer.step()
        model.eval()
        line.update({k: v / updates for k, v in sums.items()})
        line["policy_updated"] = train_policy
        line["lr"] = self.scheduler.get_last_lr()[0]
        if not pretraining_critic:
            # The warm-up counts training steps, however many optimiser steps each one takes.
            self.scheduler.step()
        return line

    def _policy_backward(
        self,
        sub: Rollout,
        mask: torch.Tensor,
        advantages: torch.Tensor,
        old_logp: torch.Tensor | None,
        ref_logp: torch.Tensor | None,
        norm: losses.Normaliser,
    ) -> dict[str, float]:
        """One micro-batch's loss, backpropagated; returns its share of the logged figures."""
        cfg = self.config
        how = cfg.loss_agg or "token-mean"
        logits = response_logits(self.policy.model, sub)
        logp = token_logprobs(logits, sub.response_ids, cfg.temperature)
        # Before the first optimiser step the sampling policy is the current one: ratio = 1 in
        # value, and its gradient is the plain policy gradient.
        old = logp.detach() if old_logp is None else old_logp
        per_token, clipped = losses.clipped_policy_loss(
            logp, old, advantages, cfg.eps_low, cfg.clip_high
        )
        low, high = losses.clip_sides(clipped, advantages)
        policy_loss = losses.aggregate(per_token, mask, how, norm)
        loss = policy_loss
        entropy = losses.entropy_from_logits(logits if cfg.entropy_coef else logits.detach())
        if cfg.entropy_coef:
            loss = loss - cfg.entropy_coef * losses.aggregate(entropy, mask, how, norm)
        token_share = losses.Normaliser(norm.tokens, norm.sequences, norm.max_tokens)
        stats = {
            "loss/policy": float(policy_loss.detach()),
            "clip_frac": float(losses.aggregate(clipped, mask, "token-mean", token_share)),
            "clip_frac/low": float(losses.aggregate(low, mask, "token-mean", token_share)),
            "clip_frac/high": float(losses.aggregate(high, mask, "token-mean", token_share)),
            "entropy": float(losses.aggregate(entropy.detach(), mask, "token-mean", token_share)),
        }
        if ref_logp is not None:
            kl = losses.k3_kl(logp, ref_logp)
            kl_loss = losses.aggregate(kl, mask, how, norm)
            loss = loss + cfg.kl_coef * kl_loss
            stats["loss/kl"] = float(kl_loss.detach())
            stats["kl"] = float(losses.aggregate(kl.detach(), mask, "token-mean", token_share))
        loss.backward()  # type: ignore[no-untyped-call]
        return stats

    def _logprobs(self, model: Any, batch: Rollout) -> torch.Tensor:
        parts = [
            token_logprobs(
                response_logits(model, batch.select(rows)),
                batch.response_ids[rows],
                self.config.temperature,
            )
            for rows in _chunks(list(range(len(batch))), self.config.micro_batch_size)
        ]
        return torch.cat(parts)

    def _values(self, batch: Rollout) -> torch.Tensor:
        """V(state before each response token): the critic's output one position back."""
        assert self.critic is not None
        mask = batch.attention_mask
        values: torch.Tensor = self.critic(
            input_ids=batch.input_ids,
            attention_mask=mask,
            position_ids=position_ids(mask),
            **batch.extras,
        )
        width = batch.prompt_ids.shape[1]
        return values[:, width - 1 : -1] * batch.response_mask

    def _mini_batches(self, n: int) -> Iterator[list[int]]:
        for _ in range(self.config.epochs):
            order = torch.randperm(n).tolist()
            size = math.ceil(n / self.config.mini_batches)
            yield from _chunks(order, size)

    def _warmup(self, step: int) -> float:
        warm = self.config.warmup_steps
        return min(1.0, (step + 1) / warm) if warm > 0 else 1.0

    @property
    def _group_size(self) -> int:
        return int(self.config.group_size or 1)

    # --- evaluation -----------------------------------------------------------------------

    def evaluate(self) -> dict[str, Any]:
        """Greedy responses to the held-out prompts, scored two ways.

        `eval/verifier_accuracy`: the accuracy component (truncation zeroed), which accepts
        any form the verifier takes as equal. `eval/exact_match` (with `exact_match_column`):
        the response is exactly the expected text and not truncated. The first
        `samples_per_eval` prompts' responses go to `samples.jsonl`. The PRM is not called
        unless `eval_process_rewards` asks for it; `eval_hook` adds the task's own figures
        (e.g. wrong intermediate steps) as `eval/<name>`.
        """
        began = time.perf_counter()
        column = self.config.exact_match_column
        verified: list[float] = []
        exact: list[float] = []
        lengths: list[float] = []
        texts: list[str] = []
        truncated: list[bool] = []
        scored: list[ChunkRewards] = []
        shown: list[dict[str, Any]] = []
        for start in range(0, len(self.eval_rows), 256):
            chunk = self.eval_rows[start : start + 256]
            rollout = self._generate(chunk, greedy=True)
            result = self._score(chunk, rollout, process=self.config.eval_process_rewards)
            scored.append(result)
            verified.extend(result.accuracy)
            lengths.extend(rollout.lengths.tolist())
            texts.extend(rollout.texts)
            truncated.extend(rollout.truncated)
            for i, row in enumerate(chunk):
                hit = None
                if column:
                    hit = exact_match(rollout.texts[i], rollout.truncated[i], str(row[column]))
                    exact.append(float(hit))
                if start + i < self.config.samples_per_eval:
                    shown.append(self._eval_sample(row, rollout, result, i, hit))
        self.log.samples(shown)
        line: dict[str, Any] = {"eval/verifier_accuracy": _mean(verified)}
        if column:
            line["eval/exact_match"] = _mean(exact)
        self.evaluations.append(line.get("eval/exact_match", line["eval/verifier_accuracy"]))
        line["eval/response_length"] = _mean(lengths)
        merged = _merge(scored) if scored else None
        if merged is not None and merged.dense is not None:
            stats = dense_stats(merged.dense, merged.dense_steps)
            line.update({f"eval/{k.removeprefix('reward/')}": v for k, v in stats.items()})
        if self.eval_hook is not None:
            figures = self.eval_hook(self.eval_rows, texts, truncated)
            line.update({f"eval/{name}": float(value) for name, value in figures.items()})
        line["seconds/eval"] = round(time.perf_counter() - began, 4)
        return line

    def _eval_sample(
        self, row: dict[str, Any], rollout: Rollout, scored: ChunkRewards, i: int, hit: bool | None
    ) -> dict[str, Any]:
        sample = {
            "step": self.step,
            "split": "eval",
            "prompt": row["prompt"],
            "reference": row.get("reference"),
            "response": rollout.texts[i],
            "truncated": rollout.truncated[i],
            **scored.item(i),
        }
        if hit is not None:
            sample["exact_match"] = hit
        return sample

    # --- checkpoints ----------------------------------------------------------------------

    def save_checkpoint(self) -> None:
        """Write to a temporary directory, then swap it in: a crash never leaves half a one."""
        tmp = self.output_dir / "checkpoint.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        self.policy.save(tmp / "policy")
        state = {
            "step": self.step,
            "samples": self.samples,
            "elapsed": self.elapsed,
            "wall": self.wall,
            "cpu": self.cpu,
            "evaluations": self.evaluations,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "critic": None if self.critic is None else self.critic.state_dict(),
            "critic_optimizer": None
            if self.critic_optimizer is None
            else self.critic_optimizer.state_dict(),
            "pool": self.pool.state_dict(),
            "rng": {
                "torch": torch.get_rng_state(),
                "python": random.getstate(),
                "numpy": _numpy_state(),
            },
            "config": self.config.to_dict(),
        }
        torch.save(state, tmp / "state.pt")
        old = self.output_dir / "checkpoint.old"
        shutil.rmtree(old, ignore_errors=True)
        if self.checkpoint_dir.exists():
            self.checkpoint_dir.rename(old)
        tmp.rename(self.checkpoint_dir)
        shutil.rmtree(old, ignore_errors=True)

    def _recover_checkpoint(self) -> None:
        """A crash between `save_checkpoint`'s two renames leaves the previous checkpoint,
        whole, as `checkpoint.old` and none under its name: put it back, or the run would start
        again at step 0 and its next save would delete the only good checkpoint."""
        old = self.output_dir / "checkpoint.old"
        if not self.checkpoint_dir.exists() and (old / "state.pt").is_file():
            old.rename(self.checkpoint_dir)

    def _load_checkpoint(self) -> None:
        # Tensors and plain values only: a checkpoint is a file, and unpickling runs its code.
        path = self.checkpoint_dir / "state.pt"
        try:
            state = torch.load(path, weights_only=True)
        except pickle.UnpicklingError as error:
            raise ValueError(
                f"{path} holds objects other than tensors and plain values (written by an "
                f"older version?); not loading it: {str(error).splitlines()[0]}"
            ) from None
        self.step = int(state["step"])
        self.samples = int(state.get("samples", 0))
        self.elapsed = float(state["elapsed"])
        self.wall = float(state["wall"])
        self.cpu = float(state.get("cpu", 0.0))
        self.evaluations = list(state["evaluations"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.critic is not None and state["critic"] is not None:
            self.critic.load_state_dict(state["critic"])
        if self.critic_optimizer is not None and state["critic_optimizer"] is not None:
            self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.pool.load_state_dict(state["pool"])
        torch.set_rng_state(state["rng"]["torch"])
        random.setstate(state["rng"]["python"])
        name, keys, position, has_gauss, cached = state["rng"]["numpy"]
        np.random.set_state((name, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached))

    def _seed(self, seed: int) -> None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)


def _numpy_state() -> list[Any]:
    """numpy's global RNG state as plain values (its key array as a list), which a
    `weights_only` load accepts."""
    name, keys, position, has_gauss, cached = np.random.get_state(legacy=True)
    return [name, np.asarray(keys).tolist(), position, has_gauss, cached]


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def _merge(scored: list[ChunkRewards]) -> ChunkRewards:
    components: dict[str, list[float]] = {}
    for s in scored:
        for name, values in s.components.items():
            components.setdefault(name, []).extend(values)
    dense = [s.dense for s in scored if s.dense is not None]
    return ChunkRewards(
        torch.cat([s.rewards for s in scored]),
        [a for s in scored for a in s.accuracy],
        components,
        _cat_right(dense) if dense else None,
        sum(s.seconds for s in scored),
        [n for s in scored for n in s.dense_steps],
        sum(s.prm_seconds for s in scored),
        [e for s in scored for e in s.evidence] if all(s.evidence for s in scored) else [],
    )


def _evidence(results: Sequence[RewardResult]) -> list[dict[str, Any]]:
    """The detections each response's grounded reward was judged against, with their source
    (`detector` or `reference`): what a reader of `samples.jsonl` needs to audit the reward."""
    evidence: list[dict[str, Any]] = []
    for result in results:
        seen: dict[str, Any] = {}
        for part in result.components.values():
            details = part.details.get("details")
            if isinstance(details, dict) and "objects" in details:
                seen = {"detections": details["objects"], "detection_source": details.get("source")}
                break
        evidence.append(seen)
    return evidence if any(evidence) else []


def _cat_right(tensors: list[torch.Tensor]) -> torch.Tensor:
    width = max(t.shape[1] for t in tensors)
    return torch.cat([torch.nn.functional.pad(t, (0, width - t.shape[1])) for t in tensors])


def _pad_dense(dense: list[torch.Tensor], batch: Rollout) -> list[torch.Tensor]:
    width = batch.response_ids.shape[1]
    return [torch.nn.functional.pad(d, (0, width - d.shape[1])) for d in dense]


_DEADLINE_TRIES = 3


def judged_rewards(client: Any, recipe: str, items: list[dict[str, Any]]) -> list[RewardResult]:
    """Rewards with a verdict for every item. The loop sets no deadline, but a reward server
    has one (`request_deadline_s`): an item it could not judge in time (`deadline`, reward 0)
    is asked again, never trained on as a 0; still unjudged after a few tries, the run stops
    with a message rather than learning from a busy server's zeros."""
    results = list(client.reward(recipe, items))
    for _ in range(_DEADLINE_TRIES):
        late = [i for i, result in enumerate(results) if _unjudged(result)]
        if not late:
            return results
        for i, result in zip(late, client.reward(recipe, [items[i] for i in late]), strict=True):
            results[i] = result
    late = [i for i, result in enumerate(results) if _unjudged(result)]
    if late:
        raise RequestEndedError(
            f"the reward server's deadline passed before {len(late)} items were judged, "
            f"{_DEADLINE_TRIES + 1} times: raise its request_deadline_s or give it more workers"
        )
    return results


def _unjudged(result: RewardResult) -> bool:
    return any(part.details.get("status") == "deadline" for part in result.components.values())
