"""RL steps of a tiny vision-language policy on generated shape scenes, rewarded by the
detector-grounded count and hallucination rewards: image in the prompt, the same image to the
reward, and no labels, so the detector runs (with `grounding_reference` it is skipped)."""

import json

import numpy as np
import pytest
import yaml
from prometheus_client import REGISTRY
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

from mmreward.clients import LocalClient
from mmreward.grounding.images import encode_png
from mmreward.grounding.synthetic import SHAPE_CLASSES, generate_scene
from mmreward.rl.run import train
from mmreward.settings import Settings

CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 ?.<>/"


def build_vlm(directory):
    """LLaVA from config: a 1-layer CLIP on 32x32 pixels (16 patches + CLS) and a 2-layer Llama."""
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
            size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
        ),
        tokenizer=tokenizer,
        patch_size=8,
        vision_feature_select_strategy="full",
        num_additional_image_tokens=1,
    )
    vision = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    text = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=128,
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


def detected_images() -> float:
    return REGISTRY.get_sample_value("mmreward_grounding_detected_images_total") or 0.0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("algorithm", "labelled"), [("grpo", False), ("ppo", False), ("grpo", True)]
)
def test_vlm_rl_steps_with_the_grounding_count_reward(tmp_path, algorithm, labelled):
    build_vlm(tmp_path / "policy")
    # Scenes of their own per case: the detection cache never serves another case's images.
    rng = np.random.default_rng([algorithm == "ppo", labelled])
    with (tmp_path / "scenes.jsonl").open("w") as handle:
        for i in range(6):
            scene = generate_scene(rng, max_shapes=4)
            record = {"image": encode_png(scene.image)}
            if i % 2:
                record |= {"prompt": "<image>describe.", "grounding_task": "hallucination"}
            else:
                record |= {
                    "prompt": "<image>how many circles?",
                    "question": "How many circles are there?",
                }
            if labelled:
                record["grounding_reference"] = {c: scene.count(c) for c in SHAPE_CLASSES}
            handle.write(json.dumps(record) + "\n")
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    # The untrained policy almost never names a count; the length ramp gives its groups
    # differing rewards so the update has a gradient.
    (recipes / "shape_count.yaml").write_text(
        yaml.safe_dump(
            {
                "components": [
                    {"kind": "grounding", "params": {"task": "count"}},
                    {"kind": "length", "weight": 0.5, "params": {"max_len": 8, "cache_len": 6}},
                ]
            }
        )
    )
    config = {
        "algorithm": algorithm,
        "policy": "policy",
        "train_data": "scenes.jsonl",
        "eval_data": "scenes.jsonl",
        "recipe": "shape_count",
        "recipes_dir": "recipes",
        "accuracy_component": "grounding",
        "prompts_per_step": 2,
        "group_size": 6 if algorithm == "grpo" else 3,
        "generation_batch": 12,
        "max_new_tokens": 8,
        "micro_batch_size": 12,
        "max_steps": 2,
        "eval_every": 2,
        "warmup_steps": 0,
    }
    (tmp_path / "vlm.yaml").write_text(yaml.safe_dump(config))
    before = detected_images()
    train(tmp_path / "vlm.yaml", tmp_path / "out", progress=False)
    detected = detected_images() - before
    lines = [json.loads(x) for x in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [0, 1, 2]
    for line in lines[1:]:
        assert "reward/grounding" in line
        assert line["reward/length"] <= 0
    assert any(line["policy_updated"] for line in lines[1:])
    assert 0.0 <= lines[2]["eval/verifier_accuracy"] <= 1.0
    samples = [json.loads(x) for x in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    # Samples carry what their grounded reward was judged against (a count verdict without an
    # answer names none; a description's always does).
    audited = [sample for sample in samples if "detection_source" in sample]
    assert audited
    assert {sample["detection_source"] for sample in audited} == {
        "reference" if labelled else "detector"
    }
    if labelled:
        assert detected == 0  # the true counts replace the detector
    else:
        assert detected >= 6  # every scene's image went through the detector
        assert any(sample["detections"] for sample in audited)  # with what it found


def test_a_records_grounding_task_picks_the_reward_for_that_item(tmp_path):
    rng = np.random.default_rng(7)
    scene = generate_scene(rng, min_shapes=2, max_shapes=2)
    truth = {c: scene.count(c) for c in SHAPE_CLASSES}
    present = next(c for c, n in truth.items() if n)
    absent = next((c for c, n in truth.items() if n == 0), None)
    image = encode_png(scene.image)
    recipe = {"components": [{"kind": "grounding", "params": {"task": "count"}}]}
    (tmp_path / "count.yaml").write_text(yaml.safe_dump(recipe))
    with LocalClient(Settings(sandbox_workers=1, recipes_dir=tmp_path)) as client:
        items = [
            {"response": "2", "question": "How many shapes?", "image": image},
            {
                "response": f"one {present}" + (f" and one {absent}" if absent else ""),
                "image": image,
                "grounding_task": "hallucination",
                "grounding_reference": truth,
            },
        ]
        counted, described = client.reward("count", items)
    assert counted.components["grounding"].details["details"]["source"] == "detector"
    assert counted.reward == 1.0
    details = described.components["grounding"].details["details"]
    assert "chair_i" in details  # scored as a description, not as a count
    assert details["source"] == "reference"
