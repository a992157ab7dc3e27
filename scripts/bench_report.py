"""Benchmark `sdbot report` over generated discussions (not a test: run it by hand).

    .venv/bin/python scripts/bench_report.py [--discussions 10000] [--database-url URL]

Creates a fresh database (SQLite in a temporary folder unless --database-url names an empty
one), writes the discussions directly with bulk INSERTs (invitations, attendance, escalations
and disagreements too, with fictional case references), then runs `sdbot report` as a
separate process for each format and prints how long each took, wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from procedure import AGENCY_KINDS, ESCALATION_KINDS  # noqa: E402
from storage.db import create_engine, migrate_sync, session_factory, transaction  # noqa: E402
from storage.directory import load_directory, sync_directory  # noqa: E402
from storage.models import (  # noqa: E402
    Attendance,
    Disagreement,
    Discussion,
    Escalation,
    Invitation,
)

AGENCIES = [("csc", "csc"), ("police", "police"), ("health", "health"), ("paediatrics", "paediatrics"),
            ("education", "education"), ("gp", "gp"), ("adults", "adult-services")]  # fmt: skip
RULES = ["within 3 working days of the referral (SX 6.6 Timing)", "same day as the referral: serious physical injury (SX 6.6 Timing)",
         "within 1 working day of the immediate protective action (SX 6.6 Timing)"]  # fmt: skip


def rows(n: int, now: datetime, seed: int = 13) -> dict[str, list[dict[str, object]]]:
    rng = random.Random(seed)
    out: dict[str, list[dict[str, object]]] = {"discussions": [], "invitations": [], "attendance": [],
                                               "escalations": [], "disagreements": []}  # fmt: skip
    for k in range(n):
        did = str(uuid.UUID(int=rng.getrandbits(128)))
        invited = now - timedelta(days=rng.uniform(0, 92))
        referral = invited - timedelta(hours=rng.uniform(0, 30))
        convene_by = referral + timedelta(days=rng.choice((0.5, 1, 3, 5)))
        fate = rng.random()
        started = None if fate < 0.08 else invited + timedelta(hours=rng.uniform(1, 140))
        closed = started + timedelta(hours=1) if started and rng.random() < 0.9 else None
        circulate_by = closed + timedelta(days=1) if closed else None
        circulated = closed + timedelta(hours=rng.uniform(0, 40)) if closed and rng.random() < 0.93 else None
        s47 = closed is not None and rng.random() < 0.4
        icpc_by = (started + timedelta(days=21)) if s47 and started else None
        icpc_held = started + timedelta(days=rng.uniform(7, 28)) if icpc_by and started and rng.random() < 0.8 else None
        out["discussions"].append(dict(
            id=did, case_ref=f"BENCH-{k:05d}", kind="initial", status="closed" if closed else ("in_progress" if started else "invited"),
            profile="pan-sussex", referral_received_at=referral, concerns=["significant-harm"], flags=[],
            convene_by=convene_by, convene_by_rule=rng.choice(RULES), scheduled_for=started or invited + timedelta(hours=4),
            duration_minutes=60, format="teams", chair_person_id="chris", created_at=invited - timedelta(minutes=5),
            invited_at=invited, started_at=started, quorate_at_start=(rng.random() < 0.85) if started else None,
            closed_at=closed, circulate_by=circulate_by, circulated_at=circulated,
            icpc_by=icpc_by, s47_initiated=s47, initiating_discussion_id=did if s47 else None,
            icpc_held_at=icpc_held if icpc_held and icpc_held < now else None,
            agenda_step=0, agenda={}, meeting_pending=False,
        ))  # fmt: skip
        for position, (agency, kind) in enumerate(AGENCIES[: rng.randint(3, len(AGENCIES))]):
            status = rng.choices(("accepted", "declined", "withdrawn", "pending"), (80, 8, 6, 6))[0]
            out["invitations"].append(dict(
                id=str(uuid.UUID(int=rng.getrandbits(128))), discussion_id=did, position=position, agency_id=agency,
                agency_kind=kind, required=position < 3, reason="generated", source="bench", status=status,
                late=status == "withdrawn" and rng.random() < 0.5, sent_at=invited,
            ))  # fmt: skip
            if started:
                out["attendance"].append(dict(discussion_id=did, name=f"Generated {agency}", role="", agency_id=agency,
                                              agency_name=agency, agency_kind=kind, present=status == "accepted"))  # fmt: skip
        for e in range(rng.choice((0, 0, 0, 1, 2))):
            out["escalations"].append(dict(discussion_id=did, kind=rng.choice(list(ESCALATION_KINDS)), dedupe_key=f"bench:{did}:{e}",
                                           notified=[], detail="", at=invited + timedelta(hours=1)))  # fmt: skip
        if rng.random() < 0.05:
            out["disagreements"].append(dict(id=str(uuid.UUID(int=rng.getrandbits(128))), discussion_id=did,
                                             raised_by_name="Generated", about="generated", stage_index=rng.randint(0, 3),
                                             resolve_by=invited + timedelta(days=7)))  # fmt: skip
    return out


async def fill(url: str, n: int) -> None:
    engine = create_engine(url)
    data = rows(n, datetime.now(UTC))
    try:
        async with transaction(session_factory(engine)) as session:
            await sync_directory(session, load_directory(kinds=AGENCY_KINDS))
        for model in (Discussion, Invitation, Attendance, Escalation, Disagreement):
            batch = data[model.__tablename__]
            for i in range(0, len(batch), 2000):
                async with transaction(session_factory(engine)) as session:
                    await session.execute(insert(model), batch[i : i + 2000])
    finally:
        await engine.dispose()
    print(f"generated {n} discussions, {len(data['invitations'])} invitations, {len(data['attendance'])} attendance rows, "
          f"{len(data['escalations'])} escalations, {len(data['disagreements'])} disagreements")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--discussions", type=int, default=10_000)
    parser.add_argument("--database-url", help="an EMPTY database to fill (default: SQLite in a temporary folder)")
    parser.add_argument("--keep", metavar="FILE", help="fill this new SQLite file and keep it (to time `sdbot report` "
                        "against it again, e.g. with /usr/bin/time)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{args.keep or folder + '/bench.db'}"
        migrate_sync(url)
        asyncio.run(fill(url, args.discussions))
        if args.keep:
            print(f"kept {args.keep}: DATABASE_URL={url}")
        sdbot = str(Path(sys.executable).with_name("sdbot"))
        env = {**os.environ, "DATABASE_URL": url, "SDBOT_LOG_LEVEL": "WARNING"}
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work slows the wall time)")
        for fmt in ("json", "md", "html"):
            out = Path(folder) / f"report.{fmt}"
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([sdbot, "report", "--format", fmt, "--out", str(out)], env=env, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            took = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
            print(f"sdbot report --format {fmt}: {took:.2f} s wall, {cpu:.2f} s CPU (whole process), "
                  f"{out.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
