"""A small evaluator for the Inngest (CEL) expressions this project writes.

Supported: dotted paths (`event.data.x`, `async.data.y`), string/number/bool/null
literals, `== != < <= > >=`, `&&`, `||`, `!` and parentheses. A missing path is
null. Anything else raises `ExpressionError` so a typo fails loudly instead of
silently never matching.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>-?\d+(?:\.\d+)?)|
    (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|
    (?P<op>==|!=|<=|>=|&&|\|\||[<>!()])|
    (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)


class ExpressionError(ValueError):
    """The expression is outside the supported subset or malformed."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"cannot parse {text!r} at {pos}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, scope: dict[str, Any]) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.scope = scope
        self.text = text

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise ExpressionError(f"unexpected end of {self.text!r}")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.or_()
        if self.i != len(self.toks):
            raise ExpressionError(f"unexpected {self.peek()!r} in {self.text!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = bool(value) or bool(right)
        return value

    def and_(self) -> Any:
        value = self.unary()
        while self.peek() == "&&":
            self.take()
            right = self.unary()
            value = bool(value) and bool(right)
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not self.unary()
        return self.compare()

    def compare(self) -> Any:
        left = self.primary()
        op = self.peek()
        if op in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.primary()
            if op == "==":
                return left == right
            if op == "!=":
                return left != right
            try:
                return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
            except TypeError:
                return False
        return left

    def primary(self) -> Any:
        kind, value = self.take()
        if value == "(":
            inner = self.or_()
            if self.take()[1] != ")":
                raise ExpressionError(f"missing ) in {self.text!r}")
            return inner
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "str":
            if value[0] == "'":
                value = '"' + value[1:-1].replace('"', '\\"') + '"'
            return json.loads(value)
        if kind == "name":
            if value in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[value]
            return resolve(self.scope, value)
        raise ExpressionError(f"unexpected {value!r} in {self.text!r}")


def resolve(scope: dict[str, Any], path: str) -> Any:
    current: Any = scope
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def evaluate(expression: str, scope: dict[str, Any]) -> Any:
    """The expression's value with `scope` (e.g. {"event": ..., "async": ...}) as variables."""
    return _Parser(expression, scope).parse()


def matches(expression: str | None, scope: dict[str, Any]) -> bool:
    """True when there is no expression or it evaluates truthy."""
    if not expression:
        return True
    return bool(evaluate(expression, scope))
