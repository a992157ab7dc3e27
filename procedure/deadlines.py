"""Deadlines: when an SD must be held, and what follows from it (PROCEDURE section 2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from procedure.calendar import WorkingDayCalendar
from procedure.profile import Profile

REMINDER_TIME = time(9, 0)  # the start of the working day, as for a date typed without a time


@dataclass(frozen=True)
class Deadline:
    at: datetime
    rule: str  # words a chair understands, naming the source
    source: str
    note: str | None = None


def _wd(n: int) -> str:
    return f"{n} working day{'s' if n != 1 else ''}"


def _same_day(calendar: WorkingDayCalendar, referral_at: datetime) -> datetime:
    # The same calendar day as the referral, even a weekend or holiday (PROCEDURE 2).
    return calendar.end_of(calendar.local_date(referral_at))


def convene_by(
    referral_at: datetime,
    concerns: Iterable[str],
    profile: Profile,
    action_at: datetime | None = None,
    s47_started_at: datetime | None = None,
) -> Deadline:
    """The earliest of every deadline that applies. Working-day counts start from the
    next working day, so a Saturday referral under the default rule counts Mon, Tue, Wed."""
    calendar = WorkingDayCalendar(profile)
    concerns = set(concerns)
    n = profile.default_convene_wd
    candidates: list[Deadline] = [
        Deadline(calendar.add_working_days(referral_at, n),
                 f"within {_wd(n)} of the referral: reasonable cause to suspect significant harm (SX 6.6 Timing)",
                 "SX 6.6")  # fmt: skip
    ]
    same_day = {
        "serious-injury": "serious physical injury",
        "serious-neglect": "serious neglect",
        "recent-sexual-abuse": "allegation of recent sexual abuse, to preserve forensic evidence",
    }
    for code, words in same_day.items():
        if code in concerns:
            candidates.append(Deadline(_same_day(calendar, referral_at),
                                       f"same day as the referral: {words} (SX 6.6 Timing)", "SX 6.6"))  # fmt: skip
    if action_at is not None or "immediate-action" in concerns:
        acted = action_at or referral_at
        m = profile.immediate_action_wd
        candidates.append(Deadline(calendar.add_working_days(acted, m),
                                   f"within {_wd(m)} of the immediate protective action (SX 6.6 Timing)", "SX 6.6"))  # fmt: skip
    if s47_started_at is not None:
        h = profile.s47_before_sd_hours
        candidates.append(Deadline(s47_started_at + timedelta(hours=h),
                                   f"within {h} hours: a Section 47 enquiry started before any strategy discussion (NSCB)",
                                   "NSCB"))  # fmt: skip
    # Same-day rules name the calendar day; on ties prefer the more specific rule.
    best = min(candidates, key=lambda d: (d.at, candidates.index(d) == 0))
    if "complex-abuse" in concerns:
        best = Deadline(best.at, best.rule, best.source,
                        "Complex abuse or neglect: hold it as soon as practicable with the right expertise present; "
                        "this deadline is the outer limit (SX 6.6 Timing).")  # fmt: skip
    return best


def circulate_by(held_at: datetime, profile: Profile) -> Deadline:
    n = profile.circulate_within_wd
    return Deadline(WorkingDayCalendar(profile).add_working_days(held_at, n),
                    f"record to all participants and invitees, incl. the GP, within {_wd(n)} (SX 6.6 Recording; GM)",
                    "SX 6.6")  # fmt: skip


def icpc_by(initiating_held_at: datetime, profile: Profile) -> Deadline:
    n = profile.icpc_within_wd
    return Deadline(WorkingDayCalendar(profile).add_working_days(initiating_held_at, n),
                    f"Initial Child Protection Conference within {_wd(n)} of the strategy discussion that "
                    "initiated the Section 47 enquiry (SX 6.6 Timing)", "SX 6.6")  # fmt: skip


def disagreement_resolve_by(raised_at: datetime, profile: Profile, stage_index: int = 0) -> Deadline:
    stages = profile.disagreement_stages
    stage = stages[min(stage_index, len(stages) - 1)]
    n = profile.disagreement_stage_wd
    return Deadline(WorkingDayCalendar(profile).add_working_days(raised_at, n),
                    f"resolve at {stage} level within {_wd(n)}, sooner if the child's safety needs it (SX 7.2)",
                    "SX 7.2")  # fmt: skip


def next_looked_after_review(held_at: datetime, profile: Profile) -> Deadline:
    days = profile.looked_after_review_days
    calendar = WorkingDayCalendar(profile)
    d = calendar.local_date(held_at) + timedelta(days=days)
    while not calendar.is_working_day(d):
        d += timedelta(days=1)
    return Deadline(calendar.end_of(d),
                    f"review strategy discussion every {days} days while allegations continue for a looked-after "
                    "child (SX 6.6)", "SX 6.6")  # fmt: skip


REVIEW_RULE = "Review: when the chair asks (SX 6.6)"


def review_convene_by(proposed_at: datetime | None, looked_after: bool, last_held_at: datetime,
                      profile: Profile) -> Deadline | None:  # fmt: skip
    """A review's deadline: the time the chair asks for; without one, for a looked-after child
    the profile's review interval after the last discussion; otherwise none. Never the first
    discussion's rule counted again from now."""
    if proposed_at is not None:
        return Deadline(proposed_at, REVIEW_RULE, "SX 6.6")
    if looked_after:
        return next_looked_after_review(last_held_at, profile)
    return None


def review_reminder_at(review_at: datetime, profile: Profile) -> datetime:
    """The chair is reminded of a planned review at the start of the working day before it."""
    calendar = WorkingDayCalendar(profile)
    d = calendar.local_date(review_at) - timedelta(days=1)
    while not calendar.is_working_day(d):
        d -= timedelta(days=1)
    return datetime.combine(d, REMINDER_TIME, tzinfo=calendar.tz)
