"""CloudWatch Metrics Insights queries that add up every metric of one dimension set, written by the language's
quoting rules (CloudWatch User Guide, "Metrics Insights query components and syntax").

Label values are always in single quotes. Namespaces, metric names and label keys need double quotes when they
hold anything but letters, digits and underscores or are one of several hundred reserved words, and double
quotes are always allowed, so they are always quoted here. A quotation mark inside either is escaped with a
backslash; the language documents no escape for a backslash itself, so one is refused.
"""

from collections.abc import Mapping, Sequence

FUNCTIONS = {"Sum": "SUM", "Average": "AVG", "Maximum": "MAX", "Minimum": "MIN", "SampleCount": "COUNT"}
"""CloudWatch statistics and the Metrics Insights functions that aggregate the same way."""
SINGLE_QUOTE = "'"
QUOTES = '"' + SINGLE_QUOTE
MAX_EXPRESSION = 1024
"""The longest query an alarm takes: botocore's CloudWatch model allows 2048 characters in MetricDataQuery.Expression,
but the provider behind pulumi-aws refuses more than 1024 in an alarm's metric query (terraform-provider-aws,
aws_cloudwatch_metric_alarm, metric_query.expression: StringLenBetween(1, 1024))."""


def _escaped(text: str, quotes: str) -> str:
    if "\\" in text or any(ord(char) < 0x20 for char in text):
        raise ValueError(
            f"{text!r} cannot be written into a Metrics Insights query: it holds a backslash or a control "
            "character, for which the query language documents no escape"
        )
    for quote in quotes:
        text = text.replace(quote, "\\" + quote)
    return text


def name(text: str) -> str:
    """A namespace, metric name or label key."""
    return f'"{_escaped(text, QUOTES)}"'


def value(text: str) -> str:
    """A label value."""
    return SINGLE_QUOTE + _escaped(text, SINGLE_QUOTE) + SINGLE_QUOTE


def schema_query(statistic: str, metric: str, namespace: str, keys: Sequence[str], where: Mapping[str, str]) -> str:
    """One time series: `statistic` over every `metric` published with exactly the dimensions `keys` whose
    labels equal `where` (SCHEMA matches that exact dimension set; no GROUP BY, so all matches are aggregated)."""
    if statistic not in FUNCTIONS:
        raise ValueError(f"statistic {statistic} has no Metrics Insights function (one of {', '.join(FUNCTIONS)})")
    if unknown := sorted(set(where) - set(keys)):
        raise ValueError(f"WHERE names {', '.join(unknown)}, which the schema's dimensions do not include")
    schema = ", ".join([name(namespace), *(name(key) for key in sorted(keys))])
    conditions = " AND ".join(f"{name(key)} = {value(label)}" for key, label in where.items())
    query = f"SELECT {FUNCTIONS[statistic]}({name(metric)}) FROM SCHEMA({schema})"
    if conditions:
        query = f"{query} WHERE {conditions}"
    if len(query) > MAX_EXPRESSION:
        raise ValueError(f"the query is {len(query)} characters; an alarm's query takes at most {MAX_EXPRESSION}")
    return query
