"""CloudWatch's composite alarm rules read back: the rule the component writes must say what the pure rule says."""

import re
from collections.abc import Collection

TOKEN = re.compile(r'\s*(ALARM\("([^"]+)"\)|AND|OR|\(|\))')


def evaluate_expression(expression: str, alarming: Collection[str]) -> bool:
    """A composite alarm rule made of ALARM("name"), AND, OR and parentheses (AND binding tighter here; the rules
    the component writes parenthesize every AND, so CloudWatch's precedence cannot change their meaning)."""
    tokens, position = [], 0
    while position < len(expression):
        match = TOKEN.match(expression, position)
        if match is None:
            raise ValueError(f"cannot read the rule at {expression[position:]!r}")
        name = match.group(2)
        tokens.append(("name", name) if name else ("op", match.group(1).strip()))
        position = match.end()

    def parse_or(index: int) -> tuple[bool, int]:
        value, index = parse_and(index)
        while index < len(tokens) and tokens[index] == ("op", "OR"):
            right, index = parse_and(index + 1)
            value = value or right
        return value, index

    def parse_and(index: int) -> tuple[bool, int]:
        value, index = parse_atom(index)
        while index < len(tokens) and tokens[index] == ("op", "AND"):
            right, index = parse_atom(index + 1)
            value = value and right
        return value, index

    def parse_atom(index: int) -> tuple[bool, int]:
        kind, value = tokens[index]
        if (kind, value) == ("op", "("):
            inner, index = parse_or(index + 1)
            if tokens[index] != ("op", ")"):
                raise ValueError("unbalanced parentheses")
            return inner, index + 1
        if kind != "name":
            raise ValueError(f"unexpected {value!r}")
        return value in alarming, index + 1

    result, end = parse_or(0)
    if end != len(tokens):
        raise ValueError("trailing tokens")
    return result
