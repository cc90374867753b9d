"""TRL's GRPOTrainer rewarded by mmreward, end to end on a CPU in about a minute, no downloads.

The policy is a two-layer Llama built from a config over a vocabulary of whole answers, so even
untrained it writes a mix of right and wrong ones and the rewards mean something. It is scored
by the `r1v` recipe (0.5 accuracy + 0.5 think/answer layout), one TRL reward function per
component so TRL logs `rewards/mmreward_r1v_accuracy/mean` and `.../format/mean`, plus a math
verifier function of its own.

    python examples/trl/grpo_tiny.py                      # in-process engine
    python examples/trl/grpo_tiny.py --url http://127.0.0.1:8000   # a running `mmreward serve`
"""

from __future__ import annotations

import argparse
import tempfile

import datasets
import torch
import trl
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from mmreward import LocalClient, RewardClient
from mmreward.clients.adapters import trl_component_funcs, trl_reward_func
from mmreward.settings import Settings

WORDS = ["<pad>", "<unk>", "<|im_end|>", "What", "is", "2+2?", "2+3?"]
WORDS += ["\\boxed{4}", "\\boxed{5}", "4", "5", "<think>", "</think>", "<answer>", "</answer>"]


def tokenizer() -> PreTrainedTokenizerFast:
    vocab = {word: i for i, word in enumerate(WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<pad>", unk_token="<unk>"
    )


def policy(tok: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=64,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
    )
    return LlamaForCausalLM(config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="score on this server instead of in-process")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()

    solutions = {"What is 2+2?": "4", "What is 2+3?": "5"}
    dataset = datasets.Dataset.from_dict(
        {"prompt": list(solutions) * 32, "solution": list(solutions.values()) * 32}
    )
    client = RewardClient(args.url) if args.url else LocalClient(Settings(sandbox_workers=1))
    reward_funcs = [
        trl_reward_func(client, verifier="math", name="math_accuracy"),
        *trl_component_funcs(client, "r1v", ["accuracy", "format"]),
    ]
    tok = tokenizer()
    with tempfile.TemporaryDirectory() as out:
        config = trl.GRPOConfig(
            output_dir=out,
            per_device_train_batch_size=8,
            num_generations=4,
            max_completion_length=6,
            max_steps=args.steps,
            logging_steps=1,
            learning_rate=3e-3,
            beta=0.0,
            report_to="none",
            save_strategy="no",
            use_cpu=True,
        )
        trainer = trl.GRPOTrainer(
            model=policy(tok),
            reward_funcs=reward_funcs,
            args=config,
            train_dataset=dataset,
            processing_class=tok,
        )
        trainer.train()
    for entry in trainer.state.log_history:
        if "rewards/math_accuracy/mean" in entry:
            print(
                f"step {entry['step']}: reward {entry['reward']:.3f}, "
                f"math {entry['rewards/math_accuracy/mean']:.3f}, "
                f"r1v accuracy share {entry['rewards/mmreward_r1v_accuracy/mean']:.3f}, "
                f"r1v format share {entry['rewards/mmreward_r1v_format/mean']:.3f}"
            )
    client.close()


if __name__ == "__main__":
    main()
