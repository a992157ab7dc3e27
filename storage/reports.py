"""Aggregate queries for the learning and assurance report (GROUP BY, COUNT, CASE).

Every figure is about the discussions whose invitations were sent in a period
(``start <= invited_at < end``, on the indexed ``invited_at``). Nothing here loads ORM objects
for the discussions: the counts come from the database, and only the medians need
per-discussion values (two timestamp columns). The same SQL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from procedure.states import DiscussionStatus, InvitationStatus
from storage.models import (
    Agency,
    Attendance,
    Disagreement,
    Discussion,
    Escalation,
    Invitation,
)

# The tables' columns, not the ORM classes: these are Core selects of counts, so nothing
# here needs the mappers configured or ORM compilation (a few hundred ms a process).
_discussions, _invitations, _attendance = Discussion.__table__, Invitation.__table__, Attendance.__table__
_escalations, _disagreements, _agencies = Escalation.__table__, Disagreement.__table__, Agency.__table__
D, I, A = _discussions.c, _invitations.c, _attendance.c  # noqa: E741
E, G, AG = _escalations.c, _disagreements.c, _agencies.c


@dataclass(frozen=True)
class Month:
    """A local calendar month as UTC instants, so grouping by month needs no zone support
    in the database (SQLite has none)."""

    label: str  # "2026-10"
    start: datetime
    end: datetime


def _in_period(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        D.invited_at >= start,
        D.invited_at < end,
        D.status != DiscussionStatus.CANCELLED,
    )


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _held() -> ColumnElement[bool]:
    return D.started_at.is_not(None)


def _held_by_deadline() -> ColumnElement[bool]:
    # A review the chair asked for with no time set has no deadline (NULL): held, it is in time.
    return and_(_held(), or_(D.convene_by.is_(None), D.started_at <= D.convene_by))


def _held_late() -> ColumnElement[bool]:
    return and_(_held(), D.started_at > D.convene_by)


def _not_held(now: datetime) -> ColumnElement[bool]:
    return and_(D.started_at.is_(None), D.convene_by < now)


def _not_yet_due(now: datetime) -> ColumnElement[bool]:
    return and_(D.started_at.is_(None), or_(D.convene_by.is_(None), D.convene_by >= now))


def _sets_icpc() -> ColumnElement[bool]:
    # The discussion that initiated the S47 sets the ICPC deadline and holds its date; a review
    # shows the same deadline (copied) and is not counted again.
    return and_(D.icpc_by.is_not(None), D.initiating_discussion_id == D.id)


def _icpc_late() -> ColumnElement[bool]:
    return and_(_sets_icpc(), D.icpc_held_at > D.icpc_by)


def _icpc_not_held(now: datetime) -> ColumnElement[bool]:
    return and_(_sets_icpc(), D.icpc_held_at.is_(None), D.icpc_by < now)


def _row(mapping: Any) -> dict[str, int]:
    return {k: int(v or 0) for k, v in mapping.items()}


async def totals(session: AsyncSession, start: datetime, end: datetime, now: datetime) -> dict[str, int]:
    """One row of counts over the period's discussions."""
    closed = D.closed_at.is_not(None)
    circulated = D.circulated_at.is_not(None)
    statement = select(
        func.count().label("discussions"),
        _count(_held()).label("held"),
        _count(_held_by_deadline()).label("held_by_deadline"),
        _count(_held_late()).label("held_late"),
        _count(_not_held(now)).label("not_held"),
        _count(_not_yet_due(now)).label("not_yet_due"),
        _count(D.quorate_at_start.is_(True)).label("quorate_at_start"),
        _count(and_(_held(), D.quorate_at_start.is_(False))).label("inquorate_at_start"),
        _count(closed).label("closed"),
        _count(and_(circulated, D.circulated_at <= D.circulate_by)).label("circulated_within_1wd"),
        _count(and_(circulated, D.circulated_at > D.circulate_by)).label("circulated_late"),
        _count(and_(closed, ~circulated, D.circulate_by < now)).label("not_circulated"),
        _count(and_(closed, ~circulated, D.circulate_by >= now)).label("circulation_not_yet_due"),
        _count(_sets_icpc()).label("icpc_required"),
        _count(and_(_sets_icpc(), D.icpc_held_at <= D.icpc_by)).label("icpc_held_within"),
        _count(_icpc_late()).label("icpc_held_late"),
        _count(_icpc_not_held(now)).label("icpc_not_held"),
        _count(and_(_sets_icpc(), D.icpc_held_at.is_(None), D.icpc_by >= now)).label("icpc_not_yet_due"),
    ).where(_in_period(start, end))
    return _row((await session.execute(statement)).mappings().one())


async def timeliness_by_rule(
    session: AsyncSession, start: datetime, end: datetime, now: datetime
) -> list[dict[str, Any]]:
    statement = (
        select(
            D.convene_by_rule.label("rule"),
            func.count().label("discussions"),
            _count(_held_by_deadline()).label("held_by_deadline"),
            _count(_held_late()).label("held_late"),
            _count(_not_held(now)).label("not_held"),
        )
        .where(_in_period(start, end))
        .group_by(D.convene_by_rule)
        .order_by(D.convene_by_rule)
    )
    return [
        {"rule": r["rule"], **_row({k: v for k, v in r.items() if k != "rule"})}
        for r in (await session.execute(statement)).mappings()
    ]


