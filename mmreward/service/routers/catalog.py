"""`GET /v1/verifiers` and `GET /v1/models`: what this server scores with, so a client (or the
playground) offers what exists instead of a hard-coded list that drifts from the server."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mmreward.capabilities import ModelState
from mmreward.service.dependencies import EngineDep
from mmreward.verifiers.registry import verifier_names

router = APIRouter(prefix="/v1", tags=["catalog"])


class VerifierList(BaseModel):
    verifiers: list[str] = Field(description="names accepted in a verify item's `verifier`")


class ModelInfo(BaseModel):
    role: str = Field(description="prm, orm or detector")
    name: str = Field(description="checkpoint directory or file name; `bundled` for the default")
    format: str | None = Field(None, description="checkpoint convention, where it has one")
    state: ModelState = Field(
        description="weights in memory, loaded by the first request, or not loadable (the "
        "reason is in /readyz)"
    )
    domain: str | None = Field(
        None,
        description="what a bundled demonstration model knows; null for a checkpoint the "
        "server was given",
    )
    real_model: str | None = Field(
        None, description="how to serve a real model in place of a bundled one"
    )


class ModelList(BaseModel):
    device: str = Field(description="where the models run: `auto` in the settings, resolved")
    models: list[ModelInfo]


@router.get("/verifiers")
async def list_verifiers() -> VerifierList:
    """The registered outcome verifiers."""
    return VerifierList(verifiers=verifier_names())


@router.get("/models")
async def list_models(engine: EngineDep) -> ModelList:
    """The models this server is configured with and whether each is loaded (names only; paths
    stay on the server)."""
    models = [ModelInfo(**asdict(model), state=state) for model, state in engine.models()]
    return ModelList(device=engine.device, models=models)
