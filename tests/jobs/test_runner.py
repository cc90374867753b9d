"""`mmreward relabel`: every capability, every format, data safety, bad rows, selection."""

from __future__ import annotations

import base64
import io
import json
import os

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmreward.cli import main
from mmreward.grounding.synthetic import generate_scene
from mmreward.jobs import RelabelSpec, relabel
from mmreward.jobs.selection import keep_rows, pass_rates
from mmreward.jobs.summary import render, summarize
from mmreward.settings import Settings

SETTINGS = ["--sandbox-workers", "1", "--no-progress"]


def _rows(n: int = 12) -> list[dict]:
    """Prompt p has 4 samples; a sample is right unless its index is a multiple of 3."""
    return [
        {
            "id": i,
            "prompt_id": i // 4,
            "completion": f"so the answer is \\boxed{{{i}}}",
            "answer": str(i + 1 if i % 3 == 0 else i),
            "meta": {"k": [i, i + 1], "tag": "x"},
        }
        for i in range(n)
    ]


def _write_jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _relabel(*argv: str) -> int:
    return main(["relabel", *argv, *SETTINGS])


MATH = ["--verifier", "math", "--map", "response=completion", "reference=answer"]


def test_every_row_and_column_kept_in_order_with_reward_columns(tmp_path, capsys):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, _rows())
    assert _relabel(str(source), str(target), *MATH, "--chunk-rows", "5") == 0
    out = _read_jsonl(target)
    assert [{k: r[k] for k in _rows()[0]} for r in out] == _rows()
    assert [r["reward"] for r in out] == [0.0 if i % 3 == 0 else 1.0 for i in range(12)]
    assert {r["reward_status"] for r in out} == {"ok"}
    assert out[1]["reward_extracted"] == "1"
    assert out[1]["reward_correct"] is True
    assert "reward histogram" in capsys.readouterr().err
    assert not (tmp_path / ".out.jsonl.relabel").exists()


@pytest.mark.parametrize("how", ["same", "hardlink", "symlink", "dash"])
def test_output_onto_the_input_is_refused_and_the_input_unchanged(tmp_path, capsys, how):
    source = tmp_path / "data.jsonl"
    _write_jsonl(source, _rows())
    before = source.read_bytes()
    target = tmp_path / "other.jsonl"
    if how == "same":
        target = source
    elif how == "hardlink":
        os.link(source, target)
    elif how == "symlink":
        target.symlink_to(source)
    else:
        target = tmp_path / "-"
    argv = [str(source), "-" if how == "dash" else str(target), *MATH]
    assert _relabel(*argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err
    assert "is the input" in err or "`-`" in err
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["data.jsonl"] + ([] if how in ("same", "dash") else ["other.jsonl"])
    )


def test_an_existing_directory_that_is_not_a_dataset_is_never_replaced(tmp_path, capsys):
    source, target = tmp_path / "in.jsonl", tmp_path / "results"
    _write_jsonl(source, _rows())
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    assert _relabel(str(source), str(target), *MATH) == 2
    assert "not a `datasets` one" in capsys.readouterr().err
    assert _relabel(str(source), str(target), *MATH, "--output-format", "jsonl") == 2
    assert "is a directory" in capsys.readouterr().err
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "keep me"


def test_summary_json_onto_the_input_or_output_and_stray_params_are_refused(tmp_path, capsys):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, _rows())
    before = source.read_bytes()
    assert _relabel(str(source), str(target), *MATH, "--summary-json", str(source)) == 2
    assert "is the input" in capsys.readouterr().err
    assert _relabel(str(source), str(target), *MATH, "--summary-json", str(target)) == 2
    assert "must not be the output" in capsys.readouterr().err
    assert _relabel(str(source), str(target), "--recipe", "math", "--param", "x=1") == 2
    assert "--param" in capsys.readouterr().err
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


@pytest.mark.parametrize(
    "flag", [["--ray-actors", "0"], ["--ray-cpus", "-1"], ["--ray-gpus", "nan"]]
)
def test_a_ray_request_ray_would_refuse_is_a_usage_error_before_anything(tmp_path, capsys, flag):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, _rows())
    with pytest.raises(SystemExit) as stop:
        _relabel(str(source), str(target), *MATH, "--ray-address", "local", *flag)
    assert stop.value.code == 2
    assert flag[0] in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


