"""Typed states: the columns hold the plain strings the contract names (the export and the
schema are unchanged), read back as StrEnum members, and a value the enum lacks is refused
before it reaches the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from procedure.states import ActionStatus, DiscussionStatus, EscalationKind, InvitationStatus
from storage.db import create_engine, session_factory, transaction
from storage.models import Discussion, Invitation, OutboxOp, OutboxStatus
from storage.targets import Target, TargetKind

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def discussion(**overrides: object) -> Discussion:
    values: dict[str, object] = dict(id="d-states", case_ref="CR-STATES", profile="sx", referral_received_at=NOW,
                                     convene_by_rule="test", chair_person_id="chris")  # fmt: skip
    values.update(overrides)
    return Discussion(**values)


def test_the_values_are_the_contract_s_strings() -> None:
    # CONTRACT "export": the strings `sdbot export` writes; a changed value is a data migration.
    assert [s.value for s in DiscussionStatus] == ["draft", "invited", "in_progress", "closed", "cancelled"]
    assert {s.value for s in InvitationStatus} >= {"pending", "accepted", "declined", "withdrawn", "delegated"}
    assert {k.value for k in EscalationKind} >= {"late_withdrawal", "inquorate", "csc_absent", "deadline_at_risk",
                                                 "overdue_action", "disagreement", "circulation_overdue"}  # fmt: skip
    assert [s.value for s in ActionStatus] == ["open", "done"]
    assert [s.value for s in OutboxStatus] == ["pending", "sent", "failed"]
    assert [o.value for o in OutboxOp] == ["send", "update", "upload"]


def test_an_outbox_target_s_kind_is_a_member_even_from_stored_json() -> None:
    target = Target.from_json({"kind": "channel", "channel_id": "19:police@thread.tacv2"})
    assert target.kind is TargetKind.CHANNEL and target.is_shared
    assert target.to_json() == {"kind": "channel", "channel_id": "19:police@thread.tacv2"}
    with pytest.raises(ValueError, match="unknown outbox target kind"):
        Target.from_json({"kind": "chanel", "channel_id": "19:police@thread.tacv2"})


async def test_states_are_stored_as_strings_and_read_back_as_members(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = session_factory(engine)
    try:
        async with transaction(factory) as session:
            session.add(discussion())
            session.add(Invitation(id="i-states", discussion_id="d-states", agency_kind="police", reason="r"))
        async with factory() as session:
            d = await session.scalar(select(Discussion).where(Discussion.status == DiscussionStatus.DRAFT))
            assert d is not None and d.status is DiscussionStatus.DRAFT
            assert d.invitations[0].status is InvitationStatus.PENDING
            stored = (await session.execute(text("SELECT status FROM discussions"))).scalar_one()
            assert stored == "draft" and type(stored) is str  # the column holds the plain string
    finally:
        await engine.dispose()


async def test_a_state_the_enum_lacks_is_refused_and_nothing_is_written(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = session_factory(engine)
    try:
        with pytest.raises(StatementError) as raised:
            async with transaction(factory) as session:
                session.add(discussion(status="inviting"))
        assert isinstance(raised.value.orig, ValueError)
        async with factory() as session:
            assert (await session.execute(text("SELECT count(*) FROM discussions"))).scalar_one() == 0
            # A query comparing with a mistyped state fails too, instead of silently matching nothing.
            with pytest.raises(StatementError):
                await session.scalar(select(Discussion).where(Discussion.status == "in-progress"))
    finally:
        await engine.dispose()
