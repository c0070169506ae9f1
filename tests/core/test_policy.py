"""The seed's "When to Run a Postmortem", as the policy engine decides it."""

from __future__ import annotations

import pytest

from followthrough.core.policy import (
    DEFAULT_POLICY,
    SEVERITIES,
    Decision,
    IncidentFacts,
    PolicyConfig,
    PolicyConfigError,
    PolicyResult,
    decide,
)


def test_p0_incidents_always_get_a_postmortem() -> None:
    result = decide(IncidentFacts(severity="P0"))
    assert result == PolicyResult(
        Decision.REQUIRED,
        ("P0 incident: always run a postmortem (customer-facing outage, data loss).",),
    )


def test_p1_incidents_with_significant_impact_always_get_a_postmortem() -> None:
    result = decide(IncidentFacts(severity="P1", significant_impact=True))
    assert result.decision is Decision.REQUIRED
    assert result.reasons == ("P1 incident with significant impact: always run a postmortem.",)


def test_a_p1_without_significant_impact_is_not_required_and_says_how_to_change_that() -> None:
    result = decide(IncidentFacts(severity="P1"))
    assert result.decision is Decision.NOT_REQUIRED
    assert result.reasons == (
        "P1 incident without significant impact: a postmortem is not required; "
        "mark significant impact if it had one.",
    )


def test_near_misses_that_could_have_been_severe_always_get_a_postmortem() -> None:
    result = decide(IncidentFacts(severity="P3", near_miss=True))
    assert result.decision is Decision.REQUIRED
    assert result.reasons == ("Near miss that could have been severe: always run a postmortem.",)


def test_repeat_incidents_always_get_a_postmortem() -> None:
    result = decide(IncidentFacts(severity="P3", is_repeat=True))
    assert result.decision is Decision.REQUIRED
    assert result.reasons == (
        "Repeat incident (same failure mode as a previous incident): always run a postmortem.",
    )


def test_data_loss_at_any_severity_always_gets_a_postmortem() -> None:
    for severity in SEVERITIES:
        assert decide(IncidentFacts(severity=severity, data_loss=True)).decision is (
            Decision.REQUIRED
        )


def test_p2_incidents_with_interesting_lessons_are_worth_considering() -> None:
    result = decide(IncidentFacts(severity="P2"))
    assert result.decision is Decision.RECOMMENDED
    assert result.reasons == (
        "P2 incident: consider running a postmortem, especially if it holds interesting lessons.",
    )


def test_process_failures_are_worth_considering() -> None:
    result = decide(IncidentFacts(severity="P3", process_failure=True))
    assert result.decision is Decision.RECOMMENDED
    assert result.reasons == (
        "Process failure (missed deadline, major miscommunication): consider running a postmortem.",
    )


def test_security_incidents_are_worth_considering_regardless_of_severity() -> None:
    for severity in ("P2", "P3"):
        result = decide(IncidentFacts(severity=severity, security=True))
        assert result.decision is Decision.RECOMMENDED
        assert "Security incident (regardless of severity): consider running a postmortem." in (
            result.reasons
        )


def test_a_p3_with_no_flag_needs_no_postmortem_and_says_why() -> None:
    result = decide(IncidentFacts(severity="P3"))
    assert result == PolicyResult(
        Decision.NOT_REQUIRED, ("P3 incident with no flag that calls for a postmortem.",)
    )


def test_customer_facing_alone_does_not_change_the_decision_by_default() -> None:
    assert decide(IncidentFacts(severity="P3", customer_facing=True)).decision is (
        Decision.NOT_REQUIRED
    )


def test_the_strongest_rule_wins_and_every_rule_that_applied_is_listed_strongest_first() -> None:
    facts = IncidentFacts(
        severity="P2", security=True, process_failure=True, near_miss=True, is_repeat=True
    )
    result = decide(facts)
    assert result.decision is Decision.REQUIRED
    assert result.reasons == (
        "Near miss that could have been severe: always run a postmortem.",
        "Repeat incident (same failure mode as a previous incident): always run a postmortem.",
        "P2 incident: consider running a postmortem, especially if it holds interesting lessons.",
        "Process failure (missed deadline, major miscommunication): consider running a postmortem.",
        "Security incident (regardless of severity): consider running a postmortem.",
    )


def test_a_p1_with_significant_impact_and_a_security_flag_lists_both_reasons() -> None:
    result = decide(IncidentFacts(severity="P1", significant_impact=True, security=True))
    assert result.decision is Decision.REQUIRED
    assert result.reasons == (
        "P1 incident with significant impact: always run a postmortem.",
        "Security incident (regardless of severity): consider running a postmortem.",
    )


