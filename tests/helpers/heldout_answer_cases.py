"""A second labelled suite for the chart, choice and format verifiers, written apart from
`answer_suite` in the formats real data uses: ChartQA / PlotQA / FigureQA / DocVQA-style chart
answers, MMMU / MathVista / ScienceQA / A-OKVQA-style multiple choice, and R1-style
`<think>...</think><answer>...</answer>` and `\\boxed{}` layouts.

Labels follow the documented rules (5% relative tolerance, years exact, `%` read as a fraction or
as percent points, scale words, units and articles ignored, unordered lists, hedging scores 0)
and otherwise what a demanding grader awards; `why` explains the labels that are not obvious.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HeldoutCase:
    verifier: str
    form: str
    response: str
    reference: Any
    correct: bool
    why: str = ""
    options: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        extra = "".join(f"|{k}={v}" for k, v in self.params.items() if k != "spec")
        return f"{self.verifier}:{self.form}:{self.reference!r}|{self.response[-40:]!r}{extra}"


Row = tuple[Any, ...]


def _chart(form: str, rows: list[Row]) -> list[HeldoutCase]:
    return [HeldoutCase("chart", form, r[0], r[1], r[2], r[3] if len(r) > 3 else "") for r in rows]


def _choice(form: str, options: Any, rows: list[Row]) -> list[HeldoutCase]:
    return [
        HeldoutCase("choice", form, r[0], r[1], r[2], r[3] if len(r) > 3 else "", options)
        for r in rows
    ]


def _format(spec: str, rows: list[Row], **params: Any) -> list[HeldoutCase]:
    return [
        HeldoutCase(
            "format",
            spec,
            r[0],
            None,
            r[1],
            r[2] if len(r) > 2 else "",
            None,
            {"spec": spec, **params},
        )
        for r in rows
    ]


CHART: list[HeldoutCase] = [
    *_chart(
        "percent",
        [
            ("12.5%", 0.125, True, "a percent is also read as a fraction"),
            ("12.5%", "12.5", True, "percent points"),
            ("12.5", "12.5%", True, "the reference's % restates the axis"),
            ("0.125", "12.5%", True, "fraction of a percent reference"),
            ("45 percent", 45, True),
            ("45 per cent", "45%", True),
            ("45%", 4.5, False, "neither 0.45 nor 45 is within 5% of 4.5"),
            ("−2.3%", -2.3, True, "unicode minus"),
            ("-2.3%", "2.3%", False, "sign matters"),
            ("The share rose to 38%.", "38", True),
            ("38%", 40, True, "within 5% of 40"),
            ("Answer: 61.5%", "61.5", True),
        ],
    ),
    *_chart(
        "scale",
        [
            ("1.2 million", 1200000, True),
            ("1.2 million", "1.2", True, "the scale word restates an axis in millions"),
            ("1.2 million", "1.2 billion", False, "both scales written and they differ"),
            ("$3.4B", 3400000000, True),
            ("$3.4B", "3.4", True, "axis in billions of dollars"),
            ("$3.4B", "3.4 billion", True),
            ("$3.4B", "3.4 million", False, "scales differ"),
            ("250k", 250000, True),
            ("250K", "250", True, "axis in thousands"),
            ("1.5bn", "1.5 billion", True),
            ("2 trillion", 2e12, True),
            ("£1.2m", 1200000, True, "lower-case m after a currency sign is million"),
            ("$5m", 5000000, True),
            ("12m", 12000000, False, "without a currency, 12m is 12 metres"),
            ("12m", 12, True, "a unit"),
            ("USD 3.4 billion", 3.4, True),
            ("1.5 million dollars", 1500000, True),
            ("2,500,000", "2.5 million", True),
            ("7.3 mn", 7.3, True),
            ("12 thousand", 12000, True),
        ],
    ),
    *_chart(
        "hedge_words",
        [
            ("approximately 45", 45, True, "a hedge word on one number is still one answer"),
            ("about 45", "45", True),
            ("around 44.5", 45, True),
            ("roughly 1.2 million", 1200000, True),
            ("~45", 45, True),
            ("more than 45", 45, False, "a bound, not the value"),
            ("at least 45", "45", False, "a bound, not the value"),
            ("less than 1%", "1", False, "a bound, not the value"),
            ("over 1.2 million", "1.2", False, "a bound, not the value"),
            ("45 or 50", 45, False, "two candidate answers"),
            ("between 40 and 50", 45, False, "a range is not a value"),
            ("40-50", 45, False, "a range is not a value"),
        ],
    ),
    *_chart(
        "years",
        [
            ("2019", 2020, False, "years match exactly, not within 5%"),
            ("2019", "2019", True),
            ("In 2019.", 2019, True),
            ("1990", "1991", False),
            ("The peak was in 2016.", "2016", True),
            ("1500", 1520, False, "4-digit integers in 1000-2100 are exact"),
            ("2500", 2510, True, "outside 1000-2100: 5% tolerance"),
            ("2015", "2014", False),
            ("Q3 2019", "Q3 2019", True),
            ("2019, with 45 units", "2019", True, "a year reference: the one year is the answer"),
            ("2018 or 2019", "2019", False, "two years"),
            ("FY2019", "2019", True),
            ("1990s", "1990s", True),
            ("1980s", "1990s", False),
            ("Q4 2019", "Q3 2019", False),
        ],
    ),
    *_chart(
        "signed",
        [
            ("-3.5", -3.5, True),
            ("−3.5", "-3.5", True, "unicode minus"),
            ("3.5", -3.5, False, "sign flipped"),
            ("+5", 5, True),
            ("-12%", "-12", True),
            ("-0.8", "0.8", False),
        ],
    ),
    *_chart(
        "tolerance",
        [
            ("46", 45, True, "2.2% off"),
            ("48", 45, False, "6.7% off"),
            ("45.5", "45", True),
            ("3.14", 3.14159, True),
            ("0", 0, True),
            ("0.0", "0", True),
            ("0.1", 0, False, "a reference of 0 needs an exact match"),
            ("45.0", 45, True),
            ("1/4", 0.25, True),
            ("1/4", "25%", True),
            ("1.2e6", 1200000, True),
            ("0.5", "1/2", True),
            ("0.45", "45", False, "a fraction for a percent-point reference written without %"),
            ("2019.0", "2019", True),
            ("6.5", "6.50", True),
        ],
    ),
    *_chart(
        "thousands",
        [
            ("1,234", 1234, True),
            ("1,234", 1.234, False),
            ("1,234.5", "1234.5", True),
            ("12,345,678", 12345678, True),
            ("\\boxed{1{,}234}", "1234", True, "LaTeX thousands separator"),
            ("1,234 and 5,678", [1234, 5678], True),
            ("The total is 1,234 units.", "1234", True),
        ],
    ),
    *_chart(
        "units",
        [
            ("45 kg", 45, True),
            ("45kg", "45", True),
            ("45", "45 kg", True, "the reference's unit restates the axis"),
            ("45 people", 45, True),
            ("$12.50", 12.5, True),
            ("€12.5", "12.5", True),
            ("12.5 USD", 12.5, True),
            ("45 years", 45, True),
            ("45 km", "50 km", False),
            ("18 °C", 18, True),
        ],
    ),
    *_chart(
        "yes_no",
        [
            ("Yes", "Yes", True),
            ("yes.", "Yes", True),
            ("YES", "yes", True),
            ("No, it is not.", "No", True),
            ("Yes, the red bar is higher.", "Yes", True),
            ("Yes", "No", False),
            ("No.", "Yes", False),
            ("True", "Yes", True, "True answers a yes/no question with yes"),
            ("True", "No", False),
            ("yes", "True", True),
            ("Yes or no", "Yes", False, "both"),
            ("Answer: Yes", "Yes", True),
            ("False", "No", True, "False answers a yes/no question with no"),
            ("yes and no", "Yes", False, "both"),
            ("<answer>no</answer>", "No", True),
        ],
    ),
    *_chart(
        "entity",
        [
            ("the United States", "United States", True, "articles ignored"),
            ("United States.", "united states", True),
            ("The answer is Asia.", "Asia", True),
            ("Germany", "France", False),
            ("Light Blue", "light blue", True),
            ("Dark Green", "Green", False, "a different colour"),
            ("An apple", "apple", True),
            ("North-East", "north east", True, "punctuation insensitive"),
            ("Bosnia and Herzegovina", "Bosnia and Herzegovina", True),
            ("New York", "New York City", False, "a different (shorter) name"),
            ("Paris", "Paris, France", False, "a demanding grader wants the full label"),
            ("\\boxed{\\text{Canada}}", "Canada", True),
            ("**Brazil**", "Brazil", True, "markdown emphasis"),
            ("'Mexico'", "Mexico", True, "quotes"),
            ("Blue", 45, False),
            ("45", "Blue", False),
            ("Facebook", "facebook", True),
            ("the 18-29 age group", "18-29", True, "a category label with a hyphen"),
            ("65+", "65+", True),
            ("18-29", "30-49", False),
            ("The U.S.", "US", True, "punctuation and article dropped"),
            ("Ukraine", "the Ukraine", True),
            ("Not applicable", "N/A", False, "no synonym table"),
        ],
    ),
    *_chart(
        "list",
        [
            ("Germany, France", ["France", "Germany"], True, "unordered"),
            ("Germany and France", ["France", "Germany"], True),
            ("France", ["France", "Germany"], False, "incomplete"),
            ("France, Germany, Italy", ["France", "Germany"], False, "an extra item"),
            ("Germany, France", '["France", "Germany"]', True, "JSON-list reference"),
            ("20, 10", [10, 20], True),
            ("10 and 20", "[10, 20]", True),
            ("10, 25", [10, 20], False),
            ("Serbia, Bosnia and Herzegovina", ["Bosnia and Herzegovina", "Serbia"], True),
            ("Germany; France", ["France", "Germany"], True, "semicolon separator"),
            ("Canada and the United States", ["United States", "Canada"], True),
            (
                "Serbia, Bosnia & Herzegovina",
                ["Bosnia & Herzegovina", "Serbia"],
                True,
                "'&' inside a name",
            ),
            ("France, France", ["France", "Germany"], False, "repeated item"),
        ],
    ),
    *_chart(
        "number_words",
        [
            ("twelve", 12, True),
            ("There are three bars.", 3, True, "the one number in the sentence, in words"),
            ("two million", 2000000, True),
            ("one hundred", 100, True),
            ("Forty-five percent", 45, True),
            ("3 times", "3", True),
            ("Twelve.", "12", True),
            ("twenty-five", 25, True),
            ("eleven", 12, False),
            ("There are three bars above 50.", 3, True),
            ("one", "1", True),
            ("zero", 0, True),
        ],
    ),
    *_chart(
        "sentence",
        [
            ("The highest value is 45 in 2019.", 45, True, "the answer stated, with its year"),
            ("The answer is 45.", 45, True),
            ("So the final answer is 45%.", 45, True),
            ("Answer: 45", "45", True),
            ("\\boxed{45}", 45, True),
            ("<answer>45</answer>", 45, True),
            (
                "The bars are 30, 40 and 45. The largest is 45, so the answer is 45.",
                45,
                True,
            ),
            ("Therefore, the answer is 2019.", 2019, True),
            ("The difference is 12 (45 minus 33).", 12, True, "the stated answer leads"),
            ("", 45, False, "empty"),
            ("N/A", 45, False),
            ("I cannot determine the value from the chart.", 45, False),
        ],
    ),
    *_chart(
        "ratio",
        [
            ("3:1", "3:1", True),
            ("3:1", "1:3", False, "order of a ratio matters"),
            ("5:4", 1.25, True, "a ratio is its quotient"),
            ("3:1", 3, True),
            ("0.5", "1:2", True),
            ("1:2", "2:1", False),
            ("10:30", "10:31", False, "a ratio (or time) reference is exact, not within 5%"),
            ("1.25", "5:4", True),
        ],
    ),
]

FOUR = ["12", "15", "18", "21"]
CITIES = ["Paris", "London", "New York City", "Rome"]
SHADES = ["red", "dark red", "blue", "green"]
VALUES = ["0.5", "1.25", "2", "3"]
DIGITS = ["1", "2", "3", "4"]

CHOICE: list[HeldoutCase] = [
    *_choice(
        "letter",
        FOUR,
        [
            ("(B)", "B", True),
            ("B.", "B", True),
            ("Answer: B", "B", True),
            ("The answer is B) 15", "B", True),
            ("B", "B", True),
            ("b", "B", True, "a lone lowercase letter names the option"),
            ("\\boxed{B}", "B", True),
            ("\\boxed{(B)}", "B", True),
            ("\\boxed{\\text{B}}", "B", True),
            ("The answer is (b).", "B", True),
            ("Option B", "B", True),
            ("The correct option is (B).", "B", True),
            ("**B**", "B", True),
            ("B: 15", "B", True),
            ("<answer>B</answer>", "B", True),
            ("<think>A looks close but is 12.</think><answer>B</answer>", "B", True),
            ("Answer: (D)", "D", True),
            ("The answer is C", "B", False),
            ("A or B", "B", False, "hedging"),
            ("B and C", "B", False, "two choices"),
            ("(C) 15", "B", False, "letter and text disagree"),
            ("I think it's B. Wait, actually C.", "B", False, "the final choice is C"),
            ("not A but B", "B", True, "A is rejected, B is the final choice"),
            (
                "Option A is 12 and option B is 15, which matches, so the answer is B.",
                "B",
                True,
            ),
            ("Let's compute 3*5 = 15. So the answer is B.", "B", True),
            ("(B)", "(B)", True, "reference written with parentheses"),
            ("B", "b", True, "lowercase reference letter"),
            ("B is the correct answer.", "B", True),
            ("Neither A nor B; the answer is D.", "D", True),
            ("Choice B", "B", True),
            ("The answer is not B.", "B", False, "B is rejected; no choice is named"),
            ("It's not A, but B", "B", True),
            ("not (A), but rather (B).", "B", True),
            ("**(C) 18**", "C", True),
            ("The correct answer is option C: 18.", "C", True),
            ("Final Answer: The final answer is $\\boxed{C}$", "C", True),
            ("answer: c", "C", True),
            ("", "B", False),
            ("I don't know.", "B", False),
        ],
    ),
    *_choice(
        "text",
        FOUR,
        [
            ("15", "B", True, "the option's text"),
            ("15.", "B", True),
            ("The answer is 15.", "B", True),
            ("\\boxed{15}", "B", True),
            ("B", "15", True, "reference given as the option text"),
            ("18", "B", False),
            ("B", 1, True, "an integer reference is a 0-based index (ScienceQA, A-OKVQA)"),
            ("C", 1, False),
            ("B", 15, True, "an integer beyond the options is the option's text"),
        ],
    ),
    *_choice(
        "text_normalised",
        CITIES,
        [
            ("new york city.", "C", True),
            ("The answer is New York City", "C", True),
            ("New York", "C", False, "not an option's full text"),
            ("paris", "A", True),
            ("A bar chart shows the answer is C", "C", True, "the article 'A' is no choice"),
            ("A bar chart shows the answer is C", "A", False),
            ("London", "London", True),
            ("Rome", "Paris", False),
        ],
    ),
    *_choice(
        "nested_text",
        SHADES,
        [
            ("dark red", "B", True),
            ("red", "B", False, "'red' is option A, not B"),
            ("red", "A", True),
            ("Dark Red.", "B", True),
        ],
    ),
    *_choice(
        "numeric_value",
        VALUES,
        [
            ("1.250", "B", True, "option matched by value"),
            ("5/4", "B", True, "option matched by value"),
            ("1.3", "B", False, "options are exact"),
            ("The answer is 2.", "C", True),
            ("2.0", "C", True),
        ],
    ),
    *_choice(
        "digit_options",
        DIGITS,
        [
            ("2", "B", True),
            ("B", "B", True),
            ("1", "B", False),
        ],
    ),
    *_choice(
        "yes_no_options",
        ["Yes", "No"],
        [
            ("Yes", "A", True),
            ("yes.", "A", True),
            ("No", "A", False),
            ("B", "No", True),
        ],
    ),
    *_choice(
        "labelled_options",
        ["A. 12", "B. 15", "C. 18", "D. 21"],
        [
            ("15", "B", True, "options carry their own labels"),
            ("(B)", "B", True),
            ("B. 15", "B. 15", True),
            ("21", "B", False),
        ],
    ),
    *_choice(
        "dict_options",
        {"A": "weather", "B": "climate"},
        [
            ("climate", "B", True, "options given as a letter -> text mapping"),
            ("A", "B", False),
            ("(B)", "climate", True),
        ],
    ),
    *_choice(
        "article_options",
        ["A cat", "A dog"],
        [
            ("Answer: A", "A", True),
            ("A cat", "A", True, "the option's text, not the letter A"),
            ("A dog", "A", False, "the option's text, not the letter A"),
        ],
    ),
    *_choice(
        "percent_options",
        ["25%", "50%", "75%"],
        [
            ("The answer is 50%", "B", True),
            ("0.5", "B", True, "0.5 is 50%, as chart answers read it"),
            ("0.25", "B", False),
        ],
    ),
    *_choice(
        "many_options",
        ["a", "b", "c", "d", "e", "f"],
        [
            ("I think the answer is E", "E", True),
            ("F", "F", True),
            ("(e)", "E", True),
        ],
    ),
    *[
        HeldoutCase("chart", "with_options", r, ref, ok, why, FOUR)
        for r, ref, ok, why in [
            ("(C)", "C", True, "chart hands options to choice"),
            ("18", "C", True, "chart hands options to choice"),
            ("21", "C", False, ""),
        ]
    ],
]

FORMAT: list[HeldoutCase] = [
    *_format(
        "think_answer",
        [
            ("<think>reason</think><answer>42</answer>", True),
            ("<think>\nline1\nline2\n</think>\n<answer>\n42\n</answer>\n", True, "newlines"),
            ("<think>r</think> <answer>42</answer>", True),
            ("<think>r</think>\n\n<answer>42</answer>", True),
            ("  <think>r</think><answer>42</answer>  ", True, "surrounding whitespace"),
            ("<think>r</think><answer>42</answer> Hope this helps", False, "text after"),
            ("Sure! <think>r</think><answer>42</answer>", False, "text before"),
            ("<think>r</think>The answer:<answer>42</answer>", False, "text between"),
            ("<answer>42</answer>", False, "no think"),
            ("<think>r</think>", False, "no answer"),
            ("<think>r</think><answer></answer>", False, "empty answer"),
            ("<think>r</think><answer>  \n </answer>", False, "blank answer"),
            ("<think>r<think>s</think></think><answer>42</answer>", False, "nested think"),
            ("<think>a</think><think>b</think><answer>42</answer>", False, "two think blocks"),
            ("<think>r</think><answer>4</answer><answer>2</answer>", False, "two answers"),
            ("<think>r</think><answer>42", False, "unclosed answer"),
            ("<think>r<answer>42</answer>", False, "unclosed think"),
            ("<THINK>r</THINK><ANSWER>42</ANSWER>", False, "tags are lowercase"),
            ("<think>r</think><answer>The answer is <b>42</b></answer>", True, "markup inside"),
            ("<think>r</think><answer>\\boxed{42}</answer>", True),
            ("<think>r</think><answer>4<answer>2</answer></answer>", False, "nested answer"),
            (
                "<think>a <answer>x</answer></think><answer>b</answer>",
                False,
                "each tag appears once, the think block included",
            ),
            ("<think>a</think>\r\n<answer>b</answer>\r\n", True, "CRLF line ends"),
            ("<think>a</think><answer>b</answer><|im_end|>", False, "a chat token left in"),
            ("", False, "empty"),
            ("<think>r</think><answer>42</answer></answer>", False, "stray closing tag"),
            (
                "<think>\n</think>\n<answer>b</answer>",
                True,
                "empty thinking (thinking switched off)",
            ),
            ("<think>a</think>\n<answer>b</answer>\n\n", True),
            ("<think>r</think></think><answer>42</answer>", False, "stray closing tag"),
        ],
    ),
    *_format(
        "think_answer",
        [
            ("reason</think><answer>42</answer>", True, "the prompt opened <think>"),
            (
                "<think>reason</think><answer>42</answer>",
                False,
                "a second <think> after the prompt's",
            ),
            ("reason<answer>42</answer>", False, "no </think>"),
        ],
        think_opened=True,
    ),
    *_format(
        "boxed",
        [
            ("So the answer is \\boxed{42}.", True),
            ("\\boxed{\\frac{1}{2}}", True, "nested braces"),
            ("\\boxed{42} and \\boxed{43}", False, "two boxes"),
            ("The answer is 42.", False, "no box"),
            ("\\boxed{}", False, "empty box"),
            ("\\boxed{\\frac{1}{2}", False, "unbalanced"),
            ("$\\boxed{42}$", True),
            ("**Final Answer**\n\\[\\boxed{42}\\]", True),
            ("\\boxed{\\text{(B)}}", True),
            ("\\boxed{\\left\\{1, 2\\right\\}}", True, "escaped braces inside"),
            ("\\boxed{42}. Let me double-check: 6*7=42, yes.", False, "the box must end it"),
        ],
    ),
    *_format(
        "think_boxed",
        [
            ("<think>r</think> The answer is \\boxed{42}.", True),
            ("<think>r</think>\\boxed{42}", True),
            ("The answer is \\boxed{42}", False, "no think"),
            ("<think>r</think>", False, "no box"),
            ("<think>r</think> \\boxed{41} or \\boxed{42}", False, "two boxes"),
        ],
    ),
]

CASES: list[HeldoutCase] = [*CHART, *CHOICE, *FORMAT]
