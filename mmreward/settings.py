"""Server and engine settings, read from `MMREWARD_*` environment variables.

The CLI writes its flags into the same variables, so `--workers N` uvicorn children see them too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, JsonValue, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mmreward.prm.config import PRM_FORMATS

SERVER_ONLY: dict[str, JsonValue] = {"server_only": True}
"""Marks a setting only `mmreward serve` reads (binding, HTTP limits, keys): the commands that run
an engine in their own process (`relabel`, `train`) do not offer it as a flag."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MMREWARD_", extra="ignore")

    host: str = Field(
        "127.0.0.1", description="address the server binds", json_schema_extra=SERVER_ONLY
    )
    port: int = Field(
        8000, ge=0, le=65535, description="port the server binds", json_schema_extra=SERVER_ONLY
    )
    workers: int = Field(
        1, ge=1, description="uvicorn worker processes", json_schema_extra=SERVER_ONLY
    )

    sandbox_workers: int = Field(
        0, ge=0, description="fast-lane sympy worker processes per server process; 0 = one per core"
    )
    sandbox_timeout_s: float = Field(
        2.0,
        gt=0,
        description="CPU seconds per sympy item (and 10x that asleep, for a job that sleeps)",
    )
    sandbox_memory_mb: int = Field(1024, ge=128, description="address-space limit per worker")
    sandbox_fast_budget_s: float = Field(
        0.25, gt=0, description="seconds an item may hold a fast-lane worker; then: slow lane"
    )
    sandbox_busy_budget_s: float = Field(
        0.05,
        gt=0,
        description="the fast-lane budget while other requests' items wait (a busy server)",
    )
    sandbox_slow_workers: int = Field(
        0, ge=0, description="slow-lane items running at once; 0 = half the fast lane, at least 1"
    )
    sandbox_spare_workers: int = Field(
        1, ge=0, description="idle workers kept started, so a killed one is replaced at once"
    )
    sandbox_max_queue: int = Field(
        4096, ge=1, description="sympy items waiting for a worker (both lanes); beyond: 429"
    )
    sandbox_remember_timeouts_s: float = Field(
        600.0, ge=0, description="an item that used its whole CPU budget is not run again for this"
    )
    request_deadline_s: float = Field(
        60.0,
        gt=0,
        description="items of an HTTP request not evaluated by then get status deadline (no "
        "verdict); a client may ask for less with the X-Deadline-S header",
        json_schema_extra=SERVER_ONLY,
    )

    max_body_bytes: int = Field(
        16 << 20, ge=1024, description="larger requests get 413", json_schema_extra=SERVER_ONLY
    )
    max_inflight_body_bytes: int = Field(
        256 << 20,
        ge=1024,
        description="request bodies being read or scored at once, summed; beyond: 429",
        json_schema_extra=SERVER_ONLY,
    )
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        description="seconds a connection has to send a request's headers; then closed",
        json_schema_extra=SERVER_ONLY,
    )
    body_timeout_s: float = Field(
        10.0,
        gt=0,
        description="seconds a request body may go without a byte arriving; then 408 and closed",
        json_schema_extra=SERVER_ONLY,
    )
    max_items: int = Field(
        1024, ge=1, description="items per request", json_schema_extra=SERVER_ONLY
    )
    max_response_chars: int = Field(
        1 << 20, ge=1, description="longer responses are cut from the left"
    )

    api_key: SecretStr | None = Field(
        None,
        description="require `Authorization: Bearer <key>`; several keys: comma-separated "
        "(prefer the variable or api_keys_file: a flag shows in `ps`)",
        json_schema_extra=SERVER_ONLY,
    )
    api_keys_file: Path | None = Field(
        None,
        description="file of accepted API keys, one per line; blank and # lines skipped "
        "(read at start-up)",
        json_schema_extra=SERVER_ONLY,
    )
    health_public: bool = Field(
        True, description="/healthz and /readyz answer without a key", json_schema_extra=SERVER_ONLY
    )
    metrics_public: bool = Field(
        True, description="/metrics answers without a key", json_schema_extra=SERVER_ONLY
    )
    policy_tokenizer: Path | None = Field(
        None,
        description="policy tokenizer dir: /get_reward strips its special tokens",
        json_schema_extra=SERVER_ONLY,
    )
    get_reward_default: str = Field(
        "",
        description="what /get_reward scores with when its URL names neither verifier nor "
        "recipe: verifier:NAME or recipe:NAME; empty: the URL must name one",
    )
    redis_url: str | None = Field(None, description="verdict cache in Redis; in-process if unset")
    cache_size: int = Field(100_000, ge=0, description="in-process verdict cache entries (0 = off)")

    preload_models: bool = Field(
        False,
        description="load PRM, ORM and detector at start-up; /readyz waits for them",
        json_schema_extra=SERVER_ONLY,
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="where models run; auto: cuda when available"
    )
    prm_model: Path | None = Field(None, description="PRM checkpoint dir; bundled model if unset")
    prm_format: str = Field(
        "token-cls",
        description="checkpoint convention of prm_model: "
        + "; ".join(f"{name}: {spec.description}" for name, spec in PRM_FORMATS.items()),
        json_schema_extra={"choices": list(PRM_FORMATS)},
    )
    orm_model: Path | None = Field(None, description="sequence-classification reward model dir")
    prm_trust_remote_code: bool = Field(
        False, description="run a checkpoint's own modeling code (Qwen2.5-Math-PRM needs it)"
    )
    max_batch_tokens: int | None = Field(
        None, ge=64, description="padded tokens per PRM/ORM forward; 2048 on CPU, 16384 on CUDA"
    )
    compile_models: bool = Field(
        False,
        description="torch.compile the PRM/ORM forward: ~1.5x CPU throughput for small models, "
        "after tens of seconds of compilation during warm-up",
    )
    compute_lanes: int = Field(
        0,
        ge=0,
        description="threads all models run on; 0 = one per core (1 with device=cuda or "
        "compile_models); with several, each runs torch single-threaded and CPU models run a "
        "batch on each at once",
    )
    batch_max_wait_ms: float = Field(5.0, ge=0, description="PRM/ORM wait for batch company")
    batch_max_queue: int = Field(4096, ge=1, description="queued PRM/ORM items; beyond: 429")
    detector: Path | None = Field(None, description="YOLO .pt file; bundled detector if unset")
    detector_conf: float = Field(0.25, ge=0, le=1, description="detector confidence threshold")
    detector_iou: float = Field(0.7, gt=0, le=1, description="detector NMS IoU threshold")
    detector_agnostic_nms: bool = Field(False, description="NMS across classes (one label/object)")
    detector_max_batch: int = Field(32, ge=1, description="images per detector forward pass")
    detector_threads: int | None = Field(
        None,
        ge=1,
        description="torch CPU threads of each detector copy; unset keeps its lane's (one "
        "thread per lane when there are several)",
    )
    detector_vocabulary: Path | None = Field(
        None, description="JSON/YAML file of extra synonyms: class name -> list of words"
    )
    grounding_max_image_bytes: int = Field(8 << 20, ge=1024, description="per encoded image")
    grounding_max_pixels: int = Field(4096 * 4096, ge=1, description="per image, before decoding")
    grounding_batch_pixels: int = Field(
        64 << 20,
        ge=1,
        description="decoded pixels of one request held at once: its images are decoded and "
        "detected in batches of at most this many (one larger image alone)",
    )
    grounding_server_pixels: int = Field(
        128 << 20,
        ge=1,
        description="decoded pixels held at once by all requests together; batches wait",
    )
    grounding_request_pixels: int = Field(
        1 << 30,
        ge=1,
        description="decoded pixels per request; images beyond it are errors for their items",
    )
    grounding_cache_size: int = Field(4096, ge=0, description="images whose detections are kept")
    recipes_dir: Path | None = Field(None, description="extra recipe files (*.yaml, *.toml)")

    @field_validator("get_reward_default")
    @classmethod
    def _scorer(cls, value: str) -> str:
        kind, _, name = value.partition(":")
        if value and (kind not in ("verifier", "recipe") or not name):
            raise ValueError(f"expected verifier:NAME or recipe:NAME, got {value!r}")
        return value

    @field_validator("prm_format")
    @classmethod
    def _known_prm_format(cls, name: str) -> str:
        if name not in PRM_FORMATS:
            raise ValueError(f"unknown PRM format {name!r}; one of {', '.join(PRM_FORMATS)}")
        return name
