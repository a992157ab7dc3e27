"""`sdbot report` stays quick by importing only what it needs (a guard that times nothing): not
the bot's web stack, cards, the record's exports, matplotlib, the `holidays` package (a table
holds the dates) or the date parser when no date is given; and `sdbot --help` still lists every
command."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from storage.db import migrate_sync
from tests.test_reports import _load as load_fixtures

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "botbuilder", "aiohttp", "holidays", "dateparser", "cards", "reportlab", "docx", "bot.app",
         "bot.handler", "bot.export", "dialogs.record_view", "dialogs.router", "storage.queries")  # fmt: skip
PROBE = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
loaded = sorted({m for m in sys.modules for h in json.loads(%r) if m == h or m.startswith(h + ".")})
print(json.dumps({"code": code, "loaded": loaded}))
"""


def run(database_url: str, *args: str) -> dict[str, object]:
    env = {**os.environ, "DATABASE_URL": database_url, "SDBOT_LOG_LEVEL": "WARNING"}
    result = subprocess.run([sys.executable, "-c", PROBE % json.dumps(HEAVY), *args], capture_output=True, text=True,
                            env=env, timeout=120, cwd=ROOT)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


async def test_report_imports_only_what_it_needs(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/sd.db"
    await asyncio.to_thread(migrate_sync, url)
    await load_fixtures(url)  # held discussions: the median counts working days (bank holidays)
    for fmt in ("json", "md", "html"):
        probe = await asyncio.to_thread(run, url, "report", "--from", "01/10/2026", "--to", "30/11/2026", "--format", fmt,
                                        "--out", str(tmp_path / f"r.{fmt}"))  # fmt: skip
        # The dates given need the date parser; nothing else heavy is loaded.
        loaded = probe["loaded"]
        assert probe["code"] == 0 and isinstance(loaded, list) and all(m.startswith("dateparser") for m in loaded), (fmt, probe)
    assert json.loads((tmp_path / "r.json").read_text())["median_working_days_referral_to_discussion"] == 2.0
    assert "<svg" in (tmp_path / "r.html").read_text()
    probe = await asyncio.to_thread(run, url, "report", "--out", str(tmp_path / "default.json"))  # no dates: no parser
    assert probe == {"code": 0, "loaded": []}


def test_help_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0
    for command in ("serve", "worker", "migrate", "export", "package", "check", "purge", "report", "audit"):
        assert f"    {command}" in result.stdout, command
    result = subprocess.run([sys.executable, "-m", "bot.cli", "report", "--help"], capture_output=True, text=True, timeout=60,
                            cwd=ROOT)  # fmt: skip
    assert result.returncode == 0 and all(o in result.stdout for o in ("--from", "--to", "--format", "--out"))
