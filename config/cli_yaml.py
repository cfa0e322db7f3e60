"""YAML as the Pulumi CLI reads `Pulumi.yaml` and stack files (Go's gopkg.in/yaml.v3), not as PyYAML's YAML 1.1 does.

The differences that change a config value: only `true`/`false` are booleans (`yes`, `no`, `on`, `off` stay text),
`1:30` is text (no base-60 numbers), `=` is text, `1e3` and `0o17` are numbers, a key written twice in one mapping is
an error and so is a key that is not text (the CLI accepts only text keys). Dates stay the text written (the CLI
turns an unquoted date into a Go time value first; quote dates).
"""

import math
import re
from typing import Any

import yaml

INT = re.compile(r"^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$")
FLOAT = re.compile(r"^[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9_]+)?$")
SPECIAL_FLOATS = {
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
REPLACED_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "timestamp", "value"))
BOM = "\ufeff"
TEXT_TAG, MERGE_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"


class CliYamlError(Exception):
    """Text the CLI would not read: the reason, with the line it is on."""


def _int(text: str) -> int:
    plain = text.replace("_", "")
    if re.fullmatch(r"[-+]?0[0-7]+", plain):  # YAML 1.1 octal, which yaml.v3 still reads
        return int(plain, 8)
    if re.fullmatch(r"[-+]?0[0-9]+", plain):  # not octal: yaml.v3 falls back to a decimal float
        raise ValueError(plain)
    return int(plain, 0)


class _CliLoader(yaml.SafeLoader):
    """SafeLoader with yaml.v3's scalars, unique keys and text keys."""

    yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag not in REPLACED_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise CliYamlError(f"line {line}: a key is a list or mapping, not text")
            if key_node.tag != TEXT_TAG:
                raise CliYamlError(f"line {line}: key {key or 'null'} is not text; quote it")
            if key in seen:
                raise CliYamlError(f"line {line}: key '{key}' is set twice (first on line {seen[key]})")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_cli_int(self, node: yaml.ScalarNode) -> int | float:
        text = str(self.construct_scalar(node))
        try:
            return _int(text)
        except ValueError:
            return float(text.replace("_", ""))

    def construct_cli_float(self, node: yaml.ScalarNode) -> float:
        text = str(self.construct_scalar(node))
        return SPECIAL_FLOATS[text] if text in SPECIAL_FLOATS else float(text.replace("_", ""))

    def construct_text(self, node: yaml.ScalarNode) -> str:
        """`!!timestamp` as the text written."""
        return str(self.construct_scalar(node))

    def construct_binary_text(self, node: yaml.ScalarNode) -> str:
        """`!!binary` as the text it encodes, as yaml.v3 decodes it."""
        return bytes(self.construct_yaml_binary(node)).decode("utf-8", errors="replace")

    def construct_set_mapping(self, node: yaml.MappingNode) -> dict[str, None]:
        """`!!set` as the mapping of keys to no value it is written as."""
        return {key: None for key in self.construct_mapping(node)}


_CliLoader.add_implicit_resolver("tag:yaml.org,2002:bool", BOOL, list("tTfF"))
_CliLoader.add_implicit_resolver("tag:yaml.org,2002:int", INT, list("-+0123456789"))
_CliLoader.add_implicit_resolver("tag:yaml.org,2002:float", FLOAT, list("-+0123456789."))
_CliLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile("^(?:" + "|".join(map(re.escape, SPECIAL_FLOATS)) + ")$"), list("-+.")
)
_CliLoader.add_constructor("tag:yaml.org,2002:int", _CliLoader.construct_cli_int)
_CliLoader.add_constructor("tag:yaml.org,2002:float", _CliLoader.construct_cli_float)
_CliLoader.add_constructor("tag:yaml.org,2002:timestamp", _CliLoader.construct_text)
_CliLoader.add_constructor("tag:yaml.org,2002:binary", _CliLoader.construct_binary_text)
_CliLoader.add_constructor("tag:yaml.org,2002:set", _CliLoader.construct_set_mapping)


def _where(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    what = " ".join(part for part in (error.context, error.problem) if part)
    return f"line {mark.line + 1}, column {mark.column + 1}: {what}" if mark else what


def load_cli_yaml(text: str) -> Any:
    """The document in `text` as the CLI reads it. Raises CliYamlError saying what is wrong and where."""
    try:
        return yaml.load(text.removeprefix(BOM), Loader=_CliLoader)  # a SafeLoader: builds plain data only
    except yaml.MarkedYAMLError as error:
        raise CliYamlError(f"not valid YAML ({_where(error)})") from None
    except yaml.YAMLError as error:
        raise CliYamlError(f"not valid YAML ({' '.join(str(error).split())})") from None
    except RecursionError:
        raise CliYamlError("nested too deeply to read") from None
