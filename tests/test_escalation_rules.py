"""The rules moved into procedure/ (issue 12, point 6), each at the procedure level with its
source: escalation timings and recipients per kind, the agency kind groups, the medical
expertise, the S47 rule, who receives the record."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from procedure import (
    AGENCY_KINDS,
    CSC,
    ESCALATION_KINDS,
    HEALTH_KINDS,
    MEDICAL_DECISION_KINDS,
    MEDICAL_EXPERTISE,
    REPORTS_CSC_ABSENT,
    ProfileError,
    action_reminder_at,
    answer_by,
    convening_confirms,
    csc_absent_at,
    deadline_at_risk_from,
    disagreement_rung,
    escalation_rule,
    ladder,
    load_profile,
    medical_decision_allowed,
    profile_from_mapping,
    quorum,
    s47_initiated,
)
from procedure.escalation import (
    ACTION_OWNER,
    AGENCY,
    AGENCY_CHANNEL,
    AGENCY_LEAD,
    AGENCY_SENIOR,
    CHAIR,
    CSC_DUTY_MANAGER,
    CSC_LEAD,
    CSC_SENIOR,
    ESCALATION_CHANNEL,
    ROLES,
)
from procedure.profile import PROFILES_DIR

P = load_profile()  # pan-sussex
T = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", sorted(ESCALATION_KINDS))
def test_every_escalation_kind_has_its_rule_with_a_source_and_known_recipients(kind: str) -> None:
    rule = escalation_rule(kind, P)
    assert rule.kind == kind and rule.source and rule.counted_from and rule.rungs
    for rung in rule.rungs:
        assert rung.notify and set(rung.notify) <= set(ROLES)
        assert rung.after >= timedelta(0) and rung.channel in (ESCALATION_CHANNEL, AGENCY_CHANNEL)
    assert ladder(kind, P) == rule.rungs
    with pytest.raises(KeyError):
        escalation_rule("no-such-kind", P)


def test_deadline_at_risk_chair_first_then_the_csc_duty_manager_at_half_the_warning() -> None:
    """SX 6.6 Timing; DESIGN: the duty manager at half the warning time."""
    rule = escalation_rule("deadline_at_risk", P)
    chair, duty = rule.rungs
    assert deadline_at_risk_from(T, P) == rule.due(T) == T - timedelta(hours=4)
    assert chair.notify == (CHAIR,) and not chair.tell_chair
    assert duty.notify == (CSC_DUTY_MANAGER,) and rule.rung_due(T, duty) == T - timedelta(hours=2)


def test_inquorate_fires_at_the_answer_by_time_to_the_agency_lead() -> None:
    """SX 6.6 Inquorate; GM: a statutory partner missing; the chair gets a notice."""
    [rung] = ladder("inquorate", P)
    assert rung.notify == (AGENCY_LEAD,) and rung.tell_chair
    assert answer_by(T, None, P) == T - timedelta(hours=2)
    assert answer_by(T, T - timedelta(hours=3), P) == T - timedelta(hours=2)  # an hour to answer first
    assert answer_by(T, T - timedelta(minutes=40), P) == T - timedelta(minutes=20)  # half what was left


def test_csc_absent_goes_to_the_csc_duty_manager_after_the_grace() -> None:
    """SX 6.6 Inquorate: 'escalates at once to the CSC Duty Manager'."""
    assert csc_absent_at(T, P) == T + timedelta(minutes=10)
    [rung] = ladder("csc_absent", P)
    assert rung.notify == (CSC_DUTY_MANAGER,) and rung.tell_chair


def test_late_withdrawal_goes_to_the_absent_agencys_lead() -> None:
    """PROCEDURE 4: the CSC lead escalates to the absent agency's lead (the chair is told)."""
    [rung] = ladder("late_withdrawal", P)
    assert rung.notify == (AGENCY_LEAD,) and rung.tell_chair and rung.after == timedelta(0)


def test_no_response_reminds_the_agency_in_its_channel_then_tells_its_lead() -> None:
    rule = escalation_rule("no_response", P)
    agency, lead = rule.rungs
    assert agency.notify == (AGENCY,) and agency.channel == AGENCY_CHANNEL and not agency.tell_chair
    assert rule.rung_due(T, agency) == T + timedelta(minutes=60)
    assert lead.notify == (AGENCY_LEAD,) and lead.channel == ESCALATION_CHANNEL
    assert rule.rung_due(T, lead) == T + timedelta(minutes=120)


