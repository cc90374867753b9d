"""Tiny tokenizers and a tiny policy, built locally, for driving the real training frameworks.

`chat_tokenizer` is a byte-level BPE with ChatML specials (`<|im_end|>` as EOS), so decoding
round-trips text exactly, as Qwen's does. `answer_tokenizer` has whole answers as single words,
so a randomly initialised policy samples a mix of right and wrong answers.
"""

from __future__ import annotations

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_CORPUS = [
    "What is 2 + 3? Put the final answer in \\boxed{}. The answer is 5.",
    "Solve for x: x + 1 = 5. #### 4",
    "user assistant system The answer is \\boxed{12}. Let me think step by step.",
    "How many circles are in the image? There are 3 circles and 2 squares.",
]


def chat_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level BPE trained on a few sentences; exact decode, ChatML template."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_CORPUS, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = CHATML
    return fast


ANSWER_WORDS = [
    "\\boxed{4}",
    "\\boxed{5}",
    "<think>",
    "</think>",
    "<answer>",
    "</answer>",
    "4",
    "5",
]


def answer_tokenizer() -> PreTrainedTokenizerFast:
    """Whole answers and tags as words: sampled completions read like `\\boxed{4} </think>`."""
    words = ["<pad>", "<unk>", *SPECIALS, "What", "is", "2+2?", "2+3?", *ANSWER_WORDS]
    tok = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<pad>",
        unk_token="<unk>",
        additional_special_tokens=["<|im_start|>", "<|endoftext|>"],
    )
    fast.chat_template = CHATML
    return fast


def tiny_policy(tokenizer: PreTrainedTokenizerFast, seed: int = 0) -> LlamaForCausalLM:
    """A two-layer Llama from config (no download), sized for a CPU step in well under a second."""
    import torch

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config)
