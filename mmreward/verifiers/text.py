"""Text rules the verifiers share: the LaTeX commands that wrap plain words, and short-answer
normalisation (chart, choice).

SQuAD-style: case, articles, punctuation and spacing carry no meaning in a short answer, so
"The U.S." and "us" compare equal. Linear time, no regex backtracking.
"""

from __future__ import annotations

import re
import unicodedata

TEXT_COMMAND = r"\\(?:text|mbox|mathrm|textrm|textnormal|textit|textbf|textsf)"
"""A LaTeX command whose argument is plain text (`\\text{ km}`, `\\mbox{Yes}`): its words are
the answer's words, whichever verifier reads them."""
CORRECTION = (
    r"no,?\s+wait|wait|actually|on\s+(?:second\s+thought|(?:further\s+)?reflection)|correction|"
    r"i\s+mean|scratch\s+that|chang(?:e|ed|ing)\s+my\s+mind|sorry|oops"
)
"""Words that take back what came before (`5. No wait, 6`): what follows them is the answer."""
_ARTICLES = frozenset({"a", "an", "the"})
_LATEX_WRAPPER = re.compile(rf"(?:{TEXT_COMMAND}|\\mathbf|\\operatorname)\s*\{{([^{{}}]*)\}}")


def strip_latex_wrappers(text: str) -> str:
    """`\\text{Paris}` -> `Paris`, and drop `$` math delimiters: answers are often typeset."""
    text = _LATEX_WRAPPER.sub(r"\1", text)
    return text.replace("$", "")


def normalize_text(text: str) -> str:
    """Lower-case, drop punctuation and the articles a/an/the, collapse whitespace."""
    text = unicodedata.normalize("NFKC", strip_latex_wrappers(text)).casefold()
    kept = "".join(char for char in text if not unicodedata.category(char).startswith("P"))
    return " ".join(word for word in kept.split() if word not in _ARTICLES)


def after_reasoning(response: str) -> str:
    """The part after the last `</think>`, when something follows it; else the whole response.

    A draft answer inside the reasoning is not the final answer, and self-correction there is
    not hedging.
    """
    close = response.rfind("</think>")
    if close < 0:
        return response
    rest = response[close + len("</think>") :]
    return rest if rest.strip() else response
