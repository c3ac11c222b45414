"""Bad input is refused at plan time, before anything is created, with a message that
names the variable and says what to use instead; and a root refuses another account."""

from __future__ import annotations

import re

import pytest

from tests.infra.lifecycle import BAD_INPUTS, RootRun
from tests.infra.workspace import EMULATOR_ACCOUNT_ID

# The first test waits for the roots' lifecycles (minutes), which run in the background.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

EXPECTED = {
    "two NAT gateways": ("nat_gateway_count", "must be 1"),
    "an API endpoint open to the internet": ("cluster_public_access_cidrs", "0.0.0.0/0"),
    "a CI role given cluster access": ("access role ARNs", "must not be given cluster access"),
    "an unknown developer access level": ("developer_access", '"view" or "edit"'),
    "the wrong account": ("AWS account ID not allowed", EMULATOR_ACCOUNT_ID),
    "a zone name instead of its id": ("dns_zone_id", "not its name"),
    "the id of another domain's zone": (
        "dns_zone_id names the zone other.example.org",
        "set dns_zone_id to the id of the delegated dev.example.com zone",
    ),
    "a visibility timeout not above the longest processing": (
        "visibility_timeout_seconds",
        "must be greater than max_processing_seconds",
    ),
    "no dead-letter redrive": ("max_receive_count", "between 1 and 1000"),
    "an event service fed by an unknown service": (
        "event_services",
        "each source_service must be one of services",
    ),
}


def test_every_case_has_an_expectation() -> None:
    assert set(EXPECTED) == set(BAD_INPUTS)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_is_refused_with_a_clear_message(bad_inputs: RootRun, case: str) -> None:
    result = bad_inputs.require(step="plan").snapshot[case]
    assert result["exit"] == 1, f"{case}: the plan was accepted"
    message = re.sub(r"\s+", " ", result["stderr"].replace("│", " "))
    field, fix = EXPECTED[case]
    assert field in message and fix in message, message[-1500:]


def test_a_good_plan_is_accepted(staging_plan: RootRun) -> None:
    # The control case: the same kind of plan with valid values succeeds.
    assert staging_plan.require(step="plan").plan_exit_code == 2
