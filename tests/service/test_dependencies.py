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
    keys_file.write_text(
        "# production keys, one per line\nfrom-file-1\n\n  from-file-2  \n  # indented\n\n"
    )
    settings = Settings(
        sandbox_workers=1,
        api_key="alpha,beta",
        api_keys_file=keys_file,
        health_public=False,
        metrics_public=True,
        get_reward_default="verifier:math",
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


@pytest.mark.parametrize(
    "header", ["Bearer # production keys, one per line", "Bearer #", "Bearer # indented"]
)
def test_a_comment_line_of_the_keys_file_is_not_a_key(keyed, header):
    reply = keyed.post("/v1/verify", json=BODY, headers={"Authorization": header})
    assert reply.status_code == 401


@pytest.mark.parametrize("key", ["", " ", " , ", ","])
def test_a_key_option_without_a_key_refuses_to_build_the_app(key):
    from mmreward.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="api_key is set but holds no key"):
        create_app(Settings(sandbox_workers=1, api_key=key))


@pytest.mark.parametrize("text", ["", "\n\n", "# keys go here\n  \n", "  # one\n#two\n"])
def test_a_keys_file_without_a_key_refuses_to_build_the_app(tmp_path, text):
    from mmreward.errors import ConfigurationError

    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(text)
    with pytest.raises(ConfigurationError, match="holds no key"):
        create_app(Settings(sandbox_workers=1, api_keys_file=keys_file))


def test_a_missing_keys_file_refuses_to_build_the_app(tmp_path):
    from mmreward.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="cannot be read"):
        create_app(Settings(sandbox_workers=1, api_keys_file=tmp_path / "nope.txt"))


@pytest.mark.parametrize(
    ("argv", "environment"),
    [
        (["--api-key", ""], {}),
        (["--api-key", " "], {}),
        ([], {"MMREWARD_API_KEY": " "}),
        ([], {"MMREWARD_API_KEY": ""}),
    ],
)
def test_serve_with_a_key_option_without_a_key_exits_with_one_line(
    monkeypatch, capsys, argv, environment
):
    """`mmreward serve --api-key "$UNSET"` must not start an open server."""
    import os

    from mmreward.cli import main

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    before = dict(os.environ)
    assert main(["serve", "--port", "1", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["mmreward serve: error: api_key is set but holds no key (empty or only commas)"]
    assert dict(os.environ) == before  # nothing exported for a server that did not start


def test_no_key_reaches_the_access_log():
    """OpenRLHF's only way to send a key is the URL; uvicorn's access log writes URLs."""
    import logging

    import httpx
    from live_server import LiveServer

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    settings = Settings(sandbox_workers=1, api_key="s3cret-Key_1,other")
    body = {"query": ["\\boxed{4}"], "prompts": [""], "labels": ["4"]}
    with LiveServer(create_app(settings), log_level="info") as url:
        handler = Collect()
        logging.getLogger("uvicorn.access").addHandler(handler)
        try:
            for query in ("api_key=s3cret-Key_1", "recipe=x&API_KEY=s3cret-Key_1&a=b"):
                httpx.post(f"{url}/get_reward?{query}", json=body, timeout=30)
            httpx.post(f"{url}/get_reward?api_key=s3cret-Key_", json=body, timeout=30)
        finally:
            logging.getLogger("uvicorn.access").removeHandler(handler)
    assert len(lines) == 3
    assert not any("s3cret" in line for line in lines), lines
    assert all("api_key=***" in line.lower() for line in lines), lines


def test_a_refused_key_is_logged_at_warning_with_its_route_never_the_key(keyed, caplog):
    """A trainer with a wrong key fails inside its own code; the server's log says why."""
    body = {"query": ["Q \\boxed{1}"], "prompts": ["Q"], "labels": ["1"]}
    with caplog.at_level("WARNING", logger="mmreward.service.dependencies"):
        keyed.post("/get_reward?api_key=wrong-Key_9", json=body)
        keyed.post("/v1/verify", json=BODY, headers={"Authorization": "Bearer s3cr3t-guess"})
        keyed.post("/v1/verify", json=BODY)
        keyed.post("/v1/verify", json=BODY, headers={"Authorization": "Bearer alpha"})
    refusals = [r for r in caplog.records if r.levelname == "WARNING"]
    messages = [r.getMessage() for r in refusals]
    assert len(messages) == 3, messages
    assert "POST /get_reward" in messages[0]
    assert "wrong API key" in messages[0]
    assert "POST /v1/verify" in messages[1]
    assert "wrong API key" in messages[1]
    assert "missing API key" in messages[2]
    assert not any("wrong-Key_9" in m or "s3cr3t-guess" in m or "alpha" in m for m in messages)


@pytest.mark.parametrize(
    ("path", "body", "query"),
    [
        ("/v1/verify", BODY, ""),
        ("/get_reward", {"query": ["x \\boxed{1}"], "prompts": ["x"], "labels": ["1"]}, ""),
        (
            "/get_reward",
            {"query": ["x \\boxed{1}"], "prompts": ["x"], "labels": ["1"]},
            "?api_key=alpha",
        ),
    ],
)
def test_the_key_is_checked_once_per_request(keyed, monkeypatch, path, body, query):
    from mmreward.service import dependencies

    checks = []
    accept = dependencies.key_is_accepted

    def counted(request, given):
        checks.append(given)
        return accept(request, given)

    monkeypatch.setattr(dependencies, "key_is_accepted", counted)
    monkeypatch.setattr("mmreward.service.routers.compat.key_is_accepted", counted)
    headers = {} if query else {"Authorization": "Bearer alpha"}
    assert keyed.post(path + query, json=body, headers=headers).status_code == 200
    assert checks == ["alpha"]


def test_readyz_names_file_paths_only_to_a_caller_with_a_key(tmp_path):
    missing = tmp_path / "secret-place" / "prm"
    settings = Settings(sandbox_workers=1, api_key="k", prm_model=missing)
    with TestClient(create_app(settings)) as client:
        anonymous = client.get("/readyz")
        assert anonymous.status_code == 503  # probes still see the state
        assert "secret-place" not in anonymous.text
        assert set(anonymous.json()["problems"]) == {"prm"}
        keyed = client.get("/readyz", headers={"Authorization": "Bearer k"})
        assert keyed.status_code == 503
        assert str(missing) in keyed.json()["problems"]["prm"]


def test_docs_load_swagger_ui_from_the_server_not_a_cdn():
    with TestClient(create_app(Settings(sandbox_workers=1))) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "https://" not in page.text
        assert "http://" not in page.text
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            assert f"/docs/static/{asset}" in page.text
            reply = client.get(f"/docs/static/{asset}")
            assert reply.status_code == 200
            assert len(reply.content) > 10_000
        assert client.get("/redoc").status_code == 404