def test_a_p1_without_impact_but_with_a_security_flag_gives_only_the_security_reason() -> None:
    result = decide(IncidentFacts(severity="P1", security=True))
    assert result.decision is Decision.RECOMMENDED
    assert result.reasons == (
        "Security incident (regardless of severity): consider running a postmortem.",
    )


def test_severity_is_read_case_insensitively() -> None:
    assert decide(IncidentFacts(severity=" p0 ")).decision is Decision.REQUIRED


@pytest.mark.parametrize("severity", ["P4", "", "high", "P 1"])
def test_an_unknown_severity_is_a_clear_error(severity: str) -> None:
    with pytest.raises(ValueError, match=r"Unknown severity .*expected one of P0, P1, P2, P3"):
        decide(IncidentFacts(severity=severity))


def test_the_default_policy_is_the_seed() -> None:
    assert PolicyConfig() == DEFAULT_POLICY
    assert DEFAULT_POLICY.required_severities == {"P0"}
    assert DEFAULT_POLICY.required_with_significant_impact == {"P1"}
    assert DEFAULT_POLICY.recommended_severities == {"P2"}
    assert DEFAULT_POLICY.near_miss is Decision.REQUIRED
    assert DEFAULT_POLICY.repeat is Decision.REQUIRED
    assert DEFAULT_POLICY.security is Decision.RECOMMENDED
    assert DEFAULT_POLICY.process_failure is Decision.RECOMMENDED


def test_an_organisation_can_require_postmortems_for_every_security_incident() -> None:
    config = PolicyConfig.from_mapping({"security": "required"})
    result = decide(IncidentFacts(severity="P3", security=True), config)
    assert result.decision is Decision.REQUIRED
    assert result.reasons == (
        "Security incident (regardless of severity): always run a postmortem.",
    )


def test_an_organisation_can_switch_a_rule_off() -> None:
    config = PolicyConfig.from_mapping(
        {"recommended_severities": [], "process_failure": "not required"}
    )
    result = decide(IncidentFacts(severity="P2", process_failure=True), config)
    assert result == PolicyResult(
        Decision.NOT_REQUIRED, ("P2 incident with no flag that calls for a postmortem.",)
    )


def test_an_organisation_can_always_require_a_postmortem_for_p1() -> None:
    config = PolicyConfig.from_mapping({"required_severities": ["p0", "P1"]})
    result = decide(IncidentFacts(severity="P1"), config)
    assert result == PolicyResult(Decision.REQUIRED, ("P1 incident: always run a postmortem.",))


def test_an_organisation_can_make_customer_facing_incidents_worth_considering() -> None:
    config = PolicyConfig.from_mapping({"customer_facing": "recommended"})
    result = decide(IncidentFacts(severity="P3", customer_facing=True), config)
    assert result == PolicyResult(
        Decision.RECOMMENDED, ("Customer-facing incident: consider running a postmortem.",)
    )


def test_a_policy_round_trips_through_plain_data() -> None:
    config = PolicyConfig.from_mapping(
        {"required_severities": ["P1", "P0"], "security": "required", "repeat": "recommended"}
    )
    data = config.to_mapping()
    assert data["required_severities"] == ["P0", "P1"]
    assert PolicyConfig.from_mapping(data) == config
    assert PolicyConfig.from_mapping(DEFAULT_POLICY.to_mapping()) == DEFAULT_POLICY


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"nearmiss": "required"}, r"Unknown policy setting 'nearmiss'; known settings: "),
        (
            {"security": "mandatory"},
            r"'security' must be one of required, recommended, not_required; got 'mandatory'",
        ),
        ({"security": True}, r"'security' must be one of .*got True"),
        ({"required_severities": "P0"}, r"'required_severities' must be a list of severities"),
        ({"required_severities": ["P0", "P9"]}, r"'required_severities' has unknown severity 'P9'"),
        ({"recommended_severities": [2]}, r"'recommended_severities' has unknown severity 2"),
        ({"required_with_significant_impact": 1}, r"must be a list of severities"),
    ],
)
def test_a_bad_policy_setting_is_a_clear_error_naming_the_setting(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(PolicyConfigError, match=message):
        PolicyConfig.from_mapping(data)


def test_a_policy_that_is_not_a_table_is_a_clear_error() -> None:
    with pytest.raises(PolicyConfigError, match="A policy must be a table of settings; got list"):
        PolicyConfig.from_mapping(["P0"])  # type: ignore[arg-type]


def test_a_policy_config_error_is_a_value_error() -> None:
    assert issubclass(PolicyConfigError, ValueError)


def test_a_directly_built_policy_is_validated_too() -> None:
    with pytest.raises(PolicyConfigError, match="unknown severity 'P7'"):
        PolicyConfig(required_severities=frozenset({"P7"}))
    with pytest.raises(PolicyConfigError, match="'security' must be a Decision"):
        PolicyConfig(security="required")  # type: ignore[arg-type]
