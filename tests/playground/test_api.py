"""What the playground needs from the server, without a browser: the page and its files, the
catalogue routes, and the per-claim and matched-box details it draws."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmreward.compute import resolve_device
from mmreward.grounding.rewards import Observed, grounding_reward, hallucination_reward
from mmreward.grounding.vocab import shapes_vocabulary
from mmreward.service import create_app
from mmreward.settings import Settings
from mmreward.verifiers.registry import verifier_names

STATIC = Path(__file__).resolve().parents[2] / "mmreward" / "playground"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(api_key="k", prm_model=Path("/srv/models/my-prm")))
    with TestClient(app) as client:  # the lifespan builds the engine `/v1/models` asks
        yield client


def test_page_is_open_and_strict_about_origins(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp
    assert 'src="playground/js/main.js"' in page.text


def _modules() -> set[str]:
    """main.js and every module it reaches through relative imports."""
    seen: set[str] = set()
    todo = ["main.js"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = (STATIC / "js" / name).read_text()
        todo += re.findall(r'from "\./([\w-]+\.js)"', source)
    return seen


def test_every_file_the_page_loads_is_served_with_its_type(client):
    modules = _modules()
    assert modules == {p.name for p in (STATIC / "js").glob("*.js")}  # none unused
    for name in modules:
        answer = client.get(f"/playground/js/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"].startswith("text/javascript"), name
        assert "content-security-policy" in answer.headers
    style = client.get("/playground/style.css")
    assert style.headers["content-type"].startswith("text/css")


def test_no_file_points_at_another_origin():
    for path in STATIC.rglob("*"):
        if path.is_file():
            text = path.read_text().replace(SVG_NAMESPACE, "")
            assert not re.search(r"https?:|//[\w.-]+\.\w+/|@import", text), path


def test_page_weight_is_under_300_kb():
    assert sum(p.stat().st_size for p in STATIC.rglob("*") if p.is_file()) < 300_000


def test_unknown_paths_keep_their_json_404(client):
    answer = client.get("/v2/nothing")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}
    assert client.get("/playground/nothing.js").status_code == 404


def test_catalogue_lists_verifiers_and_model_names_behind_the_key(client):
    assert client.get("/v1/verifiers").status_code == 401
    auth = {"Authorization": "Bearer k"}
    assert client.get("/v1/verifiers", headers=auth).json() == {"verifiers": verifier_names()}
    models = client.get("/v1/models", headers=auth).json()
    assert models["models"][0] == {
        "role": "prm",
        "name": "my-prm",
        "format": "token-cls",
        "state": "failed",  # no checkpoint there: /readyz has the reason
        "domain": None,  # the user's own checkpoint: no claim about what it knows
        "real_model": None,
    }
    detector = models["models"][1]
    assert {k: detector[k] for k in ("role", "name", "format", "state")} == {
        "role": "detector",
        "name": "bundled",
        "format": None,
        "state": "on first use",
    }
    # A bundled model says what it knows and how to serve a real one in its place.
    assert "circles, squares and triangles" in detector["domain"]
    assert "--detector /models/yolov8n.pt" in detector["real_model"]
    assert "/srv" not in str(models)  # names only: server paths stay private
    assert [m["role"] for m in models["models"]] == ["prm", "detector"]  # no ORM configured
    assert models["device"] == resolve_device("auto")  # the engine's, not the setting `auto`


def test_the_bundled_prm_states_its_domain_and_the_real_checkpoints():
    app = create_app(Settings(preload_models=False))
    with TestClient(app) as plain:
        (prm,) = [m for m in plain.get("/v1/models").json()["models"] if m["role"] == "prm"]
    assert prm["name"] == "bundled"
    assert "`Compute:`" in prm["domain"]
    assert "operands 1-12" in prm["domain"]
    assert "--prm-format qwen-prm" in prm["real_model"]
    assert "--prm-format step-tag-lm" in prm["real_model"]


def test_each_claim_says_confirmed_hallucinated_or_miscounted():
    scene = [
        Observed("circle", (10, 10, 50, 50), "red"),
        Observed("circle", (100, 10, 140, 50), "red"),
        Observed("square", (10, 100, 60, 150), "blue"),
    ]
    verdict = hallucination_reward(
        "Three red circles, a blue square, a triangle and no squares.",
        scene,
        shapes_vocabulary(),
        source="reference",
    )
    by_claim = {c["claim"]: c["verdict"] for c in verdict.details["claims"]}
    assert by_claim == {
        "red circle == 3": "miscounted",
        "blue square >= 1": "confirmed",
        "triangle >= 1": "hallucinated",
        "square == 0": "miscounted",  # denied, yet there is one
    }


def test_grounding_names_the_target_each_box_matched_and_all_objects():
    scene = [
        Observed("square", (0, 0, 20, 20)),
        Observed("square", (100, 100, 140, 140)),
        Observed("circle", (50, 50, 60, 60)),
    ]
    verdict = grounding_reward(
        "[101, 99, 141, 139]",
        "Where is the square?",
        scene,
        shapes_vocabulary(),
        image_size=(256, 256),
        source="reference",
    )
    details = verdict.details
    assert details["targets"][details["best_target"]]["box"] == [100, 100, 140, 140]
    assert details["iou"] == verdict.reward > 0.9
    assert [o["label"] for o in details["objects"]] == ["square", "square", "circle"]


def test_model_state_turns_loaded_after_the_first_request():
    with TestClient(create_app(Settings(sandbox_workers=1))) as client:
        before = {m["role"]: m["state"] for m in client.get("/v1/models").json()["models"]}
        assert before == {"prm": "on first use", "detector": "on first use"}
        item = {"problem": "1+1?", "steps": ["1+1=2"]}
        assert client.post("/v1/prm/score", json={"items": [item]}).status_code == 200
        after = {m["role"]: m["state"] for m in client.get("/v1/models").json()["models"]}
        assert after == {"prm": "loaded", "detector": "on first use"}
