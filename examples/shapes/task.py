"""Counting and describing generated shape scenes: a VLM task the detector can reward.

Prompts (the image first, as LLaVA expects):

    <image>how many circles?        -> 3                 (also squares, triangles)
    <image>how many shapes?         -> 5
    <image>describe the shapes.     -> two circles and one square

Counts are balanced: each count question draws its answer uniformly (0..3 for a class, 0..5
shapes in all, in base scenes) and a scene is drawn until it holds that many, so always giving
one answer earns a quarter or a sixth. Descriptions state every class present with its count,
the form the hallucination reward parses.

Two kinds of scene: `base` (the documented format: 24-64 px shapes on 256 px, at most 5) for
the small labelled warm-up set and in-distribution evaluation, and `wide` (up to 7 shapes, up
to 5 of a class, and smaller ones, 16-40 px) for the unlabelled RL pool and the shifted
evaluation: scenes nothing labelled was drawn from, which only the detector can label. Images
are stored at 128 px (the detector's input size); the policy's processor downsizes to 64.

The policy is a LLaVA built from config: a 2-layer CLIP on 64 px (8 px patches) and a 2-layer
Llama with a character tokenizer. At 32 px the projected image features barely vary and
supervised counting stays at the majority rate; at 64 px it learns once the vision tower's
initialisation is scaled up (`VISION_INIT_FACTOR`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    CLIPImageProcessor,
    CLIPVisionConfig,
    LlamaConfig,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)

from mmreward.grounding.claims import parse_claims
from mmreward.grounding.images import encode_png
from mmreward.grounding.synthetic import SHAPE_CLASSES, Scene, generate_scene
from mmreward.grounding.vocab import ANY_OBJECT, shapes_vocabulary

CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 ?.,"
WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
INPUT_PX = 64
STORED_PX = 128
KINDS = (*SHAPE_CLASSES, "shapes", "describe")
VISION_INIT_FACTOR = 10.0
"""CLIP's initializer_factor. At 1.0 the projected image tokens sit at the text embeddings'
scale (std 0.02) and differ across images by 0.005: the language model learns the answers'
marginal and the projector drifts to a constant, so supervised counting stays at chance, even
on the training scenes. At 10 the CLIP residual grows and the image tokens differ across
images by about 0.9 (std 2), and the same training learns to count."""


@dataclass(frozen=True)
class SceneStyle:
    max_count: int
    """Largest answer to a one-class question (`how many circles?`)."""
    max_shapes: int
    """Most shapes in a scene, and the largest answer to `how many shapes?`."""
    min_side: int
    max_side: int


STYLES = {
    "base": SceneStyle(max_count=3, max_shapes=5, min_side=24, max_side=64),
    "wide": SceneStyle(max_count=5, max_shapes=7, min_side=16, max_side=40),
}


def build_vlm(directory: Path, seed: int = 0) -> None:
    """Save an untrained LLaVA (2-layer CLIP on 64 px, 2-layer Llama) with its processor."""
    import torch

    torch.manual_seed(seed)
    vocab = {t: i for i, t in enumerate(["<pad>", "<eos>", "<image>", *CHARS])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("<image>|."), behavior="isolated")
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        eos_token="<eos>",
        unk_token="<pad>",
        extra_special_tokens={"image_token": "<image>"},
    )
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": INPUT_PX}, crop_size={"height": INPUT_PX, "width": INPUT_PX}
        ),
        tokenizer=tokenizer,
        patch_size=8,
        vision_feature_select_strategy="full",
        num_additional_image_tokens=1,
    )
    vision = CLIPVisionConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=INPUT_PX,
        patch_size=8,
        initializer_factor=VISION_INIT_FACTOR,
    )
    text = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=96,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=160,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=None,
    )
    config = LlavaConfig(
        vision_config=vision.to_dict(),
        text_config=text.to_dict(),
        image_token_id=2,
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
    )
    LlavaForConditionalGeneration(config).save_pretrained(directory)
    processor.save_pretrained(directory)


def class_counts(scene: Scene) -> dict[str, int]:
    return {cls: scene.count(cls) for cls in SHAPE_CLASSES}


def describe(counts: dict[str, int]) -> str:
    """`two circles and one square`; `no shapes` for an empty scene."""
    parts = [f"{WORDS[n]} {cls if n == 1 else cls + 's'}" for cls, n in counts.items() if n > 0]
    if not parts:
        return "no shapes"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _scene_with(rng: np.random.Generator, style: SceneStyle, kind: str, count: int) -> Scene:
    """Draw scenes until `kind` (a class, or `shapes` for all) occurs `count` times."""
    while True:
        low = count if kind == "shapes" else min(count, style.max_shapes)
        high = count if kind == "shapes" else style.max_shapes
        scene = generate_scene(
            rng,
            min_shapes=low,
            max_shapes=high,
            min_side=style.min_side,
            max_side=style.max_side,
        )
        held = len(scene.shapes) if kind == "shapes" else scene.count(kind)
        if held == count:
            return scene


def make_record(rng: np.random.Generator, style_name: str) -> dict[str, Any]:
    """One prompt with its image and its truth (`truth`: never read by any reward)."""
    style = STYLES[style_name]
    kind = KINDS[int(rng.integers(len(KINDS)))]
    if kind == "describe":
        scene = generate_scene(
            rng, max_shapes=style.max_shapes, min_side=style.min_side, max_side=style.max_side
        )
        prompt, question, task = "<image>describe the shapes.", None, "hallucination"
        target = describe(class_counts(scene))
    else:
        top = style.max_shapes if kind == "shapes" else style.max_count
        count = int(rng.integers(top + 1))
        scene = _scene_with(rng, style, kind, count)
        noun = kind if kind == "shapes" else f"{kind}s"
        prompt, question, task = f"<image>how many {noun}?", f"How many {noun} are there?", "count"
        target = str(count)
    image = scene.image.resize((STORED_PX, STORED_PX))
    record: dict[str, Any] = {
        "prompt": prompt,
        "image": encode_png(image),
        "grounding_task": task,
        "kind": kind,
        "style": style_name,
        "target": target,
        "truth": class_counts(scene),
    }
    if question is not None:
        record["question"] = question
    return record


def labelled(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its true counts as the grounding reference (the detector is skipped)."""
    return {**record, "grounding_reference": record["truth"]}


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def write_data(
    directory: Path,
    *,
    labelled_n: int = 2000,
    unlabelled_n: int = 1500,
    eval_n: int = 150,
    seed: int = 0,
) -> None:
    """warmup.jsonl (small, labelled, base scenes), rl.jsonl (unlabelled: no reference, half
    base and half wide scenes), rl_labelled.jsonl (the same prompts with their true counts: the
    upper bound), eval.jsonl (held-out base and wide scenes with truth for the hook only).

    2,000 labelled scenes (about 1,600 count questions, 65-100 per answer of each question):
    with 400 the warm-up fits its own scenes (60% count accuracy) and stays near 35% held-out."""
    rng = np.random.default_rng(seed)
    warmup = [make_record(rng, "base") for _ in range(labelled_n)]
    pool = [make_record(rng, "base" if i % 2 == 0 else "wide") for i in range(unlabelled_n)]
    held_out = [make_record(rng, "base" if i % 2 == 0 else "wide") for i in range(2 * eval_n)]
    write_jsonl(directory / "warmup.jsonl", [labelled(r) for r in warmup])
    write_jsonl(directory / "rl.jsonl", pool)
    write_jsonl(directory / "rl_labelled.jsonl", [labelled(r) for r in pool])
    write_jsonl(directory / "eval.jsonl", held_out)


