"""Work proportional to what is due, not to what the database holds (issue 12), checked without
timing: one RSVP press and one scheduler pass issue the same number of SQL statements with 10
and with 1 000 discussions in the database (what is due is the same in both; the rest is
history and open discussions that need nothing now). Statements are counted with a
SQLAlchemy `before_cursor_execute` listener on the bot's own engine; the press goes through
the real /api/messages route. `make bench` measures the time (README "Performance")."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from storage.db import migrate
from storage.models import Escalation
from tests.conftest import Bot, Clock, make_settings
from tests.support import activities, bulk
from tests.support.connector import FakeConnector


class StatementCounter:
    def __init__(self, engine: Any):
        self.count = 0
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.count += 1
        self.statements.append(statement.split("\n")[0][:120])

    def reset(self) -> None:
        self.count = 0
        self.statements = []


async def _measure(database_url: str, tmp_path: Path, connector: FakeConnector, clock: Clock,
                   total: int) -> dict[str, Any]:  # fmt: skip
    directory = bulk.directory(people_per_agency=3)
    directory_file = tmp_path / f"directory-{total}.toml"
    directory_file.write_text(bulk.directory_toml(directory))
    # No background worker or scheduler: only the press, then passes run here, are counted.
    settings = make_settings(database_url, service_url=connector.url, directory=str(directory_file), run_worker=False)
    bot = Bot(settings, connector, clock)
    await bot.start()
    try:
        factory = bot.state["factory"]
        generated = await bulk.generate(factory, clock.now(), total=total, open_count=total // 5,
                                        due_every=10**9, open_due_every=10**9, service_url=connector.url)  # fmt: skip
        counter = StatementCounter(bot.state["engine"])
        # A pending invitation of an open discussion with nothing due.
        invitation_id, agency_id = generated.pending[-1]
        person = next(p for p in directory.people if p.agency == agency_id)
        channel = next(a.channel_id for a in directory.agencies if a.id == agency_id)
        press = activities.invoke({"teams_id": person.teams_id, "name": person.name, "aad_object_id": person.aad_object_id},
                                  "accept", {"invitation_id": invitation_id}, connector.url,
                                  conversation_id=f"{channel};messageid=1700000000001")  # fmt: skip
        counter.reset()
        status, body = await bot.post(press)
        assert status == 200 and body["statusCode"] == 200, body
        press_statements = counter.count
        if os.environ.get("SDBOT_SHOW_STATEMENTS"):
            print("\n".join(counter.statements))
        passes = []
        for _ in range(2):  # the first raises what is due; the second is every later poll
            counter.reset()
            await bot.state["scheduler"].run_once()
            passes.append(counter.count)
        async with factory() as session:
            kinds = sorted((await session.scalars(select(Escalation.kind))).all())
        return {"press": press_statements, "passes": passes, "kinds": kinds}
    finally:
        await bot.stop()


async def test_a_press_and_a_scheduler_pass_cost_the_same_with_10_and_1000_discussions(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path, connector: FakeConnector, clock: Clock
) -> None:
    small = await _measure(database_url, tmp_path, connector, clock, 10)
    large = await _measure(await _another_database(database_url, request, tmp_path), tmp_path, connector, clock, 1000)
    print(f"statements: 10 discussions {small}, 1000 discussions {large}")
    # What is due is the same in both, and was found: an unanswered invitation's reminder and
    # its lead's ping, a record not circulated, an overdue action, a disagreement past its stage.
    assert small["kinds"] == large["kinds"]
    assert {"no_response", "circulation_overdue", "overdue_action", "disagreement"} <= set(small["kinds"])
    assert large["press"] == small["press"]
    assert large["passes"] == small["passes"]
    # A press is a few statements (README "Performance" lists them); a steady pass (nothing
    # new due) is a handful of indexed queries.
    assert large["press"] <= 18
    assert large["passes"][1] <= 15


async def _another_database(url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second, fresh, migrated database of the same kind as `url`."""
    if url.startswith("sqlite"):
        other = f"sqlite+aiosqlite:///{tmp_path / 'large.db'}"
    else:
        other = request.getfixturevalue("pg_server").make_database(f"t_{uuid.uuid4().hex[:12]}")
    await migrate(other)
    return other


async def test_a_press_wakes_the_scheduler_for_its_discussion_only(
    sqlite_url: str, tmp_path: Path, connector: FakeConnector, clock: Clock
) -> None:
    directory = bulk.directory(people_per_agency=2)
    directory_file = tmp_path / "directory.toml"
    directory_file.write_text(bulk.directory_toml(directory))
    settings = make_settings(sqlite_url, service_url=connector.url, directory=str(directory_file),
                             run_scheduler=True, scheduler_poll_seconds=3600)  # fmt: skip
    bot = Bot(settings, connector, clock)
    await bot.start()
    try:
        generated = await bulk.generate(bot.state["factory"], clock.now(), total=20, open_count=10,
                                        due_every=10**9, open_due_every=10**9, service_url=connector.url)  # fmt: skip
        scheduler = bot.state["scheduler"]
        await asyncio.sleep(0.5)  # the pass at start-up is over
        passes: list[Any] = []
        real_run_once = scheduler.run_once

        async def recording_run_once(discussion_ids: Any = None) -> int:
            passes.append(None if discussion_ids is None else sorted(discussion_ids))
            return await real_run_once(discussion_ids)

        scheduler.run_once = recording_run_once
        invitation_id, agency_id = generated.pending[0]
        async with bot.state["factory"]() as session:
            from storage.models import Invitation

            discussion_id = (await session.get(Invitation, invitation_id)).discussion_id
        person = next(p for p in directory.people if p.agency == agency_id)
        channel = next(a.channel_id for a in directory.agencies if a.id == agency_id)
        press = activities.invoke({"teams_id": person.teams_id, "name": person.name, "aad_object_id": person.aad_object_id},
                                  "accept", {"invitation_id": invitation_id}, connector.url,
                                  conversation_id=f"{channel};messageid=1700000000002")  # fmt: skip
        status, body = await bot.post(press)
        assert status == 200 and body["statusCode"] == 200, body
        for _ in range(100):
            if passes:
                break
            await asyncio.sleep(0.05)
        # One pass, for the discussion the press touched; no full pass over everything.
        assert passes == [[discussion_id]]
    finally:
        await bot.stop()