@pytest.mark.parametrize("flag", ["--min-reward", "--pass-threshold"])
def test_a_nan_selection_bound_is_refused_not_an_empty_output(tmp_path, capsys, flag):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, _rows())
    assert _relabel(str(source), str(target), *MATH, flag, "nan") == 2
    assert "finite" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_the_summary_leaves_non_finite_scores_out_of_means_and_histogram():
    ok = "reward_status"
    added = [
        {"reward": 1.0, ok: "ok", "reward_orm": float("nan")},
        {"reward": float("nan"), ok: "ok", "reward_orm": 0.5},
        {"reward": float("inf"), ok: "ok", "reward_orm": 0.25},
    ]
    summary = summarize(added, "reward", 1.0, kept=3, resumed=0)
    assert summary.mean_reward == 1.0
    assert summary.histogram == [0] * 9 + [1]
    assert summary.components["orm"].mean == 0.375
    assert "reward histogram" in render(summary)


def test_a_missing_input_creates_nothing(tmp_path, capsys):
    assert _relabel(str(tmp_path / "nope.parquet"), str(tmp_path / "out.jsonl"), *MATH) == 2
    assert "does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_mapped_column_missing_is_an_error_before_scoring(tmp_path, capsys):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, _rows())
    argv = [str(source), str(target), "--verifier", "math", "--map", "response=completoin"]
    assert _relabel(*argv) == 2
    err = capsys.readouterr().err
    assert "'completoin'" in err
    assert "completion" in err
    assert "--map" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_the_same_check_reads_a_parquet_schema(tmp_path, capsys):
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(_rows()), source)
    assert _relabel(str(source), str(tmp_path / "o.parquet"), "--verifier", "math") == 2
    assert "'response'" in capsys.readouterr().err


def test_bad_rows_become_error_verdicts_with_their_line_and_the_run_goes_on(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    good = [json.dumps(r) for r in _rows(4)]
    lines = [
        good[0],
        '{"completion": "\\boxed{1}", ',  # invalid JSON
        good[1],
        '{"completion": "\\ud800", "answer": "1"}',  # a lone surrogate
        "[1, 2]",  # not an object
        "",  # blank: not a row
        good[2],
        '{"completion": 7, "answer": "1"}',  # response is not text
        good[3],
    ]
    source.write_bytes(("\n".join(lines) + "\n").encode() + b'{"completion": "\xff"}\n')
    summary_path = tmp_path / "summary.json"
    argv = [str(source), str(target), *MATH, "--summary-json", str(summary_path)]
    assert _relabel(*argv) == 0
    out = _read_jsonl(target)
    assert len(out) == 9
    reasons = [r["reward_reason"] for r in out if r["reward_status"] == "error"]
    assert [reason.split(":")[0] for reason in reasons] == [
        "line 2",
        "line 4",
        "line 5",
        "line 8",
        "line 10",
    ]
    assert "invalid JSON" in reasons[0]
    assert "surrogate" in reasons[1]
    assert "not text" in reasons[3]
    assert "UTF-8" in reasons[4]
    assert out[1]["_raw_line"] == lines[1]
    assert out[3]["_raw_line"] == lines[3]
    assert [r["id"] for r in out if "id" in r] == [0, 1, 2, 3]
    summary = json.loads(summary_path.read_text())
    assert summary["rows"] == 9
    assert summary["errors"] == 5
    assert summary["by_status"] == {"ok": 4, "error": 5}
    assert summary["components"]["total"] == {"mean": 0.5, "accuracy": 0.5}  # ids 0, 3 wrong
    assert summary["histogram"] == [2] + [0] * 8 + [2]


def test_parquet_in_parquet_out_keeps_types(tmp_path):
    source, target = tmp_path / "in.parquet", tmp_path / "out.parquet"
    table = pa.Table.from_pylist(_rows())
    pq.write_table(table, source)
    assert _relabel(str(source), str(target), *MATH, "--chunk-rows", "5") == 0
    out = pq.read_table(target)
    assert out.select(table.column_names).equals(table)
    assert out.column("reward").to_pylist() == [0.0 if i % 3 == 0 else 1.0 for i in range(12)]
    assert out.schema.field("reward_correct").type == pa.bool_()


def test_parquet_out_streams_batch_by_batch_and_filters_across_batches(tmp_path):
    """9,000 rows: the input's record batches (4,096 rows) and the kept rows straddle them."""
    source, target = tmp_path / "in.parquet", tmp_path / "out.parquet"
    table = pa.Table.from_pylist(_rows(9000))
    pq.write_table(table, source, row_group_size=1000)
    argv = [str(source), str(target), *MATH, "--min-reward", "0.5", "--chunk-rows", "3000"]
    assert _relabel(*argv) == 0
    out = pq.read_table(target)
    kept = [i for i in range(9000) if i % 3]
    assert out.column("id").to_pylist() == kept
    assert out.select(table.column_names).equals(table.take(kept))
    assert out.column("reward").to_pylist() == [1.0] * len(kept)
    assert out.schema.metadata is None or b"pandas" not in out.schema.metadata


def test_a_parquet_input_streams_in_bounded_memory(tmp_path, monkeypatch):
    """40 MB of image bytes read with 4 MB batches: Arrow never holds much more than a batch."""
    import os

    from mmreward.jobs import formats

    path = tmp_path / "images.parquet"
    rows = {"id": list(range(2000)), "img": [os.urandom(20_000) for _ in range(2000)]}
    pq.write_table(pa.table(rows), path, row_group_size=100)
    monkeypatch.setattr(formats, "BATCH_BYTES", 4 << 20)
    source = formats.Source(path, "parquet")
    before = pa.total_allocated_bytes()
    peak = seen = 0
    for row in source.rows():
        seen += len(row.data["img"])
        peak = max(peak, pa.total_allocated_bytes() - before)
    assert seen == 40_000_000
    assert peak < 16 << 20  # a batch and a row group or two, not the file


def test_parquet_out_of_an_empty_parquet_keeps_the_columns(tmp_path):
    source, target = tmp_path / "in.parquet", tmp_path / "out.parquet"
    schema = pa.Table.from_pylist(_rows(1)).schema
    pq.write_table(schema.empty_table(), source)
    assert _relabel(str(source), str(target), *MATH) == 0
    out = pq.read_table(target)
    assert out.num_rows == 0
    assert out.column_names[: len(schema.names)] == schema.names


def _tree(path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))}


