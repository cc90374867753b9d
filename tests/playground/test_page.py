"""The playground in headless Chromium against a live server: fill each tab, run it, and check
what the page draws against what the API answers for the same input."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from live_server import LiveServer
from PIL import Image, ImageDraw

from mmreward.service import create_app
from mmreward.settings import Settings

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KEY = "playground-test-key"
WAIT_MS = 60_000
"""Model loads on a busy 2-core machine; a result normally shows in well under a second."""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    settings = Settings(sandbox_workers=1, api_key=KEY, max_body_bytes=4 << 20)
    with LiveServer(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is needed at /usr/bin/chromium (apt-get install chromium)")
    with playwright_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Page:
    """A fresh page that records every request and every script error."""

    def __init__(self, browser, server: str, *, key: str | None = KEY, width: int = 1280) -> None:
        self.context = browser.new_context(
            viewport={"width": width, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.responses: list[object] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}")
        )
        self.page.on("response", lambda r: self.responses.append(r))
        self.origin = server
        self.page.goto(server + "/")
        if key is not None:
            # As a user would: give the key once; the tab keeps it (sessionStorage) on reload.
            self.page.fill("#api-key", key)
            self.page.dispatch_event("#api-key", "change")
            self.responses.clear()
            self.page.reload()
            self.errors.clear()  # the keyless first load's 401s

    def tab(self, name: str) -> None:
        self.page.click(f"#tab-{name}")

    def close(self) -> None:
        foreign = [u for u in self.requests if not _same_origin(u, self.origin)]
        self.context.close()
        assert foreign == [], f"requests to another origin: {foreign}"
        assert self.errors == [], self.errors


def _same_origin(url: str, origin: str) -> bool:
    if url.startswith(("data:", "blob:")):
        return True
    a, b = urlsplit(url), urlsplit(origin)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


@pytest.fixture
def page(browser, server: str) -> Iterator[Page]:
    opened = Page(browser, server)
    yield opened
    opened.close()


def _scene_png(path: Path) -> None:
    """Two red circles and a blue square on a light background: the bundled detector's domain."""
    image = Image.new("RGB", (256, 256), (248, 248, 248))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 69, 69), fill=(230, 20, 20))
    draw.ellipse((150, 30, 189, 69), fill=(230, 20, 20))
    draw.rectangle((60, 150, 109, 199), fill=(20, 40, 230))
    image.save(path)


# --- Verify -------------------------------------------------------------------------------


def test_without_a_key_the_page_says_so_and_works_once_given(browser, server, api):
    opened = Page(browser, server, key=None)
    page = opened.page
    page.wait_for_selector("#verify-result .error")
    assert "API key" in page.inner_text("#verify-result")
    page.fill("#api-key", KEY)
    page.dispatch_event("#api-key", "change")
    page.wait_for_selector('#verify-scorer option[value="verifier:math"]', state="attached")
    offered = page.eval_on_selector_all("#verify-scorer option", "os => os.map(o => o.value)")
    verifiers = api.get("/v1/verifiers").json()["verifiers"]
    recipes = [r["name"] for r in api.get("/v1/reward").json()["recipes"]]
    assert offered == [f"verifier:{v}" for v in verifiers] + [f"recipe:{r}" for r in recipes]
    opened.errors.clear()  # the 401s before the key was given are expected
    opened.close()


def test_the_verify_tab_opens_on_the_math_verifier(page):
    p = page.page
    p.wait_for_selector('#verify-scorer option[value="verifier:math"]', state="attached")
    assert p.input_value("#verify-scorer") == "verifier:math"


def test_the_server_tab_is_drawn_before_readiness_answers(page):
    """/readyz may take seconds; the models and recipes show meanwhile."""
    p = page.page
    p.route("**/readyz", lambda route: None)  # never answered during this test
    page.tab("server")
    expect(p.locator("#server-ready")).to_have_text(re.compile("^checking /readyz"))
    expect(p.locator("#server-models")).to_contain_text("prm bundled")
    p.unroute("**/readyz")