def answered_count(text: str) -> int | None:
    """A count answer: the first number, as digits or a word."""
    for token in text.replace(".", " ").replace(",", " ").split():
        if token.isdigit():
            return int(token)
        if token in WORDS:
            return WORDS.index(token)
    return None


def check_responses(
    records: Sequence[dict[str, Any]], texts: Sequence[str], truncated: Sequence[bool]
) -> dict[str, float]:
    """Held-out figures from the scenes' truth (never the detector): count accuracy per scene
    style, and CHAIR over descriptions: CHAIR_i = mentioned classes absent from the scene /
    mentioned classes, CHAIR_s = descriptions with any such class / descriptions."""
    vocab = shapes_vocabulary()
    hits: dict[str, list[bool]] = {"base": [], "wide": []}
    mentioned = hallucinated = described = with_hallucination = exact_descriptions = 0
    for record, text, cut in zip(records, texts, truncated, strict=True):
        truth: dict[str, int] = record["truth"]
        if record["kind"] == "describe":
            described += 1
            exact_descriptions += int(text.strip() == record["target"] and not cut)
            claimed = {
                c.cls for c in parse_claims(text, vocab) if c.cls != ANY_OBJECT and c.count > 0
            }
            absent = {cls for cls in claimed if truth.get(cls, 0) == 0}
            mentioned += len(claimed)
            hallucinated += len(absent)
            with_hallucination += int(bool(absent))
            continue
        answer = None if cut else answered_count(text)
        hits[record["style"]].append(answer == int(record["target"]))
    figures = {
        f"count_accuracy_{style}": sum(values) / len(values)
        for style, values in hits.items()
        if values
    }
    counted = [h for values in hits.values() for h in values]
    figures["count_accuracy"] = sum(counted) / max(len(counted), 1)
    figures["chair_i"] = hallucinated / mentioned if mentioned else 0.0
    figures["chair_s"] = with_hallucination / described if described else 0.0
    figures["description_exact"] = exact_descriptions / described if described else 0.0
    return figures