def test_datasets_directory_in_and_out_keeps_features_and_bytes(tmp_path):
    source, target, again = tmp_path / "in_ds", tmp_path / "out_ds", tmp_path / "again_ds"
    images = [{"bytes": base64.b64decode(_png(i)), "path": None} for i in range(12)]
    dataset = datasets.Dataset.from_list(_rows()).add_column("img", images)
    dataset.cast_column("img", datasets.Image()).save_to_disk(str(source))
    assert _relabel(str(source), str(target), *MATH) == 0
    out = datasets.load_from_disk(str(target))
    assert out["id"] == list(range(12))
    assert out["reward"] == [0.0 if i % 3 == 0 else 1.0 for i in range(12)]
    assert isinstance(out.features["img"], datasets.Image)
    assert _relabel(str(source), str(again), *MATH) == 0
    assert _tree(again) == _tree(target)


def test_jsonl_to_parquet_and_back_by_flag(tmp_path):
    source = tmp_path / "in.jsonl"
    _write_jsonl(source, _rows())
    parquet = tmp_path / "out.data"
    argv = [str(source), str(parquet), *MATH, "--output-format", "parquet"]
    assert _relabel(*argv) == 0
    assert pq.read_table(parquet).column("completion").to_pylist()[0] == _rows()[0]["completion"]
    back = tmp_path / "back.jsonl"
    assert _relabel(str(parquet), str(back), *MATH, "--input-format", "parquet") == 0
    assert [r["id"] for r in _read_jsonl(back)] == list(range(12))