def test_verify_marks_the_extracted_answer_inside_the_response(page):
    p = page.page
    p.wait_for_selector('#verify-scorer option[value="verifier:math"]', state="attached")
    p.select_option("#verify-scorer", "verifier:math")
    response = "First 2/4, then halve: so the answer is \\boxed{\\frac{\\sqrt2}{2}}. Check: 0.707"
    p.fill("#verify-response", response)
    p.fill("#verify-reference", "\\frac{1}{\\sqrt{2}}")
    p.click("#verify-run")
    mark = p.wait_for_selector("#verify-highlight mark.answer")
    assert mark.inner_text() == "\\frac{\\sqrt2}{2}"
    assert p.inner_text("#verify-highlight") == response  # the whole response, marked in place
    assert p.inner_text('[data-testid="verdict"]') == "Correct"
    assert "ok The answer was found and judged." in p.inner_text("#verify-result")

    p.fill("#verify-response", "I could not work it out.")
    p.click("#verify-run")
    expect(p.locator('[data-testid="verdict"]')).to_have_text("Not judged")
    text = p.inner_text("#verify-result")
    assert "no_answer" in text
    assert "No answer could be read from the response" in text
    assert p.query_selector("#verify-highlight mark") is None


def test_markup_in_a_response_stays_text(page):
    p = page.page
    p.wait_for_selector('#verify-scorer option[value="verifier:math"]', state="attached")
    p.select_option("#verify-scorer", "verifier:math")
    hostile = '<img src="https://elsewhere.example/x.png" onerror="window.hit=1"> \\boxed{2}'
    p.fill("#verify-response", hostile)
    p.fill("#verify-reference", "2")
    p.click("#verify-run")
    expect(p.locator("#verify-highlight mark.answer")).to_have_text("2")
    assert p.inner_text("#verify-highlight") == hostile
    assert p.query_selector("#verify-result img") is None
    assert p.evaluate("() => window.hit") is None  # and page.close() sees no foreign request


def test_verify_reads_multiple_choice_options(page):
    p = page.page
    p.wait_for_selector('#verify-scorer option[value="verifier:choice"]', state="attached")
    p.select_option("#verify-scorer", "verifier:choice")
    p.fill("#verify-response", "Between the two, I pick (B) in the end.")
    p.fill("#verify-reference", "B")
    p.fill("#verify-options", "3 cm\n4 cm\n5 cm")
    p.click("#verify-run")
    expect(p.locator("#verify-highlight mark.answer")).to_have_text("B")
    assert p.inner_text('[data-testid="verdict"]') == "Correct"


def test_verify_recipe_shows_each_component_as_a_bar(page, api):
    p = page.page
    p.wait_for_selector('#verify-scorer option[value="recipe:r1v"]', state="attached")
    p.select_option("#verify-scorer", "recipe:r1v")
    response = "<think>3 + 4 = 8</think><answer>8</answer>"
    p.fill("#verify-response", response)
    p.fill("#verify-reference", "7")
    p.click("#verify-run")
    p.wait_for_selector('li[data-component="format"]')
    item = {"response": response, "reference": "7"}
    components = api.post("/v1/reward/r1v", json={"items": [item]}).json()["results"][0]
    components = components["components"]
    assert components["accuracy"]["score"] == 0.0
    assert components["format"]["score"] == 1.0
    widths = p.eval_on_selector_all(
        "li.component",
        """lis => Object.fromEntries(lis.map(li => [li.dataset.component, {
            bar: li.querySelector('.bar').getBoundingClientRect().width,
            fill: li.querySelector('.fill').getBoundingClientRect().width,
            text: li.querySelector('.numbers').textContent}]))""",
    )
    assert widths["accuracy"]["fill"] == 0
    assert widths["format"]["fill"] == pytest.approx(widths["format"]["bar"], abs=0.5)
    assert widths["format"]["bar"] == pytest.approx(widths["accuracy"]["bar"], abs=0.5)
    assert widths["format"]["text"].startswith("score 1.00 × weight 0.50 = 0.500")
    assert p.inner_text('[data-testid="reward"]') == "reward 0.500"
    assert p.inner_text("#verify-highlight mark.answer") == "8"
    # A component that adds nothing says why.
    assert p.inner_text('li[data-component="accuracy"] .component-why') == "not_equal"
    assert p.query_selector('li[data-component="format"] .component-why') is None


# --- PRM ----------------------------------------------------------------------------------


def _rgb(css: str) -> tuple[int, ...]:
    return tuple(int(v) for v in re.findall(r"\d+", css)[:3])


