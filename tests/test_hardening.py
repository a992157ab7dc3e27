"""Hardening, through the real route: nothing typed reaches the logs, files are private, hostile
input gets a clear 4xx or an error card (never a 5xx), and a database outage answers fast."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.logs import JsonFormatter
from storage.models import Invitation
from tests.conftest import PEOPLE, ROOT, Bot, Clock, make_settings
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to, verb_data
from tests.test_discussion_flow import held

MARKER = "Zebra-Quokka-7731"  # stands for anything a person types: it must never be logged
POLICE = "19:police-sd@thread.tacv2;messageid="


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Everything logged, formatted as `sdbot` formats it (JSON lines), at DEBUG."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for chatty in ("asyncio", "aiosqlite"):  # their DEBUG lines are about the loop, not us
        logging.getLogger(chatty).setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


async def invited(bot: Bot, case_ref: str) -> dict[str, Any]:
    """Convene and send invitations; the police thread's message (its buttons' data)."""
    await bot.say("chris", f"convene {case_ref} at today 16:00")
    await bot.drain()
    summary = sent_to(bot, CHRIS_CHAT)[-1]
    status, _ = await bot.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
    assert status == 200
    await bot.drain()
    return [m for m in sent_to(bot, POLICE) if case_ref in card_json(m.activity)][-1]


async def police_invitation(bot: Bot) -> Invitation:
    async with bot.state["factory"]() as session:
        row = await session.scalar(select(Invitation).where(Invitation.agency_kind == "police"))
    assert row is not None
    return row


# Logs --------------------------------------------------------------------------------------


async def _break_invitation_updates(bot: Bot) -> None:
    """Every UPDATE of an invitation fails inside the database (as a constraint or a fault would)."""
    async with bot.state["engine"].begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("CREATE TRIGGER refuse_answers BEFORE UPDATE ON invitations "
                                       "BEGIN SELECT RAISE(ABORT, 'induced failure'); END")  # fmt: skip
        else:
            await conn.exec_driver_sql("CREATE FUNCTION refuse_answers() RETURNS trigger AS $$ BEGIN "
                                       "RAISE EXCEPTION 'induced failure'; END $$ LANGUAGE plpgsql")  # fmt: skip
            await conn.exec_driver_sql("CREATE TRIGGER refuse_answers BEFORE UPDATE ON invitations "
                                       "FOR EACH ROW EXECUTE FUNCTION refuse_answers()")  # fmt: skip


async def test_nothing_typed_reaches_the_logs_even_when_the_database_fails(bot: Bot, captured_logs: io.StringIO) -> None:
    thread = await invited(bot, "CR-71")
    accept = verb_data(thread.activity, "accept")
    # Free text in a command, in card data, and in a verb nobody knows (100 KB).
    await bot.say("chris", f"status {MARKER} {MARKER}")
    await bot.say("chris", f"convene CR-72 concerns {MARKER}")
    status, _ = await bot.click("pat", "v" * 100_000, {"note": MARKER})
    assert status == 200
    status, body = await bot.click("pat", "accept", accept, thread.conversation_id)
    assert status == 200 and body["statusCode"] == 200
    # Now the database refuses the next write, which carries a reason typed by a person.
    await _break_invitation_updates(bot)
    status, body = await bot.click("olly", "withdraw", {**accept, "withdraw_reason": f"{MARKER} at the hospital"},
                                   thread.conversation_id)  # fmt: skip
    assert status == 200 and body["statusCode"] == 400 and "nothing was changed" in body["value"]["message"]
    await bot.drain()

    logged = captured_logs.getvalue()
    assert "card action failed" in logged and "induced" not in logged  # the failure is logged, its message is not
    assert "Traceback" in logged  # with where it happened
    assert MARKER not in logged
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]
    assert lines and max(len(json.dumps(line)) for line in lines) < 10_000
    # Verbs are identifiers and may be logged, but never 100 KB of one.
    assert any(line.get("verb", "").startswith("vvvv") for line in lines)
    assert all(len(str(line.get("verb", ""))) <= 300 for line in lines)


# Files -------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # A permissive umask in the parent: the bot must not rely on the operator's.
    return subprocess.run(["sh", "-c", 'umask 022; exec "$0" "$@"', sys.executable, "-m", "bot.cli", *args],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=120)  # fmt: skip


async def test_files_the_bot_creates_are_private(tmp_path: Path, connector: FakeConnector, clock: Clock) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SDBOT_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    database = tmp_path / "var" / "sdbot.db"
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    result = _run(["migrate"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert _mode(database) == 0o600

    # Serving: the database's -wal and -shm exist while it runs; a file an older version left
    # readable by others is tightened.
    database.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        bot = Bot(make_settings(env["DATABASE_URL"], service_url=connector.url), connector, clock)
        await bot.start()
        try:
            await bot.say("chris", "convene CR-81 at today 16:00")
            await bot.drain()
            files = {p.name: _mode(p) for p in database.parent.iterdir()}
            assert {"sdbot.db", "sdbot.db-wal", "sdbot.db-shm"} <= set(files), files
            assert set(files.values()) == {0o600}, files
        finally:
            await bot.stop()
    finally:
        os.umask(old_umask)

    for fmt in ("json", "md", "html"):
        out = tmp_path / "exports" / f"CR-81.{fmt}"
        result = _run(["export", "CR-81", "--format", fmt, "--out", str(out)], env, tmp_path)
        assert result.returncode == 0, result.stderr
        assert _mode(out) == 0o600 and "CR-81" in out.read_text()
        assert "CR-81" not in result.stdout.replace(str(out), "")  # written to the file, not printed
    package = tmp_path / "build" / "app.zip"
    package.parent.mkdir()
    package.write_bytes(b"an older package")
    package.chmod(0o644)
    result = _run(["package", "--out", str(package)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert _mode(package) == 0o600


# Hostile input -----------------------------------------------------------------------------


async def test_deeply_nested_json_is_a_400(bot: Bot) -> None:
    assert bot.client is not None
    deep = b'{"type": "message", "value": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    r = await bot.client.post("/api/messages", data=deep, headers={"Content-Type": "application/json"})
    assert r.status == 400 and "nested" in (await r.json())["error"]
    activity = activities.invoke(PEOPLE["chris"], "status", {}, bot.connector.url)
    node: Any = {}
    activity["value"]["action"]["data"] = {"x": node}
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    status, body = await bot.post(activity)
    assert status == 400, body
    assert (await bot.client.get("/healthz")).status == 200


async def test_unknown_invoke_names_get_an_error_body_not_a_501(bot: Bot) -> None:
    for name in ("composeExtension/query", "task/fetch", "config/fetch", "x" * 5000):
        activity = activities.invoke(PEOPLE["chris"], "status", {}, bot.connector.url)
        activity["name"] = name
        status, body = await bot.post(activity)
        assert status == 200, (name, status)
        assert body["statusCode"] == 400 and body["type"] == "application/vnd.microsoft.error"


async def test_nul_and_lone_surrogates_are_cleaned_not_fatal(bot: Bot) -> None:
    thread = await invited(bot, "CR-73")
    accept = verb_data(thread.activity, "accept")
    status, body = await bot.click("pat", "decline", {**accept, "decline_reason": "Off\x00 sick \ud800today"},
                                   thread.conversation_id)  # fmt: skip
    assert status == 200 and body["statusCode"] == 200, body
    inv = await police_invitation(bot)
    assert inv.status == "declined" and inv.answer_reason == "Off sick \ufffdtoday"
    # In a typed command too (the text is stored and echoed).
    await bot.say("chris", "status CR-73\x00")
    await bot.drain()
    assert "CR-73" in card_json(sent_to(bot, CHRIS_CHAT)[-1].activity)


async def test_a_slow_body_is_cut_off_with_408(sqlite_url: str, connector: FakeConnector, clock: Clock) -> None:
    bot = Bot(make_settings(sqlite_url, service_url=connector.url, body_timeout_seconds=1.0), connector, clock)
    await bot.start()
    try:
        assert bot.client is not None
        server = bot.client.server
        body = json.dumps(activities.message(PEOPLE["chris"], "help", connector.url)).encode()
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:20])  # fmt: skip
        await writer.drain()
        started = time.monotonic()
        answer = await asyncio.wait_for(reader.read(4096), 5)  # the rest never comes
        assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
        assert 0.9 < time.monotonic() - started < 3
        writer.close()
        await bot.drain()
        assert connector.sent == []
        assert (await bot.client.get("/healthz")).status == 200
    finally:
        await bot.stop()


async def test_a_known_activity_id_from_someone_else_is_not_replayed(bot: Bot) -> None:
    thread = await invited(bot, "CR-74")
    accept = verb_data(thread.activity, "accept")
    status, first = await bot.click("pat", "accept", accept, thread.conversation_id, activity_id="dup-1")
    assert status == 200 and "Pat Lead" in json.dumps(first)
    # Someone else, in their own chat, sends an activity with the same id: it is theirs, handled
    # (Ed may not answer for the police), not Pat's card replayed.
    status, other = await bot.click("ed", "accept", accept, activity_id="dup-1")
    assert status == 200 and other != first
    assert "can't answer" in json.dumps(other).lower() and "Pat Lead" not in json.dumps(other)
    # Teams retrying Pat's own press still gets Pat's answer, and it counts once.
    status, again = await bot.click("pat", "accept", accept, thread.conversation_id, activity_id="dup-1")
    assert again == first


async def test_a_withdrawal_is_recorded_under_who_withdrew(bot: Bot) -> None:
    thread = await invited(bot, "CR-75")
    accept = verb_data(thread.activity, "accept")
    await bot.click("pat", "accept", accept, thread.conversation_id)
    assert (await police_invitation(bot)).person_id == "pat"
    status, _ = await bot.click("olly", "withdraw", {**accept, "withdraw_reason": "Called away"}, thread.conversation_id)
    assert status == 200
    inv = await police_invitation(bot)
    assert inv.status == "withdrawn" and inv.person_id == "olly"


HOSTILE = "[click me](https://evil.example/x) **urgent**\n# Heading\n- item\n1. first <at>Pat Lead</at> _it_"


async def test_typed_text_is_shown_literally_on_cards(bot: Bot) -> None:
    thread = await invited(bot, "CR-76")
    accept = verb_data(thread.activity, "accept")
    status, body = await bot.click("pat", "decline", {**accept, "decline_reason": HOSTILE}, thread.conversation_id)
    assert status == 200
    await bot.drain()
    # The chair's roster (a private copy: it shows the reason) shows it escaped.
    roster = [u for u in bot.connector.updates if u.conversation_id == CHRIS_CHAT][-1]
    for shown in (card_json(roster.activity),):
        assert "\\\\[click me\\\\](https://evil.example/x)" in shown
        assert "\\\\*\\\\*urgent\\\\*\\\\*" in shown and "\\\\# Heading" in shown and "\\\\- item" in shown
        assert "1\\\\. first" in shown and "\\\\<at\\\\>Pat Lead\\\\</at\\\\>" in shown and "\\\\_it\\\\_" in shown
        assert "[click me](" not in shown and "**urgent**" not in shown


async def test_typed_text_is_escaped_in_the_markdown_export_and_the_html_export(bot: Bot) -> None:
    did = await held(bot, "CR-78")
    meeting = sent_to(bot, activities.personal_conversation("29:hana"))[-1]
    status, _ = await bot.click("hana", "info_add", {"discussion_id": did, "info": HOSTILE}, meeting.conversation_id)
    assert status == 200
    status, _ = await bot.click("pat", "disagree", {"discussion_id": did, "about": "| a | table |\n## Not a heading"})
    assert status == 200
    env = {**os.environ, "DATABASE_URL": bot.settings.database_url}
    md = subprocess.run([sys.executable, "-m", "bot.cli", "export", "CR-78", "--format", "md"],
                        capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert md.returncode == 0, md.stderr
    assert "\\[click me\\](https://evil.example/x)" in md.stdout and "[click me](" not in md.stdout
    assert "\\*\\*urgent\\*\\*" in md.stdout and "\\# Heading" in md.stdout and "\\<at\\>Pat Lead" in md.stdout
    assert "\\| a \\| table \\|" in md.stdout and "\\#\\# Not a heading" in md.stdout
    assert not any(line.startswith(("# Heading", "## Not", "- item", "1. first")) for line in md.stdout.splitlines())
    html = subprocess.run([sys.executable, "-m", "bot.cli", "export", "CR-78", "--format", "html"],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert html.returncode == 0 and "&lt;at&gt;Pat Lead&lt;/at&gt;" in html.stdout and "<at>" not in html.stdout


# Database outage ---------------------------------------------------------------------------


class Outage:
    """SQLite: another process holds the write lock. PostgreSQL: the database turns read-only
    (as after a failover to a replica), and the bot's pooled connections are dropped."""

    def __init__(self, bot: Bot):
        self.bot = bot
        self.url = bot.settings.database_url
        self._lock: sqlite3.Connection | None = None

    async def begin(self) -> None:
        engine = self.bot.state["engine"]
        if self.url.startswith("sqlite"):
            self._lock = sqlite3.connect(self.url.split(":///", 1)[1], isolation_level=None)
            self._lock.execute("BEGIN EXCLUSIVE")
        else:
            async with engine.connect() as conn:
                name = (await conn.execute(text("select current_database()"))).scalar_one()
                await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
                await conn.commit()
            await engine.dispose()

    async def end(self) -> None:
        engine = self.bot.state["engine"]
        if self._lock is not None:
            self._lock.execute("ROLLBACK")
            self._lock.close()
            self._lock = None
        else:
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("SET default_transaction_read_only = off"))
                name = (await conn.execute(text("select current_database()"))).scalar_one()
                await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'))
            await engine.dispose()


