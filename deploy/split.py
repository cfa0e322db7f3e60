"""`split`: change the desired traffic split through the primary stack's config and `up`.

The split is checked with the stack config model against the local stack file before anything else
runs; if `up` then fails, the stack config is put back as it was (or the line says what it now holds).
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from config import ConfigError
from config.traffic import Traffic
from deploy.backend import RunOptions, StackOperations
from deploy.cloud import CloudClients
from deploy.errors import DriverError, ExitCode, problems_error
from deploy.lifecycle import run_lifecycle
from deploy.stack_files import (
    PROJECT_ROOT,
    StackFile,
    StackFileError,
    read_stack_file,
    validate_stack_file,
    with_offline_secrets,
)
from deploy.stack_pair import file_stem
from deploy.traffic_ops import effective_telephony

SWITCH = {"on": True, "true": True, "off": False, "false": False}
Changes = dict[str, dict[str, Any]]


def parse_assignments(items: list[str], *, switches: bool = False) -> dict[str, Any]:
    """REGION=PERCENT (or REGION=on|off for sign-in) pairs."""
    parsed: dict[str, Any] = {}
    for item in items:
        region, _, value = item.partition("=")
        try:
            parsed[region] = SWITCH[value.lower()] if switches else int(value)
        except (KeyError, ValueError):
            expected = "REGION=on|off" if switches else "REGION=PERCENT (e.g. us-east-1=70)"
            raise DriverError(f"{item!r}: expected {expected}", ExitCode.USAGE) from None
    return parsed


@dataclass(frozen=True)
class CheckedSplit:
    """A split that passed the stack config model: the change, the merged traffic section, the region pair,
    the stack file it was checked against, and the instance alias every name of the deployment derives from."""

    stack_file: StackFile
    changes: Changes
    traffic: Traffic
    regions: tuple[str, str]
    alias: str | None = None


def check_split(primary_stack: str, changes: Changes, root: Path = PROJECT_ROOT) -> CheckedSplit:
    """Validate the change against the primary's stack file (sum, steps, both regions named); no backend."""
    try:
        stack_file = with_offline_secrets(read_stack_file(file_stem(primary_stack), root))
        traffic = {**(stack_file.structured("traffic") or {}), **changes}
        loaded = validate_stack_file(stack_file.with_values(traffic=traffic))
    except StackFileError as error:
        raise DriverError(str(error), ExitCode.USAGE) from None
    except ConfigError as error:
        raise problems_error(error) from None
    if loaded.stack.role != "primary" or loaded.stack.traffic is None:
        raise DriverError(f"{primary_stack}: not a primary stack with a connectdr:traffic section", ExitCode.USAGE)
    contact_center = loaded.stack.contact_center
    alias = contact_center.instance.alias if contact_center is not None else None
    return CheckedSplit(stack_file, changes, loaded.stack.traffic, loaded.stack.regions.pair, alias)


def path_values(changes: Changes) -> dict[str, str]:
    """`pulumi config set --path` keys and values for the change."""
    return {
        _path_key(field, region): json.dumps(value) if isinstance(value, bool) else str(value)
        for field, split in changes.items()
        for region, value in split.items()
    }


def _path_key(field: str, region: str) -> str:
    return f'connectdr:traffic.{field}["{region}"]'


def _traffic_now(checked: CheckedSplit) -> dict[str, Any] | None:
    """The traffic section the stack file holds now (`pulumi config set` writes it there); None if unreadable."""
    stack_file = checked.stack_file
    if stack_file.root is None:
        return None
    try:
        traffic = read_stack_file(stack_file.name, stack_file.root).structured("traffic")
    except (StackFileError, ValueError):
        return None
    return traffic if isinstance(traffic, dict) else {}


def _restore(backend: StackOperations, stack: str, checked: CheckedSplit) -> list[str]:
    """Put back the values the change replaced and remove the ones it added, unless the stack file now holds a
    third value: someone changed it meanwhile, and it is left as it is (returned, to be said)."""
    before = checked.stack_file.structured("traffic") or {}
    now = _traffic_now(checked)
    put_back: Changes = {}
    removed: list[str] = []
    changed_meanwhile: list[str] = []
    for field, split in checked.changes.items():
        previous = before.get(field) or {}
        current = (now.get(field) or {}) if now is not None else split
        changed = [region for region in split if current.get(region) not in (split[region], previous.get(region))]
        changed_meanwhile += [
            f"{_path_key(field, region)} was changed meanwhile (now {current.get(region)})" for region in changed
        ]
        if field not in before:
            if not changed:
                removed.append(f"connectdr:traffic.{field}")
            continue
        for region in split:
            if region not in changed and region in previous:
                put_back.setdefault(field, {})[region] = previous[region]
            elif region not in changed:
                removed.append(_path_key(field, region))
    if put_back:
        backend.set_config(stack, path_values(put_back))
    if removed:
        backend.remove_config(stack, removed)
    return changed_meanwhile


def _shown(changes: Changes) -> str:
    return ", ".join(f"{key}={value}" for key, value in path_values(changes).items())


def run_split(
    backend: StackOperations,
    cloud: CloudClients,
    stack: str,
    checked: CheckedSplit,
    *,
    out: TextIO = sys.stdout,
) -> int:
    """Set the primary's config, run `up` on it, print desired and effective telephony."""
    try:
        backend.set_config(stack, path_values(checked.changes))
    except KeyboardInterrupt:
        raise DriverError(
            f"interrupted while setting the stack config of {stack}: it may hold {_shown(checked.changes)} "
            f"(`pulumi config --stack {stack}` shows it)",
            ExitCode.INTERRUPTED,
        ) from None
    print(f"stack config of {stack} updated: {_shown(checked.changes)}; running up", file=out)
    try:
        run_lifecycle(backend, "up", [stack], RunOptions(message=f"split: {_shown(checked.changes)}"), out=out)
    except DriverError as failure:
        raise _rolled_back(backend, stack, checked, failure) from None
    now = effective_after_up(cloud, backend, stack)
    print(f"desired telephony: {checked.traffic.telephony}", file=out)
    print(f"effective telephony: {now} (the controller keeps traffic off an unhealthy region)", file=out)
    return ExitCode.OK


def _rolled_back(backend: StackOperations, stack: str, checked: CheckedSplit, failure: DriverError) -> DriverError:
    """`up` failed: put the stack config back, and say in one line what it holds now."""
    status = "`python -m deploy status` shows whether up got as far as the split"
    try:
        changed_meanwhile = _restore(backend, stack, checked)
    except DriverError as rollback:
        said = f"putting the stack config back failed too ({rollback}): it now holds {_shown(checked.changes)}"
    except KeyboardInterrupt:
        said = f"putting the stack config back was interrupted: it may still hold {_shown(checked.changes)}"
    else:
        said = "stack config put back as it was"
        if changed_meanwhile:
            said = "stack config put back where it still held the split; " + "; ".join(
                f"{key}: left as it is" for key in changed_meanwhile
            )
    return DriverError(f"{failure} ({said}; {status})", failure.exit_code)


def effective_after_up(cloud: CloudClients, backend: StackOperations, stack: str) -> Any:
    """GetTrafficDistribution in the source region (only the primary's outputs are needed), or why it could
    not be read: the split itself has succeeded by then."""
    try:
        outputs = backend.outputs(stack)
        return effective_telephony(cloud.client("connect", outputs["region"]), outputs["defaultTdgArn"])
    except Exception as error:  # reported, not raised: reading the split back is a courtesy
        return f"unavailable ({error})"