def test_prm_colours_steps_marks_the_first_error_and_switches_aggregate(page, api):
    problem = "Compute: 5 + 6 * 3 - 2"
    steps = ["6 * 3 = 18", "5 + 18 = 23", "23 - 2 = 22", "The answer is 22."]
    scores = api.post(
        "/v1/prm/score", json={"items": [{"problem": problem, "steps": steps}]}
    ).json()["results"][0]["step_scores"]
    # A threshold between the lowest and highest score always leaves a first error to mark,
    # whatever the checkpoint thinks of these steps.
    threshold = round((min(scores) + max(scores)) / 2, 4)
    first_error = next(i for i, v in enumerate(scores) if v < threshold)

    p = page.page
    page.tab("prm")
    p.fill("#prm-problem", problem)
    p.fill("#prm-steps", "\n".join(steps))
    p.fill("#prm-threshold", str(threshold))
    p.click("#prm-run")
    p.wait_for_selector("#prm-steps-out li", timeout=WAIT_MS)
    shown = p.eval_on_selector_all(
        "#prm-steps-out li",
        """lis => lis.map(li => ({text: li.querySelector('.text').textContent,
            title: li.title, score: Number(li.dataset.score),
            colour: getComputedStyle(li).backgroundColor,
            first: li.classList.contains('first-error'),
            flag: li.querySelector('.flag') ? li.querySelector('.flag').textContent : null}))""",
    )
    assert [s["text"] for s in shown] == steps
    assert [s["score"] for s in shown] == pytest.approx(scores)
    assert [s["title"] for s in shown] == [f"score {v:.4f}" for v in scores]
    assert [s["first"] for s in shown] == [i == first_error for i in range(len(steps))]
    assert shown[first_error]["flag"] == "first error"
    low, high = min(range(4), key=scores.__getitem__), max(range(4), key=scores.__getitem__)
    red_low, green_low = _rgb(shown[low]["colour"])[:2]
    red_high, green_high = _rgb(shown[high]["colour"])[:2]
    assert green_high - red_high > green_low - red_low  # higher score, greener step
    assert p.inner_text("#prm-aggregate-out") == f"score {min(scores):.3f}"

    p.select_option("#prm-aggregate", "mean")  # switching re-scores at once
    mean = sum(scores) / len(scores)
    expect(p.locator("#prm-aggregate-out")).to_have_text(f"score {mean:.3f}", timeout=WAIT_MS)


def test_prm_reads_a_pasted_chain(page):
    p = page.page
    page.tab("prm")
    p.fill("#prm-problem", "Compute: 2 + 3 * 4")
    p.fill("#prm-steps", "Step 1: 3 * 4 = 12 Step 2: 2 + 12 = 14\n\nThe answer is 14.")
    p.select_option("#prm-split", "chain")
    p.click("#prm-run")
    p.wait_for_selector("#prm-steps-out li", timeout=WAIT_MS)
    texts = p.eval_on_selector_all("#prm-steps-out .text", "es => es.map(e => e.textContent)")
    assert texts == ["Step 1: 3 * 4 = 12", "Step 2: 2 + 12 = 14", "The answer is 14."]


# --- Grounding ----------------------------------------------------------------------------


def _grounding(p, image: Path, response: str, task: str = "hallucination", question: str = ""):
    p.set_input_files("#grounding-file", str(image))
    p.wait_for_selector("#grounding-view")
    p.select_option("#grounding-task", task)
    p.fill("#grounding-question", question)
    p.fill("#grounding-response", response)
    with p.expect_response(lambda r: r.url.endswith("/v1/grounding/score"), timeout=WAIT_MS):
        p.click("#grounding-run")
    p.wait_for_selector("#grounding-reward")


def test_grounding_draws_detections_and_marks_each_claim(page, tmp_path):
    image = tmp_path / "scene.png"
    _scene_png(image)
    p = page.page
    page.tab("grounding")
    _grounding(p, image, "Two red circles, a blue square and a green triangle.")
    boxes = p.eval_on_selector_all(
        "#grounding-view g.detection",
        """gs => gs.map(g => ({label: g.dataset.label,
            tag: g.querySelector('text').textContent,
            w: Number(g.querySelector('rect').getAttribute('width'))}))""",
    )
    assert sorted(b["label"] for b in boxes) == ["circle", "circle", "square"]
    assert all(re.fullmatch(r"(circle|square) 0\.\d\d", b["tag"]) for b in boxes)
    assert all(b["w"] > 20 for b in boxes)
    verdicts = p.eval_on_selector_all(
        "#grounding-claims li", "lis => lis.map(li => li.dataset.verdict)"
    )
    assert verdicts == ["confirmed", "confirmed", "hallucinated"]
    assert p.inner_text("mark.claim.hallucinated") == "a green triangle"
    assert p.inner_text("#grounding-reward") == "reward 0.667"

    _grounding(p, image, "I count three red circles.")
    p.wait_for_selector('#grounding-claims li[data-verdict="miscounted"]')


