"""Retention: cases past the profile's period are purged, with an audit entry; recent ones stay."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from storage.db import transaction
from storage.models import AuditEntry, Discussion, Invitation
from tests.conftest import Bot
from tests.test_discussion_flow import held, next_step


async def test_purge_deletes_only_expired_cases_and_records_it(bot: Bot) -> None:
    for case in ("CR-OLD1", "CR-NEW1"):
        did = await held(bot, case, flags="school")
        await next_step(bot, did, "decisions", {"decision:s47": "none", "rationale:s47": "No concerns substantiated."})
        await bot.say("chris", f"close {case}")
        await bot.drain()
    async with transaction(bot.state["factory"]) as session:
        await session.execute(update(Discussion).where(Discussion.case_ref == "CR-OLD1")
                              .values(closed_at=datetime.now(UTC) - timedelta(days=365 * 36)))  # fmt: skip
    env = {**os.environ, "DATABASE_URL": bot.settings.database_url}
    dry = subprocess.run([sys.executable, "-m", "bot.cli", "purge", "--dry-run"], capture_output=True, text=True, env=env, timeout=60)
    assert dry.returncode == 0 and "would delete 1 case" in dry.stdout and "CR-OLD1" in dry.stdout
    real = subprocess.run([sys.executable, "-m", "bot.cli", "purge"], capture_output=True, text=True, env=env, timeout=60)
    assert real.returncode == 0 and "deleted 1 case" in real.stdout
    async with bot.state["factory"]() as session:
        cases = {d.case_ref for d in (await session.scalars(select(Discussion))).all()}
        invitations = (await session.scalars(select(Invitation))).all()
        purges = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "purge"))).all()
    assert cases == {"CR-NEW1"} and invitations and all(i.discussion.case_ref == "CR-NEW1" for i in invitations)
    assert [p.case_ref for p in purges] == ["CR-OLD1"]
