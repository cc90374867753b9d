"""The arith example's splits: no problem is held out while its commuted twin trains."""

import json

from examples.arith.task import split_pairs, symmetry_class, write_data


def test_held_out_split_has_no_commuted_twins(tmp_path):
    write_data(tmp_path)
    classes = {}
    for name in ("eval", "val", "train"):
        rows = (tmp_path / f"{name}.jsonl").read_text().splitlines()
        classes[name] = [symmetry_class(json.loads(line)["prompt"]) for line in rows]
    assert len(classes["eval"]) == 500
    assert len(classes["val"]) >= 500
    held_out, validation, train = (set(classes[n]) for n in ("eval", "val", "train"))
    assert not held_out & train
    assert not held_out & validation
    assert not validation & train
    # every ordered pair is somewhere, once
    total = sum(len(v) for v in classes.values())
    assert total == 90 * 90


def test_commuted_prompts_are_one_class():
    assert symmetry_class("37+48=") == symmetry_class("48+37=")
    assert symmetry_class("37+48=") != symmetry_class("37+49=")


def test_split_is_seeded():
    assert split_pairs(0) == split_pairs(0)
    assert split_pairs(0)["eval"] != split_pairs(1)["eval"]
