"""Runs the real program for a stack file under Pulumi's mock engine and records what it declares.

Built on the SDK's public mocks API: `reset_options` and `set_mocks` start a fresh engine per run,
`runtime.test` runs the program and waits for every registration. What that API does not hand over
is taken from the names in SDK_NAMES_USED (a test checks they still exist after an SDK upgrade):
the mock monitor, to see each registration's parent and options, the root stack's outputs, and the
settings' project root directory, which the engine sets and `set_mocks` leaves unset (the program reads the
stack file from it to find a shared key set again in the stack file).
"""

import runpy
import sys
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockMonitor

from deploy.mocks import CloudMocks
from deploy.stack_files import PROJECT_ROOT, StackFile

PROJECT = "connectdr"
PROGRAM = PROJECT_ROOT / "__main__.py"
SECRET = "[secret]"


@dataclass(frozen=True)
class Declared:
    """One resource as the engine received it: inputs keep their secret marking."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool
    dependencies: tuple[str, ...]
    provider: str | None = None
    """The explicit provider reference (`urn::id`), when one was given."""


@dataclass
class Plan:
    """What one stack's program declared, its stack outputs, and anything that went wrong registering it."""

    stack: str
    resources: list[Declared] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    duplicate_urns: list[str] = field(default_factory=list)

    def of_type(self, type_token: str) -> list[Declared]:
        return [resource for resource in self.resources if resource.type == type_token]

    def named(self, name: str) -> Declared:
        matches = [resource for resource in self.resources if resource.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r} in the {self.stack} plan")
        return matches[0]

    def children_of(self, urn: str) -> list[Declared]:
        return [resource for resource in self.resources if resource.parent == urn]

    def type_counts(self) -> Counter[str]:
        return Counter(resource.type for resource in self.resources)


SDK_NAMES_USED = {
    "pulumi.runtime.mocks.MockMonitor": ("RegisterResource", "ReadResource"),
    "pulumi.runtime.stack.Stack": ("outputs",),
    "pulumi.runtime.settings.SETTINGS": ("root_directory",),
}


class RecordingMonitor(MockMonitor):
    """The mock monitor, plus a record of parent, options and secret-marked inputs of every registration."""

    def __init__(self, mocks: CloudMocks, plan: Plan) -> None:
        super().__init__(mocks)
        self.plan = plan

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self._record(response.urn, request, custom=request.custom, inputs=request.object, state=response.object)
        return response

    def ReadResource(self, request: Any) -> Any:
        """Reads (StackReference, `get` lookups) are recorded too: the plan shows every link."""
        response = super().ReadResource(request)
        self._record(response.urn, request, custom=True, inputs=request.properties, state=response.properties)
        return response

    def _record(self, urn: str, request: Any, *, custom: bool, inputs: Any, state: Any) -> None:
        if any(resource.urn == urn for resource in self.plan.resources):
            self.plan.duplicate_urns.append(urn)
        self.plan.resources.append(
            Declared(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=custom,
                inputs=rpc.deserialize_properties(inputs),
                outputs=rpc.deserialize_properties(state),
                protect=getattr(request, "protect", False),
                retain_on_delete=getattr(request, "retainOnDelete", False),
                dependencies=tuple(getattr(request, "dependencies", ())),
                provider=getattr(request, "provider", "") or None,
            )
        )


async def _record_outputs(plan: Plan) -> None:
    """The root stack's exports as plain data; secrets become `[secret]`."""
    root = pulumi.runtime.get_root_resource()
    for name, value in getattr(root, "outputs", {}).items():
        output = pulumi.Output.from_input(value)
        plan.outputs[name] = SECRET if await output.is_secret() else await output.future()


def run_program(
    stack: StackFile, stack_outputs: dict[str, dict[str, Any]] | None = None, plan: Plan | None = None
) -> Plan:
    """Run `__main__.py` for one stack file, recording into `plan` (a new one by default).

    Raises what the program raises (ConfigError for bad config); `plan` then shows what was declared.
    """
    region = stack.values.get("aws:region") or "us-east-1"
    mocks = CloudMocks(region, stack_outputs)
    plan = plan if plan is not None else Plan(stack.name)
    pulumi.runtime.reset_options(project=PROJECT, stack=stack.name)
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack.name, preview=False, monitor=RecordingMonitor(mocks, plan)
    )
    settings.SETTINGS.root_directory = str(stack.root) if stack.root is not None else None  # as the engine sets it
    pulumi.runtime.set_all_config(dict(stack.values), sorted(stack.secret_keys))
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))

    @pulumi.runtime.test
    def program() -> Coroutine[Any, Any, None]:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        return _record_outputs(plan)

    program()
    return plan