def test_overdue_actions_and_circulation() -> None:
    """GM Roles (follow up actions); SX 6.6 Recording, GM (within 1 WD)."""
    [action] = ladder("overdue_action", P)
    assert action.notify == (CHAIR, ACTION_OWNER) and escalation_rule("overdue_action", P).due(T) == T
    assert action_reminder_at(T, P) == T - timedelta(hours=24)
    [circulation] = ladder("circulation_overdue", P)
    assert circulation.notify == (CHAIR, CSC_DUTY_MANAGER)


def test_disagreements_go_to_line_managers_then_senior_managers() -> None:
    """SX 7.2, London ch. 11: stage 2 line managers; later stages senior managers."""
    assert disagreement_rung(1).notify == (CSC_LEAD, AGENCY_LEAD)
    assert disagreement_rung(2).notify == disagreement_rung(3).notify == (CSC_SENIOR, AGENCY_SENIOR)
    assert len(ladder("disagreement", P)) == len(P.disagreement_stages) - 1


def test_the_profile_sets_every_timing() -> None:
    data = {"deadline_at_risk_hours": 8, "csc_absent_minutes": 30, "rsvp_reminder_minutes": 15,
            "rsvp_escalate_minutes": 45, "action_reminder_hours": 2, "inquorate_warning_hours": 6}  # fmt: skip
    other = dataclasses.replace(P, **data)
    assert deadline_at_risk_from(T, other) == T - timedelta(hours=8)
    assert escalation_rule("deadline_at_risk", other).rung_due(T, ladder("deadline_at_risk", other)[1]) == T - timedelta(hours=4)
    assert csc_absent_at(T, other) == T + timedelta(minutes=30)
    rule = escalation_rule("no_response", other)
    assert [rule.rung_due(T, r) for r in rule.rungs] == [T + timedelta(minutes=15), T + timedelta(minutes=45)]
    assert action_reminder_at(T, other) == T - timedelta(hours=2)
    assert answer_by(T, None, other) == T - timedelta(hours=6)


# Agency kinds and expertise (CONTRACT section 3; SX 6.6) ----------------------------------------


def test_one_set_of_agency_kinds_and_the_groups_the_rules_name() -> None:
    assert CSC in AGENCY_KINDS and "gp" in AGENCY_KINDS and not any("foster" in k for k in AGENCY_KINDS)
    for group in (HEALTH_KINDS, MEDICAL_EXPERTISE, MEDICAL_DECISION_KINDS, REPORTS_CSC_ABSENT):
        assert set(group) <= set(AGENCY_KINDS)
    assert MEDICAL_EXPERTISE <= MEDICAL_DECISION_KINDS <= HEALTH_KINDS
    assert REPORTS_CSC_ABSENT == {"police", "health"}  # SX 6.6 Inquorate (the police; health too)


def test_medical_expertise_is_one_set_for_the_quorum_and_the_decision() -> None:
    """SX 6.6: a paediatrician or a health professional with the relevant expertise."""
    for kind in MEDICAL_EXPERTISE:
        assert quorum(["csc", "police", "health", kind], ["medical"], P).quorate
        assert medical_decision_allowed(["csc", "police", kind])[0]
    assert medical_decision_allowed(["csc", "police", "health"])[0]  # the health representative
    assert not medical_decision_allowed(["csc", "police", "ward-nurse"])[0]
    assert not quorum(["csc", "police", "health"], ["medical"], P).quorate


def test_convening_confirms_csc_unless_the_profile_needs_the_social_worker_too() -> None:
    """SX 6.6 Participants: the chair is the CSC manager; GM: the social worker and the manager."""
    assert convening_confirms(CSC, P) and not convening_confirms("police", P)
    assert not convening_confirms(CSC, load_profile("greater-manchester"))


def test_s47_initiated_single_or_joint() -> None:
    """SX 6.6 Purpose: an S47 enquiry, single-agency or joint with police, starts the ICPC clock."""
    assert s47_initiated({"s47": "single"}) and s47_initiated({"s47": "joint"})
    assert not s47_initiated({"s47": "none"}) and not s47_initiated({})


# Who receives the record (SX 6.6 Recording) ---------------------------------------------------


def test_record_also_goes_to_the_kinds_the_profile_names() -> None:
    assert load_profile().record_also_to == ("gp",)
    assert load_profile("greater-manchester").record_also_to == ("gp",)
    import tomllib

    data = tomllib.loads((PROFILES_DIR / "pan-sussex.toml").read_text())
    data.pop("record")
    assert profile_from_mapping(data).record_also_to == ()  # without the key: nobody else
    with pytest.raises(ProfileError, match="record.also_to.*foster-carer"):
        profile_from_mapping({**data, "record": {"also_to": ["foster-carer"]}})
