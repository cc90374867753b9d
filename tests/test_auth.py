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
