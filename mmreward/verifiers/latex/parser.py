"""A small recursive-descent parser for the notation final answers use: numbers, `\\frac`,
radicals, powers, functions, constants, sets, tuples, intervals, unions, relations, matrices,
sums, products and definite integrals. Bounded (characters, tokens, nesting), so it runs on
hostile input in the caller; anything it does not know raises `LatexError`."""

from __future__ import annotations

import itertools
import re
from fractions import Fraction
from functools import lru_cache

from mmreward.verifiers.latex.errors import LatexError, TooComplexError
from mmreward.verifiers.latex.tokens import Token, parse_number_token, tokenize
from mmreward.verifiers.latex.words import is_worded, text_form
from mmreward.verifiers.mathtree import (
    ONE,
    ZERO,
    Add,
    Const,
    Degrees,
    Div,
    Func,
    Interval,
    Matrix,
    Mul,
    Neg,
    Node,
    Num,
    Percent,
    PlusMinus,
    Pow,
    Ratio,
    Relation,
    RelOp,
    Seq,
    Sym,
    Text,
    Union,
)
from mmreward.verifiers.numbers import NotExact, exact_value

MAX_ANSWER_CHARS = 4000
MAX_DEPTH = 60

_RELATIONS: dict[str, RelOp] = {
    "=": "=", "<": "<", ">": ">", "<=": "<=", "=<": "<=", ">=": ">=", "=>": ">=", "!=": "!=",
    "\\le": "<=", "\\ge": ">=", "\\ne": "!=", "\\approx": "=", "\\equiv": "=",
}  # fmt: skip
_GREEK = frozenset(
    re.findall(
        r"\w+",
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi rho sigma tau "
        "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi Omega",
    )
)
_INVERSE = {"sin": "asin", "cos": "acos", "tan": "atan", "cot": "acot"}
_SAME_NAME = ("sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "exp", "ln", "log")
_FUNCTIONS = {name: name for name in _SAME_NAME} | {"lg": "log10"}
_FUNCTIONS |= {f"arc{name}": inverse for name, inverse in _INVERSE.items()}
_MATRIX_ENVS = frozenset(
    {"pmatrix", "bmatrix", "Bmatrix", "matrix", "smallmatrix", "array", "vmatrix"}
)


_OPERATOR_KINDS = frozenset({"punct", "cmd", "rel"})
_PLAIN_NUMBER = re.compile(r"(-?)([0-9]+(?:\.[0-9]+)?)")


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    # token helpers
    def peek(self) -> Token:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def next(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def at(self, *texts: str) -> bool:
        """Whether the next token is one of these operators (asked ~40 times a parse)."""
        if self.i >= len(self.tokens):
            return False
        kind, text = self.tokens[self.i]
        return text in texts and kind in _OPERATOR_KINDS

    def accept(self, *texts: str) -> bool:
        """Take the next token when it is one of these operators (`at`, then a step)."""
        if self.i >= len(self.tokens):
            return False
        kind, text = self.tokens[self.i]
        found = text in texts and kind in _OPERATOR_KINDS
        self.i += found
        return found

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise LatexError(f"expected {text!r}, found {self.peek()[1]!r}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooComplexError("answer is nested too deeply")

    def leave(self) -> None:
        self.depth -= 1

    # grammar
    def parse(self) -> Node:
        items = self.items(frozenset())
        if self.peek()[0] != "end":
            raise LatexError(f"unexpected {self.peek()[1]!r}")
        return items[0] if len(items) == 1 else Seq("list", tuple(items))

    def items(self, closers: frozenset[str]) -> list[Node]:
        """Comma/semicolon separated items up to (not including) a closer or the end."""
        items: list[Node] = []
        while True:
            items.append(self.relation())
            if not self.is_separator():
                return items
            while self.is_separator():
                self.i += 1
            if self.at(*closers) or self.peek()[0] == "end":
                return items  # a trailing comma

    def is_separator(self) -> bool:
        kind, text = self.peek()
        if kind == "text":
            return text.lower() in ("or", "and", ",", "")
        return kind == "punct" and text in (",", ";")

    def relation(self) -> Node:
        items = [self.ratio()]
        ops: list[RelOp] = []
        while True:
            kind, text = self.peek()
            op = _RELATIONS.get(text) if kind in ("punct", "rel", "cmd") else None
            if op is None:
                break
            self.i += 1
            ops.append(op)
            items.append(self.ratio())
        return Relation(tuple(items), tuple(ops)) if ops else items[0]

    def ratio(self) -> Node:
        """`7:32`, `a:b:c`, and times of day `12:00`: binds looser than arithmetic."""
        parts = [self.union()]
        while self.accept(":"):
            parts.append(self.union())
        return Ratio(tuple(parts)) if len(parts) > 1 else parts[0]

    def union(self) -> Node:
        parts = [self.expr()]
        while self.accept("\\cup"):
            parts.append(self.expr())
        node = Union(tuple(parts)) if len(parts) > 1 else parts[0]
        if self.accept("\\setminus", "\\backslash"):
            node = _without_points(node, self.expr())
        return node

    def expr(self) -> Node:
        terms: list[Node] = []
        if self.accept("\\pm"):
            node: Node = PlusMinus(ZERO, self.term())
        else:
            node = self.term()
        terms.append(node)
        depth = self.depth
        while True:
            if self.accept("+"):
                terms.append(self.term())
            elif self.accept("-"):
                terms.append(Neg(self.term()))
            elif self.accept("\\pm", "\\mp"):
                self.enter()  # each ± nests the sum so far one level deeper
                left = terms[0] if len(terms) == 1 else Add(tuple(terms))
                terms = [PlusMinus(left, self.term())]
            else:
                break
        self.depth = depth
        return terms[0] if len(terms) == 1 else Add(tuple(terms))

    def term(self) -> Node:
        """Products and quotients, kept flat (a/b/c*d is a*d over b*c), so a long chain is a
        wide node rather than a deep one."""
        numerator = [self.unary()]
        denominator: list[Node] = []
        while True:
            if self.accept("*", "\\cdot", "\\times", "\\ast"):
                numerator.append(self.unary())
            elif self.accept("/", "\\div"):
                denominator.append(self.unary())
            elif self.starts_atom():
                right = self.power()
                mixed = _mixed_number(numerator[0], right) if len(numerator) == 1 else None
                if mixed is not None and not denominator:
                    numerator[0] = mixed
                else:
                    numerator.append(right)  # `1/2 x` is x/2, as a calculator reads it
            else:
                break
        top = numerator[0] if len(numerator) == 1 else Mul(tuple(numerator))
        if not denominator:
            return top
        return Div(top, denominator[0] if len(denominator) == 1 else Mul(tuple(denominator)))

    def unary(self) -> Node:
        if self.at("-", "+"):
            negative = self.peek()[1] == "-"
            self.i += 1
            self.enter()
            node = self.unary()
            self.leave()
            return Neg(node) if negative else node
        return self.power()

    def starts_atom(self) -> bool:
        kind, text = self.peek()
        if kind in ("letter", "env_begin"):
            return True
        if kind == "num":  # `3!4!` and `(2)3` are products; `2 3` is nothing anyone writes
            return self.tokens[self.i - 1][0] != "num"
        if kind == "punct":
            return text == "("
        if kind == "cmd":
            return text not in _RELATIONS and text not in _NON_ATOM_COMMANDS
        return False

    def power(self) -> Node:
        self.enter()
        base = self.postfix(self.atom())
        if self.accept("^"):
            exponent = self.exponent()
            base = self.postfix(Pow(base, exponent))
        self.leave()
        return base

    def exponent(self) -> Node:
        if self.at("{"):
            return self.group("{", "}")
        if self.accept("-"):
            self.enter()
            node = Neg(self.exponent())
            self.leave()
            return node
        return self.power()

    def postfix(self, node: Node) -> Node:
        while True:
            if self.accept("!"):
                node = Func("factorial", (node,))
            elif self.accept("%"):
                node = Percent(node)
            elif self.accept("°"):
                node = Degrees(node)
            elif self.peek()[0] == "text" and not self.is_separator():
                self.i += 1  # a unit after a value: `5 \text{ apples}`
            else:
                return node

    def group(self, opener: str, closer: str) -> Node:
        self.expect(opener)
        self.enter()
        items = self.items(frozenset({closer}))
        self.expect(closer)
        self.leave()
        if len(items) != 1:
            raise LatexError("a group holds one expression")
        return items[0]

    def argument(self, whole_number: bool = False) -> Node:
        """A command argument: `{…}`, or one token as in `\\frac12` (one digit each, as TeX
        reads it) or `\\sqrt 11` (`whole_number`: nobody means the square root of 1 there)."""
        kind, text = self.peek()
        if kind == "punct" and text in "{(":
            return self.group(text, "}" if text == "{" else ")")
        if kind == "num":
            self.i += 1
            if len(text) > 1 and text.isdigit() and not whole_number:
                self.tokens[self.i - 1 : self.i] = [("num", text[0]), ("num", text[1:])]
                return Num(Fraction(int(text[0])))
            return parse_number_token(text)
        if kind == "letter":
            self.i += 1
            return _letter(text)
        if kind == "cmd":
            return self.atom()
        raise LatexError(f"missing argument before {text!r}")

    def atom(self) -> Node:
        kind, text = self.next()
        if kind == "num":
            return parse_number_token(text)
        if kind == "letter":
            return self.subscripted(text)
        if kind == "env_begin":
            return self.matrix(text)
        if kind == "punct":
            if text in "([":
                return self.bracketed(text)
            if text == "{":
                self.enter()
                items = self.items(frozenset({"}"}))
                self.expect("}")
                self.leave()
                # `{1,3}` is a TeX group around a list (a set is written `\\{1,3\\}`)
                return items[0] if len(items) == 1 else Seq("list", tuple(items))
            if text == "|":
                self.enter()
                inner = self.expr()
                self.expect("|")
                self.leave()
                return Func("abs", (inner,))
        if kind == "cmd":
            return self.command(text)
        if kind == "text" and len(text) == 1 and text.isalpha():
            return _letter(text)
        raise LatexError(f"unexpected {text!r}")

    def subscripted(self, letter: str) -> Node:
        if not self.accept("_"):
            return _letter(letter)
        kind, text = self.peek()
        if kind == "punct" and text == "{":
            start = self.i
            self.group("{", "}")
            text = "".join(t for _, t in self.tokens[start + 1 : self.i - 1])
        else:
            self.i += 1
        return Sym(f"{letter}_{text}")

    def bracketed(self, opener: str) -> Node:
        self.enter()
        items = self.items(frozenset({")", "]"}))
        _, closer = self.next()
        if closer not in (")", "]"):
            raise LatexError(f"unclosed {opener!r}")
        self.leave()
        if opener + closer in ("()", "[]") and len(items) == 1:
            return items[0]
        if opener + closer == "()":
            return Seq("paren", tuple(items))
        if opener + closer == "[]":
            return Seq("bracket", tuple(items))
        if len(items) != 2:
            raise LatexError("a half-open interval has two endpoints")
        return Interval(items[0], items[1], opener == "[", closer == "]")

    def command(self, name: str) -> Node:
        bare = name[1:]
        if bare == "frac":
            return Div(self.argument(), self.argument())
        if bare == "sqrt":
            if self.accept("["):
                index = self.expr()
                self.expect("]")
                return Func("root", (self.argument(), index))
            return Func("sqrt", (self.argument(whole_number=True),))
        if bare == "binom":
            return Func("binom", (self.argument(), self.argument()))
        if bare in ("sum", "prod"):
            return self.big_operator(bare)
        if bare == "int":
            return self.integral()
        if bare == "pi":
            return Const("pi")
        if bare == "infty":
            return Const("inf")
        if bare == "emptyset":
            return Seq("set", ())
        if bare == "{":
            self.enter()
            items = [] if self.at("\\}") else self.items(frozenset({"\\}"}))
            self.expect("\\}")
            self.leave()
            return Seq("set", tuple(items))
        if bare in ("lfloor", "lceil"):
            inner = self.expr()
            self.expect("\\rfloor" if bare == "lfloor" else "\\rceil")
            return Func("floor" if bare == "lfloor" else "ceil", (inner,))
        if bare in _FUNCTIONS:
            return self.function(bare)
        if bare in _GREEK:
            return self.subscripted(bare)
        raise LatexError(f"unsupported command {name}")

    def big_operator(self, name: str) -> Node:
        """`\\sum_{k=0}^{n-1} a_k b_{n-k}` -> Func(name, (body, k, 0, n - 1)); the body is the
        product that follows, as TeX sets it."""
        if not self.accept("_"):
            raise LatexError(f"\\{name} without an index")
        index = self.argument()
        if not (isinstance(index, Relation) and index.ops == ("=",)):
            raise LatexError(f"\\{name} index is not `k = a`")
        variable, low = index.items
        if not isinstance(variable, Sym):  # `i` and `e` read as constants: left to sympy
            raise LatexError(f"\\{name} index is not a variable")
        if not self.accept("^"):
            raise LatexError(f"\\{name} without an upper bound")
        high = self.argument()
        self.enter()
        body = self.term()
        self.leave()
        return Func(name, (body, variable, low, high))

    def integral(self) -> Node:
        """`\\int_a^b body \\, dx` -> Func("integral", (body, x, a, b)): a definite integral
        is a number (an indefinite one, `+ C` and all, is left to sympy)."""
        bounds: dict[str, Node] = {}
        while self.at("_", "^") and len(bounds) < 2:
            side = self.next()[1]
            bounds[side] = self.argument()
        if len(bounds) != 2:
            raise LatexError("an integral without both bounds")
        end = self._differential()
        body = _Parser(self.tokens[self.i : end])
        body.depth = self.depth
        node = body.parse()
        variable = Sym(self.tokens[end + 1][1])
        self.i = end + 2
        return Func("integral", (node, variable, bounds["_"], bounds["^"]))

    def _differential(self) -> int:
        """Index of the `d` of `dx` that closes the integral starting here."""
        depth = 0
        for j in range(self.i, len(self.tokens) - 1):
            kind, text = self.tokens[j]
            if kind == "punct" and text in "([{":
                depth += 1
            elif kind == "punct" and text in ")]}":
                depth -= 1
            elif (
                depth == 0
                and text == "d"
                and kind in ("letter", "text")
                and self.tokens[j + 1][0] == "letter"
                and j > self.i
            ):
                return j
        raise LatexError("an integral without its d<variable>")

    def function(self, bare: str) -> Node:
        name = _FUNCTIONS[bare]
        base: Node | None = None
        power: Node | None = None
        if name == "log" and self.accept("_"):
            base = self.argument()
        if self.accept("^"):
            power = self.exponent()
            if power == Neg(ONE) and name in _INVERSE:
                name, power = _INVERSE[name], None
        if self.at("(", "{"):
            opener = self.peek()[1]
            arg = self.group(opener, ")" if opener == "(" else "}")
        else:
            arg = self.power()
            while self.peek()[0] == "letter" or (
                self.peek()[0] == "cmd" and self.peek()[1][1:] in _GREEK | {"pi"}
            ):
                arg = Mul((arg, self.power()))
        args = (arg, base) if base is not None else (arg,)
        node: Node = Func(name, args)
        return Pow(node, power) if power is not None else node

    def matrix(self, env: str) -> Node:
        if env not in _MATRIX_ENVS or env == "vmatrix":
            raise LatexError(f"unsupported environment {env}")
        if env == "array" and self.at("{"):
            while not self.accept("}"):
                if self.next()[0] == "end":
                    raise LatexError(f"unclosed column spec of {env}")
        rows: list[tuple[Node, ...]] = []
        cells: list[Node] = []
        self.enter()
        while True:
            kind, text = self.peek()
            if kind == "end":
                raise LatexError(f"unclosed {env}")
            if kind == "env_end":
                self.i += 1
                break
            if kind == "cmd" and text == "\\\\":
                self.i += 1
                if cells:
                    rows.append(tuple(cells))
                cells = []
                continue
            if kind == "punct" and text == "&":
                self.i += 1
                continue
            cells.append(self.relation())
        self.leave()
        if cells:
            rows.append(tuple(cells))
        if not rows or len({len(row) for row in rows}) != 1:
            raise LatexError("ragged matrix")
        return Matrix(tuple(rows))


_NON_ATOM_COMMANDS = frozenset(
    {"\\cdot", "\\times", "\\div", "\\pm", "\\mp", "\\cup", "\\ast", "\\setminus", "\\backslash",
     "\\}", "\\\\", "\\rfloor", "\\rceil"}
)  # fmt: skip


_INFINITY = Const("inf")


def _without_points(whole: Node, removed: Node) -> Node:
    """`(a, b) \\setminus \\{p, q\\}` (`\\mathbb{R} \\setminus \\{2\\}`) -> the union of the
    open pieces, for rational points strictly inside; anything else is left to sympy."""
    if isinstance(whole, Seq) and whole.kind in ("paren", "bracket") and len(whole.items) == 2:
        closed = whole.kind == "bracket"
        whole = Interval(whole.items[0], whole.items[1], closed, closed)
    if not (isinstance(whole, Interval) and isinstance(removed, Seq) and removed.kind == "set"):
        raise LatexError("set difference of this shape")
    try:
        points = sorted({exact_value(item): item for item in removed.items}.items())
        lo = None if whole.lo == Neg(_INFINITY) else exact_value(whole.lo)
        hi = None if whole.hi == _INFINITY else exact_value(whole.hi)
    except NotExact:
        raise LatexError("set difference of non-rational points") from None
    if not points or any(
        (lo is not None and v <= lo) or (hi is not None and v >= hi) for v, _ in points
    ):
        raise LatexError("removed points outside the interval")
    ends = [item for _, item in points]
    pieces = [Interval(whole.lo, ends[0], whole.lo_closed, False)]
    pieces += [Interval(a, b, False, False) for a, b in itertools.pairwise(ends)]
    pieces.append(Interval(ends[-1], whole.hi, False, whole.hi_closed))
    return Union(tuple(pieces))


def _letter(letter: str) -> Node:
    if letter == "e":
        return Const("e")
    if letter == "i":
        return Const("i")
    return Sym(letter)


def _mixed_number(left: Node, right: Node) -> Node | None:
    """`2\\frac{1}{2}` is two and a half, not one: a whole number before a proper fraction."""
    negative = isinstance(left, Neg)
    whole = left.arg if isinstance(left, Neg) else left
    if not (isinstance(whole, Num) and whole.places is None and whole.value.denominator == 1):
        return None
    if not (isinstance(right, Div) and isinstance(right.num, Num) and isinstance(right.den, Num)):
        return None
    num, den = right.num.value, right.den.value
    if not (num.denominator == den.denominator == 1 and 0 < num < den):
        return None
    value = Num(whole.value + num / den)
    return Neg(value) if negative else value


@lru_cache(maxsize=4096)
def parse_answer(normalized: str) -> Node:
    """Parse a `normalize`d answer; raises `LatexError`. Cached: GRPO groups share references."""
    if len(normalized) > MAX_ANSWER_CHARS:
        raise TooComplexError("answer too long")
    if not normalized:
        raise LatexError("empty answer")
    if is_worded(normalized):
        return Text(text_form(normalized))
    plain = _PLAIN_NUMBER.fullmatch(normalized)
    if plain is not None:  # `42`, `-3.5`: the commonest answer, one token, the same tree
        number = parse_number_token(plain.group(2))
        return Neg(number) if plain.group(1) else number
    return _Parser(tokenize(normalized)).parse()