async def test_a_database_outage_answers_fast_with_503_and_no_traceback(bot: Bot, captured_logs: io.StringIO) -> None:
    assert bot.client is not None
    thread = await invited(bot, "CR-77")
    accept = verb_data(thread.activity, "accept")
    await bot.drain()
    sent_before = len(bot.connector.sent)
    outage = Outage(bot)
    await outage.begin()
    try:
        started = time.monotonic()
        r = await bot.client.get("/healthz")
        assert r.status == 503 and time.monotonic() - started < 2
        assert (await r.json())["status"] == "unhealthy"

        started = time.monotonic()
        message = activities.message(PEOPLE["chris"], "status CR-77", bot.connector.url)
        status, body = await bot.post(message)
        assert status == 503 and time.monotonic() - started < 8, (status, body)

        started = time.monotonic()
        status, body = await bot.click("pat", "accept", accept, thread.conversation_id)
        assert status == 200 and body["statusCode"] == 503 and time.monotonic() - started < 8
        assert "nothing was changed" in body["value"]["message"]
    finally:
        await outage.end()
    logged = captured_logs.getvalue()
    assert "Traceback" not in logged and "database unavailable" in logged

    # Back up: the same message is accepted now (Teams retries it), and healthz is ok.
    assert (await bot.client.get("/healthz")).status == 200
    status, _ = await bot.post(message)
    assert status == 201
    await bot.drain()
    assert len(bot.connector.sent) == sent_before + 1
    assert (await police_invitation(bot)).status == "pending"  # the refused press changed nothing


def test_the_log_formatter_bounds_fields_and_withholds_exception_messages() -> None:
    formatter = JsonFormatter()
    try:
        raise ValueError(f"could not parse {MARKER}")
    except ValueError:
        record = logging.LogRecord("sdbot.test", logging.ERROR, __file__, 1, "failed %s", ("x" * 5000,), sys.exc_info())
    record.verb = "v" * 100_000
    line = json.loads(formatter.format(record))
    assert MARKER not in json.dumps(line) and "ValueError" in line["exc"] and "test_hardening.py" in line["exc"]
    assert len(line["msg"]) < 600 and len(line["verb"]) < 300
