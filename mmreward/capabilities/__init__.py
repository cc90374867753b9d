"""Every capability the engine offers, listed in one place.

A capability is what one door method of `Engine` scores with: verifiers, the PRM, the ORM,
grounding. Each says how it is built from `Settings` (on the engine's resolved device and
compute lanes), which recipe component kinds it provides, and, through the object it builds,
how it warms up, why it cannot serve (for `/readyz`) and how it closes. The engine builds,
warms and closes them in this order; nothing registers itself by being imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Literal, Protocol

from mmreward.capabilities.verifiers import VERIFIER_KINDS
from mmreward.components import ComponentKind, Kinds
from mmreward.grounding.component import GROUNDING_KIND
from mmreward.grounding.scorer import GroundingScorer
from mmreward.prm.component import ORM_KIND, PRM_KIND
from mmreward.prm.factory import build_orm, build_prm
from mmreward.settings import Settings


class Capability(Protocol):
    """What the engine holds for a model-backed capability."""

    async def awarm_up(self) -> None:
        """Load weights now, so that no request pays for it."""

    def problem(self) -> str | None:
        """Why it cannot serve (a missing or broken checkpoint), or None."""

    @property
    def loaded(self) -> bool:
        """Whether its weights are in memory."""

    def close(self) -> None:
        """Stop its threads and free its memory."""


Build = Callable[[Settings, str, Executor], Capability | None]
"""(settings, resolved device, compute lanes) -> the capability, or None when not configured."""


@dataclass(frozen=True)
class ModelName:
    """The model a capability scores with, as a catalogue shows it (never its path)."""

    role: str
    name: str
    """Checkpoint directory or file name; `bundled` for the default."""
    format: str | None = None
    """Checkpoint convention, where it has one."""
    domain: str | None = None
    """What a bundled demonstration model knows (None for a checkpoint the user named)."""
    real_model: str | None = None
    """How to serve a real model in its place (with `domain`)."""


BUNDLED_PRM_DOMAIN = (
    "demonstration model (0.97M parameters) trained on synthetic `Compute:` arithmetic chains: "
    "+ - * only, operands 1-12, 3-5 operands, one operation per step; outside that domain its "
    "scores mean nothing (correct `48 / 6 + 9` steps score 0.000)"
)
REAL_PRM = (
    "mmreward serve --prm-model /models/Qwen2.5-Math-PRM-7B --prm-format qwen-prm "
    "--prm-trust-remote-code true, or --prm-model /models/math-shepherd-mistral-7b-prm "
    "--prm-format step-tag-lm (a local copy; nothing is downloaded)"
)
BUNDLED_DETECTOR_DOMAIN = (
    "demonstration model (yolov8n trained from scratch) on generated scenes of coloured "
    "circles, squares and triangles on plain backgrounds; it knows no other objects and "
    "misreads photographs, greyscale and very small shapes"
)
REAL_DETECTOR = (
    "mmreward serve --detector /models/yolov8n.pt (an absolute path to a YOLO .pt; COCO's 80 "
    "classes and their synonyms are built in)"
)


ModelState = Literal["loaded", "on first use", "failed"]

Describe = Callable[[Settings], ModelName | None]
"""settings -> the capability's model, or None when the settings configure none."""


@dataclass(frozen=True)
class CapabilitySpec:
    name: str
    kinds: Kinds = field(default_factory=dict)
    build: Build | None = None
    """None for capabilities with nothing to load (the verifiers run in the engine's sandbox)."""
    unconfigured: str = ""
    """The 503 message when `build` gave None (the settings name no model for it)."""
    describe: Describe | None = None


def _grounding(settings: Settings, device: str, compute: Executor) -> GroundingScorer:
    return GroundingScorer(settings, device=device, compute=compute)


def _prm_name(settings: Settings) -> ModelName:
    if settings.prm_model:
        return ModelName("prm", settings.prm_model.name, settings.prm_format)
    return ModelName("prm", "bundled", settings.prm_format, BUNDLED_PRM_DOMAIN, REAL_PRM)


def _orm_name(settings: Settings) -> ModelName | None:
    return ModelName("orm", settings.orm_model.name) if settings.orm_model else None


def _detector_name(settings: Settings) -> ModelName:
    if settings.detector:
        return ModelName("detector", settings.detector.name)
    return ModelName(
        "detector", "bundled", domain=BUNDLED_DETECTOR_DOMAIN, real_model=REAL_DETECTOR
    )


CAPABILITIES: tuple[CapabilitySpec, ...] = (
    CapabilitySpec("verifiers", kinds=VERIFIER_KINDS),
    CapabilitySpec("prm", kinds={"prm": PRM_KIND}, build=build_prm, describe=_prm_name),
    CapabilitySpec(
        "grounding",
        kinds={"grounding": GROUNDING_KIND},
        build=_grounding,
        describe=_detector_name,
    ),
    CapabilitySpec(
        "orm",
        kinds={"orm": ORM_KIND},
        build=build_orm,
        unconfigured="no outcome reward model on this server; start it with --orm-model",
        describe=_orm_name,
    ),
)


def kinds_of(capabilities: Sequence[CapabilitySpec] = CAPABILITIES) -> Mapping[str, ComponentKind]:
    """Every recipe component kind the capabilities provide; a name given twice is an error."""
    kinds: dict[str, ComponentKind] = {}
    for spec in capabilities:
        for name, kind in spec.kinds.items():
            if name in kinds:
                raise ValueError(f"component kind {name!r} is provided twice ({spec.name})")
            kinds[name] = kind
    return kinds