def test_recipe_gives_the_total_and_every_component(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [
        {"response": "<think>2+2</think><answer>4</answer>", "reference": "4"},
        {"response": "<think>2+2</think><answer>5</answer>", "reference": "4"},
        {"response": "4", "reference": "4"},
    ]
    _write_jsonl(source, rows)
    assert _relabel(str(source), str(target), "--recipe", "r1v") == 0
    out = _read_jsonl(target)
    assert [r["reward_accuracy"] for r in out] == [1.0, 0.0, 1.0]
    assert [r["reward_format"] for r in out] == [1.0, 1.0, 0.0]
    assert [r["reward"] for r in out] == [1.0, 0.5, 0.5]


def test_unknown_recipe_or_verifier_or_orm_without_model_is_refused(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    _write_jsonl(source, [{"prompt": "p", "response": "r", "reference": "1"}])
    out = str(tmp_path / "out.jsonl")
    assert _relabel(str(source), out, "--recipe", "nope") == 2
    assert "unknown recipe" in capsys.readouterr().err
    assert _relabel(str(source), out, "--verifier", "nope") == 2
    assert "nope" in capsys.readouterr().err
    assert _relabel(str(source), out, "--orm") == 2
    assert "--orm-model" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


@pytest.mark.slow
def test_prm_scores_each_step_and_an_empty_chain_is_an_error_row(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [
        {"q": "1+1?", "chain": ["1+1=2", "so 2"]},
        {"q": "2+2?", "chain": []},
        {"q": "3+3?", "chain": ["3+3=6"]},
    ]
    _write_jsonl(source, rows)
    argv = [str(source), str(target), "--prm", "--map", "prompt=q", "steps=chain"]
    assert _relabel(*argv) == 0
    out = _read_jsonl(target)
    assert len(out[0]["reward_step_scores"]) == 2
    assert len(out[2]["reward_step_scores"]) == 1
    assert out[0]["reward"] == min(out[0]["reward_step_scores"])
    assert out[1]["reward_status"] == "error"
    assert out[1]["reward_step_scores"] == []


def _png(seed: int) -> str:
    scene = generate_scene(np.random.default_rng(seed), min_shapes=1, max_shapes=3)
    buffer = io.BytesIO()
    scene.image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_grounding_bad_image_is_one_error_row(tmp_path):
    source, target = tmp_path / "in.parquet", tmp_path / "out.jsonl"
    rows = [
        {"img": _png(1), "caption": "I see a red circle."},
        {"img": "bm90IGFuIGltYWdl", "caption": "I see a red circle."},
        {"img": _png(2), "caption": "There is nothing here."},
    ]
    pq.write_table(pa.Table.from_pylist(rows), source)
    argv = [str(source), str(target), "--grounding", "--map", "image=img", "response=caption"]
    assert _relabel(*argv) == 0
    out = _read_jsonl(target)
    assert [r["reward_status"] == "error" for r in out] == [False, True, False]
    assert out[1]["reward_reason"].startswith("row 2:")


def test_selection_pass_rate_best_of_and_min_reward(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, _rows())
    argv = [str(source), str(target), *MATH, "--group-by", "prompt_id", "--keep-best-of", "2"]
    assert _relabel(*argv) == 0
    out = _read_jsonl(target)
    # prompt 0: ids 0..3, id 0 and 3 wrong -> pass 2/4; best two are 1, 2.
    # prompt 1: ids 4..7, id 6 wrong -> 3/4; prompt 2: ids 8..11, id 9 wrong -> 3/4.
    assert [r["id"] for r in out] == [1, 2, 4, 5, 8, 10]
    assert [r["pass_rate"] for r in out] == [0.5, 0.5, 0.75, 0.75, 0.75, 0.75]
    floor = tmp_path / "floor.jsonl"
    assert _relabel(str(source), str(floor), *MATH, "--min-reward", "0.5") == 0
    assert [r["id"] for r in _read_jsonl(floor)] == [i for i in range(12) if i % 3]


def test_pass_rates_skip_unscored_rows_and_ties_keep_the_earlier_row():
    groups = ["a", "a", "a", "b"]
    assert pass_rates(groups, [1.0, 0.0, 0.0, 0.2], [True, True, False, True], 1.0) == [
        0.5,
        0.5,
        0.5,
        0.0,
    ]
    assert keep_rows([0.5, 1.0, 1.0, 0.5], groups=groups, best_of=1) == [False, True, False, True]


def test_a_checkpoint_of_another_job_is_refused_then_restart_discards_it(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, _rows())
    parts = tmp_path / ".out.jsonl.relabel"
    parts.mkdir()
    (parts / "job.json").write_text('{"spec": "something else"}')
    settings = Settings(sandbox_workers=1)
    spec = RelabelSpec(columns={"response": "completion", "reference": "answer"})
    with pytest.raises(Exception, match="another job"):
        relabel(spec, source, target, settings=settings, progress=False)
    assert not target.exists()
    summary = relabel(spec, source, target, settings=settings, progress=False, restart=True)
    assert summary.rows == 12
    assert summary.mean_reward == pytest.approx(8 / 12)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "hf"])
def test_each_chunk_read_on_its_own_equals_the_streamed_chunks(tmp_path, fmt):
    from mmreward.jobs.formats import Source

    rows = _rows(23)
    if fmt == "jsonl":
        path = tmp_path / "in.jsonl"
        lines = [json.dumps(r) for r in rows]
        lines[4:4] = ["", "{not json", "   "]
        path.write_text("\n".join(lines) + "\n")
    elif fmt == "parquet":
        path = tmp_path / "in.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=4)
    else:
        path = tmp_path / "in_ds"
        datasets.Dataset.from_list(rows).save_to_disk(str(path))
    source = Source(path, fmt)
    streamed = list(source.rows())
    starts = source.chunk_starts(5)
    assert len(starts) == -(-len(streamed) // 5)
    pieces = [source.read_chunk(start, 5) for start in starts]
    assert [row for piece in pieces for row in piece] == streamed


@pytest.mark.slow
def test_orm_scores_every_row_with_the_configured_model(tmp_path):
    from prm_checkpoints import build_orm

    from mmreward.engine import Engine
    from mmreward.prm.items import ORMItem

    model = build_orm(tmp_path / "orm")
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [
        {"q": "2+2?", "a": "4"},
        {"q": "2+2?", "a": "five"},
        {"q": "2+2?", "a": 5},
    ]
    _write_jsonl(source, rows)
    argv = [str(source), str(target), "--orm", "--orm-model", str(model)]
    assert _relabel(*argv, "--map", "prompt=q", "response=a") == 0
    out = _read_jsonl(target)
    assert [r["reward_status"] for r in out] == ["ok", "ok", "error"]
    engine = Engine(Settings(sandbox_workers=1, orm_model=model))
    try:
        direct = engine.orm_score([ORMItem(prompt="2+2?", response=a) for a in ("4", "five")])
    finally:
        engine.close()
    assert [r["reward"] for r in out[:2]] == [d.reward for d in direct]
    assert [r["reward_score"] for r in out[:2]] == [d.score for d in direct]
    assert out[2]["reward_reason"].startswith("line 3:")


def test_a_run_stopped_while_assembling_rescores_nothing(tmp_path, monkeypatch):
    import mmreward.jobs.runner as job

    source, target, whole = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "w.jsonl"
    _write_jsonl(source, _rows())
    settings = Settings(sandbox_workers=1)
    spec = RelabelSpec(columns={"response": "completion", "reference": "answer"}, chunk_rows=5)
    relabel(spec, source, whole, settings=settings, progress=False)

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(job, "_assemble", stopped)
        with pytest.raises(KeyboardInterrupt):
            relabel(spec, source, target, settings=settings, progress=False)
    assert not target.exists()
    monkeypatch.setattr(job, "_score_missing", stopped)
    summary = relabel(spec, source, target, settings=settings, progress=False)
    assert summary.chunks_resumed == 3
    assert target.read_bytes() == whole.read_bytes()


def test_a_recipe_from_the_recipes_directory(tmp_path):
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "double.yaml").write_text(
        "name: double\n"
        "components:\n"
        "  - {kind: accuracy, name: right, weight: 2.0, params: {verifier: math}}\n"
    )
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, _rows(4))
    summary = tmp_path / "summary.json"
    argv = [str(source), str(target), "--recipe", "double", "--recipes", str(recipes)]
    assert (
        _relabel(
            *argv,
            "--map",
            "response=completion",
            "reference=answer",
            "--summary-json",
            str(summary),
        )
        == 0
    )
    out = _read_jsonl(target)
    assert [r["reward"] for r in out] == [0.0, 2.0, 2.0, 0.0]
    assert [r["reward_right"] for r in out] == [0.0, 1.0, 1.0, 0.0]
    components = json.loads(summary.read_text())["components"]
    assert components["right"] == {"mean": 0.5, "accuracy": 0.5}
    assert components["total"] == {"mean": 1.0, "accuracy": 0.5}


