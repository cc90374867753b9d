"""Load PRM and ORM checkpoints from a local directory and score padded batches.

The same code path serves the bundled model and users' checkpoints (Qwen2.5-Math-PRM-7B,
Math-Shepherd, any `AutoModelForTokenClassification` PRM). Nothing is ever downloaded: loading is
local-only. On CUDA the weights are bf16 with SDPA attention; on CPU fp32.

Batches are right-padded and every model here is causal (or masks padded keys), so an item's
scores do not depend on what else is in its batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    PreTrainedModel,
)

from mmreward.allocator import retain_freed_memory
from mmreward.compute import resolve_device
from mmreward.errors import InvalidInputError, NotFoundError
from mmreward.prm.config import (
    PRM_CONFIG_FILE,
    PRMFormat,
    PRMFormatSpec,
    PRMOptions,
    prm_format_spec,
)
from mmreward.prm.encoding import Encoded, Tokenizer, around, cut_from_left

log = logging.getLogger(__name__)
BUNDLED_PRM = Path(__file__).parent / "model"
DEFAULT_MAX_TOKENS = 4096
CPU_BATCH_TOKENS = 2048
"""On CPU, batches past a few thousand tokens fall out of cache: 2048 ran ~2x faster than 8192."""
GPU_BATCH_TOKENS = 16384


def default_batch_tokens(device: torch.device) -> int:
    """Padded tokens per forward pass that keep the device busy without thrashing."""
    return GPU_BATCH_TOKENS if device.type == "cuda" else CPU_BATCH_TOKENS


def prepare_device(device: str) -> torch.device:
    """Resolve ``device``; on CPU, keep freed activations mapped (see `mmreward.allocator`)."""
    dev = torch.device(resolve_device(device))
    if dev.type == "cpu":
        retain_freed_memory()
    return dev


def _local_files(path: Path) -> Path:
    if not path.is_dir():
        raise NotFoundError(f"model directory {path} does not exist")
    if not (path / "config.json").is_file():
        raise NotFoundError(f"{path} has no config.json: not a transformers checkpoint")
    return path


def _dtype_and_attention(device: torch.device) -> dict[str, Any]:
    if device.type == "cuda":
        return {"dtype": torch.bfloat16, "attn_implementation": "sdpa"}
    return {"dtype": torch.float32}


def _model_max_tokens(model: PreTrainedModel, tokenizer: Tokenizer, requested: int | None) -> int:
    limits = [requested or DEFAULT_MAX_TOKENS]
    window = getattr(model.config, "max_position_embeddings", None)
    if isinstance(window, int) and window > 0:
        limits.append(window)
    tok_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_limit, int) and 0 < tok_limit < 10**9:
        limits.append(tok_limit)
    return min(limits)


def _pad_id(tokenizer: Tokenizer, model: PreTrainedModel) -> int:
    for candidate in (tokenizer.pad_token_id, model.config.pad_token_id, tokenizer.eos_token_id):
        if isinstance(candidate, int):
            return candidate
    return 0


def _single_token(tokenizer: Tokenizer, text: str, what: str) -> int:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if not ids:
        raise InvalidInputError(f"the {what} {text!r} encodes to no tokens")
    return int(ids[-1])


class Forward:
    """Calls a module, through ``torch.compile`` when asked, falling back to eager if it fails.

    Compiling with dynamic shapes gives one graph for every batch size and length (plus one for a
    single row, which the compiler specialises) and fuses the elementwise work between matmuls:
    ~1.5x throughput for small models on CPU, after tens of seconds of compilation on the first
    forwards. A machine without a C++ compiler, or a model the compiler cannot trace, keeps
    working in eager mode.
    """

    def __init__(self, module: torch.nn.Module, compile_model: bool) -> None:
        self.module = module
        self._compiled: Callable[..., Any] | None = (
            torch.compile(module, dynamic=True) if compile_model else None
        )

    @property
    def compiled(self) -> bool:
        """Whether forwards go through the compiled graph."""
        return self._compiled is not None

    def __call__(self, **inputs: Any) -> Any:
        if self._compiled is not None:
            try:
                return self._compiled(**inputs)
            except Exception:
                log.exception("torch.compile failed; running %s eagerly", type(self.module))
                self._compiled = None
        return self.module(**inputs)


def pad_batch(
    items: Sequence[Encoded], pad_id: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and attention mask."""
    width = max(len(it) for it in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for i, it in enumerate(items):
        ids[i, : len(it)] = torch.tensor(it.input_ids, dtype=torch.long)
        mask[i, : len(it)] = 1
    return ids.to(device), mask.to(device)


class _Served:
    """What the batcher asks of any loaded scoring model (PRM or ORM)."""

    device: torch.device
    forward: Forward

    @property
    def default_batch_tokens(self) -> int:
        """Token budget for this device when the server sets none."""
        return default_batch_tokens(self.device)

    @property
    def concurrent_forwards(self) -> bool:
        """Eager forwards on CPU only read the weights, so several lanes may run them at once;
        a compiled graph, or a GPU that runs one batch at a time anyway, keeps to one lane."""
        return self.device.type == "cpu" and not self.forward.compiled


@dataclass
class LoadedPRM(_Served):
    """A loaded PRM: turns (problem, steps) into an `Encoded` and a batch into step scores."""

    format: PRMFormat
    spec: PRMFormatSpec
    model: PreTrainedModel
    tokenizer: Tokenizer
    device: torch.device
    max_tokens: int
    separator: str
    pad_id: int
    good_bad_ids: tuple[int, int] | None = None
    options: PRMOptions = field(default_factory=PRMOptions)
    compile_model: bool = False
    forward: Forward = field(init=False)

    def __post_init__(self) -> None:
        # The step-tag convention reads two rows of the LM head, so only the trunk runs in full.
        trunk = self.model if self.good_bad_ids is None else self.model.base_model
        self.forward = Forward(trunk, self.compile_model)

    def encode(self, problem: str, steps: Sequence[str]) -> Encoded:
        """Token ids and scoring positions of one item, following the checkpoint's convention."""
        return self.spec.encode(self.tokenizer, problem, steps, self.separator, self.max_tokens)

    def sample(self) -> Encoded:
        """A small valid item, for warm-up forwards."""
        return self.encode("1 + 1", ["1 + 1 = 2", "The answer is 2."])

    @torch.inference_mode()
    def score_batch(self, items: Sequence[Encoded]) -> list[list[float]]:
        """Probability that each step is good, for every item of a batch."""
        ids, mask = pad_batch(items, self.pad_id, self.device)
        rows = torch.cat([torch.full((len(it.score_positions),), i) for i, it in enumerate(items)])
        cols = torch.tensor([p for it in items for p in it.score_positions])
        rows, cols = rows.to(self.device), cols.to(self.device)
        out = self.forward(input_ids=ids, attention_mask=mask, use_cache=False)
        if self.good_bad_ids is None:
            picked = out.logits[rows, cols].float()
            probs = picked.softmax(-1)[:, 1]
        else:
            hidden = out.last_hidden_state
            head = self.model.get_output_embeddings()  # type: ignore[no-untyped-call]
            picked_hidden = hidden[rows, cols]
            weight = head.weight[list(self.good_bad_ids)]
            pair = picked_hidden @ weight.T
            if getattr(head, "bias", None) is not None:
                pair = pair + head.bias[list(self.good_bad_ids)]
            probs = pair.float().softmax(-1)[:, 0]
        flat = probs.tolist()
        scores, k = [], 0
        for it in items:
            n = len(it.score_positions)
            scores.append(flat[k : k + n])
            k += n
        return scores


def _read_prm_config(path: Path) -> dict[str, Any]:
    meta = path / PRM_CONFIG_FILE
    if not meta.is_file():
        return {}
    data = json.loads(meta.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def load_prm(
    path: Path | None,
    prm_format: PRMFormat | None = None,
    *,
    device: str = "auto",
    options: PRMOptions | None = None,
    compile_model: bool = False,
) -> LoadedPRM:
    """Load a PRM checkpoint; ``path=None`` means the bundled model.

    ``prm_format`` falls back to the checkpoint's ``prm_config.json``, then to ``token-cls``.
    ``compile_model`` runs forwards through ``torch.compile`` (see `Forward`).
    """
    path = _local_files(path or BUNDLED_PRM)
    opts = options or PRMOptions()
    meta = _read_prm_config(path)
    fmt: PRMFormat = prm_format or meta.get("format", "token-cls")
    spec = prm_format_spec(fmt)
    dev = prepare_device(device)
    kwargs: dict[str, Any] = {"local_files_only": True, **_dtype_and_attention(dev)}
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    config = AutoConfig.from_pretrained(
        path, local_files_only=True, trust_remote_code=opts.trust_remote_code
    )
    good_bad: tuple[int, int] | None = None
    separator = opts.separator or meta.get("separator") or spec.separator or opts.step_tag
    if spec.loader == "causal-lm":
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    else:
        remote = "AutoModel" in (getattr(config, "auto_map", None) or {})
        if remote and not opts.trust_remote_code:
            raise InvalidInputError(
                f"{path} ships its own modeling code (config auto_map); allow it with "
                "--prm-trust-remote-code (MMREWARD_PRM_TRUST_REMOTE_CODE=1)"
            )
        if remote:
            model = AutoModel.from_pretrained(path, trust_remote_code=True, **kwargs)
        else:
            model = AutoModelForTokenClassification.from_pretrained(path, **kwargs)
    if spec.head == "good-token":
        good_bad = (
            _single_token(tokenizer, opts.good_token, "good token"),
            _single_token(tokenizer, opts.bad_token, "bad token"),
        )
    model.to(dev).eval()  # type: ignore[arg-type]
    max_tokens = _model_max_tokens(model, tokenizer, opts.max_tokens or meta.get("max_tokens"))
    return LoadedPRM(
        format=fmt,
        spec=spec,
        model=model,
        tokenizer=tokenizer,
        device=dev,
        max_tokens=max_tokens,
        separator=separator,
        pad_id=_pad_id(tokenizer, model),
        good_bad_ids=good_bad,
        options=opts,
        compile_model=compile_model,
    )


@dataclass
class LoadedORM(_Served):
    """A sequence-classification reward model: one logit (Bradley-Terry) or a 2-label head."""

    model: PreTrainedModel
    tokenizer: Tokenizer
    device: torch.device
    max_tokens: int
    pad_id: int
    compile_model: bool = False
    forward: Forward = field(init=False)

    def __post_init__(self) -> None:
        self.forward = Forward(self.model, self.compile_model)

    def sample(self) -> Encoded:
        """A small valid item, for warm-up forwards."""
        return self.encode("1 + 1 = ?", "2")

    def encode(self, prompt: str, response: str) -> Encoded:
        """Chat template when the tokenizer has one, else ``prompt + "\\n" + response``.

        Too long: the prompt is cut from the left; the response is what is judged, so it is kept.
        """
        if getattr(self.tokenizer, "chat_template", None):
            sentinel = "\x00PROMPT\x00"
            messages = [
                {"role": "user", "content": sentinel},
                {"role": "assistant", "content": response},
            ]
            before, after = around(self.tokenizer, messages, sentinel)
            special = False
        else:
            before, after = "", "\n" + response
            special = True
        full = before + prompt + after
        enc = self.tokenizer(full, add_special_tokens=special, return_offsets_mapping=True)
        ids: list[int] = list(enc["input_ids"])
        excess = len(ids) - self.max_tokens
        if excess <= 0:
            return Encoded(ids, [len(ids) - 1], 0)
        span = (len(before), len(before) + len(prompt))
        too_long = f"the response alone takes over {self.max_tokens} tokens, the model's limit"
        kept = [ids[i] for i in cut_from_left(enc["offset_mapping"], span, excess, too_long)]
        return Encoded(kept, [len(kept) - 1], 0, True)

    @torch.inference_mode()
    def score_batch(self, items: Sequence[Encoded]) -> list[float]:
        """Raw score per item: the logit, or logit(good) - logit(bad) for a 2-label head."""
        ids, mask = pad_batch(items, self.pad_id, self.device)
        logits = self.forward(input_ids=ids, attention_mask=mask, use_cache=False).logits.float()
        raw = logits[:, 0] if logits.shape[-1] == 1 else logits[:, 1] - logits[:, 0]
        return [float(x) for x in raw.tolist()]


def load_orm(
    path: Path,
    *,
    device: str = "auto",
    max_tokens: int | None = None,
    compile_model: bool = False,
) -> LoadedORM:
    """Load an `AutoModelForSequenceClassification` reward model from a local directory."""
    path = _local_files(path)
    dev = prepare_device(device)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        path, local_files_only=True, **_dtype_and_attention(dev)
    )
    if model.config.num_labels not in (1, 2):
        raise InvalidInputError(
            f"{path}: an outcome reward model needs 1 or 2 labels, not {model.config.num_labels}"
        )
    pad_id = _pad_id(tokenizer, model)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = pad_id
    model.to(dev).eval()
    limit = _model_max_tokens(model, tokenizer, max_tokens)
    return LoadedORM(model, tokenizer, dev, limit, pad_id, compile_model)
