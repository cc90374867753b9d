"""Train a `token-cls` PRM from stepwise-supervision JSONL.

Input records follow TRL's convention: ``{"prompt": str, "completions": [str, ...],
"labels": [bool, ...]}`` (steps after the first error labelled false). The model is either a
checkpoint given with ``init`` (any transformers model with a token-classification head) or a tiny
Llama built from scratch with a digit-level tokenizer fitted to the data.

A small model trained only on the step labels sits at the base rate: one bit per step is too
little signal to discover arithmetic. So training has two stages that share the model body:

1. causal-LM pretraining (``lm_steps``) on the steps labelled correct: predicting every token of a
   correct step teaches the body what a correct next step looks like;
2. step classification at the last separator token of each step, keeping the LM loss as an
   auxiliary (``lm_weight``).

Both stages use a length curriculum: batches start from the shortest examples and widen to the
whole set over the first ``curriculum`` share of the steps.

A trained checkpoint can be deepened (``add_layers``): new decoder layers start as the identity
(their attention and MLP output projections are zero), so training resumes from the same function
with more capacity instead of paying again for what the smaller model already learned.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from transformers import (
    AutoModelForTokenClassification,
    AutoTokenizer,
    LlamaConfig,
    PreTrainedModel,
)

from mmreward.errors import InvalidInputError
from mmreward.prm.config import PRM_CONFIG_FILE
from mmreward.prm.encoding import Encoded, Tokenizer, encode_token_cls
from mmreward.prm.loading import prepare_device
from mmreward.prm.metrics import StepEvaluation, first_error, first_error_f1
from mmreward.prm.tokenizer import build_step_tokenizer

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Everything `mmreward prm train` can set; the defaults trained the bundled model."""

    data: Path
    out: Path
    init: Path | None = None
    add_layers: int = 0
    eval_data: Path | None = None
    hidden_size: int = 96
    layers: int = 4
    heads: int = 4
    lm_steps: int = 1600
    steps: int = 3400
    lm_weight: float = 0.5
    batch_size: int = 64
    lr: float = 2e-3
    warmup: int = 100
    curriculum: float = 0.3
    max_tokens: int = 512
    separator: str = "\n"
    eval_every: int = 400
    max_minutes: float | None = None
    seed: int = 0
    device: str = "auto"
    threads: int | None = None


@dataclass(frozen=True)
class Example:
    """One encoded training record."""

    encoded: Encoded
    labels: list[bool]

    @property
    def lm_end(self) -> int:
        """Index of the last token of the last step labelled correct (LM targets end there)."""
        good = [p for p, ok in zip(self.encoded.score_positions, self.labels, strict=True) if ok]
        return good[-1] if good else self.encoded.steps_start - 1