def test_rows_become_items_per_capability():
    from mmreward.jobs.rows import prepare

    chat = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "\\boxed{4}"}]
    verifier = RelabelSpec(columns={"response": "out"}, params={"tolerance": 0.1})
    assert prepare({"out": chat, "reference": "4"}, verifier, "row 1") == {
        "verifier": "math",
        "response": "2+2?\n\\boxed{4}",
        "reference": "4",
        "options": None,
        "params": {"tolerance": 0.1},
    }
    assert prepare({"out": "x"}, verifier, "row 2") == "row 2: column 'reference' is missing"
    assert prepare({"out": "x", "reference": 1, "options": "AB"}, verifier, "row 3") == (
        "row 3: column 'options' is not a list of strings"
    )
    grounding = RelabelSpec(capability="grounding", name="", task="count")
    png = b"\x89PNG..."
    item = prepare({"image": {"bytes": png, "path": None}, "response": "2"}, grounding, "row 4")
    assert isinstance(item, dict)
    assert base64.b64decode(item["image"]) == png
    assert item["task"] == "count"
    assert prepare({"image": b"", "response": "2"}, grounding, "row 5").startswith("row 5:")
    prm = RelabelSpec(capability="prm", name="", step_separator="\n")
    assert prepare({"prompt": "p", "response": "a\n\n b \nc"}, prm, "row 6") == {
        "problem": "p",
        "steps": ["a", "b", "c"],
    }
    recipe = RelabelSpec(capability="recipe", name="r1v", columns={"image": "img"})
    assert prepare({"response": "r", "img": png, "steps": ["s"]}, recipe, "row 7") == {
        "response": "r",
        "steps": ["s"],
        "image": base64.b64encode(png).decode(),
    }


