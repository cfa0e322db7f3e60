"""The Region switch plan as the program declares it: off by default; when enabled, the steps' function in both
stacks and one plan in the secondary, whose inputs (converted as the provider converts them) pass botocore's
CreatePlan validation and every constraint of the service model; IAM checked by parliament and CrossGuard."""

import json
import re
from pathlib import Path

import botocore.session
import parliament
import pytest
import yaml
from botocore.validate import ParamValidator
from conftest import only, run_checked, well_formedness_problems
from hypothesis import given
from hypothesis import strategies as st
from test_policy import check_stack, views

from components import region_switch as component
from config.names import PLAN_NAME_LIMIT, name_prefix, region_switch_plan_name
from deploy.offline import Plan
from deploy.plan import load_offline_stacks, plan_stacks
from deploy.render import plain

EAST, WEST = "us-east-1", "us-west-2"
ACCOUNT = "123456789012"
APPROVERS = ["arn:aws:iam::123456789012:role/oncall-lead", "arn:aws:iam::123456789012:user/cc-director"]
FUNCTIONS = [f"arn:aws:lambda:{region}:{ACCOUNT}:function:connectdr-acme-care-region-switch" for region in (EAST, WEST)]
PLAN = "aws:arcregionswitch/plan:Plan"
MODEL = botocore.session.get_session().get_service_model("arc-region-switch")
SINGLE_BLOCKS = {"ungracefuls": "ungraceful"}
"""Nested blocks the provider declares as lists of one and the API takes as one object (besides the step's
execution block configurations, which all end in `Configs`)."""
PROVIDER_ONLY = ("region", "tags", "tagsAll", "timeouts")
ARC_REGION_SWITCH_IAM = {
    "prefix": "arc-region-switch",
    "service_name": "Amazon ARC Region switch",
    "conditions": [],
    "privileges": [
        {"privilege": action, "access_level": level, "description": "", "resource_types": [plan_resource]}
        for action, level in (
            ("ApprovePlanExecutionStep", "Write"),
            ("GetPlan", "Read"),
            ("GetPlanExecution", "Read"),
            ("ListPlanExecutionEvents", "List"),
            ("ListPlanExecutions", "List"),
        )
        for plan_resource in [{"condition_keys": [], "dependent_actions": [], "resource_type": "plan*"}]
    ],
    "resources": [
        {
            "resource": "plan",
            "arn": "arn:${Partition}:arc-region-switch::${Account}:plan/${PlanName}:${PlanId}",
            "condition_keys": ["aws:ResourceTag/${TagKey}"],
        }
    ],
}
"""parliament 1.6.4 predates Region switch: the actions this program grants, with the plan resource type the
Service Authorization Reference gives them (list_arc-region-switch) and the plan ARN's form as botocore's model
writes it (PlanArn: `plan/<name>:<6-character id>`), so parliament checks them like the rest."""


