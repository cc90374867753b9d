"""Rollouts with transformers `generate`, and the token log-probs the losses need.

A batch is laid out as [left-padded prompt | right-padded response], the layout `generate`
produces, so the training forward sees exactly the positions the sampler saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass
class Rollout:
    """Sampled responses of a batch of prompts, one row per sequence."""

    prompt_ids: torch.Tensor
    prompt_mask: torch.Tensor
    response_ids: torch.Tensor
    response_mask: torch.Tensor
    """1.0 on response tokens up to and including EOS, 0.0 on padding after it."""
    truncated: list[bool]
    """True where the response hit the length limit without EOS."""
    texts: list[str]
    extras: dict[str, torch.Tensor] = field(default_factory=dict)
    """Further model inputs with one row per sequence (a VLM's `pixel_values`)."""

    def __len__(self) -> int:
        return int(self.response_ids.shape[0])

    @property
    def input_ids(self) -> torch.Tensor:
        return torch.cat([self.prompt_ids, self.response_ids], dim=1)

    @property
    def attention_mask(self) -> torch.Tensor:
        return torch.cat([self.prompt_mask, self.response_mask.long()], dim=1)

    @property
    def lengths(self) -> torch.Tensor:
        return self.response_mask.sum(dim=1)

    def select(self, rows: list[int]) -> Rollout:
        index = torch.tensor(rows, dtype=torch.long)
        return Rollout(
            self.prompt_ids[index],
            self.prompt_mask[index],
            self.response_ids[index],
            self.response_mask[index],
            [self.truncated[i] for i in rows],
            [self.texts[i] for i in rows],
            {k: v[index] for k, v in self.extras.items()},
        )


def concat(rollouts: list[Rollout], pad_id: int) -> Rollout:
    """Join rollouts of different prompt and response widths, re-padding both sides."""
    prompt_width = max(r.prompt_ids.shape[1] for r in rollouts)
    response_width = max(r.response_ids.shape[1] for r in rollouts)

    def left(t: torch.Tensor, value: int) -> torch.Tensor:
        return nn.functional.pad(t, (prompt_width - t.shape[1], 0), value=value)

    def right(t: torch.Tensor, value: float) -> torch.Tensor:
        return nn.functional.pad(t, (0, response_width - t.shape[1]), value=value)

    keys = rollouts[0].extras.keys()
    return Rollout(
        torch.cat([left(r.prompt_ids, pad_id) for r in rollouts]),
        torch.cat([left(r.prompt_mask, 0) for r in rollouts]),
        torch.cat([right(r.response_ids, pad_id) for r in rollouts]),
        torch.cat([right(r.response_mask, 0.0) for r in rollouts]),
        [t for r in rollouts for t in r.truncated],
        [t for r in rollouts for t in r.texts],
        {k: torch.cat([r.extras[k] for r in rollouts]) for k in keys},
    )


@torch.no_grad()
def generate(
    model: Any,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    *,
    eos_id: int,
    pad_id: int,
    max_new_tokens: int,
    decode: Any,
    greedy: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    extras: dict[str, torch.Tensor] | None = None,
    suppress: list[int] | None = None,
) -> Rollout:
    """Sample one response per prompt row (repeat rows for a group), with the KV cache.

    `top_k=0` so sampling draws from the policy's own distribution (transformers' default 50
    would truncate it and bias the log-probs the loss assumes). `suppress` lists tokens a
    response must never hold (a VLM's image placeholder would make the forward expect pixels).
    """
    extras = extras or {}
    sampling: dict[str, Any] = (
        {"do_sample": False}
        if greedy
        else {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0}
    )
    sequences = model.generate(
        input_ids=prompt_ids,
        attention_mask=prompt_mask,
        max_new_tokens=max_new_tokens,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        use_cache=True,
        suppress_tokens=suppress or None,
        **sampling,
        **extras,
    )
    response = sequences[:, prompt_ids.shape[1] :]
    is_eos = response == eos_id
    # Keep tokens up to and including the first EOS; `generate` pads after it.
    after_eos = (is_eos.long().cumsum(dim=1) - is_eos.long()) > 0
    mask = (~after_eos).float()
    truncated = [not bool(row.any()) for row in is_eos]
    if response.shape[1] == 0:
        mask = torch.zeros_like(response, dtype=torch.float)
    texts = [
        decode(row[: int(m.sum())][row[: int(m.sum())] != eos_id].tolist())
        for row, m in zip(response, mask, strict=True)
    ]
    truncated = [t and response.shape[1] >= max_new_tokens for t in truncated]
    return Rollout(prompt_ids, prompt_mask, response, mask, truncated, texts, dict(extras))


def position_ids(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions counted over real tokens only, as `generate` does under left padding."""
    return (attention_mask.cumsum(dim=1) - 1).clamp(min=0)


def response_logits(model: Any, rollout: Rollout) -> torch.Tensor:
    """Logits predicting each response token: positions prompt_end - 1 ... second to last."""
    mask = rollout.attention_mask
    out = model(
        input_ids=rollout.input_ids,
        attention_mask=mask,
        position_ids=position_ids(mask),
        use_cache=False,
        **rollout.extras,
    )
    width = rollout.prompt_ids.shape[1]
    logits: torch.Tensor = out.logits[:, width - 1 : -1]
    return logits


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor, temperature: float) -> torch.Tensor:
    """log pi(token) under the sampling temperature, one value per response position."""
    logp = torch.log_softmax(logits.float() / temperature, dim=-1)
    return logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
