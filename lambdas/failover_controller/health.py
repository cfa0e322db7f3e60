"""Region health from each region's composite alarm (DescribeAlarms in that region)."""

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from decisions import HEALTHY, UNHEALTHY, UNKNOWN

STATES = {"OK": HEALTHY, "ALARM": UNHEALTHY, "INSUFFICIENT_DATA": UNKNOWN}


def read_health(cloudwatch: Any, alarm_name: str) -> tuple[str, float | None]:
    """(health, since): `since` is when the alarm last changed state. Unreachable or missing -> unknown."""
    try:
        response = cloudwatch.describe_alarms(AlarmNames=[alarm_name], AlarmTypes=["CompositeAlarm"])
    except (ClientError, BotoCoreError):
        return UNKNOWN, None
    alarms = response.get("CompositeAlarms", [])
    if not alarms:
        return UNKNOWN, None
    alarm = alarms[0]
    changed = alarm.get("StateTransitionedTimestamp") or alarm.get("StateUpdatedTimestamp")
    return STATES.get(alarm.get("StateValue", ""), UNKNOWN), changed.timestamp() if changed else None
