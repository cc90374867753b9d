"""Framework-native endpoints: OpenRLHF's remote reward protocol."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from mmreward.clients.adapters import openrlhf_response, openrlhf_rewards
from mmreward.engine import Engine
from mmreward.items import VerifyItem
from mmreward.service.dependencies import check_item_count, get_engine, get_settings
from mmreward.settings import Settings

router = APIRouter(tags=["compat"])


class OpenRLHFRequest(BaseModel):
    query: list[str] = Field(min_length=1, description="prompt + response, decoded")
    prompts: list[str]
    labels: list[Any]
    verifier: str = Field("math", description="verifier applied to every item")

    @model_validator(mode="after")
    def _same_lengths(self) -> OpenRLHFRequest:
        if not len(self.query) == len(self.prompts) == len(self.labels):
            raise ValueError("query, prompts and labels must have the same length")
        return self


@router.post("/get_reward")
async def get_reward(
    request: OpenRLHFRequest,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> dict[str, Any]:
    """OpenRLHF `--remote_rm_url` endpoint."""
    check_item_count(len(request.query), settings)
    items = [
        VerifyItem(verifier=request.verifier, response=openrlhf_response(q, p), reference=label)
        for q, p, label in zip(request.query, request.prompts, request.labels, strict=True)
    ]
    return openrlhf_rewards(await engine.averify_batch(items))