async def timeliness_by_month(
    session: AsyncSession, months: Sequence[Month], now: datetime
) -> dict[str, dict[str, int]]:
    """Counts per local month of sending, grouped by a CASE over the months' UTC bounds."""
    if not months:
        return {}
    month = case(
        *[(and_(D.invited_at >= m.start, D.invited_at < m.end), literal(m.label)) for m in months],
        else_=literal("other"),
    ).label("month")
    statement = (
        select(
            month,
            func.count().label("discussions"),
            _count(_held_by_deadline()).label("held_by_deadline"),
            _count(_held_late()).label("held_late"),
            _count(_not_held(now)).label("not_held"),
            _count(_not_yet_due(now)).label("not_yet_due"),
        )
        .where(_in_period(months[0].start, months[-1].end))
        .group_by(month)
    )
    rows = (await session.execute(statement)).mappings().all()
    return {r["month"]: _row({k: v for k, v in r.items() if k != "month"}) for r in rows}


async def referral_and_start_times(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """(referral received, started) of each held discussion: the medians need each one."""
    statement = select(D.referral_received_at, D.started_at).where(
        _in_period(start, end), _held()
    )
    return [(a, b) for a, b in (await session.execute(statement)).all() if b is not None]  # _held(): never None


async def invitations_by_agency(session: AsyncSession, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Answers per agency (and kind, for invitations no directory agency could take)."""
    status = I.status
    statement = (
        select(
            I.agency_id.label("agency"),
            I.agency_kind.label("kind"),
            func.count().label("invited"),
            _count(status == InvitationStatus.ACCEPTED).label("accepted"),
            _count(status == InvitationStatus.DECLINED).label("declined"),
            _count(status == InvitationStatus.WITHDRAWN).label("withdrawn"),
            _count(I.late.is_(True)).label("late_withdrawals"),
            _count(status.in_((InvitationStatus.PENDING, InvitationStatus.DELEGATED))).label("no_answer"),
        )
        .select_from(_invitations.join(_discussions, D.id == I.discussion_id))
        .where(_in_period(start, end))
        .group_by(I.agency_id, I.agency_kind)
    )
    return [
        {"agency": r["agency"], "kind": r["kind"], **_row({k: v for k, v in r.items() if k not in ("agency", "kind")})}
        for r in (await session.execute(statement)).mappings()
    ]


async def attended_by_agency(session: AsyncSession, start: datetime, end: datetime) -> dict[str | None, int]:
    """Discussions at which someone of the agency was marked present."""
    statement = (
        select(A.agency_id, func.count(func.distinct(A.discussion_id)))
        .select_from(_attendance.join(_discussions, D.id == A.discussion_id))
        .where(_in_period(start, end), A.present.is_(True))
        .group_by(A.agency_id)
    )
    return {agency: int(n) for agency, n in (await session.execute(statement)).all()}


async def agencies(session: AsyncSession, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """id -> (name, kind) for the agencies named in the report."""
    if not ids:
        return {}
    rows = await session.execute(select(AG.id, AG.name, AG.kind).where(AG.id.in_(list(ids))))
    return {i: (name, kind) for i, name, kind in rows.all()}


async def escalations_by_kind(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    statement = (
        select(E.kind, func.count())
        .select_from(_escalations.join(_discussions, D.id == E.discussion_id))
        .where(_in_period(start, end))
        .group_by(E.kind)
    )
    return {kind: int(n) for kind, n in (await session.execute(statement)).all()}


async def disagreements_by_stage(session: AsyncSession, start: datetime, end: datetime) -> dict[int, int]:
    """Disagreements by the stage they reached (0 = the first)."""
    statement = (
        select(G.stage_index, func.count())
        .select_from(_disagreements.join(_discussions, D.id == G.discussion_id))
        .where(_in_period(start, end))
        .group_by(G.stage_index)
    )
    return {int(stage): int(n) for stage, n in (await session.execute(statement)).all()}


async def follow_ups(
    session: AsyncSession, start: datetime, end: datetime, now: datetime, limit: int = 200
) -> list[dict[str, Any]]:
    """Case references a manager follows up: held late, not held, record not circulated in
    time (still not circulated, or circulated late), ICPC held late or not held by its deadline.
    Identifiers and times only, never free text."""
    uncirculated = and_(D.closed_at.is_not(None), D.circulated_at.is_(None), D.circulate_by < now)
    circulated_late = D.circulated_at > D.circulate_by
    statement = (
        select(
            D.case_ref,
            D.convene_by,
            D.started_at,
            case((_held_late(), 1), else_=0).label("held_late"),
            case((_not_held(now), 1), else_=0).label("not_held"),
            case((uncirculated, 1), else_=0).label("not_circulated"),
            case((circulated_late, 1), else_=0).label("circulated_late"),
            case((_icpc_late(), 1), else_=0).label("icpc_late"),
            case((_icpc_not_held(now), 1), else_=0).label("icpc_not_held"),
        )
        .where(_in_period(start, end), _held_late() | _not_held(now) | uncirculated | circulated_late
               | _icpc_late() | _icpc_not_held(now))
        .order_by(D.convene_by, D.case_ref)
        .limit(limit)
    )
    return [dict(r) for r in (await session.execute(statement)).mappings()]

