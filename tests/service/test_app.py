import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from mmreward.service import create_app
from mmreward.settings import Settings


@pytest.fixture(scope="module")
def client():
    settings = Settings(sandbox_workers=1, max_body_bytes=1 << 20, max_items=200)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_verify_returns_one_verdict_per_item_in_order(client):
    items = [
        {"verifier": "math", "response": "so \\boxed{\\frac{1}{2}}", "reference": "0.5"},
        {"verifier": "math", "response": "the answer is 3", "reference": "4"},
        {"verifier": "no-such-verifier", "response": "x", "reference": "y"},
        {"verifier": "math", "response": "I give up", "reference": "4"},
    ]
    response = client.post("/v1/verify", json={"items": items})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["ok", "ok", "error", "no_answer"]
    assert [r["reward"] for r in results] == [1.0, 0.0, 0.0, 0.0]
    assert results[0]["correct"] is True
    assert results[1]["correct"] is False
    assert "no-such-verifier" in results[2]["reason"]
    assert "math" in results[2]["reason"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": []},
        {"items": "not a list"},
        {"items": [{"verifier": "math"}]},
        {"items": [{"response": 5, "reference": "1"}]},
        {"items": [{"response": "1", "reference": "1", "unknown_field": 1}]},
    ],
)
def test_malformed_requests_get_422_with_a_message(client, body):
    response = client.post("/v1/verify", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_invalid_json_is_422(client):
    response = client.post(
        "/v1/verify", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_too_many_items_is_422(client):
    items = [{"response": "1", "reference": "1"}] * 201
    response = client.post("/v1/verify", json={"items": items})
    assert response.status_code == 422
    assert "200" in response.json()["detail"]


def test_oversized_body_is_413_before_parsing(client):
    body = json.dumps({"items": [{"response": "x" * (2 << 20), "reference": "1"}]})
    response = client.post("/v1/verify", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "exceeds" in response.json()["detail"]


def test_oversized_chunked_body_is_413(client):
    def chunks():
        yield b'{"items": [{"reference": "1", "response": "'
        for _ in range(64):
            yield b"x" * 65536
        yield b'"}]}'

    response = client.post(
        "/v1/verify", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_deeply_nested_json_is_rejected_cleanly(client):
    depth = 100_000
    body = '{"items": [{"response": "1", "reference": ' + "[" * depth + "]" * depth + "}]}"
    response = client.post("/v1/verify", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (400, 413, 422)
    assert response.json()["detail"]
    assert client.get("/healthz").status_code == 200


def test_metrics_count_requests_items_and_statuses(client):
    client.post(
        "/v1/verify",
        json={"items": [{"verifier": "math", "response": "\\boxed{7}", "reference": "7"}]},
    )
    text = client.get("/metrics").text
    assert 'mmreward_requests_total{code="200",route="/v1/verify"}' in text
    assert 'mmreward_items_total{status="ok",verifier="math"}' in text
    assert "mmreward_request_seconds_bucket" in text
    assert "mmreward_sandbox_timeouts_total" in text


def test_openapi_documents_the_endpoints(client):
    spec = client.get("/openapi.json").json()
    assert "/v1/verify" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_api_key_guards_scoring_routes_but_not_health():
    settings = Settings(sandbox_workers=1, api_key="s3cret")
    with TestClient(create_app(settings)) as guarded:
        body = {"items": [{"response": "\\boxed{1}", "reference": "1"}]}
        assert guarded.post("/v1/verify", json=body).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert guarded.post("/v1/verify", json=body, headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        reply = guarded.post("/v1/verify", json=body, headers=right)
        assert reply.status_code == 200
        assert reply.json()["results"][0]["correct"] is True
        assert guarded.get("/healthz").status_code == 200
        assert guarded.get("/metrics").status_code == 200


def test_readiness_waits_for_preloaded_models():
    import time

    settings = Settings(sandbox_workers=1, preload_models=True)
    with TestClient(create_app(settings)) as loading:
        statuses = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            reply = loading.get("/readyz")
            statuses.append(reply.json()["status"])
            if reply.status_code == 200:
                break
            assert reply.status_code == 503
            time.sleep(0.2)
        assert statuses[-1] == "ready"
        assert set(statuses) <= {"loading models", "ready"}
        engine = loading.app.state.engine
        assert engine.models_loaded["prm"]
        assert engine.models_loaded["grounding"]


@pytest.mark.slow
def test_the_heap_loaded_at_start_up_is_kept_out_of_garbage_collection():
    """In a fresh process: once the models are in, a full collection no longer walks them."""
    import subprocess
    import sys

    script = """
import asyncio, gc
from fastapi.testclient import TestClient
from mmreward.service.app import create_app
from mmreward.settings import Settings

with TestClient(create_app(Settings(sandbox_workers=1, preload_models=True))) as client:
    client.portal.call(asyncio.wait_for, client.app.state.warm_up, 120)
    frozen = gc.get_freeze_count()
    print(frozen, frozen > len(gc.get_objects()))
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    frozen, most = run.stdout.split()
    assert int(frozen) > 100_000
    assert most == "True"


def _series(metrics_text: str, name: str) -> list[str]:
    return [line for line in metrics_text.splitlines() if line.startswith(name + "{")]


@pytest.mark.slow
def test_unknown_verifier_names_cannot_grow_the_metric_series(client):
    before = len(_series(client.get("/metrics").text, "mmreward_items_total"))
    for n in range(1000):  # 1,000 requests, each naming a verifier never seen before
        item = {"verifier": f"made-up-{n}", "response": "x", "reference": "y"}
        reply = client.post("/v1/verify", json={"items": [item]})
        assert reply.status_code == 200
        assert reply.json()["results"][0]["status"] == "error"
    series = _series(client.get("/metrics").text, "mmreward_items_total")
    assert len(series) <= before + 1  # the one shared `unknown` label, at most
    assert not any("made-up-" in line for line in series)
    assert any('verifier="unknown"' in line and 'status="error"' in line for line in series)


def test_missing_checkpoints_are_503_with_the_reason_and_readyz_names_each(tmp_path):
    prm, orm, detector = tmp_path / "prm", tmp_path / "orm", tmp_path / "yolo.pt"
    settings = Settings(sandbox_workers=1, prm_model=prm, orm_model=orm, detector=detector)
    with TestClient(create_app(settings)) as broken:
        calls = {
            prm: ("/v1/prm/score", {"problem": "1 + 1?", "steps": ["1 + 1 = 2"]}),
            orm: ("/v1/orm/score", {"prompt": "1 + 1?", "response": "2"}),
            detector: ("/v1/grounding/score", {"image": "aGk=", "response": "a circle"}),
        }
        for missing, (route, item) in calls.items():
            reply = broken.post(route, json={"items": [item]})
            assert reply.status_code == 503, route
            assert str(missing) in reply.json()["detail"], route
        ready = broken.get("/readyz")
        assert ready.status_code == 503
        problems = ready.json()["problems"]
        assert set(problems) == {"prm", "orm", "grounding"}
        assert str(prm) in problems["prm"]
        assert str(orm) in problems["orm"]
        assert str(detector) in problems["grounding"]
        verified = broken.post("/v1/verify", json={"items": [{"response": "2", "reference": "2"}]})
        assert verified.status_code == 200  # the rest of the server still scores


@pytest.mark.parametrize("preload", [True, False])
def test_a_model_that_cannot_load_is_named_in_the_log_and_the_others_still_load(
    tmp_path, caplog, preload
):
    missing = tmp_path / "no-prm-here"
    settings = Settings(sandbox_workers=1, prm_model=missing, preload_models=preload)
    logged = caplog.at_level("WARNING", logger="mmreward.service.app")
    with logged, TestClient(create_app(settings)) as broken:
        if preload:
            warm_up = broken.app.state.warm_up

            async def settled() -> None:
                await asyncio.wait([warm_up], timeout=120)

            broken.portal.call(settled)
            assert broken.app.state.engine.models_loaded["grounding"]
        assert broken.get("/readyz").status_code == 503
    said = [r.getMessage() for r in caplog.records if r.name == "mmreward.service.app"]
    assert any(m.startswith("prm cannot serve: ") and str(missing) in m for m in said), said
