"""A small digit-level tokenizer for PRMs trained from scratch.

Every digit is its own token, so arithmetic on numbers of any length is learnable from a handful
of embeddings; runs of letters become words through a small BPE trained on the corpus (falling back
to single letters); punctuation and the newline separator are single tokens; spaces and tabs are
dropped (they carry nothing in step-by-step arithmetic). The result is a standard
`PreTrainedTokenizerFast`, so a checkpoint that uses it loads with `AutoTokenizer`.
"""

from __future__ import annotations

import string
from collections.abc import Iterable

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ("<pad>", "<unk>", "<bos>", "<eos>")
_ALPHABET = [*list(string.ascii_letters + string.digits + string.punctuation), "\n"]


def build_step_tokenizer(corpus: Iterable[str], vocab_size: int = 128) -> PreTrainedTokenizerFast:
    """Train the word merges on ``corpus`` and wrap the result for transformers."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(r"[ \t]+"), behavior="removed"),
            pre_tokenizers.Split(Regex(r"\d|[A-Za-z]+|\n|[^A-Za-z\d\s]"), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.BPEDecoder()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=_ALPHABET,
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<bos>",
        eos_token="<eos>",
    )
