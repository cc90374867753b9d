"""Framework-native endpoints: OpenRLHF's remote reward protocol at `POST /get_reward`.

OpenRLHF sends no headers, so besides `Authorization: Bearer` the key may ride in the URL it is
given: `--reward.remote_url 'http://host:8000/get_reward?api_key=KEY&verifier=math'`. The same
query picks the scorer: exactly one of `verifier=NAME` or `recipe=NAME`, or neither where the
server sets `get_reward_default`. An unknown name is a 4xx naming the known ones: a typo in the
URL must not score a whole training run 0. The body is OpenRLHF's own.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from mmreward.clients._adapt import Target
from mmreward.clients._local import AsyncLocalClient
from mmreward.clients.openrlhf import (
    QueryFormat,
    ascore_located,
    openrlhf_rewards,
    query_format,
    rows,
)
from mmreward.errors import InvalidInputError, ModelNotLoadedError
from mmreward.recipes import RecipeBook
from mmreward.service.bodies import BoundedRoute
from mmreward.service.dependencies import (
    EngineDep,
    SettingsDep,
    key_checked,
    key_is_accepted,
    require_api_key,
)
from mmreward.settings import Settings
from mmreward.verifiers.registry import check_verifier


def load_query_format(settings: Settings) -> QueryFormat | ModelNotLoadedError:
    """The policy tokenizer's query format, read at start-up (never inside a request: a lazy
    `transformers` import raced the model preload and failed the first request); a tokenizer
    that cannot be read is the 503 every `/get_reward` answers."""
    try:
        return query_format(str(settings.policy_tokenizer) if settings.policy_tokenizer else None)
    except ModelNotLoadedError as error:
        return error


async def get_query_format(request: Request) -> QueryFormat:
    loaded = request.app.state.query_format
    if isinstance(loaded, ModelNotLoadedError):
        raise loaded
    assert isinstance(loaded, QueryFormat)
    return loaded


async def require_key_or_query(
    request: Request,
    api_key: Annotated[
        str | None, Query(description="an API key, for callers that cannot send headers")
    ] = None,
) -> None:
    """Accept the key from the URL (OpenRLHF cannot send headers), else from the header."""
    if key_checked(request) or (api_key is not None and key_is_accepted(request, api_key)):
        return
    await require_api_key(request)


class JSONBytes(JSONResponse):
    """orjson-encoded body: plain dicts and lists, no per-field encoder walk."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class _CompatRoute(BoundedRoute):
    async def guard(self, request: Request) -> None:
        await require_key_or_query(request, request.query_params.get("api_key"))


router = APIRouter(
    route_class=_CompatRoute, tags=["compat"], dependencies=[Depends(require_key_or_query)]
)


class OpenRLHFRequest(BaseModel):
    query: list[str] = Field(min_length=1, description="prompt + response, decoded with specials")
    prompts: list[str]
    labels: list[Any]

    @model_validator(mode="after")
    def _same_lengths(self) -> OpenRLHFRequest:
        if not len(self.query) == len(self.prompts) == len(self.labels):
            raise ValueError("query, prompts and labels must have the same length")
        return self


class OpenRLHFResponse(BaseModel):
    rewards: list[float] = Field(description="one per query, for advantages")
    scores: list[float] = Field(description="the same, for OpenRLHF's dynamic filtering")
    extra_logs: dict[str, list[float]] = Field(
        description="accuracy, timeouts, deadlines, errors, truncated and each recipe component, "
        "per query"
    )


@router.post("/get_reward", response_class=JSONBytes, responses={200: {"model": OpenRLHFResponse}})
async def get_reward(
    request: OpenRLHFRequest,
    engine: EngineDep,
    fmt: Annotated[QueryFormat, Depends(get_query_format)],
    settings: SettingsDep,
    verifier: Annotated[
        str | None, Query(max_length=64, description="verifier for every item")
    ] = None,
    recipe: Annotated[str | None, Query(max_length=64, description="recipe instead")] = None,
) -> JSONBytes:
    """OpenRLHF `--reward.remote_url`: `{"rewards", "scores", "extra_logs"}` in request order.

    The response is located in each query (after the prompt, else after the assistant marker)
    and stripped of special tokens; one that cannot be located scores 0 as an error. With
    `--policy-tokenizer`, a query that does not end with its EOS was cut at the length limit.
    """
    target = get_reward_target(verifier, recipe, settings, engine.recipes)
    located = rows(request.query, request.prompts, request.labels, fmt)
    scored = await ascore_located(AsyncLocalClient(engine=engine), target, located)
    return JSONBytes(openrlhf_rewards(scored))


def get_reward_target(
    verifier: str | None, recipe: str | None, settings: Settings, recipes: RecipeBook
) -> Target:
    """The scorer a `/get_reward` call names (or the server's default), its name checked."""
    if verifier is not None and recipe is not None:
        raise InvalidInputError("/get_reward takes verifier=NAME or recipe=NAME, not both")
    if verifier is None and recipe is None:
        if not settings.get_reward_default:
            raise InvalidInputError(
                "/get_reward needs verifier=NAME or recipe=NAME in its URL (this server sets "
                "no get_reward_default)"
            )
        kind, _, name = settings.get_reward_default.partition(":")
        verifier, recipe = (name, None) if kind == "verifier" else (None, name)
    if recipe is not None:
        recipes.get(recipe)
        return Target(recipe=recipe)
    assert verifier is not None
    check_verifier(verifier)
    return Target(verifier=verifier)
