"""API keys: several accepted keys (setting or file), health/metrics open or keyed by setting."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mmreward.service import create_app
from mmreward.settings import Settings

BODY = {"items": [{"response": "\\boxed{4}", "reference": "4"}]}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    keys_file = tmp_path_factory.mktemp("keys") / "keys.txt"
    keys_file.write_text("from-file-1\n\n  from-file-2  \n")
    settings = Settings(
        sandbox_workers=1,
        api_key="alpha,beta",
        api_keys_file=keys_file,
        health_public=False,
        metrics_public=True,
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("key", ["alpha", "beta", "from-file-1", "from-file-2"])
def test_every_configured_key_is_accepted(keyed, key):
    reply = keyed.post("/v1/verify", json=BODY, headers={"Authorization": f"Bearer {key}"})
    assert reply.status_code == 200
    assert reply.json()["results"][0]["correct"] is True


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer gamma", "Bearer alpha,beta", "Basic alpha", "Bearer alph", "alpha"],
)
def test_other_keys_get_401(keyed, header):
    headers = {} if header is None else {"Authorization": header}
    reply = keyed.post("/v1/verify", json=BODY, headers=headers)
    assert reply.status_code == 401
    assert "API key" in reply.json()["detail"]


def test_openrlhf_route_takes_any_key_from_the_url(keyed):
    body = {"query": ["\\boxed{4}"], "prompts": [""], "labels": ["4"]}
    assert keyed.post("/get_reward?api_key=from-file-2", json=body).status_code == 200
    assert keyed.post("/get_reward?api_key=nope", json=body).status_code == 401


def test_probes_follow_their_settings(keyed):
    assert keyed.get("/healthz").status_code == 401
    assert keyed.get("/readyz").status_code == 401
    assert keyed.get("/healthz", headers={"Authorization": "Bearer beta"}).status_code == 200
    assert keyed.get("/metrics").status_code == 200


def test_metrics_can_be_keyed_and_health_left_open():
    settings = Settings(sandbox_workers=1, api_key="k", metrics_public=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer k"}).status_code == 200


def test_without_keys_everything_is_open():
    with TestClient(create_app(Settings(sandbox_workers=1))) as client:
        assert client.post("/v1/verify", json=BODY).status_code == 200
        assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize(
    "route",
    ["/v1/verify", "/v1/reward/math", "/v1/prm/score", "/v1/grounding/score", "/get_reward"],
)
def test_a_caller_without_a_key_is_refused_before_its_body_is_parsed(keyed, route):
    """Not JSON, and 2,000 items: parsing first would answer 422; the key is checked first."""
    for body in (b"{not json", b'{"items": [' + b",".join([b"{}"] * 2000) + b"]}"):
        reply = keyed.post(route, content=body, headers={"content-type": "application/json"})
        assert reply.status_code == 401, reply.text[:200]
        assert "API key" in reply.json()["detail"]


def test_a_caller_with_a_key_gets_the_body_checked_as_usual(keyed):
    body, headers = b"{not json", {"content-type": "application/json"}
    keyed_headers = {**headers, "Authorization": "Bearer alpha"}
    assert keyed.post("/v1/verify", content=body, headers=keyed_headers).status_code == 422
    assert keyed.post("/get_reward?api_key=beta", content=body, headers=headers).status_code == 422
