"""`GET /v1/verifiers` and `GET /v1/models`: what this server scores with, so a client (or the
playground) offers what exists instead of a hard-coded list that drifts from the server."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from mmreward.engine import Engine
from mmreward.service.dependencies import get_engine, get_settings
from mmreward.settings import Settings
from mmreward.verifiers.registry import verifier_names

router = APIRouter(prefix="/v1", tags=["catalog"])


class VerifierList(BaseModel):
    verifiers: list[str] = Field(description="names accepted in a verify item's `verifier`")


class ModelInfo(BaseModel):
    role: str = Field(description="prm, orm or detector")
    name: str = Field(description="checkpoint directory or file name; `bundled` for the default")
    format: str | None = Field(None, description="checkpoint convention, where it has one")
    state: Literal["loaded", "on first use", "failed"] = Field(
        description="weights in memory, loaded by the first request, or not loadable (the "
        "reason is in /readyz)"
    )


class ModelList(BaseModel):
    device: str = Field(description="where the models run: `auto` in the settings, resolved")
    models: list[ModelInfo]


@router.get("/verifiers")
async def list_verifiers() -> VerifierList:
    """The registered outcome verifiers."""
    return VerifierList(verifiers=verifier_names())


@router.get("/models")
async def list_models(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> ModelList:
    """The models this server is configured with and whether each is loaded (names only; paths
    stay on the server)."""
    loaded, problems = engine.models_loaded, engine.problems()

    def state(capability: str) -> Literal["loaded", "on first use", "failed"]:
        if capability in problems:
            return "failed"
        return "loaded" if loaded.get(capability) else "on first use"

    models = [
        ModelInfo(
            role="prm",
            name=settings.prm_model.name if settings.prm_model else "bundled",
            format=settings.prm_format,
            state=state("prm"),
        ),
        ModelInfo(
            role="detector",
            name=settings.detector.name if settings.detector else "bundled",
            state=state("grounding"),
        ),
    ]
    if settings.orm_model is not None:
        models.append(ModelInfo(role="orm", name=settings.orm_model.name, state=state("orm")))
    return ModelList(device=engine.device, models=models)
