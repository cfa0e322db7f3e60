"""Pydantic's validation errors as sentences: the rule a value breaks in words, never regex or pydantic text.

Every error type the config models can raise has a sentence here; formats (`Field(pattern=...)`) are described by
`PATTERN_WORDS`, keyed by the pattern itself, so a model gets words for a format without repeating them.
"""

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from config.flows import CONNECT_NAME as FLOW_NAME_PATTERN
from config.problems import Problem, key_path
from config.stack import AWS_REGION_PATTERN, STACK_NAME_PATTERN
from config.traffic import GROUP_NAME_PATTERN

PATTERN_WORDS: dict[str, str] = {
    AWS_REGION_PATTERN: "an AWS region name such as us-east-1",
    STACK_NAME_PATTERN: "a stack name (letters, digits, '_', '.', '-'), or project/stack, or org/project/stack",
    GROUP_NAME_PATTERN: "1-63 lowercase letters, digits and hyphens, starting with a letter or digit",
    FLOW_NAME_PATTERN: "1-127 letters, digits, spaces, '.', '_' and '-', starting with a letter or digit",
    r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$": "an e-mail address such as oncall@example.com",
    r"^[A-Z]{2}$": "a two-letter country code in capitals, such as US",
    r"^\+[0-9]{1,15}$": "'+' and 1-15 digits (the start of an E.164 number, such as +1212)",
}

SIMPLE_RULES: dict[str, str] = {
    "missing": "required",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "list_type": "must be a list",
    "none_required": "must be left out",
}
"""Error types whose sentence needs nothing from the error's context."""


def _choices(expected: str) -> str:
    """`'a', 'b' or 'c'` (pydantic's rendering of a Literal) as `a, b, c`."""
    return ", ".join(part.strip().strip("'") for part in expected.replace(" or ", ", ").split(", "))


def _unwrap(annotation: Any) -> Any:
    """The type inside `Annotated[...]` and `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose key `loc` names (None when the path leaves the models)."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {field.alias or name: field for name, field in current.model_fields.items()}
            if part not in fields:
                return None
            current = fields[part].annotation
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unknown_key(root: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    holder = _model_at(root, loc[:-1])
    if holder is None:
        return "unknown key"
    allowed = sorted(field.alias or name for name, field in holder.model_fields.items())
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"unknown key; {hint}allowed: {', '.join(allowed)}"


def _bound(kind: str, context: dict[str, Any]) -> str | None:
    bounds = {
        "greater_than_equal": ("ge", "must be at least {}"),
        "less_than_equal": ("le", "must be at most {}"),
        "greater_than": ("gt", "must be more than {}"),
        "less_than": ("lt", "must be less than {}"),
    }
    if kind not in bounds:
        return None
    name, sentence = bounds[kind]
    return sentence.format(context[name])


def _length(kind: str, context: dict[str, Any]) -> str | None:
    if kind == "too_short":
        return f"must have at least {context['min_length']} item(s); it has {context['actual_length']}"
    if kind == "too_long":
        return f"must have at most {context['max_length']} item(s); it has {context['actual_length']}"
    if kind == "string_too_short":
        return f"must be at least {context['min_length']} character(s) long"
    if kind == "string_too_long":
        return f"must be at most {context['max_length']} character(s) long"
    return None


def rule_in_words(error: ErrorDetails, root: type[BaseModel]) -> str:
    """The sentence for one pydantic error of a `root` model."""
    kind, context = error["type"], error.get("ctx", {})
    if kind in SIMPLE_RULES:
        return SIMPLE_RULES[kind]
    if kind == "extra_forbidden":
        return _unknown_key(root, tuple(error["loc"]))
    if kind == "string_pattern_mismatch":
        return f"must be {PATTERN_WORDS.get(context['pattern'], 'in the documented format (README, Config)')}"
    if kind in ("literal_error", "enum"):
        return f"must be one of: {_choices(context['expected'])}"
    if kind in ("value_error", "assertion_error"):
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return _bound(kind, context) or _length(kind, context) or "is not a valid value here (README, Config)"


def _shown_value(error: ErrorDetails) -> Any:
    if error["type"] == "missing":
        return None
    return error["input"]


def problems_in_words(errors: list[ErrorDetails], root: type[BaseModel]) -> list[Problem]:
    """One problem per pydantic error: the key path as in the stack file, the value and the rule in words."""
    problems = []
    for error in errors:
        loc = [part for part in error["loc"] if isinstance(part, int) or "[" not in str(part)]
        problems.append(Problem(key_path(*loc), _shown_value(error), rule_in_words(error, root)))
    return problems
