"""Labelled cases for the chart, choice and format verifiers.

`correct` is what a careful grader would award: 1 only when the response verifiably gives the
right answer in the expected form. Hedging ("A or B", two different boxes) and answers we would
have to guess from reasoning text are labelled wrong, as the task defines them. `topic` names
what a case exercises; `bench/chartqa_relaxed.py` counts disagreements with ChartQA's relaxed
accuracy by topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    verifier: str
    response: str
    reference: Any
    correct: bool
    topic: str
    options: list[str] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.verifier}-{self.topic}-{self.response[:40]!r}-{self.reference!r}"


CITIES = ["Paris", "London", "Berlin", "Rome"]
SHADES = ["red", "dark red", "blue", "green"]
COUNTS = ["12", "15", "18", "21"]
LABELLED_COUNTS = ["A. 12", "B. 15", "C. 18", "D. 21"]

_LONG_PROSE = (
    "Looking at the chart, the bar for 2016 is the tallest and reaches 45, while the bars "
    "for 2015 and 2014 stay lower at 40 and 30 respectively, so growth slowed."
)
_LONG_CHOICE = (
    "Let me compare the options one by one. The first is far too small and the second is too "
    "large for the chart, while the third and the fourth both look plausible at first sight."
)


def _chart(response: str, reference: Any, correct: bool, topic: str) -> Case:
    return Case("chart", response, reference, correct, topic)


def _choice(
    response: str, reference: Any, correct: bool, topic: str, options: list[str] | None = None
) -> Case:
    return Case(
        "choice", response, reference, correct, topic, CITIES if options is None else options
    )


def _format(response: str, spec: str, correct: bool, topic: str, **params: Any) -> Case:
    return Case("format", response, None, correct, topic, params={"spec": spec, **params})


CHART = [
    _chart("45", "45", True, "number"),
    _chart("45.0", "45", True, "number"),
    _chart("44", "45", True, "tolerance"),
    _chart("47.2", "45", True, "tolerance"),
    _chart("47.4", "45", False, "tolerance"),
    _chart("40", "45", False, "tolerance"),
    _chart("0.61", "0.6", True, "tolerance"),
    _chart("0.7", "0.6", False, "tolerance"),
    _chart("1,234", "1234", True, "thousands_separator"),
    _chart("12,345,678", "12345678", True, "thousands_separator"),
    _chart("12345678", "12,345,678", True, "thousands_separator"),
    _chart("\u221212", "-12", True, "unicode_minus"),
    _chart("12", "-12", False, "sign"),
    _chart("\u22125%", "-5%", True, "unicode_minus"),
    _chart("$45", "45", True, "currency"),
    _chart("\u20ac1,200", "1200", True, "currency"),
    _chart("45 USD", "45", True, "currency"),
    _chart("$45", "$45", True, "currency"),
    _chart("-$5", "-5", True, "currency"),
    _chart("2015", "2015", True, "year"),
    _chart("2014", "2015", False, "year"),
    _chart("2016", "2015", False, "year"),
    _chart("1999", "2000", False, "year"),
    _chart("1980", "2000", False, "year"),
    _chart(r"\boxed{2015}", "2015", True, "extraction"),
    _chart("The answer is 2014.", "2015", False, "year"),
    _chart("0", "0", True, "zero"),
    _chart("0.0", "0", True, "zero"),
    _chart("0.1", "0", False, "zero"),
    _chart("0.001", "0", False, "zero"),
    _chart("45%", "45", True, "percent"),
    _chart("45%", "0.45", True, "percent"),
    _chart("0.45", "45%", True, "percent"),
    _chart("45", "45%", True, "percent"),
    _chart("45 percent", "45%", True, "percent"),
    _chart("45 per cent", "45", True, "percent"),
    _chart("4.5%", "45%", False, "percent"),
    _chart("46%", "45%", True, "percent"),
    _chart("The answer is 45%", "45", True, "percent"),
    _chart(r"\boxed{45\%}", "45", True, "percent"),
    _chart("1.2 million", "1.2", True, "scale_word"),
    _chart("1.2 million", "1200000", True, "scale_word"),
    _chart("1.2M", "1.2", True, "scale_word"),
    _chart("1.2 billion", "1.2 million", False, "scale_word"),
    _chart("1,200 thousand", "1.2 million", True, "scale_word"),
    _chart("$3.5bn", "3.5", True, "scale_word"),
    _chart("250k", "250000", True, "scale_word"),
    _chart("250K", "250", True, "scale_word"),
    _chart("2.5 trillion", "2.5", True, "scale_word"),
    _chart("12 mn", "12", True, "scale_word"),
    _chart("45 thousand", "45000", True, "scale_word"),
    _chart("4.5 thousand", "45000", False, "scale_word"),
    _chart("30 kg", "30", True, "unit"),
    _chart("30 years", "30", True, "unit"),
    _chart("30\u00b0C", "30", True, "unit"),
    _chart("30 people", "35", False, "unit"),
    _chart("12.5 million tonnes", "12.5", True, "unit"),
    _chart("about 45", "45", True, "qualifier"),
    _chart("approximately 44.8", "45", True, "qualifier"),
    _chart("seven", "7", True, "number_word"),
    _chart("Seven.", "7", True, "number_word"),
    _chart("eight", "7", False, "number_word"),
    _chart("1/2", "0.5", True, "fraction"),
    _chart("The answer is 45.", "45", True, "extraction"),
    _chart("The answer is 46.5.", "45", True, "extraction"),
    _chart(r"\boxed{45}", "45", True, "extraction"),
    _chart("<answer>45</answer>", "45", True, "extraction"),
    _chart("Answer: 45", "45", True, "extraction"),
    _chart("Reading the bars from left to right.\nFinal answer: 45", "45", True, "extraction"),
    _chart(
        "<think>The bar for 2015 reads about 40, the one for 2016 about 45.</think>"
        "<answer>45</answer>",
        "45",
        True,
        "extraction",
    ),
    _chart(
        r"<think>First guess \boxed{40}, but the axis is shifted.</think> \boxed{45}",
        "45",
        True,
        "extraction",
    ),
    _chart(_LONG_PROSE, "45", False, "unmarked_long"),
    _chart("In 2015 the value was 45", "45", True, "year_context"),
    _chart("It rose from 30 to 45", "45", False, "several_numbers"),
    _chart("Between 40 and 50", "45", False, "several_numbers"),
    _chart("Germany", "Germany", True, "text"),
    _chart("germany", "Germany", True, "text"),
    _chart("  Asia  ", "Asia", True, "text"),
    _chart("The United States", "United States", True, "text_normalisation"),
    _chart("United States.", "United States", True, "text_normalisation"),
    _chart("U.S.", "US", True, "text_normalisation"),
    _chart("The median.", "median", True, "text_normalisation"),
    _chart(r"\boxed{\text{Germany}}", "Germany", True, "text_normalisation"),
    _chart("France", "Germany", False, "text"),
    _chart("Light Blue", "light blue", True, "text"),
    _chart("dark blue", "light blue", False, "text"),
    _chart("Q3 2019", "Q3 2019", True, "text"),
    _chart("Q4 2019", "Q3 2019", False, "text"),
    _chart("Germany", "45", False, "type_mismatch"),
    _chart("45", "Germany", False, "type_mismatch"),
    _chart("Yes", "Yes", True, "yes_no"),
    _chart("yes", "Yes", True, "yes_no"),
    _chart("Yes, it is.", "Yes", True, "yes_no"),
    _chart("No", "Yes", False, "yes_no"),
    _chart("No, it is not.", "No", True, "yes_no"),
    _chart(r"\boxed{\text{Yes}}", "Yes", True, "yes_no"),
    _chart("The answer is no.", "Yes", False, "yes_no"),
    _chart("France, Germany", '["Germany", "France"]', True, "list"),
    _chart("France and Germany", '["Germany", "France"]', True, "list"),
    _chart("Germany; France", ["Germany", "France"], True, "list"),
    _chart("Germany, France, Italy", '["Germany", "France"]', False, "list"),
    _chart("Germany", '["Germany", "France"]', False, "list"),
    _chart("1,200 and 3,400", '["1200", "3400"]', True, "list"),
    _chart("50, 45", "[45, 50]", True, "list"),
    _chart("45, 60", "[45, 50]", False, "list"),
    _chart("The value for Germany is 45.2%.", "45.2", True, "model_style"),
    _chart("**45**", "45", True, "model_style"),
    _chart("**Answer:** 45", "45", True, "model_style"),
    _chart("The answer is: 45", "45", True, "model_style"),
    _chart("So the answer is $45$.", "45", True, "model_style"),
    _chart("45 (2015)", "45", True, "year_context"),
    _chart("In 2019, 45% of respondents agreed.", "45", True, "year_context"),
    _chart("The difference is 5 percentage points.", "5", True, "model_style"),
    _chart("17.50", "17.5", True, "model_style"),
    _chart("2.3 billion dollars", "2.3", True, "model_style"),
    _chart("It increased by 12%", "12", True, "model_style"),
    _chart("Twenty-five", "25", True, "number_word"),
    _chart("1.5e6", "1500000", True, "scientific"),
    _chart("Brazil!", "brazil", True, "text_normalisation"),
    _chart("USA", "United States", True, "synonym"),
    _chart("the UK.", "United Kingdom", True, "synonym"),
    _chart("UK", "United States", False, "synonym"),
    _chart("The answer is 45", 45, True, "numeric_reference"),
    _chart("0.45", 0.45, True, "numeric_reference"),
    Case("chart", "(C)", "C", True, "chart_with_options", COUNTS),
    Case("chart", "18", "C", True, "chart_with_options", COUNTS),
    Case("chart", "15", "C", False, "chart_with_options", COUNTS),
]

CHOICE = [
    _choice("(C)", "C", True, "letter"),
    _choice("C", "C", True, "letter"),
    _choice("C.", "C", True, "letter"),
    _choice("C)", "C", True, "letter"),
    _choice("(b)", "B", True, "letter"),
    _choice("a", "A", True, "letter"),
    _choice("A", "A", True, "letter"),
    _choice("B. London", "C", False, "letter"),
    _choice("C. Berlin", "C", True, "letter"),
    _choice(r"\boxed{C}", "C", True, "boxed"),
    _choice(r"$\boxed{\text{C}}$", "C", True, "boxed"),
    _choice(r"\boxed{Rome}", "D", True, "boxed"),
    _choice(r"\boxed{B} so the final answer is \boxed{B}", "B", True, "boxed"),
    _choice("The answer is C.", "C", True, "phrase"),
    _choice("The answer is (B).", "C", False, "phrase"),
    _choice("Answer: C", "C", True, "phrase"),
    _choice("<answer>C</answer>", "C", True, "phrase"),
    _choice("Option D", "D", True, "phrase"),
    _choice("The correct option is D", "D", True, "phrase"),
    _choice("I think it is (D).", "D", True, "phrase"),
    _choice(
        "Answer: C\n\nExplanation: Berlin is the capital of Germany, not (A) Paris.",
        "C",
        True,
        "final_position",
    ),
    _choice(
        "<think>Paris is in France, so A is out; B is London.</think><answer>C</answer>",
        "C",
        True,
        "final_position",
    ),
    _choice(
        "<think>It could be A. Actually no, it is C.</think>\n<answer>(C) Berlin</answer>",
        "C",
        True,
        "final_position",
    ),
    _choice(_LONG_CHOICE + "\n\nFinal answer: (B)", "B", True, "final_position"),
    _choice(_LONG_CHOICE + "\nTherefore (C).", "C", True, "final_position"),
    _choice(_LONG_CHOICE, "C", False, "unmarked_long"),
    _choice("B\n\n" + _LONG_CHOICE, "B", True, "final_position"),
    _choice("**(B)**\n" + _LONG_CHOICE, "B", True, "final_position"),
    _choice("A" + _LONG_CHOICE, "A", False, "unmarked_long"),
    _choice("The correct answer is (B) London.", "B", True, "model_style"),
    _choice("**B**", "B", True, "model_style"),
    _choice("B) London", "B", True, "model_style"),
    _choice("The answer is B, London.", "B", True, "model_style"),
    _choice("Option (B)", "B", True, "model_style"),
    _choice("I would choose B.", "B", True, "model_style"),
    _choice("B is correct.", "B", True, "model_style"),
    _choice(r"The answer is \(\boxed{B}\)", "B", True, "model_style"),
    _choice("ANSWER: B", "B", True, "model_style"),
    _choice("Answer: B\nB is right because London is the capital.", "B", True, "model_style"),
    _choice(
        r"Final Answer: The final answer is $\boxed{B}$. I hope it is correct.",
        "B",
        True,
        "model_style",
    ),
    _choice("Berlin", "C", True, "option_text"),
    _choice("The answer is Berlin.", "C", True, "option_text"),
    _choice("(C) Berlin", "Berlin", True, "reference_text"),
    _choice("C", "Berlin", True, "reference_text"),
    _choice(r"\boxed{C}", "Berlin", True, "reference_text"),
    _choice("B", "Berlin", False, "reference_text"),
    _choice("A or B", "A", False, "hedge"),
    _choice("A and C", "C", False, "hedge"),
    _choice("The answer is C or D", "C", False, "hedge"),
    _choice(r"\boxed{A} ... wait, maybe \boxed{B}", "B", False, "hedge"),
    _choice("Paris or London", "A", False, "hedge"),
    _choice("A triangle has three sides, so the answer is (B).", "B", True, "article"),
    _choice("A triangle has three sides.", "A", False, "article"),
    _choice("A city on a river.", "A", False, "article"),
    _choice("None of the above", "A", False, "no_choice"),
    _choice("E", "A", False, "out_of_range"),
    _choice("dark red", "B", True, "nested_option_text", SHADES),
    _choice("red", "B", False, "nested_option_text", SHADES),
    _choice("red", "A", True, "nested_option_text", SHADES),
    _choice("15", "B", True, "labelled_options", LABELLED_COUNTS),
    _choice("B. 15", "B", True, "labelled_options", LABELLED_COUNTS),
    _choice(r"\boxed{18}", "C", True, "option_text", COUNTS),
    _choice("18", "18", True, "reference_text", COUNTS),
]

FORMAT = [
    _format("<think>x</think><answer>5</answer>", "think_answer", True, "think_answer"),
    _format(
        "<think>\nline 1\nline 2\n</think>\n<answer>\n5\n</answer>",
        "think_answer",
        True,
        "multiline",
    ),
    _format("  <think>x</think><answer>5</answer>\n", "think_answer", True, "whitespace"),
    _format("<think>a</think><answer>5</answer>\n\n", "think_answer", True, "whitespace"),
    _format("<think></think><answer>5</answer>", "think_answer", True, "empty_think"),
    _format(
        "<think>x</think>\n\n<answer>The answer is $\\frac{1}{2}$.</answer>",
        "think_answer",
        True,
        "think_answer",
    ),
    _format(
        "<think>x</think><answer>5</answer> Hope this helps!", "think_answer", False, "trailing"
    ),
    _format("Sure! <think>x</think><answer>5</answer>", "think_answer", False, "leading"),
    _format("<think>x</think>So: <answer>5</answer>", "think_answer", False, "between"),
    _format("<think>x</think><answer></answer>", "think_answer", False, "empty_answer"),
    _format("<think>x</think><answer>  </answer>", "think_answer", False, "empty_answer"),
    _format(
        "<think>x</think><answer>5</answer><answer>6</answer>", "think_answer", False, "duplicate"
    ),
    _format("<think>x<think>y</think><answer>5</answer>", "think_answer", False, "duplicate"),
    _format("<think>x</think><answer>5</answer></think>", "think_answer", False, "duplicate"),
    _format("<think>x</think>", "think_answer", False, "missing_tag"),
    _format("<answer>5</answer>", "think_answer", False, "missing_tag"),
    _format("<think>x<answer>5</answer>", "think_answer", False, "missing_tag"),
    _format("<think>x</think><answer>5", "think_answer", False, "missing_tag"),
    _format("<Think>x</Think><Answer>5</Answer>", "think_answer", False, "tag_case"),
    _format(
        "reasoning...</think><answer>5</answer>",
        "think_answer",
        True,
        "think_opened",
        think_opened=True,
    ),
    _format(
        "<think>x</think><answer>5</answer>",
        "think_answer",
        False,
        "think_opened",
        think_opened=True,
    ),
    _format(
        "<think>\r\nx\r\n</think>\r\n<answer>42</answer>\r\n", "think_answer", True, "whitespace"
    ),
    _format("<think>x</think><answer>42</answer><|im_end|>", "think_answer", False, "trailing"),
    _format(r"The answer is $\boxed{5}$.", "boxed", True, "boxed"),
    _format(r"\[\boxed{x^2+1}\]", "boxed", True, "boxed"),
    _format(r"\boxed{\frac{1}{2}}", "boxed", True, "boxed"),
    _format(r"**Final answer:** $\boxed{42}$", "boxed", True, "boxed"),
    _format(r"\boxed{5} cm", "boxed", False, "boxed_not_final"),
    _format(r"\boxed{5}. Let me double-check: yes.", "boxed", False, "boxed_not_final"),
    _format(r"\boxed{5} and \boxed{6}", "boxed", False, "boxed_count"),
    _format(r"\boxed{}", "boxed", False, "boxed_empty"),
    _format("The answer is 5.", "boxed", False, "boxed_count"),
    _format(r"\boxed{\frac{1}{2}", "boxed", False, "boxed_unbalanced"),
    _format(r"<think>2+3=5</think>The answer is \boxed{5}.", "think_boxed", True, "think_boxed"),
    _format(r"<think>maybe \boxed{4}</think> so \boxed{5}", "think_boxed", True, "think_boxed"),
    _format(r"<think>2+3=5</think>\boxed{5} \boxed{5}", "think_boxed", False, "boxed_count"),
    _format(r"The answer is \boxed{5}.", "think_boxed", False, "missing_tag"),
    _format(r"<think>x</think>\boxed{5} is my answer", "think_boxed", False, "boxed_not_final"),
]

ALL = CHART + CHOICE + FORMAT
