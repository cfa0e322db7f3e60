"""`split`: change the desired traffic split (stack config + up), or directly in a surviving region."""

import json
import sys
from typing import Any, TextIO

from config import ConfigError
from config.traffic import percentage_rule_broken
from deploy.backend import DriverError, StackBackend
from deploy.cloud import CloudClients
from deploy.deployment import load_deployment
from deploy.stack_files import StackFile, validate_stack_file
from deploy.traffic_ops import effective_telephony, invoke_controller, read_desired, write_desired

EXIT_BAD_INPUT = 2
SWITCH = {"on": True, "true": True, "off": False, "false": False}


def parse_assignments(items: list[str], *, switches: bool = False) -> dict[str, Any]:
    """REGION=PERCENT (or REGION=on|off for sign-in) pairs."""
    parsed: dict[str, Any] = {}
    for item in items:
        region, _, value = item.partition("=")
        try:
            parsed[region] = SWITCH[value.lower()] if switches else int(value)
        except (KeyError, ValueError):
            expected = "REGION=on|off" if switches else "REGION=PERCENT (e.g. us-east-1=70)"
            raise DriverError(f"{item!r}: expected {expected}", EXIT_BAD_INPUT) from None
    return parsed


def _stack_file(backend: StackBackend, name: str) -> StackFile:
    config = backend.config(name)
    values = {key: value for key, (value, _secret) in config.items()}
    return StackFile(name, values, frozenset(key for key, (_value, secret) in config.items() if secret))


def _path_values(changes: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {
        f'connectdr:traffic.{field}["{region}"]': json.dumps(value) if isinstance(value, bool) else str(value)
        for field, split in changes.items()
        for region, value in split.items()
    }


def run_split(
    backend: StackBackend,
    cloud: CloudClients,
    changes: dict[str, dict[str, Any]],
    *,
    direct_region: str | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """`changes` maps telephony/agents/signIn to their new per-region values."""
    if direct_region:
        return _split_direct(backend, cloud, changes, direct_region, out)
    stack = _stack_file(backend, "primary")
    traffic = {**(stack.structured("traffic") or {}), **changes}
    try:
        validate_stack_file(stack.with_values(traffic=traffic))
    except ConfigError as error:
        print(f"error: {error}", file=out)
        return EXIT_BAD_INPUT
    backend.set_config("primary", _path_values(changes))
    print(f"stack config of primary updated: {json.dumps(changes)}; running up", file=out)
    backend.run("primary", "up", on_output=lambda line: print(f"[primary] {line}", file=out, flush=True))
    deployment = load_deployment(backend)
    try:
        effective: Any = effective_telephony(cloud.client("connect", deployment.source), deployment.default_tdg_arn)
    except Exception as error:
        effective = f"unavailable ({error})"
    print(f"desired telephony: {traffic['telephony']}", file=out)
    print(f"effective telephony: {effective} (the controller keeps traffic off an unhealthy region)", file=out)
    return 0


def _split_direct(
    backend: StackBackend, cloud: CloudClients, changes: dict[str, dict[str, Any]], region: str, out: TextIO
) -> int:
    deployment = load_deployment(backend)
    if region not in deployment.regions:
        raise DriverError(f"--direct {region}: must be one of {', '.join(deployment.regions)}", EXIT_BAD_INPUT)
    for field in ("telephony", "agents"):
        if field in changes:
            if set(changes[field]) != set(deployment.regions):
                raise DriverError(
                    f"{field}: must name both {deployment.source} and {deployment.replica}", EXIT_BAD_INPUT
                )
            if broken := percentage_rule_broken(changes[field]):
                raise DriverError(f"{field} {changes[field]}: {broken}", EXIT_BAD_INPUT)
    ports = cloud.ports(region, deployment.config_table)
    document = read_desired(ports.table)
    default = dict(document["default"])
    for field in ("telephony", "agents", "signIn"):
        if field in changes:
            default[field] = changes[field]
    written = write_desired(ports.table, {**document, "default": default})
    result = invoke_controller(ports.lambda_client, deployment.controllers[region], "split-direct")
    print(
        f"desired split written in {region} (version {written['version']}); controller: {result.get('reason')}",
        file=out,
    )
    print("the primary stack's config no longer matches; once its region is back, run:", file=out)
    for key, value in _path_values(changes).items():
        print(f"  pulumi config set --path '{key}' {value} --stack primary", file=out)
    print("  pulumi up --stack primary", file=out)
    return 0
