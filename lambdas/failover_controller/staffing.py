"""How many agents each region has staffed: GetCurrentMetricData in each region (follow-the-agents mode).

The replica keeps the source instance's id, and the queues keep theirs, so the same request goes to each
region's endpoint. A region that cannot be read makes the whole measurement unknown: the split then does not
follow (a missing count must not look like a region without agents).
"""

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from decisions import Staffing


def _count(response: dict[str, Any], metric: str) -> float:
    """The metric's value over every result (one without groupings); no result means no agents."""
    total = 0.0
    for result in response.get("MetricResults", []):
        for collection in result.get("Collections", []):
            if collection.get("Metric", {}).get("Name") == metric and collection.get("Value") is not None:
                total += float(collection["Value"])
    return total


def read_staffing(
    clients: Mapping[str, Any], instance_id: str, queues: tuple[str, ...], metric: str
) -> Staffing | None:
    """Agents counted by `metric` on the queues, per region (`clients`: a Connect client per region)."""
    counts = {}
    for region, client in sorted(clients.items()):
        try:
            response = client.get_current_metric_data(
                InstanceId=instance_id,
                Filters={"Queues": list(queues), "Channels": ["VOICE"]},
                CurrentMetrics=[{"Name": metric, "Unit": "COUNT"}],
            )
        except (ClientError, BotoCoreError):
            return None
        counts[region] = _count(response, metric)
    return Staffing(tuple(sorted(counts.items())))
