"""`sdbot`: serve the bot, run the worker, migrate, export a record, build the Teams app package."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bot import logs
from bot.settings import load_settings

DESCRIPTION = """\
Strategy Discussions bot for Microsoft Teams.

Convenes and runs multi-agency child-protection Strategy Discussions: works out the
convene-by deadline in working days, invites the agencies the procedure requires,
tracks answers and late withdrawals, escalates, guides the chair through the agenda and
circulates the record.

Settings come from the environment or a .env file (see README "Settings"):
MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppType, MicrosoftAppTenantId, SDBOT_DEV,
SDBOT_HOST, SDBOT_PORT, DATABASE_URL, SDBOT_DIRECTORY, SDBOT_PROFILE, SDBOT_TIMEZONE.
"""

EPILOG = """\
examples:
  SDBOT_DEV=1 sdbot serve            serve locally without authentication
  sdbot migrate                      create or upgrade the database
  sdbot export CR-1234 --format md   print the record of case CR-1234
  sdbot export CR-1234 --format pdf --out CR-1234.pdf   the printable record
  sdbot package --out sdbot.zip      build the Teams app package to upload
  sdbot purge --dry-run              list cases past the retention period
  sdbot report --format html --out report.html   learning and assurance figures, last 3 months
  sdbot audit verify                 check the audit log's hash chain (exit 1 if broken)
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sdbot",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve the bot at /api/messages (with the outbox worker and scheduler)")
    serve.add_argument("--host", help="address to listen on (default SDBOT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default SDBOT_PORT or 3978)")
    sub.add_parser("worker", help="run only the outbox worker and the scheduler (for extra instances)")
    sub.add_parser("migrate", help="create or upgrade the database to the newest schema (Alembic)")
    export = sub.add_parser("export", help="the record of a case: JSON, Markdown or HTML to stdout, or a PDF or Word file")
    export.add_argument("case_ref", metavar="CASE_REF")
    export.add_argument("--format", choices=("json", "md", "html", "pdf", "docx"), default="json",
                        help="json (CONTRACT section 6), md, html, or pdf / docx (printable A4; need --out)")
    export.add_argument("--out", metavar="FILE", help="write to FILE (readable by you only) instead of stdout")
    package = sub.add_parser("package", help="build the Teams app package (zip) to upload to Teams")
    package.add_argument("--out", default="build/sdbot-teams-app.zip", help="where to write the zip")
    package.add_argument("--version", default="1.0.0", help="app version in the manifest")
    sub.add_parser("check", help="validate the directory file and the procedure profile, then exit")
    purge = sub.add_parser("purge", help="delete cases past the profile's retention period (leaves an audit entry)")
    purge.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    from bot import report as report_command  # `sdbot report` (learning and assurance)

    report_command.add_parser(sub)
    audit = sub.add_parser("audit", help="the tamper-evident audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="AUDIT_COMMAND")
    audit_sub.add_parser("verify", help="check the hash chain: exit 0 if it holds, 1 naming the first bad entry")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # Everything sdbot writes (the SQLite database and its -wal/-shm, exports, the package)
    # holds confidential data or credentials' context: owner-only, whatever the shell's umask.
    os.umask(0o077)
    if not args.command:
        parser.print_help()
        return 0
    settings = load_settings()
    logs.configure(os.environ.get("SDBOT_LOG_LEVEL", "INFO"))
    if args.command == "serve":
        return _serve(settings, args.host, args.port)
    if args.command == "worker":
        from bot.worker import run_worker

        return asyncio.run(run_worker(settings))
    if args.command == "migrate":
        from storage.db import migrate_sync

        migrate_sync(settings.database_url)
        print(f"database is at the newest schema: {_safe_url(settings.database_url)}")
        return 0
    if args.command == "export":
        from bot.export import export_case

        return asyncio.run(export_case(settings, args.case_ref, args.format, args.out))
    if args.command == "package":
        return _package(settings, Path(args.out), args.version)
    if args.command == "check":
        return _check(settings)
    if args.command == "purge":
        return asyncio.run(_purge(settings, args.dry_run))
    if args.command == "report":
        from bot.report import run_report

        return run_report(settings, args)
    if args.command == "audit" and args.audit_command == "verify":
        return asyncio.run(_audit_verify(settings))
    parser.print_help()
    return 2


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _serve(settings, host: str | None, port: int | None) -> int:  # type: ignore[no-untyped-def]
    problems = settings.problems()
    if problems:
        for problem in problems:
            print(f"sdbot serve: {problem}", file=sys.stderr)
        return 2
    from aiohttp import web

    from bot.app import create_app

    host = host or settings.host
    port = port or settings.port
    mode = "development mode: NO authentication" if not settings.auth_enabled else f"app id {settings.app_id}"
    print(f"Strategy Discussions bot at http://{host}:{port}/api/messages ({mode}); database {_safe_url(settings.database_url)}", flush=True)
    # On SIGTERM, requests in flight get a few seconds to finish (they take milliseconds;
    # one waiting on the network is bounded anyway), not aiohttp's default minute.
    web.run_app(create_app(settings), host=host, port=port, print=None, access_log=None, shutdown_timeout=5.0)
    return 0


def _package(settings, out: Path, version: str) -> int:  # type: ignore[no-untyped-def]
    from appmanifest.build import build_package

    bot_id = settings.app_id or "00000000-0000-4000-8000-000000000000"
    if not settings.app_id:
        print("sdbot package: MicrosoftAppId is not set; using a placeholder bot id (fine for the Agents Playground, not for Teams)", file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    path = build_package(out, bot_id=bot_id, version=version)
    Path(path).chmod(0o600)  # also when it replaced an older, more open file
    print(f"wrote {path}: upload it in Teams (Apps > Manage your apps > Upload an app)")
    return 0


async def _purge(settings, dry_run: bool) -> int:  # type: ignore[no-untyped-def]
    import getpass
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from procedure import load_profile
    from procedure.times import fmt_when
    from storage.db import compact, create_engine, session_factory, transaction
    from storage.models import utcnow
    from storage.retention import purge

    years = load_profile(settings.profile or None).retention_years
    cutoff = utcnow() - timedelta(days=round(365.25 * years))
    engine = create_engine(settings.database_url)
    warning = None
    try:
        async with transaction(session_factory(engine)) as session:
            expired = await purge(session, cutoff, f"sdbot purge ({getpass.getuser()})", dry_run=dry_run)
        if expired and not dry_run:
            warning = await compact(engine)
    finally:
        await engine.dispose()
    verb = "would delete" if dry_run else "deleted"
    ended = fmt_when(cutoff, "date", ZoneInfo(settings.timezone))
    print(f"retention {years} years (cases ended before {ended}): {verb} {len(expired)} case(s)")
    for case_ref, ids in sorted(expired.items()):
        print(f"  {case_ref}: {len(ids)} discussion(s)")
    if warning:
        print(f"sdbot purge: {warning}", file=sys.stderr)
    return 0


async def _audit_verify(settings) -> int:  # type: ignore[no-untyped-def]
    from storage.audit import verify
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            verdict = await verify(session)
    finally:
        await engine.dispose()
    if not verdict.ok:
        print(f"sdbot audit verify: BROKEN: {verdict.problem}", file=sys.stderr)
        return 1
    print(f"audit log verified: {verdict.entries} entries, {verdict.purged} removed by purges and accounted for")
    # Kept outside the database (a ticket, an e-mail), this line anchors the log: see README.
    print(f"chain head: seq {verdict.head_seq} sha256 {verdict.head_hash}")
    return 0


def _check(settings) -> int:  # type: ignore[no-untyped-def]
    from procedure import AGENCY_KINDS, ProfileError, load_profile
    from storage.directory import DirectoryError, load_directory

    try:
        directory = load_directory(settings.directory or None, kinds=AGENCY_KINDS)
        profile = load_profile(settings.profile or None)
    except (DirectoryError, ProfileError) as e:
        print(f"sdbot check: {e}", file=sys.stderr)
        return 1
    print(f"directory {directory.origin}: {len(directory.agencies)} agencies, {len(directory.people)} people")
    print(f"profile {profile.name}: {profile.title}")
    if settings.timezone != profile.timezone:
        # Deadlines are counted in the profile's zone and shown in SDBOT_TIMEZONE: a deadline
        # "by 23:59" would read as another hour.
        print(f"sdbot check: SDBOT_TIMEZONE is {settings.timezone} but the profile counts working days in "
              f"{profile.timezone} (calendar.timezone): set them the same", file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
