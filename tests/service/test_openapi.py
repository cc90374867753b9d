"""Schemathesis against the app's own OpenAPI schema, in-process (ASGI): no input, however odd,
gets a 5xx, and every answer matches the schema the route documents.

Status codes the routes do not list (401, 413, 429, 503) are not checked here; their meaning is
in the README's Operating section and each has its own test.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from prm_checkpoints import build_orm
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from mmreward.engine import Engine
from mmreward.service import create_app
from mmreward.settings import Settings

_scratch = Path(tempfile.mkdtemp(prefix="mmreward-fuzz-"))
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
_orm = build_orm(_scratch / "orm")
_settings = Settings(
    sandbox_workers=1, sandbox_timeout_s=1.0, max_items=16, cache_size=0, orm_model=_orm
)
_engine = Engine(_settings)
_app = create_app(_settings, engine=_engine)
# The ASGI transport does not run the lifespan: give the app what it would have set up.
_app.state.engine = _engine
_app.state.warm_up = None

schema = schemathesis.openapi.from_asgi("/openapi.json", _app)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_answers_match_the_schema(case):
    case.call_and_validate(
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )
