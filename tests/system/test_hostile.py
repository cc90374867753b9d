"""Hostile inputs through the real server stack: each ends in a verdict and the server lives.

The bounds below only catch hangs (a stuck worker would never return); speed is measured in
bench/hostile.py, not asserted here.
"""

import json
import time

import pytest
from fastapi.testclient import TestClient

from mmreward.service import create_app
from mmreward.settings import Settings

HANG_GUARD_S = 60

HOSTILE = [
    "\\boxed{2^{2^{2^{2^{99}}}}}",
    "\\boxed{9^{9^{9^9}}}",
    "\\boxed{(10^{1000000})!}",
    "\\boxed{" + "(" * 10_000 + "1" + ")" * 10_000 + "}",
    "\\boxed{" + "\\frac{1}{" * 5_000 + "2" + "}" * 5_000 + "}",
    "\\boxed{__import__('os').system('touch /tmp/mmreward-pwned')}",
    "\\boxed{10^{10^{10}} - 10^{10^{10}} + 1}",
    "\\boxed{" + "9" * 200_000 + "}",
    "x" * (5 << 20) + " \\boxed{3}",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from prm_checkpoints import build_orm

    orm = build_orm(tmp_path_factory.mktemp("orm") / "orm")
    settings = Settings(
        sandbox_workers=2,
        sandbox_timeout_s=2.0,
        max_body_bytes=64 << 20,
        orm_model=orm,
        get_reward_default="verifier:math",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.slow
@pytest.mark.parametrize("response", HOSTILE, ids=range(len(HOSTILE)))
def test_each_hostile_item_ends_in_a_safe_verdict(client, response):
    start = time.monotonic()
    reply = client.post("/v1/verify", json={"items": [{"response": response, "reference": "3"}]})
    assert time.monotonic() - start < HANG_GUARD_S
    assert reply.status_code == 200
    [verdict] = reply.json()["results"]
    if verdict["status"] == "ok":
        assert verdict["correct"] is (response.endswith("\\boxed{3}"))
    else:
        assert verdict["status"] in ("timeout", "error")
        assert verdict["reward"] == 0.0
    assert client.get("/healthz").status_code == 200


def test_no_code_runs_from_the_answer(client):
    import os

    client.post(
        "/v1/verify",
        json={
            "items": [
                {
                    "response": "\\boxed{__import__('os').system('touch /tmp/mmreward-pwned')}",
                    "reference": "__import__('os').system('touch /tmp/mmreward-pwned')",
                }
            ]
        },
    )
    assert not os.path.exists("/tmp/mmreward-pwned")


@pytest.mark.slow
def test_mixed_batch_of_hostile_and_normal_items_returns_every_verdict(client):
    hostile = [{"response": HOSTILE[i % 7], "reference": "3"} for i in range(64)]
    normal = [
        {"response": f"so the answer is \\boxed{{\\frac{{{n}}}{{2}}}}", "reference": str(n / 2)}
        for n in range(64)
    ]
    items = [item for pair in zip(hostile, normal, strict=True) for item in pair]
    start = time.monotonic()
    reply = client.post("/v1/verify", json={"items": items})
    assert time.monotonic() - start < HANG_GUARD_S * 4
    results = reply.json()["results"]
    assert len(results) == 128
    assert all(r["correct"] is True for r in results[1::2])
    assert all(r["reward"] == 0.0 for r in results[0::2])
    assert client.get("/readyz").json()["status"] == "ready"


# -- lone surrogates: JSON allows "\ud800", UTF-8 does not ------------------------------------

LONE = "\\boxed{\ud800}"
SURROGATE_BODIES = {
    "/v1/verify": {"items": [{"response": LONE, "reference": "5"}]},
    "/v1/verify#reference": {"items": [{"response": "\\boxed{5}", "reference": "\udc00"}]},
    "/v1/verify#params": {
        "items": [{"response": "\\boxed{5}", "reference": "5", "params": {"unit": "\ud800"}}]
    },
    "/v1/verify#options": {
        "items": [{"verifier": "choice", "response": "A", "reference": "A", "options": ["\ud800"]}]
    },
    "/v1/reward/math": {"items": [{"response": LONE, "reference": "5"}]},
    "/v1/prm/score": {"items": [{"problem": "1+1?", "steps": ["2", "\ud800"]}]},
    "/v1/orm/score": {"items": [{"prompt": "\ud800", "response": "2"}]},
    "/v1/grounding/score": {"items": [{"image": "AAAA", "response": LONE}]},
    "/get_reward": {"query": ["Q: " + LONE], "prompts": ["Q: "], "labels": ["5"]},
}


def _blank_png() -> str:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _error_of(route: str, answer: dict) -> str:
    """The first item's error reason, in each endpoint's own shape."""
    if route == "/get_reward":
        assert answer["rewards"][0] == 0.0
        assert answer["extra_logs"]["errors"][0] == 1.0
        return "lone surrogate"  # OpenRLHF's answer has numbers only
    result = answer["results"][0]
    if "error" in result:  # PRM, ORM
        return result["error"]
    if "components" in result:  # a recipe: every component says why
        assert result["reward"] == 0.0
        return " ".join(c["details"]["reason"] for c in result["components"].values())
    assert result["status"] == "error"
    return result["reason"]


@pytest.mark.parametrize("route", sorted(SURROGATE_BODIES))
def test_a_lone_surrogate_is_an_error_for_its_item_naming_the_field_on_every_endpoint(
    client, route
):
    import copy
    import json

    body = copy.deepcopy(SURROGATE_BODIES[route])
    if "items" in body:  # and a good item after it, which is scored
        body["items"].append({**body["items"][0], **GOOD_ITEM[route.split("#")[0]]})
    else:
        body = {key: value * 2 for key, value in body.items()}
        body["query"][1] = "Q: \\boxed{5}"
    raw = json.dumps(body)  # ASCII: the surrogate travels as \ud800
    reply = client.post(
        route.split("#")[0], content=raw, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 200, reply.text
    reply.content.decode("utf-8")  # the answer itself is valid UTF-8
    answer = reply.json()
    assert "lone surrogate" in _error_of(route, answer)
    field = route.split("#")[1] if "#" in route else None
    if field is not None:
        assert f"`{field}" in _error_of(route, answer)
    if route == "/get_reward":
        assert answer["rewards"][1] == 1.0
        return
    second = answer["results"][1]
    assert second.get("error") is None
    assert second.get("status", "ok") != "error"
    if route.startswith("/v1/verify") or route.startswith("/v1/reward"):
        assert second["reward"] == 1.0


GOOD_ITEM = {
    "/v1/verify": {
        "verifier": "math",
        "response": "\\boxed{5}",
        "reference": "5",
        "params": {},
        "options": None,
    },
    "/v1/reward/math": {"response": "\\boxed{5}", "reference": "5"},
    "/v1/prm/score": {"steps": ["2", "so 2"]},
    "/v1/orm/score": {"prompt": "1+1?"},
    "/v1/grounding/score": {"image": _blank_png(), "response": "<answer>nothing</answer>"},
}


@pytest.mark.parametrize("depth", [33, 600, 950])
def test_a_reference_nested_too_deep_is_an_error_for_its_item(client, depth):
    deep = "[" * depth + '"1"' + "]" * depth
    good = '{"response": "\\\\boxed{1}", "reference": [["1"]]}'
    body = '{"items": [{"response": "\\\\boxed{1}", "reference": ' + deep + "}, " + good + "]}"
    reply = client.post("/v1/verify", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 200
    refused, scored = reply.json()["results"]
    assert refused["status"] == "error"
    assert refused["reason"] == "`reference` nests lists or objects more than 32 levels deep"
    assert scored["correct"] is True


def test_deeper_than_the_stack_in_process_is_an_error_for_its_item():
    from mmreward.engine import Engine
    from mmreward.items import VerifyItem

    deep: object = "1"
    for _ in range(20_000):
        deep = {"x": deep}
    with Engine(Settings(sandbox_workers=1)) as engine:
        refused, scored = engine.verify(
            [
                VerifyItem(response="\\boxed{1}", reference="1", params={"unit": deep}),
                VerifyItem(response="\\boxed{1}", reference="1"),
            ]
        )
    assert refused.status == "error"
    assert "`params` nests" in refused.reason
    assert scored.correct is True


def test_a_surrogate_pair_is_ordinary_text(client):
    import json

    body = json.dumps({"items": [{"response": "\U0001f600 \\boxed{5}", "reference": "5"}]})
    reply = client.post("/v1/verify", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 200
    assert reply.json()["results"][0]["correct"] is True


def test_a_wrong_type_beside_a_surrogate_is_still_a_clean_422(client):
    import json

    body = json.dumps({"items": [{"response": 5, "reference": "\ud800", "bogus": "\udfff"}]})
    reply = client.post("/v1/verify", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 422
    reply.content.decode("utf-8")


def test_reward_client_sends_a_lone_surrogate_and_gets_an_error_for_that_item_only():
    from live_server import LiveServer

    from mmreward.clients import RewardClient

    app = create_app(Settings(sandbox_workers=1))
    with LiveServer(app) as url, RewardClient(url, retries=0) as reward_client:
        refused, scored = reward_client.verify(
            [
                {"response": LONE, "reference": "5"},
                {"response": "\\boxed{5} \u00e9\U0001f600", "reference": "5"},
            ]
        )
        assert refused.status == "error"
        assert "`response` is not valid Unicode: lone surrogate U+D800" in refused.reason
        assert scored.correct is True


# -- hostile requests: whole bodies that are too big, too deep, not JSON, bombs ----------------


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` pixels: a decompression bomb as far as the header
    goes (decoding it would need width * height * 3 bytes)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 100_000, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _chunked(total: int):
    yield b'{"items": [{"response": "'
    for _ in range(total >> 20):
        yield b"9" * (1 << 20)
    yield b'", "reference": "1"}]}'


@pytest.fixture(scope="module")
def default_limits():
    with TestClient(create_app(Settings(sandbox_workers=1))) as test_client:
        yield test_client


def test_a_50_mb_body_is_413_before_it_is_read(default_limits):
    body = b'{"items": [{"response": "' + b"9" * (50 << 20) + b'", "reference": "1"}]}'
    reply = default_limits.post(
        "/v1/verify", content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 413


def test_a_50_mb_chunked_body_is_413_after_at_most_the_limit(default_limits):
    reply = default_limits.post(
        "/v1/verify", content=_chunked(50 << 20), headers={"content-type": "application/json"}
    )
    assert reply.status_code == 413
    assert default_limits.get("/healthz").status_code == 200


def test_bodies_in_flight_are_bounded_in_sum_and_the_budget_is_returned():
    """A request whose body is still arriving holds the bytes that arrived; the next one that
    would pass the sum is a 429 with Retry-After, before its body is read."""
    import socket

    import httpx
    from live_server import LiveServer

    settings = Settings(
        sandbox_workers=1, max_body_bytes=64 << 10, max_inflight_body_bytes=100 << 10
    )
    item = {"response": "x" * (50 << 10), "reference": "1"}
    with LiveServer(create_app(settings)) as url:
        held = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
        try:
            head = "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            held.sendall(f"{head}Content-Length: {60 << 10}\r\n\r\n{{".encode())
            held.sendall(b" " * (55 << 10))  # 55 KiB of 60 arrived: 45 KiB of room
            end = time.monotonic() + 60
            while True:  # until the held request is being read
                reply = httpx.post(f"{url}/v1/verify", json={"items": [item]}, timeout=30)
                if reply.status_code == 429:
                    break
                assert reply.status_code == 200
                assert time.monotonic() < end, "the second body was never refused"
                time.sleep(0.05)
            assert reply.headers["retry-after"] == "1"
            assert "in flight" in reply.json()["detail"]
            small = httpx.post(f"{url}/v1/verify", json={"items": [{"response": "1"}]})
            assert small.status_code == 200  # a small body fits
        finally:
            held.close()
        end = time.monotonic() + 60
        while httpx.post(f"{url}/v1/verify", json={"items": [item]}).status_code != 200:
            assert time.monotonic() < end, "the held request's budget was not returned"
            time.sleep(0.05)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, {400, 422}),
        ('{"items": [{"response": "x", "reference": ' + "[" * 5000 + "]" * 5000 + "}]}", {400}),
        ('{"items": [{"response": "x", "reference": ' + "9" * 10_000 + "}]}", {400}),
        ("not json at all", {400, 422}),
        ("", {400, 422}),
        ('{"items": [{"response": "x"}]', {400, 422}),
        ('{"items": [{"response": ["a"], "reference": {"b": 1}}]}', {422}),
        ('{"items": [{"response": "x", "options": "ABCD"}]}', {422}),
        ('{"items": [{"response": "x", "verifier": "' + "v" * 10_000 + '"}]}', {422}),
    ],
    ids=[
        "deep array",
        "deep reference",
        "huge int",
        "text",
        "empty",
        "cut",
        "types",
        "options",
        "name",
    ],
)
def test_malformed_bodies_are_4xx(default_limits, body, expected):
    reply = default_limits.post(
        "/v1/verify", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert reply.status_code in expected, reply.text[:200]


@pytest.mark.parametrize("depth", [200, 900])
def test_nesting_that_parses_is_a_per_item_verdict(default_limits, depth):
    nested = "[" * depth + "]" * depth
    body = '{"items": [{"response": "\\\\boxed{1}", "reference": ' + nested + "}, "
    body += '{"response": "\\\\boxed{1}", "reference": "1"}]}'
    reply = default_limits.post(
        "/v1/verify", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert reply.status_code == 200
    deep, plain = reply.json()["results"]
    assert deep["reward"] == 0.0
    assert deep["status"] in ("error", "unparsable_reference", "ok")
    assert plain["correct"] is True


@pytest.mark.slow
def test_image_bombs_and_bad_base64_are_per_item_errors(default_limits):
    import base64

    bomb = base64.b64encode(_png_header(60_000, 60_000)).decode()
    items = [
        {"image": bomb, "response": "<answer>two cats</answer>"},
        {"image": "%%% not base64 %%%", "response": "x"},
        {"image": base64.b64encode(b"\x89PNG\r\n\x1a\n truncated").decode(), "response": "x"},
        {"image": "data:image/png;base64," + "A" * 101, "response": "x"},
    ]
    reply = default_limits.post("/v1/grounding/score", json={"items": items})
    assert reply.status_code == 200
    verdicts = reply.json()["results"]
    assert [v["status"] for v in verdicts] == ["error"] * 4
    assert "too large" in verdicts[0]["reason"]
    assert "base64" in verdicts[1]["reason"]


# -- bodies under the size limit whose weight is in their count of values ----------------------


def _post_json(test_client: TestClient, route: str, body: object):
    import json

    raw = json.dumps(body).encode()
    return test_client.post(route, content=raw, headers={"content-type": "application/json"})


@pytest.mark.parametrize("count", [Settings().max_items + 1, 200_000])  # 200,000: 3 MB, parsed
@pytest.mark.parametrize(  # in pieces, and refused after 1,025 of them
    "route",
    ["/v1/verify", "/v1/reward/math", "/v1/prm/score", "/v1/grounding/score", "/get_reward"],
)
def test_a_body_over_the_item_bound_is_refused_before_its_items_are_validated(
    default_limits, route, count
):
    bound = Settings().max_items
    if route == "/get_reward":
        route += "?verifier=math"
        body: dict = {"query": [5] * count, "prompts": [""], "labels": [""]}
    else:  # every item is of the wrong type: validating them would list 1,025 errors
        body = {"items": [{"response": 5}] * count}
    reply = _post_json(default_limits, route, body)
    assert reply.status_code == 422
    assert reply.json() == {"detail": f"at most {bound} items per request"}


def test_a_body_at_the_item_bound_is_validated_as_usual(default_limits):
    bound = Settings().max_items
    reply = _post_json(default_limits, "/v1/verify", {"items": [{"response": 5}] * bound})
    assert reply.status_code == 422
    assert len(reply.json()["detail"]) == bound


MANY = list(range(20_000))
MANY_VALUES = {
    "/v1/verify#reference": {"items": [{"response": "\\boxed{5}", "reference": MANY}]},
    "/v1/verify#params": {
        "items": [{"response": "\\boxed{5}", "reference": "5", "params": {"unit": MANY}}]
    },
    "/v1/reward/math#steps": {
        "items": [{"response": "\\boxed{5}", "reference": "5", "steps": ["2"] * 20_000}]
    },
    "/v1/prm/score#steps": {"items": [{"problem": "1+1?", "steps": ["2"] * 20_000}]},
    "/v1/grounding/score#reference": {
        "items": [{"image": "AAAA", "response": "<answer>2</answer>", "reference": MANY}]
    },
}


@pytest.mark.parametrize("route", sorted(MANY_VALUES))
def test_an_item_holding_too_many_values_is_an_error_for_its_item(client, route):
    import copy

    from mmreward.encodable import MAX_VALUES

    path, field = route.split("#")
    body = copy.deepcopy(MANY_VALUES[route])
    good = {key: value for key, value in body["items"][0].items() if key != field}
    body["items"].append({**good, **GOOD_ITEM[path]})
    reply = _post_json(client, path, body)
    assert reply.status_code == 200, reply.text[:300]
    answer = reply.json()
    assert f"`{field}` holds more than {MAX_VALUES} values" in _error_of(path, answer)
    second = answer["results"][1]
    assert second.get("error") is None
    assert second.get("status", "ok") != "error"


def test_a_422_echoes_a_bounded_start_of_the_input(default_limits):
    options = [f"o{i}" for i in range(200_000)]
    body = {
        "items": [
            {"verifier": "choice", "response": "A", "reference": "A", "options": options},
            {"verifier": "v" * 100_000, "response": "A"},
        ]
    }
    reply = _post_json(default_limits, "/v1/verify", body)
    assert reply.status_code == 422
    assert len(reply.content) < 8192
    long_list, long_name = reply.json()["detail"]
    assert long_list["loc"] == ["body", "items", 0, "options"]
    assert long_list["input"] == [*options[:8], "... 199992 more"]
    assert long_name["loc"] == ["body", "items", 1, "verifier"]
    assert long_name["input"] == "v" * 256 + "... (100000 characters)"


def test_a_body_of_many_top_level_members_is_422_while_parsing(default_limits):
    body = json.dumps({f"k{i}": i for i in range(100_000)})
    reply = default_limits.post(
        "/v1/verify", content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 422
    assert "top-level object has more than 1024 members" in reply.json()["detail"]
