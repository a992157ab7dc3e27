"""The procedure engine, row by row of PROCEDURE sections 2-4, with concrete dates, plus
properties that must hold for any referral (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procedure import (
    AGENDA,
    PROFESSIONAL_DIFFERENCE_STATEMENT,
    DateParseError,
    ProfileError,
    UnknownCode,
    WorkingDayCalendar,
    circulate_by,
    convene_by,
    disagreement_resolve_by,
    icpc_by,
    invitees,
    is_late_withdrawal,
    load_profile,
    may_invite,
    medical_decision_allowed,
    parse_codes,
    parse_when,
    planning_notes,
    profile_from_mapping,
    quorum,
)
from procedure.profile import PROFILES_DIR

L = ZoneInfo("Europe/London")
P = load_profile()
# Quoted from the Pan-Sussex procedures 6.6 (the project's seed 002), so a fresh clone needs nothing
# outside the repository.
SEED_TEXT = (
    "Professional Difference Statement: It is acknowledged that when working in the arena of "
    "safeguarding, it is inevitable that from time to time there will be professional differences.  "
    "This is a positive activity and a sign of good professional practice and effective multi-agency "
    "working.   During this meeting practitioners, irrespective of their seniority are encouraged to "
    "say if they feel that decisions, practice or actions do not effectively ensure the safety or "
    "well-being of the child/children."
)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=L)


def eod(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, tzinfo=L)


# PROCEDURE section 2: when an SD must be held --------------------------------------------------

CONVENE_ROWS = [
    # (referral, concerns, action_at, s47_at, expected, words in the rule)
    (at(2026, 11, 23), ["significant-harm"], None, None, eod(2026, 11, 26), "3 working days"),  # Mon -> Thu
    (at(2026, 11, 27), ["significant-harm"], None, None, eod(2026, 12, 2), "3 working days"),  # Fri -> Wed
    (at(2026, 11, 23), ["serious-injury"], None, None, eod(2026, 11, 23), "serious physical injury"),
    (at(2026, 11, 23), ["serious-neglect"], None, None, eod(2026, 11, 23), "serious neglect"),
    (at(2026, 11, 23), ["recent-sexual-abuse"], None, None, eod(2026, 11, 23), "recent sexual abuse"),
    (at(2026, 11, 23, 8), ["significant-harm"], at(2026, 11, 23, 7), None, eod(2026, 11, 24), "1 working day"),
    (at(2026, 11, 27, 18), ["immediate-action"], None, None, eod(2026, 11, 30), "immediate protective action"),  # Fri -> Mon
    (at(2026, 11, 23), ["significant-harm"], None, at(2026, 11, 23, 9), at(2026, 11, 24, 9), "24 hours"),
    # Earliest wins: same day beats 1 WD beats 3 WD.
    (at(2026, 11, 23), ["significant-harm", "serious-injury"], at(2026, 11, 23, 7), None, eod(2026, 11, 23), "same day"),
    # Out of hours on a non-working day: same day means that Saturday; WD count from Monday.
    (at(2026, 11, 28, 22), ["serious-injury"], None, None, eod(2026, 11, 28), "same day"),
    (at(2026, 11, 28, 22), ["significant-harm"], None, None, eod(2026, 12, 2), "3 working days"),  # Sat -> Wed
    # Christmas 2026: Fri 25, Sat 26 (Boxing Day substituted to Mon 28 Dec).
    (at(2026, 12, 24), ["significant-harm"], None, None, eod(2026, 12, 31), "3 working days"),
    (at(2026, 12, 24, 16), ["immediate-action"], None, None, eod(2026, 12, 29), "1 working day"),
    # Easter 2027: Good Friday 26 Mar, Easter Monday 29 Mar.
    (at(2027, 3, 25), ["significant-harm"], None, None, eod(2027, 4, 1), "3 working days"),
    # Clock changes: Sun 29 Mar 2026 (BST starts), Sun 25 Oct 2026 (GMT returns).
    (at(2026, 3, 27), ["significant-harm"], None, None, eod(2026, 4, 1), "3 working days"),
    (at(2026, 10, 23), ["significant-harm"], None, None, eod(2026, 10, 28), "3 working days"),
]  # fmt: skip


@pytest.mark.parametrize(("referral", "concerns", "action", "s47", "expected", "words"), CONVENE_ROWS)
def test_convene_by(referral, concerns, action, s47, expected, words) -> None:  # type: ignore[no-untyped-def]
    deadline = convene_by(referral, concerns, P, action_at=action, s47_started_at=s47)
    assert deadline.at == expected
    assert words in deadline.rule and ("SX 6.6" in deadline.rule or "NSCB" in deadline.rule)


def test_complex_abuse_is_as_soon_as_practicable_with_the_default_as_outer_limit() -> None:
    deadline = convene_by(at(2026, 11, 23), ["complex-abuse"], P)
    assert deadline.at == eod(2026, 11, 26)
    assert deadline.note and "as soon as practicable" in deadline.note


def test_deadlines_keep_local_time_across_clock_changes() -> None:
    spring = convene_by(at(2026, 3, 27), ["significant-harm"], P).at
    autumn = convene_by(at(2026, 10, 23), ["significant-harm"], P).at
    assert spring.utcoffset() == timedelta(hours=1) and autumn.utcoffset() == timedelta(0)


DOWNSTREAM = [
    (circulate_by, at(2026, 11, 27, 15), eod(2026, 11, 30)),  # Fri -> Mon
    (circulate_by, at(2026, 12, 24, 15), eod(2026, 12, 29)),  # Christmas
    (icpc_by, at(2026, 5, 20, 15), eod(2026, 6, 11)),  # across Spring bank holiday, 25 May
    (icpc_by, at(2026, 12, 10, 15), eod(2027, 1, 5)),  # across Christmas and New Year
    (disagreement_resolve_by, at(2026, 11, 23), eod(2026, 11, 30)),  # one working week
]


@pytest.mark.parametrize(("rule", "start", "expected"), DOWNSTREAM)
def test_downstream_deadlines(rule, start, expected) -> None:  # type: ignore[no-untyped-def]
    assert rule(start, P).at == expected


# PROCEDURE section 3: who is invited ------------------------------------------------------------


def test_statutory_minimum_always() -> None:
    kinds = [(r.kind, r.required) for r in invitees(["significant-harm"], [], P)]
    assert kinds == [("csc", True), ("police", True), ("health", True)]


FLAG_ROWS = [
    ("medical", "paediatrics", True), ("hospital", "hospital-consultant", False), ("inpatient", "ward-nurse", True),
    ("school", "education", False), ("referrer", "referrer", False), ("adult-domestic-abuse", "adult-services", False),
    ("adult-substance-misuse", "adult-services", False), ("adult-mental-illness", "adult-services", False),
    ("regulated-setting", "registration-authority", False), ("legal", "legal", False),
    ("fostered", "supervising-social-worker", True), ("position-of-trust", "lado", True), ("other-la", "other-la", True),
]  # fmt: skip


@pytest.mark.parametrize(("flag", "kind", "required"), FLAG_ROWS)
def test_each_flag_invites_with_a_reason(flag: str, kind: str, required: bool) -> None:
    [extra] = [r for r in invitees([], [flag], P) if r.kind not in ("csc", "police", "health")]
    assert (extra.kind, extra.required, extra.flag) == (kind, required, flag)
    assert extra.reason and extra.source


def test_concerns_that_invite() -> None:
    assert "sarc" in [r.kind for r in invitees(["sexual-abuse"], [], P)]
    assert "specialist" in [r.kind for r in invitees(["complex-abuse"], [], P)]
    health = [r for r in invitees([], ["other-health"], P) if r.kind == "health"]
    assert len(health) == 1 and "other health services" in health[0].reason


def test_one_invitation_per_kind_with_every_reason() -> None:
    adults = [r for r in invitees([], ["adult-domestic-abuse", "adult-mental-illness"], P) if r.kind == "adult-services"]
    assert len(adults) == 1 and "domestic abuse" in adults[0].reason and "mental illness" in adults[0].reason


def test_foster_carers_never_attend() -> None:
    ok, why = may_invite("foster-carer")
    assert not ok and "supervising social worker" in why
    assert may_invite("supervising-social-worker")[0]
    assert any("Foster carers must not attend" in n for n in planning_notes(["fostered"]))
    assert any("interpreter" in n for n in planning_notes(["interpreter"]))


def test_greater_manchester_needs_social_worker_and_manager() -> None:
    gm = load_profile("greater-manchester")
    [csc] = [r for r in invitees([], [], gm) if r.kind == "csc"]
    assert "social worker" in csc.reason and "manager" in csc.reason
    assert gm.end_of_day == time(17, 0)


# PROCEDURE section 4: quorum and withdrawals ---------------------------------------------------


@pytest.mark.parametrize(("confirmed", "flags", "quorate", "missing_words"), [
    (["csc", "police", "health"], [], True, []),
    (["csc", "police"], [], False, ["health"]),
    (["police", "health"], [], False, ["children's social care"]),
    (["csc", "health"], [], False, ["the police"]),
    (["csc", "police", "paediatrics"], [], True, []),
    (["csc", "police", "health"], ["medical"], False, ["paediatrician"]),
    (["csc", "police", "health", "paediatrics"], ["medical"], True, []),
    (["csc", "police", "health"], ["inpatient"], False, ["ward nurse"]),
])  # fmt: skip
def test_quorum(confirmed, flags, quorate, missing_words) -> None:  # type: ignore[no-untyped-def]
    q = quorum(confirmed, flags, P)
    assert q.quorate is quorate
    for word in missing_words:
        assert any(word in m for m in q.missing)


def test_late_withdrawal_window() -> None:
    start = at(2026, 11, 24, 15)
    assert is_late_withdrawal(start - timedelta(hours=24), start, P)
    assert not is_late_withdrawal(start - timedelta(hours=24, minutes=1), start, P)
    assert is_late_withdrawal(start + timedelta(minutes=5), start, P)  # did not turn up
    assert not is_late_withdrawal(start, None, P)


# PROCEDURE section 5: the agenda ---------------------------------------------------------------


def test_agenda_order_and_sources() -> None:
    assert [s.key for s in AGENDA] == ["attendance", "difference-statement", "reason", "information", "voice-of-child",
                                       "other-children", "risk", "decisions", "medical", "interviews", "interpreter",
                                       "family", "legal", "actions", "contingency"]  # fmt: skip
    assert all(s.source for s in AGENDA)


def test_the_difference_statement_is_the_seed_text() -> None:
    seed = " ".join(SEED_TEXT.split())
    assert " ".join(PROFESSIONAL_DIFFERENCE_STATEMENT.split()) in seed


def test_medical_never_decided_by_social_care_and_police_alone() -> None:
    allowed, why = medical_decision_allowed(["csc", "police"])
    assert not allowed and "paediatrician" in why
    assert medical_decision_allowed(["csc", "police", "paediatrics"])[0]


# Dates people type -----------------------------------------------------------------------------

SAT = at(2026, 3, 28, 10)  # the day before the clocks go forward


@pytest.mark.parametrize(("text", "expected"), [
    ("tomorrow at 2pm", datetime(2026, 3, 29, 14, 0, tzinfo=L)),
    ("tomorrow 2pm", datetime(2026, 3, 29, 14, 0, tzinfo=L)),
    ("today 09:30", datetime(2026, 3, 28, 9, 30, tzinfo=L)),
    ("24/12/2026 10:00", datetime(2026, 12, 24, 10, 0, tzinfo=L)),
    ("03/04/2027", datetime(2027, 4, 3, 9, 0, tzinfo=L)),  # day first: 3 April
    ("next Friday", datetime(2026, 4, 3, 9, 0, tzinfo=L)),
    ("now", SAT),
    ("29/03/2026 01:30", datetime(2026, 3, 29, 2, 30, tzinfo=L)),  # in the spring-forward gap: moved on
])  # fmt: skip
def test_parse_when(text: str, expected: datetime) -> None:
    parsed = parse_when(text, SAT)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


def test_parse_when_across_the_october_change() -> None:
    parsed = parse_when("tomorrow 2pm", at(2026, 10, 24, 10))
    assert parsed == datetime(2026, 10, 25, 14, 0, tzinfo=L) and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["next blursday", "32/13/2026", "", "x" * 100])
def test_unreadable_dates_say_so(text: str) -> None:
    with pytest.raises(DateParseError) as e:
        parse_when(text, SAT)
    assert "today 09:30" in str(e.value)


def test_codes() -> None:
    assert parse_codes("Medical, SCHOOL  school", "flag") == ["medical", "school"]
    with pytest.raises(UnknownCode) as e:
        parse_codes("medical, wings", "flag")
    assert "'wings'" in str(e.value) and "position-of-trust" in str(e.value)


# Profiles --------------------------------------------------------------------------------------


def data() -> dict:
    import tomllib

    return tomllib.loads((PROFILES_DIR / "pan-sussex.toml").read_text())


def test_changing_a_number_in_a_profile_changes_behaviour() -> None:
    changed = data()
    changed["deadlines"]["default_convene_wd"] = 5
    changed["attendance"]["late_withdrawal_hours"] = 48
    changed["calendar"]["end_of_day"] = "17:00"
    changed["calendar"]["closures"] = ["2026-11-24"]
    other = profile_from_mapping(changed, "test.toml")
    assert convene_by(at(2026, 11, 23), [], other).at == datetime(2026, 12, 1, 17, 0, tzinfo=L)  # 5 WD, skipping the closure
    start = at(2026, 11, 25, 15)
    assert is_late_withdrawal(start - timedelta(hours=30), start, other)
    assert not is_late_withdrawal(start - timedelta(hours=30), start, P)


@pytest.mark.parametrize(("section", "key", "value", "words"), [
    ("deadlines", "default_convene_wd", "three", "deadlines.default_convene_wd"),
    ("deadlines", "icpc_within_wd", -1, "deadlines.icpc_within_wd"),
    ("calendar", "timezone", "Mars/Olympus", "calendar.timezone"),
    ("calendar", "region", "wales-only", "calendar.region"),
    ("calendar", "end_of_day", "late", "calendar.end_of_day"),
    ("deadlines", "colour", 1, "deadlines.colour"),
])  # fmt: skip
def test_profile_errors_name_the_key(section: str, key: str, value: object, words: str) -> None:
    wrong = data()
    wrong[section][key] = value
    with pytest.raises(ProfileError, match=words.replace(".", r"\.")):
        profile_from_mapping(wrong, "wrong.toml")


def test_missing_key_and_unknown_profile() -> None:
    wrong = data()
    del wrong["escalation"]["csc_absent_minutes"]
    with pytest.raises(ProfileError, match="escalation.csc_absent_minutes"):
        profile_from_mapping(wrong)
    with pytest.raises(ProfileError, match="greater-manchester"):
        load_profile("atlantis")


def test_other_regions() -> None:
    scotland = profile_from_mapping({**data(), "calendar": {**data()["calendar"], "region": "scotland"}})
    ni = profile_from_mapping({**data(), "calendar": {**data()["calendar"], "region": "northern-ireland"}})
    assert not WorkingDayCalendar(scotland).is_working_day(date(2027, 1, 4))  # 2 Jan substitute
    assert WorkingDayCalendar(P).is_working_day(date(2027, 1, 4))
    assert not WorkingDayCalendar(ni).is_working_day(date(2027, 3, 17))  # St Patrick's Day
    assert WorkingDayCalendar(P).is_working_day(date(2027, 3, 17))


# Properties ------------------------------------------------------------------------------------

CAL = WorkingDayCalendar(P)
referrals = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(L))
concern_sets = st.sets(st.sampled_from(["significant-harm", "serious-injury", "serious-neglect", "recent-sexual-abuse",
                                        "sexual-abuse", "complex-abuse", "immediate-action"]))  # fmt: skip
SAME_DAY = {"serious-injury", "serious-neglect", "recent-sexual-abuse"}


@settings(max_examples=200, deadline=None)
@given(referral=referrals, concerns=concern_sets)
def test_a_deadline_is_never_before_its_start_and_falls_on_a_working_day(referral: datetime, concerns: set[str]) -> None:
    deadline = convene_by(referral, concerns, P)
    assert deadline.at >= referral or (concerns & SAME_DAY and deadline.at.date() == referral.date())
    if "same day" in deadline.rule:
        assert deadline.at.astimezone(L).date() == referral.astimezone(L).date()
    else:
        assert CAL.is_working_day(deadline.at.astimezone(L).date())


@settings(max_examples=200, deadline=None)
@given(start=referrals, n=st.integers(min_value=0, max_value=30))
def test_working_days_are_monotonic_and_counted_back_exactly(start: datetime, n: int) -> None:
    a, b = CAL.add_working_days(start, n), CAL.add_working_days(start, n + 1)
    assert a < b and CAL.working_days_between(start, a) == n
    assert CAL.add_working_days(start + timedelta(days=1), n) >= a