def read_stepwise_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Records of a stepwise-supervision JSONL file, checked for shape."""
    records: list[dict[str, Any]] = []
    if not path.is_file():
        raise InvalidInputError(f"{path} does not exist")
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as error:
                raise InvalidInputError(f"{path}:{n}: not JSON ({error})") from None
            steps = rec.get("completions") if isinstance(rec, dict) else None
            labels = rec.get("labels") if isinstance(rec, dict) else None
            if (
                not isinstance(rec, dict)
                or not isinstance(rec.get("prompt"), str)
                or not isinstance(steps, list)
                or not isinstance(labels, list)
                or len(steps) != len(labels)
                or not steps
                or not all(isinstance(s, str) for s in steps)
                or not all(isinstance(b, bool) for b in labels)
            ):
                raise InvalidInputError(
                    f"{path}:{n}: expected prompt (str), completions (list of str) and labels "
                    "(list of bool of the same length)"
                )
            records.append(rec)
            if limit is not None and len(records) >= limit:
                break
    if not records:
        raise InvalidInputError(f"{path}: no records")
    return records


def _new_tiny_model(
    cfg: TrainConfig, records: Sequence[dict[str, Any]]
) -> tuple[PreTrainedModel, Tokenizer]:
    corpus = (t for r in records[:20000] for t in [r["prompt"], *r["completions"], cfg.separator])
    tokenizer = build_step_tokenizer(corpus)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.hidden_size * 3,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.heads,
        max_position_embeddings=cfg.max_tokens,
        tie_word_embeddings=True,
        attention_bias=False,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        id2label={0: "bad", 1: "good"},
        label2id={"bad": 0, "good": 1},
    )
    torch.manual_seed(cfg.seed)
    model = AutoModelForTokenClassification.from_config(config)  # type: ignore[no-untyped-call]
    return model, tokenizer


_LAYER_KEY = re.compile(r"\.layers\.(\d+)\.")


def deepened(model: PreTrainedModel, add_layers: int, seed: int = 0) -> PreTrainedModel:
    """``model`` with ``add_layers`` identity-initialised decoder layers spread between its own.

    Works for decoder stacks whose layers have ``self_attn.o_proj`` and ``mlp.down_proj`` (Llama,
    Qwen2, Mistral); zeroing those makes each new layer pass its residual stream through unchanged.
    """
    n = int(model.config.num_hidden_layers)
    if not 0 < add_layers <= n:
        raise InvalidInputError(f"add_layers must be 1..{n} (the current depth), not {add_layers}")
    after = {(j + 1) * n // add_layers - 1 for j in range(add_layers)}
    source: list[int | None] = []
    for i in range(n):
        source += [i, None] if i in after else [i]
    config = copy.deepcopy(model.config)
    config.num_hidden_layers = len(source)
    torch.manual_seed(seed)
    grown: PreTrainedModel = AutoModelForTokenClassification.from_config(config)  # type: ignore[no-untyped-call]
    new_index = {old: new for new, old in enumerate(source) if old is not None}
    state = grown.state_dict()
    for key, value in model.state_dict().items():
        match = _LAYER_KEY.search(key)
        if match is not None:
            key = _LAYER_KEY.sub(f".layers.{new_index[int(match.group(1))]}.", key, count=1)
        state[key] = value.clone()
    grown.load_state_dict(state)
    layers: Any = grown.base_model.layers
    with torch.no_grad():
        for new, old in enumerate(source):
            if old is None:
                layer = layers[new]
                try:
                    outputs = (layer.self_attn.o_proj.weight, layer.mlp.down_proj.weight)
                except AttributeError as exc:
                    raise InvalidInputError(
                        f"{type(model).__name__}: layers without self_attn.o_proj/mlp.down_proj "
                        "cannot be deepened"
                    ) from exc
                for weight in outputs:
                    weight.zero_()
    return grown


def _classifier(model: PreTrainedModel) -> nn.Module:
    for name in ("score", "classifier"):
        head = getattr(model, name, None)
        if isinstance(head, nn.Module):
            return head
    raise InvalidInputError(f"{type(model).__name__} has no `score`/`classifier` head")


class _Batches:
    """Random padded batches, drawn from a length-sorted pool that widens (the curriculum)."""

    def __init__(self, examples: Sequence[Example], batch_size: int, pad_id: int, seed: int):
        self.examples = sorted(examples, key=len_of)
        self.batch_size = batch_size
        self.pad_id = pad_id
        self.rng = random.Random(seed)

    def draw(self, share: float) -> list[Example]:
        pool = max(self.batch_size, int(len(self.examples) * min(1.0, share)))
        return [self.examples[self.rng.randrange(pool)] for _ in range(self.batch_size)]

    def collate(self, batch: Sequence[Example], device: torch.device) -> dict[str, torch.Tensor]:
        width = max(len(ex.encoded) for ex in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        cls = torch.full((len(batch), width), -100, dtype=torch.long)
        lm = torch.full((len(batch), width), -100, dtype=torch.long)
        for i, ex in enumerate(batch):
            n = len(ex.encoded)
            ids[i, :n] = torch.tensor(ex.encoded.input_ids)
            mask[i, :n] = 1
            for pos, ok in zip(ex.encoded.score_positions, ex.labels, strict=True):
                cls[i, pos] = int(ok)
            start, end = ex.encoded.steps_start, ex.lm_end
            if end >= start:
                lm[i, start - 1 : end] = ids[i, start : end + 1]
        return {
            "input_ids": ids.to(device),
            "attention_mask": mask.to(device),
            "cls": cls.to(device),
            "lm": lm.to(device),
        }


def len_of(ex: Example) -> int:
    """Sort key: token count."""
    return len(ex.encoded)


def _encode(
    records: Sequence[dict[str, Any]], tokenizer: Tokenizer, cfg: TrainConfig
) -> list[Example]:
    return [
        Example(
            encode_token_cls(
                tokenizer,
                r["prompt"],
                r["completions"],
                separator=cfg.separator,
                max_tokens=cfg.max_tokens,
            ),
            list(r["labels"]),
        )
        for r in records
    ]


def _lr_factor(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _forward(
    model: PreTrainedModel, batch: dict[str, torch.Tensor], want_lm: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    hidden = model.base_model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    cls_logits = _classifier(model)(hidden)
    lm_logits = None
    if want_lm:
        lm_logits = hidden @ model.get_input_embeddings().weight.T
    return cls_logits, lm_logits


@torch.inference_mode()
def evaluate(
    model: PreTrainedModel,
    examples: Sequence[Example],
    batches: _Batches,
    device: torch.device,
    threshold: float = 0.5,
) -> StepEvaluation:
    """First-error F1 of the model on encoded examples (true first error = first false label)."""
    model.eval()  # type: ignore[no-untyped-call]
    predicted: list[int] = []
    for start in range(0, len(examples), 128):
        chunk = examples[start : start + 128]
        batch = batches.collate(chunk, device)
        logits, _ = _forward(model, batch, want_lm=False)
        probs = logits.float().softmax(-1)[..., 1]
        for i, ex in enumerate(chunk):
            scores = probs[i, ex.encoded.score_positions].tolist()
            predicted.append(first_error(scores, threshold))
    model.train()
    truth = [next((k for k, ok in enumerate(ex.labels) if not ok), -1) for ex in examples]
    return first_error_f1(predicted, truth)


def train(cfg: TrainConfig, on_log: Callable[[str], None] | None = None) -> StepEvaluation | None:
    """Run both stages and save a checkpoint loadable with `--prm-format token-cls`.

    With ``eval_data`` the checkpoint saved is the one with the best first-error F1 seen.
    """
    emit = on_log or log.info
    t0 = time.monotonic()
    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    device = prepare_device(cfg.device)
    records = read_stepwise_jsonl(cfg.data)
    if cfg.init is not None:
        tokenizer = AutoTokenizer.from_pretrained(cfg.init)
        model = AutoModelForTokenClassification.from_pretrained(
            cfg.init, num_labels=2, id2label={0: "bad", 1: "good"}, label2id={"bad": 0, "good": 1}
        )
        if cfg.add_layers:
            model = deepened(model, cfg.add_layers, cfg.seed)
    else:
        model, tokenizer = _new_tiny_model(cfg, records)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    model.to(device).train()
    examples = _encode(records, tokenizer, cfg)
    batches = _Batches(examples, cfg.batch_size, pad_id, cfg.seed)
    eval_examples = (
        _encode(read_stepwise_jsonl(cfg.eval_data), tokenizer, cfg) if cfg.eval_data else []
    )
    n_params = sum(p.numel() for p in model.parameters())
    emit(f"{len(examples)} examples, {n_params / 1e6:.2f}M parameters, device {device}")

    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    total = cfg.lm_steps + cfg.steps
    result: StepEvaluation | None = None
    for step in range(total):
        stage_lm = step < cfg.lm_steps
        stage_step, stage_len = (
            (step, cfg.lm_steps)
            if stage_lm
            else (
                step - cfg.lm_steps,
                cfg.steps,
            )
        )
        share = 0.3 + 0.7 * stage_step / max(1.0, cfg.curriculum * stage_len)
        for group in opt.param_groups:
            group["lr"] = cfg.lr * _lr_factor(step, total, cfg.warmup)
        batch = batches.collate(batches.draw(share), device)
        want_lm = stage_lm or cfg.lm_weight > 0
        cls_logits, lm_logits = _forward(model, batch, want_lm)
        loss = torch.zeros((), device=device)
        parts = []
        if lm_logits is not None and bool((batch["lm"] != -100).any()):
            lm_loss = F.cross_entropy(lm_logits.flatten(0, 1).float(), batch["lm"].flatten())
            loss = loss + (1.0 if stage_lm else cfg.lm_weight) * lm_loss
            parts.append(f"lm {lm_loss.item():.3f}")
        if not stage_lm:
            cls_loss = F.cross_entropy(cls_logits.flatten(0, 1).float(), batch["cls"].flatten())
            loss = loss + cls_loss
            parts.append(f"cls {cls_loss.item():.3f}")
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        elapsed = (time.monotonic() - t0) / 60
        last = step == total - 1 or (cfg.max_minutes is not None and elapsed > cfg.max_minutes)
        if step % 50 == 0 or last:
            emit(f"step {step}/{total} {' '.join(parts)} ({elapsed:.1f} min)")
        if eval_examples and not stage_lm and (last or (step - cfg.lm_steps) % cfg.eval_every == 0):
            current = evaluate(model, eval_examples, batches, device)
            emit(f"step {step} eval {current.summary()}")
            if result is None or current.f1 >= result.f1:
                result = current
                save(model, tokenizer, cfg)
                emit(f"step {step} saved (best so far)")
        if last:
            break
    if not eval_examples:
        save(model, tokenizer, cfg)
    emit(f"saved {cfg.out} after {(time.monotonic() - t0) / 60:.1f} min")
    return result


def save(model: PreTrainedModel, tokenizer: Tokenizer, cfg: TrainConfig) -> None:
    """Write the checkpoint plus the PRM settings the loader reads back."""
    cfg.out.mkdir(parents=True, exist_ok=True)
    model.eval()  # type: ignore[no-untyped-call]
    model.save_pretrained(cfg.out)
    tokenizer.save_pretrained(cfg.out)
    meta = {"format": "token-cls", "separator": cfg.separator, "max_tokens": cfg.max_tokens}
    (cfg.out / PRM_CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