def project_with(tmp: Path, region_switch: dict) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.primary.yaml", "Pulumi.secondary.yaml"):
        (tmp / name).write_text((Path(__file__).parent.parent / name).read_text())
    project = yaml.safe_load((tmp / "Pulumi.yaml").read_text())
    project["config"]["connectdr:failover"]["value"]["regionSwitch"] = region_switch
    (tmp / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    return tmp


@pytest.fixture(scope="module")
def enabled(tmp_path_factory) -> dict[str, Plan]:
    """Both stacks with the plan, approvers and triggers on."""
    settings = {"enabled": True, "approval": {"approvers": APPROVERS}, "triggers": {"enabled": True}}
    planned = plan_stacks(load_offline_stacks(project_with(tmp_path_factory.mktemp("rs"), settings)))
    for stack in planned.values():
        assert well_formedness_problems(stack.plan) == []
    return {name: stack.plan for name, stack in planned.items()}


@pytest.fixture(scope="module")
def minimal(tmp_path_factory, enabled) -> Plan:
    """The secondary stack with the plan alone (no approvers, no triggers), fed the enabled primary's outputs."""
    files = load_offline_stacks(project_with(tmp_path_factory.mktemp("rs-min"), {"enabled": True}))
    reference = files["secondary"].values.get("connectdr:primaryStack", "primary")
    return run_checked(files["secondary"], {reference: enabled["primary"].outputs})


def api_form(value: object) -> object:
    if isinstance(value, list):
        return [api_form(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {}
    for key, item in value.items():
        if key in SINGLE_BLOCKS:
            assert len(item) == 1, key
            converted[SINGLE_BLOCKS[key]] = api_form(item[0])
        else:
            converted[key] = api_form(item)
    return converted


def create_plan_request(inputs: dict) -> dict:
    """The Plan's inputs as the provider sends CreatePlan: the step's one execution block configuration goes
    into `executionBlockConfiguration` (a union), lists of one become objects, associated alarms a map."""
    request = {key: api_form(value) for key, value in plain(inputs).items() if key not in PROVIDER_ONLY}
    for workflow in request.get("workflows", []):
        for step in workflow.get("steps", []):
            blocks = [key for key in step if key.endswith("Configs")]
            assert len(blocks) == 1, step
            (config,) = step.pop(blocks[0])
            step["executionBlockConfiguration"] = {blocks[0].removesuffix("s"): config}
    if "associatedAlarms" in request:
        request["associatedAlarms"] = {alarm.pop("mapBlockKey"): alarm for alarm in request["associatedAlarms"]}
    return request


def constraint_problems(value: object, shape, where: str = "CreatePlan") -> list[str]:
    """What botocore's validator does not check: patterns, enums, lengths and ranges of the service model."""
    meta, problems = shape.metadata, []
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in value:
                problems += constraint_problems(value[name], member, f"{where}.{name}")
    elif shape.type_name == "list":
        if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            problems.append(f"{where}: {len(value)} items outside {meta}")
        for index, item in enumerate(value):
            problems += constraint_problems(item, shape.member, f"{where}[{index}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            problems += constraint_problems(key, shape.key, f"{where} key")
            problems += constraint_problems(item, shape.value, f"{where}[{key}]")
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} not in {shape.enum}")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            problems.append(f"{where}: {value!r} does not match {meta['pattern']}")
        if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            problems.append(f"{where}: length {len(value)} outside {meta}")
    elif shape.type_name in ("integer", "long", "float", "double") and not (
        meta.get("min", value) <= value <= meta.get("max", value)
    ):
        problems.append(f"{where}: {value} outside {meta}")
    return problems


def schema_problems(request: dict) -> list[str]:
    shape = MODEL.operation_model("CreatePlan").input_shape
    report = ParamValidator().validate(request, shape)
    return ([report.generate_report()] if report.has_errors() else []) + constraint_problems(request, shape)


def plan_of(plan: Plan):
    return only(plan.of_type(PLAN))


def test_off_by_default_nothing_is_declared(primary, secondary):
    for plan in (primary, secondary):
        assert plan.of_type(PLAN) == []
        assert not [r for r in plan.resources if "region-switch" in r.name]
    assert "regionSwitchPlanArn" not in secondary.outputs


def test_both_stacks_deploy_the_step_function_and_only_the_secondary_the_plan(enabled):
    for stack, region in (("primary", EAST), ("secondary", WEST)):
        function = enabled[stack].named("data-plane-region-switch")
        assert function.inputs["name"] == "connectdr-acme-care-region-switch"
        assert function.inputs["region"] == region and function.inputs["timeout"] == component.FUNCTION_TIMEOUT_SECONDS
        env = function.inputs["environment"]["variables"]
        assert env["CONTROLLER"] == "connectdr-acme-care-failover-controller"
        assert env["HEALTH_ALARM"] == "connectdr-acme-care-region-health"
        assert env["OTHER_REGION"] == (WEST if region == EAST else EAST)
        assert env["GLOBAL_TABLES"].count(",") == 3 and env["ITERATOR_AGE_LIMIT_MS"] == "60000"
    assert enabled["primary"].of_type(PLAN) == []
    plan = plan_of(enabled["secondary"])
    assert enabled["secondary"].outputs["regionSwitchPlanArn"] == plan.outputs["arn"]
    assert plan.outputs["arn"].startswith(f"arn:aws:arc-region-switch::{ACCOUNT}:plan/connectdr-acme-care:")


def test_the_plans_inputs_pass_the_service_models_create_plan_validation(enabled, minimal):
    for plan in (enabled["secondary"], minimal):
        request = create_plan_request(plan_of(plan).inputs)
        assert schema_problems(request) == []
        assert request["recoveryApproach"] == "activeActive" and request["regions"] == [EAST, WEST]


def test_the_validation_catches_a_wrong_step():
    problems = schema_problems(create_plan_request(_broken_inputs()))
    assert any("regionToRun" in p for p in problems), problems
    assert any("'sometimes' not in" in p for p in problems), problems


def _broken_inputs() -> dict:
    step = {
        "name": "x",
        "executionBlockType": "CustomActionLambda",
        "customActionLambdaConfigs": [
            {"retryIntervalMinutes": 3, "lambdas": [{"arn": FUNCTIONS[0]}], "ungracefuls": [{"behavior": "sometimes"}]}
        ],
    }
    return {
        "name": "p",
        "executionRole": f"arn:aws:iam::{ACCOUNT}:role/r",
        "recoveryApproach": "activeActive",
        "regions": [EAST, WEST],
        "workflows": [{"workflowTargetAction": "activate", "steps": [step]}],
    }


def steps_of(plan: Plan) -> dict[str, list[dict]]:
    return {
        workflow["workflowTargetAction"]: workflow["steps"]
        for workflow in create_plan_request(plan_of(plan).inputs)["workflows"]
    }


def test_deactivating_forces_awaits_and_checks_in_the_region_that_keeps_the_calls(enabled):
    workflows = steps_of(enabled["secondary"])
    assert list(workflows) == ["activate", "deactivate"]  # the order the provider reads them back: no drift
    assert [s["name"] for s in workflows["deactivate"]] == [
        "approve-deactivation",
        "force-calls-here",
        "await-calls-here",
        "check-after-deactivation",
    ]
    assert [s["name"] for s in workflows["activate"]] == [
        "approve-activation",
        "end-override",
        "await-desired-split",
        "check-after-activation",
    ]
    for step in workflows["deactivate"][1:] + workflows["activate"][1:]:
        config = step["executionBlockConfiguration"]["customActionLambdaConfig"]
        assert config["regionToRun"] == "activatingRegion"
        assert sorted(f["arn"] for f in config["lambdas"]) == FUNCTIONS
        assert config["retryIntervalMinutes"] * 60 > component.FUNCTION_TIMEOUT_SECONDS
        skipped = config.get("ungraceful") == {"behavior": "skip"}
        assert skipped == step["name"].startswith("check-")  # only the checks are skipped in ungraceful mode
    await_here = workflows["deactivate"][2]["executionBlockConfiguration"]["customActionLambdaConfig"]
    assert await_here["timeoutMinutes"] == 20


def test_approval_comes_first_with_a_role_only_the_approvers_can_assume(enabled, minimal):
    secondary = enabled["secondary"]
    role = secondary.named("region-switch-approval-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"AWS": sorted(APPROVERS)}, "Action": "sts:AssumeRole"}]
    for steps in steps_of(secondary).values():
        approval = steps[0]["executionBlockConfiguration"]["executionApprovalConfig"]
        assert approval == {"approvalRole": role.outputs["arn"], "timeoutMinutes": 60}
    policy = json.loads(secondary.named("region-switch-approval-policy").inputs["policy"])["Statement"]
    assert policy[0]["Resource"] == [plan_of(secondary).outputs["arn"]]
    assert "arc-region-switch:ApprovePlanExecutionStep" in policy[0]["Action"]
    assert all(s[0]["executionBlockType"] == "CustomActionLambda" for s in steps_of(minimal).values())
    assert not [r for r in minimal.resources if "approval" in r.name]


def test_triggers_are_off_unless_enabled_and_then_deactivate_the_region_whose_health_alarm_is_red(enabled, minimal):
    assert "triggers" not in plain(plan_of(minimal).inputs) and "associatedAlarms" not in plain(plan_of(minimal).inputs)
    request = create_plan_request(plan_of(enabled["secondary"]).inputs)
    assert request["associatedAlarms"] == {
        f"health-{region}": {
            "alarmType": "trigger",
            "resourceIdentifier": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:connectdr-acme-care-region-health",
        }
        for region in (EAST, WEST)
    }
    assert [(t["targetRegion"], t["action"], t["conditions"]) for t in request["triggers"]] == [
        (region, "deactivate", [{"associatedAlarmName": f"health-{region}", "condition": "red"}])
        for region in (EAST, WEST)
    ]
    assert {t["minDelayMinutesBetweenExecutions"] for t in request["triggers"]} == {60}


def statements(plan: Plan, name: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(plan.named(name).inputs["policy"])["Statement"]}


def test_the_plan_runs_as_a_role_region_switch_assumes_and_that_may_only_run_its_steps(enabled):
    secondary = enabled["secondary"]
    trust = json.loads(secondary.named("region-switch-execution-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "arc-region-switch.amazonaws.com"}
    run = statements(secondary, "region-switch-execution-policy")
    assert run["InvokeSteps"]["Resource"] == FUNCTIONS
    assert run["ReadTriggerAlarms"]["Resource"] == [
        f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:connectdr-acme-care-region-health" for region in (EAST, WEST)
    ]
    read = statements(secondary, "region-switch-execution-plan-policy")
    assert read["ReadOwnPlan"]["Resource"] == [plan_of(secondary).outputs["arn"]]
    assert plan_of(secondary).inputs["executionRole"] == secondary.named("region-switch-execution-role").outputs["arn"]


@pytest.mark.parametrize(("stack", "region"), [("primary", EAST), ("secondary", WEST)])
def test_the_step_function_may_touch_only_its_regions_item_controller_and_reads(enabled, stack, region):
    granted = statements(enabled[stack], "data-plane-region-switch-policy")
    assert granted["DesiredItem"]["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert granted["DesiredItem"]["Resource"] == [
        f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/connectdr-acme-care-config"
    ]
    assert granted["InvokeController"]["Resource"] == [
        f"arn:aws:lambda:{region}:{ACCOUNT}:function:connectdr-acme-care-failover-controller"
    ]
    assert granted["ReadHealth"]["Resource"] == [
        f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:connectdr-acme-care-region-health"
    ]
    assert all(not a.endswith("UpdateTrafficDistribution") for s in granted.values() for a in s["Action"])
    wildcard = [sid for sid, s in granted.items() if "*" in s["Resource"]]
    assert wildcard == ["ReadConsumerLag"] and granted["ReadConsumerLag"]["Action"] == [
        "cloudwatch:GetMetricStatistics"
    ]


@pytest.fixture
def parliament_knows_region_switch():
    parliament.iam_definition.append(ARC_REGION_SWITCH_IAM)
    parliament.expand_action.cache_clear()
    yield
    parliament.iam_definition.remove(ARC_REGION_SWITCH_IAM)
    parliament.expand_action.cache_clear()


@pytest.mark.usefixtures("parliament_knows_region_switch")
def test_parliament_finds_nothing_in_any_policy_of_the_enabled_stacks(enabled):
    for plan in enabled.values():
        documents = {
            r.name: plain(r.inputs["policy"]) for r in plan.resources if r.type == "aws:iam/rolePolicy:RolePolicy"
        }
        findings = {
            name: [(f.issue, f.detail) for f in parliament.analyze_policy_string(document).findings]
            for name, document in documents.items()
        }
        assert findings == {name: [] for name in documents}
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "arc-region-switch:GetPlan", "Resource": "*"}],
    }
    assert parliament.analyze_policy_string(json.dumps(bad)).findings  # the definition makes parliament check them


def test_crossguard_rules_hold_on_the_enabled_stacks(enabled):
    for plan in enabled.values():
        found = check_stack(views(plan))
        assert found == {name: [] for name in found}


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=34))
def test_plan_names_fit_the_service_for_every_alias(alias):
    alias = alias.strip("-") or "a"
    name = region_switch_plan_name(name_prefix(alias))
    assert len(name) <= PLAN_NAME_LIMIT
    assert re.fullmatch(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?", name)


def test_long_aliases_sharing_a_start_get_different_plan_names():
    first, second = name_prefix("a" * 30 + "east"), name_prefix("a" * 30 + "west")
    assert region_switch_plan_name(first) != region_switch_plan_name(second)
    assert region_switch_plan_name(name_prefix("acme-care")) == "connectdr-acme-care"
