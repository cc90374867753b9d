"""LaTeX (and plain-text math) answers -> `mathtree` nodes, without sympy and without eval.

`normalize` rewrites notational variants into one spelling (`normalize.py`), `tokenize` splits
it (`tokens.py`), `parse_answer` builds the tree (`parser.py`); worded answers are told apart
and put in plain words by `words.py`. Anything the parser does not know raises `LatexError`
and the caller falls back to latex2sympy2 inside the sandbox.
"""

from mmreward.verifiers.latex.errors import LatexError, TooComplexError
from mmreward.verifiers.latex.normalize import normalize
from mmreward.verifiers.latex.parser import MAX_ANSWER_CHARS, MAX_DEPTH, parse_answer
from mmreward.verifiers.latex.tokens import (
    MAX_LITERAL_DIGITS,
    MAX_TOKENS,
    parse_number_token,
    tokenize,
)
from mmreward.verifiers.latex.words import is_worded, text_form

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_DEPTH",
    "MAX_LITERAL_DIGITS",
    "MAX_TOKENS",
    "LatexError",
    "TooComplexError",
    "is_worded",
    "normalize",
    "parse_answer",
    "parse_number_token",
    "text_form",
    "tokenize",
]
