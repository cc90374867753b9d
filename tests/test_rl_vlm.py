"""RL steps of a tiny vision-language policy on generated shape scenes, rewarded by the
detector-grounded count reward: image in the prompt, the same image to the reward."""

import json

import numpy as np
import pytest
import yaml
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

from mmreward.grounding.images import encode_png
from mmreward.grounding.synthetic import generate_scene
from mmreward.rl.run import train

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


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["grpo", "ppo"])
def test_vlm_rl_steps_with_the_grounding_count_reward(tmp_path, algorithm):
    build_vlm(tmp_path / "policy")
    rng = np.random.default_rng(0)
    with (tmp_path / "scenes.jsonl").open("w") as handle:
        for _ in range(6):
            scene = generate_scene(rng, max_shapes=4)
            record = {
                "prompt": "<image>how many circles?",
                "question": "How many circles are there?",
                "image": encode_png(scene.image),
                "grounding_reference": scene.count("circle"),
            }
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
        "group_size": 3 if algorithm == "grpo" else 2,
        "generation_batch": 6,
        "max_new_tokens": 8,
        "micro_batch_size": 6,
        "max_steps": 2,
        "eval_every": 2,
        "warmup_steps": 0,
    }
    (tmp_path / "vlm.yaml").write_text(yaml.safe_dump(config))
    train(tmp_path / "vlm.yaml", tmp_path / "out", progress=False)
    lines = [json.loads(x) for x in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [0, 1, 2]
    for line in lines[1:]:
        assert "reward/grounding" in line
        assert line["reward/length"] <= 0
    assert lines[2]["policy_updated"] is True
    assert 0.0 <= lines[2]["eval/verifier_accuracy"] <= 1.0