def test_grounding_takes_a_dropped_image(page, tmp_path):
    image = tmp_path / "scene.png"
    _scene_png(image)
    p = page.page
    page.tab("grounding")
    p.evaluate(
        """([b64]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], "scene.png", {type: "image/png"}));
            const drop = document.querySelector("#grounding-drop");
            drop.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
        }""",
        [base64.b64encode(image.read_bytes()).decode()],
    )
    expect(p.locator("#grounding-drop")).to_have_text(re.compile("Image 256 × 256 ready"))
    p.fill("#grounding-response", "two circles")
    p.click("#grounding-run")
    expect(p.locator("#grounding-claims li")).to_have_attribute(
        "data-verdict", "confirmed", timeout=WAIT_MS
    )


def test_grounding_draws_the_answered_box_against_its_match(page, api, tmp_path):
    image = tmp_path / "scene.png"
    _scene_png(image)
    p = page.page
    page.tab("grounding")
    answer_box = "<answer>[62, 148, 112, 198]</answer>"
    _grounding(p, image, answer_box, "grounding", "Where is the square?")
    answer = p.wait_for_selector("#grounding-view g.answer rect")
    assert [answer.get_attribute(k) for k in ("x", "y", "width", "height")] == [
        "62",
        "148",
        "50",
        "50",
    ]
    matched = p.query_selector("#grounding-view rect.matched")
    assert matched is not None
    assert float(matched.get_attribute("x")) == pytest.approx(60, abs=4)
    iou = float(p.text_content("#grounding-view text.iou").removeprefix("IoU "))
    assert iou > 0.7
    assert p.inner_text("#grounding-reward") == f"reward {iou:.3f}"


# --- Batch --------------------------------------------------------------------------------


def _rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(40):
        kind = i % 4
        response = {
            0: f"so the answer is \\boxed{{{i}}}",
            1: f"The answer is {i + 1}.",
            2: "no idea",
            3: f"#### {i}",
        }[kind]
        rows.append({"id": i, "completion": response, "solution": str(i), "note": "x"})
    return rows


def test_batch_scores_a_file_in_chunks_and_summarises_it(page, tmp_path):
    rows = _rows()
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    p = page.page
    page.tab("batch")
    p.wait_for_selector('#batch-scorer option[value="verifier:math"]', state="attached")
    p.set_input_files("#batch-file", str(data))
    expect(p.locator("#batch-response-field")).to_have_value("completion")
    assert p.input_value("#batch-reference-field") == "solution"
    p.select_option("#batch-scorer", "verifier:math")
    p.fill("#batch-chunk", "16")
    p.click("#batch-run")
    p.wait_for_selector("#batch-histogram", timeout=WAIT_MS)
    assert p.eval_on_selector("#batch-progress", "e => [e.value, e.max]") == [40, 40]
    bins = p.eval_on_selector_all(
        "#batch-histogram rect.bin", "rs => rs.map(r => Number(r.dataset.count))"
    )
    assert bins == [20] + [0] * 8 + [20]  # 20 right (kinds 0 and 3), 20 at 0
    heights = p.eval_on_selector_all(
        "#batch-histogram rect.bin", "rs => rs.map(r => r.getBoundingClientRect().height)"
    )
    assert heights[0] > 10
    assert heights[0] == pytest.approx(heights[9])
    assert heights[1] == 0
    statuses = dict(
        p.eval_on_selector_all(
            "#batch-statuses tbody tr",
            "trs => trs.map(tr => [tr.dataset.status, Number(tr.cells[1].textContent)])",
        )
    )
    assert statuses == {"ok": 30, "no_answer": 10}
    failing = p.eval_on_selector_all("#batch-failing li", "lis => lis.map(li => li.textContent)")
    assert [f.split(":")[0] for f in failing] == [f"row {i + 1}" for i in range(2, 40, 4)]
    assert len(p.query_selector_all("#batch-slowest li")) == 3  # 40 rows in requests of 16

    with p.expect_download() as download:
        p.click("#batch-download")
    labelled = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
    assert [{k: r[k] for k in ("id", "completion", "solution", "note")} for r in labelled] == rows
    assert [r["reward"] for r in labelled] == [1.0 if i % 4 in (0, 3) else 0.0 for i in range(40)]
    assert labelled[2]["reward_verdict"]["status"] == "no_answer"


