"""`sdbot report`: the learning and assurance figures as JSON, Markdown or a self-contained
HTML page, on stdout or into a file.

Imports only what the report needs, when it runs (not the bot, cards or record exports):
`sdbot --help` builds this parser, and a manager's `sdbot report` should start quickly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from bot.settings import Settings
    from dialogs.report import Period
    from dialogs.services import Services


def add_parser(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report",
        help="learning and assurance figures: timeliness, attendance, late withdrawals, escalations",
        description="Figures over the discussions whose invitations were sent in the period "
        "(README: Learning and assurance reports).",
    )
    report.add_argument("--from", dest="from_date", metavar="DATE", help="first day, UK style (default: 3 months before --to)")
    report.add_argument("--to", dest="to_date", metavar="DATE", help="last day, UK style, e.g. 30/11/2026 (default: today)")
    report.add_argument("--format", choices=("json", "html", "md"), default="json")
    report.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")


def run_report(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import json
    from datetime import UTC, datetime

    from dialogs.parse import InputError
    from dialogs.report import period_from
    from dialogs.services import Services
    from procedure.profile import load_profile

    services = Services.build(load_profile(settings.profile or None), settings.timezone)
    now = datetime.now(UTC)
    try:
        period = period_from(args.from_date, args.to_date, now, settings.timezone)
    except InputError as e:
        print(f"sdbot report: {e}", file=sys.stderr)
        return 2
    report = asyncio.run(_build(settings, services, period, now))
    if args.format == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False)
    elif args.format == "md":
        from dialogs.report import to_markdown

        text = to_markdown(report)
    else:
        from dialogs.report import to_html

        text = to_html(report)
    if args.out:
        from bot.files import write_private

        out = Path(args.out)
        write_private(out, text + "\n")  # it names cases to follow up: owner-only, like exports
        print(f"wrote {out}: {report['discussions']} discussion(s), {report['period']['from']} to {report['period']['to']}")
    else:
        print(text)
    return 0


async def _build(settings: Settings, services: Services, period: Period, now: datetime) -> dict[str, Any]:
    from dialogs.report import build_report
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            return await build_report(session, services, period, now)
    finally:
        await engine.dispose()
