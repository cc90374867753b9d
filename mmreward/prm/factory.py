"""Build the PRM and ORM scorers an engine holds, from server settings."""

from __future__ import annotations

from concurrent.futures import Executor

from mmreward.prm.config import PRMOptions
from mmreward.prm.orm import ORMScorer
from mmreward.prm.scorer import PRMScorer
from mmreward.prm.served import BatchingOptions
from mmreward.settings import Settings


def batching_options(settings: Settings, compute: Executor | None = None) -> BatchingOptions:
    """Batcher knobs shared by the PRM and the ORM."""
    return BatchingOptions(
        max_batch_tokens=settings.max_batch_tokens,
        max_wait_s=settings.batch_max_wait_ms / 1000,
        max_queue=settings.batch_max_queue,
        compute=compute,
    )


def build_prm(settings: Settings, device: str, compute: Executor | None = None) -> PRMScorer:
    """The configured PRM, or the bundled one, on `device`; weights load on first use."""
    return PRMScorer(
        settings.prm_model,
        settings.prm_format if settings.prm_model is not None else None,
        device=device,
        options=PRMOptions(trust_remote_code=settings.prm_trust_remote_code),
        batching=batching_options(settings, compute),
        compile_model=settings.compile_models,
    )


def build_orm(settings: Settings, device: str, compute: Executor | None = None) -> ORMScorer | None:
    """The configured outcome reward model on `device`, or None when `orm_model` is unset."""
    if settings.orm_model is None:
        return None
    return ORMScorer(
        settings.orm_model,
        device=device,
        batching=batching_options(settings, compute),
        compile_model=settings.compile_models,
    )
