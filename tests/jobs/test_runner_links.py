"""`mmreward relabel` never writes through a link or onto a special file, never deletes through
a link, and never deletes its own input: each attack is performed, and the files it aimed at
are checked afterwards."""

from __future__ import annotations

import json
import os

import pytest

from mmreward.cli import main

MATH = ["--verifier", "math", "--map", "response=completion", "reference=answer"]
SETTINGS = ["--sandbox-workers", "1", "--no-progress"]
ROWS = [{"completion": "\\boxed{2}", "answer": "2"}, {"completion": "\\boxed{3}", "answer": "4"}]


def _relabel(*argv: str) -> int:
    return main(["relabel", *[str(a) for a in argv], *MATH, *SETTINGS])


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def _error(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlinked_output_is_refused_and_the_link_and_its_target_untouched(
    tmp_path, source, capsys, dangling
):
    aimed = tmp_path / "precious.txt"
    if not dangling:
        aimed.write_text("keep me\n")
    link = tmp_path / "out.jsonl"
    link.symlink_to(aimed)
    assert _relabel(source, link) == 2
    assert "is a symbolic link" in _error(capsys)
    assert link.is_symlink()
    assert os.readlink(link) == str(aimed)
    if dangling:
        assert not aimed.exists()
    else:
        assert aimed.read_text() == "keep me\n"
    assert not (tmp_path / ".out.jsonl.relabel").exists()


def test_a_fifo_output_is_refused_and_stays_a_fifo(tmp_path, source, capsys):
    import stat

    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    assert _relabel(source, fifo, "--output-format", "jsonl") == 2
    assert "is a FIFO, not a regular file" in _error(capsys)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_device_output_is_refused(source, capsys):
    assert _relabel(source, "/dev/null", "--output-format", "jsonl") == 2
    assert "/dev/null is a device" in _error(capsys)


def test_dev_stdout_is_refused_as_a_link(source, capsys):
    assert _relabel(source, "/dev/stdout", "--output-format", "jsonl") == 2
    assert "is a symbolic link" in _error(capsys)
    assert os.path.islink("/dev/stdout")


@pytest.mark.parametrize("kind", ["symlink", "fifo", "checkpoint"])
def test_a_summary_json_that_is_a_link_fifo_or_inside_the_checkpoint_is_refused(
    tmp_path, source, capsys, kind
):
    aimed = tmp_path / "precious.txt"
    aimed.write_text("keep me\n")
    target = tmp_path / "out.jsonl"
    if kind == "symlink":
        summary = tmp_path / "summary.json"
        summary.symlink_to(aimed)
    elif kind == "fifo":
        summary = tmp_path / "summary.json"
        os.mkfifo(summary)
    else:
        (tmp_path / ".out.jsonl.relabel").mkdir()
        summary = tmp_path / ".out.jsonl.relabel" / "summary.json"
    assert _relabel(source, target, "--summary-json", summary) == 2
    message = {"symlink": "symbolic link", "fifo": "FIFO", "checkpoint": "checkpoint folder"}
    assert message[kind] in _error(capsys)
    assert aimed.read_text() == "keep me\n"
    assert not target.exists()


def test_restart_deletes_nothing_through_a_symlinked_checkpoint_folder(tmp_path, source, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "data.bin").write_text("keep me\n")
    (elsewhere / "sub").mkdir()
    (elsewhere / "sub" / "more.bin").write_text("keep me too\n")
    parts = tmp_path / ".out.jsonl.relabel"
    parts.symlink_to(elsewhere, target_is_directory=True)
    assert _relabel(source, tmp_path / "out.jsonl", "--restart") == 2
    assert "is a symbolic link" in _error(capsys)
    assert parts.is_symlink()
    assert sorted(p.name for p in elsewhere.rglob("*")) == ["data.bin", "more.bin", "sub"]
    assert (elsewhere / "data.bin").read_text() == "keep me\n"


def test_restart_unlinks_links_inside_the_checkpoint_folder_not_their_targets(tmp_path, source):
    """A link planted inside a real checkpoint folder: the link goes, what it points to stays."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "data.bin").write_text("keep me\n")
    parts = tmp_path / ".out.jsonl.relabel"
    parts.mkdir()
    (parts / "planted").symlink_to(elsewhere, target_is_directory=True)
    (parts / "part-000000.jsonl").symlink_to(elsewhere / "data.bin")
    assert _relabel(source, tmp_path / "out.jsonl", "--restart") == 0
    assert (elsewhere / "data.bin").read_text() == "keep me\n"
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2
    assert not parts.exists()


def test_an_input_inside_the_checkpoint_folder_is_refused_and_kept(tmp_path, capsys):
    parts = tmp_path / ".out.jsonl.relabel"
    parts.mkdir()
    source = parts / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    for extra in ([], ["--restart"]):
        assert _relabel(source, tmp_path / "out.jsonl", *extra) == 2
        assert "inside" in _error(capsys)
        assert source.read_text().count("\n") == 2
    assert not (tmp_path / "out.jsonl").exists()


def test_an_input_reached_through_a_link_into_the_checkpoint_folder_is_refused(tmp_path, capsys):
    parts = tmp_path / ".out.jsonl.relabel"
    parts.mkdir()
    (parts / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    alias = tmp_path / "alias.jsonl"
    alias.symlink_to(parts / "in.jsonl")
    assert _relabel(alias, tmp_path / "out.jsonl") == 2
    assert "inside" in _error(capsys)
    assert (parts / "in.jsonl").exists()


def test_a_regular_output_and_summary_are_still_replaced(tmp_path, source):
    target, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    target.write_text("old\n")
    summary.write_text("old\n")
    assert _relabel(source, target, "--summary-json", summary) == 0
    assert len(target.read_text().splitlines()) == 2
    assert json.loads(summary.read_text())["rows"] == 2
    assert not list(tmp_path.glob("*.tmp"))
    assert not list(tmp_path.glob(".*.tmp"))