def test_a_second_run_of_the_same_job_is_kept_out_while_the_first_holds_it(tmp_path):
    import fcntl

    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, _rows())
    parts = tmp_path / ".out.jsonl.relabel"
    parts.mkdir()
    settings = Settings(sandbox_workers=1)
    spec = RelabelSpec(columns={"response": "completion", "reference": "answer"})
    with (parts / "lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(Exception, match="another run is writing"):
            relabel(spec, source, target, settings=settings, progress=False)
    assert not target.exists()
    assert relabel(spec, source, target, settings=settings, progress=False).rows == 12
    assert not parts.exists()


def test_a_recipe_job_keeps_and_uses_every_recipe_field_of_its_rows(tmp_path):
    """`truncated` zeroes accuracy and format, `response_length` feeds the length component."""
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "shaped.yaml").write_text(
        "name: shaped\n"
        "components:\n"
        "  - {kind: accuracy}\n"
        "  - {kind: length, params: {max_len: 100, cache_len: 50}}\n"
    )
    answer = "<think>2+2</think><answer>4</answer>"
    rows = [
        {"out": answer, "reference": "4", "done": False, "tokens": 10},
        {"out": answer, "reference": "4", "done": True, "tokens": 100},
    ]
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, rows)
    argv = [str(source), str(target), "--recipe", "shaped", "--recipes", str(recipes)]
    maps = ["--map", "response=out", "truncated=done", "response_length=tokens"]
    assert _relabel(*argv, *maps) == 0
    out = _read_jsonl(target)
    assert [r["reward_accuracy"] for r in out] == [1.0, 0.0]
    assert [r["reward_length"] for r in out] == [0.0, -1.0]
    assert [r["reward"] for r in out] == [1.0, -1.0]
    assert [r["done"] for r in out] == [False, True]  # the input columns are kept as they were


@pytest.mark.slow
def test_a_recipe_job_maps_the_grounding_reference(tmp_path):
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "counted.yaml").write_text(
        "name: counted\ncomponents:\n  - {kind: grounding, params: {task: count}}\n"
    )
    buffer = io.BytesIO()
    generate_scene(np.random.default_rng(0)).image.save(buffer, format="PNG")
    image = base64.b64encode(buffer.getvalue()).decode()
    rows = [
        {"response": "2", "image": image, "question": "How many circles?", "truth": {"circle": n}}
        for n in (2, 3)
    ]
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_jsonl(source, rows)
    argv = [str(source), str(target), "--recipe", "counted", "--recipes", str(recipes)]
    assert _relabel(*argv, "--map", "grounding_reference=truth") == 0
    out = _read_jsonl(target)
    assert [r["reward"] for r in out] == [1.0, 0.0]
    assert {r["reward_status"] for r in out} == {"ok"}
