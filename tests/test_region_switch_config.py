"""`failover.regionSwitch`: off by default with no yaml edit, and bad values named by key, value and rule."""

import pytest

from config import ConfigError
from config.operations import Failover, RegionSwitch
from deploy.stack_files import validate_stack_file

KEY = "connectdr:failover.regionSwitch"


def test_defaults_need_no_config_and_declare_nothing():
    assert Failover().region_switch == RegionSwitch()
    settings = RegionSwitch()
    assert (settings.enabled, settings.triggers.enabled, settings.approval.approvers) == (False, False, [])
    assert settings.await_timeout_minutes == 20 and settings.approval.timeout_minutes == 60


def test_the_sample_config_leaves_the_plan_off(stack_files):
    for name in ("primary", "secondary"):
        assert validate_stack_file(stack_files[name]).stack.failover.region_switch.enabled is False


def test_approvers_and_triggers_are_read_from_camel_case_keys(stack_files):
    failover = {
        "regionSwitch": {
            "enabled": True,
            "approval": {"approvers": ["arn:aws:iam::123456789012:role/oncall-lead"], "timeoutMinutes": 30},
            "triggers": {"enabled": True, "minDelayMinutesBetweenExecutions": 120},
            "awaitTimeoutMinutes": 45,
        }
    }
    settings = validate_stack_file(stack_files["primary"].with_values(failover=failover)).stack.failover.region_switch
    assert settings.approval.approvers == ["arn:aws:iam::123456789012:role/oncall-lead"]
    assert (settings.approval.timeout_minutes, settings.await_timeout_minutes) == (30, 45)
    assert settings.triggers.min_delay_minutes_between_executions == 120


@pytest.mark.parametrize(
    ("region_switch", "expected"),
    [
        (
            {"approval": {"approvers": ["arn:aws:iam::123:role/x", "oncall"]}},
            f"{KEY}.approval.approvers = ['arn:aws:iam::123:role/x', 'oncall']: 'arn:aws:iam::123:role/x', 'oncall': "
            "each approver must be the ARN of an IAM role or user (arn:aws:iam::<12-digit account>:role/<name> or "
            ":user/<name>) or of an account (:root)",
        ),
        (
            {"approval": {"approvers": ["arn:aws:iam::123456789012:root"] * 2}},
            f"{KEY}.approval.approvers = ['arn:aws:iam::123456789012:root', 'arn:aws:iam::123456789012:root']: "
            "each approver may be listed only once",
        ),
        ({"awaitTimeoutMinutes": 2}, f"{KEY}.awaitTimeoutMinutes = 2: must be at least 5"),
        (
            {"triggers": {"enabled": True, "minDelayMinutesBetweenExecutions": 0}},
            f"{KEY}.triggers.minDelayMinutesBetweenExecutions = 0: must be at least 1",
        ),
        (
            {"triger": {}},
            f"{KEY}.triger = {{}}: unknown key; did you mean triggers? allowed: approval, awaitTimeoutMinutes, "
            "enabled, recoveryTimeObjectiveMinutes, triggers",
        ),
    ],
)
def test_bad_values_name_the_key_the_value_and_the_rule(stack_files, region_switch, expected):
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack_files["primary"].with_values(failover={"regionSwitch": region_switch}))
    assert [str(problem) for problem in raised.value.problems] == [expected]


def test_approvers_whose_trust_policy_would_pass_iams_size_limit_are_refused(stack_files):
    """IAM refuses a role trust policy over 2,048 characters (whitespace not counted): too many long approver ARNs
    would fail `up` halfway, after the step functions exist."""
    long_path = "/".join(["platform-operations-oncall-escalation"] * 2)
    approvers = [f"arn:aws:iam::123456789012:role/{long_path}/lead-{n}" for n in range(20)]
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(
            stack_files["primary"].with_values(failover={"regionSwitch": {"approval": {"approvers": approvers}}})
        )
    (problem,) = [str(p) for p in raised.value.problems]
    assert problem.startswith(f"{KEY}.approval.approvers = [")
    assert problem.endswith(
        "the approval role's trust policy naming them would be 2,435 characters; IAM allows 2,048: name fewer "
        "approvers, or a role they can all assume"
    )