def test_batch_turns_a_line_that_is_not_json_into_an_error_row(page):
    """As `mmreward relabel` does: the rest of the paste is scored, the bad lines are error
    rows naming their line, and the download keeps their text."""
    p = page.page
    page.tab("batch")
    p.wait_for_selector('#batch-scorer option[value="verifier:math"]', state="attached")
    p.fill("#batch-rows", '{"response": "1", "reference": "1"}\nnot json\n[1, 2]\n')
    expect(p.locator("#batch-read")).to_have_text("3 rows read.")
    assert "2 of them will be error rows: line 2: invalid JSON" in p.inner_text("#batch-result")
    p.select_option("#batch-scorer", "verifier:math")
    p.click("#batch-run")
    p.wait_for_selector("#batch-histogram", timeout=WAIT_MS)
    statuses = dict(
        p.eval_on_selector_all(
            "#batch-statuses tbody tr",
            "trs => trs.map(tr => [tr.dataset.status, Number(tr.cells[1].textContent)])",
        )
    )
    assert statuses == {"ok": 1, "error": 2}
    failing = p.eval_on_selector_all("#batch-failing li", "lis => lis.map(li => li.textContent)")
    assert failing[0].startswith("row 2: error: line 2: invalid JSON")
    assert failing[1] == "row 3: error: line 3: not a JSON object"
    with p.expect_download() as download:
        p.click("#batch-download")
    lines = Path(download.value.path()).read_text().splitlines()
    assert [json.loads(line).get("_raw_line") for line in lines] == [None, "not json", "[1, 2]"]


def test_batch_fields_follow_the_rows_while_the_box_keeps_the_focus(page):
    p = page.page
    page.tab("batch")
    p.click("#batch-rows")
    p.keyboard.insert_text('{"completion": "so 2", "solution": "2"}')
    expect(p.locator("#batch-response-field")).to_have_value("completion")
    assert p.input_value("#batch-reference-field") == "solution"
    assert p.evaluate("document.activeElement.id") == "batch-rows"
    p.select_option("#batch-reference-field", "completion")  # a choice survives more typing
    p.click("#batch-rows")
    p.keyboard.press("End")
    p.keyboard.insert_text('\n{"completion": "so 3", "solution": "3", "extra": 1}')
    expect(p.locator("#batch-read")).to_have_text("2 rows read.")
    assert p.input_value("#batch-reference-field") == "completion"


# --- Server, keyboard, layout, weight -----------------------------------------------------


def test_server_tab_reads_readiness_models_recipes_and_live_metrics(page, api):
    item = {"verifier": "math", "response": "1", "reference": "1"}
    api.post("/v1/verify", json={"items": [item]})
    p = page.page
    page.tab("server")
    p.wait_for_selector("#server-traffic dd", timeout=WAIT_MS)
    expect(p.locator("#server-ready")).to_have_text("ready", timeout=WAIT_MS)
    assert re.search(
        r"prm bundled \(token-cls\) (loaded|on first use)", p.inner_text("#server-models")
    )
    assert "r1v: 0.50 accuracy + 0.50 format" in p.inner_text("#server-recipes")
    # The bundled models say what they know and how to serve real ones.
    models = p.inner_text("#server-models")
    assert "`Compute:` arithmetic chains" in models
    assert "--prm-format qwen-prm" in models
    assert "circles, squares and triangles" in models
    since = p.inner_text('[data-metric="Since start"]')
    assert int(since.split(" ")[0]) >= 1
    # The second reading turns the counters into a rate.
    expect(p.locator('[data-metric="Requests/s"]')).to_have_text(
        re.compile(r"^\d+\.\d\d$"), timeout=WAIT_MS
    )


def test_tabs_work_from_the_keyboard_and_every_field_has_a_label(page):
    p = page.page
    p.focus("#tab-verify")
    p.keyboard.press("ArrowRight")
    assert p.evaluate("document.activeElement.id") == "tab-prm"
    assert p.get_attribute("#tab-prm", "aria-selected") == "true"
    assert p.is_visible("#panel-prm")
    assert not p.is_visible("#panel-verify")
    p.keyboard.press("End")
    assert p.evaluate("document.activeElement.id") == "tab-server"
    p.keyboard.press("ArrowRight")  # wraps around
    assert p.evaluate("document.activeElement.id") == "tab-verify"
    unlabelled = p.eval_on_selector_all(
        "input, select, textarea",
        "es => es.filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.id)",
    )
    assert unlabelled == []


@pytest.mark.parametrize("width", [1280, 390])
def test_every_tab_fits_the_screen(browser, server, width):
    opened = Page(browser, server, width=width)
    p = opened.page
    for name in ("verify", "prm", "grounding", "batch", "server"):
        opened.tab(name)
        p.wait_for_timeout(50)
        overflow = p.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
    opened.close()


def test_page_weight_is_under_300_kb(browser, server):
    opened = Page(browser, server)
    opened.page.wait_for_load_state("networkidle", timeout=WAIT_MS)
    weight = sum(len(r.body()) for r in opened.responses if r.request.resource_type != "fetch")
    assert 5_000 < weight < 300_000
    opened.close()
