"""The benchmark (`make bench`, `make bench DB=postgres`): how fast the bot answers RSVP presses
and how long one scheduler pass takes, with a large database, next to a floor.

    .venv/bin/python scripts/bench.py [--db sqlite|postgres] [--quick]

What it does, in one run:

1. writes discussions straight into a fresh database (tests/support/bulk.py): 1 000 (200 open),
   then 10 000 (2 000 open, 5 invitations each), then 100 000 (still 2 000 open);
2. at each size, times one scheduler pass (in this process, the same code `sdbot serve` runs)
   and counts its SQL statements: the first pass (it raises what is due) and a second one (the
   steady state: what every poll costs);
3. at 10 000 discussions, starts `sdbot serve` (a subprocess, SDBOT_DEV=1) against a fake Bot
   Connector (a subprocess), and presses Accept on pending invitations (Teams-shaped
   `adaptiveCard/action` invokes, each from a person of the invited agency, each with its own
   activity id) at concurrency 1, 10 and 50; then the same presses against the floor: a minimal
   botbuilder CloudAdapter bot on the same kind of aiohttp route answering each invoke with a
   small card (a subprocess too);
4. prints throughput, p50/p95/p99 latency, the ratio to the floor, errors and the bot's peak
   RSS, and a Markdown table for the README.

Only the Bot Connector is faked. Nothing here is a test: the suite's guard is tests/test_scale.py.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
sys.path.insert(0, str(ROOT))

CONCURRENCY = (1, 10, 50)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The fake Bot Connector and the floor (each run as `bench.py --serve-... PORT`) ---------------


def serve_fake_connector(port: int) -> None:
    """Answers every post, thread and edit at once, like Teams would (200/201 with an id).

    tests/support/connector.py's fake refuses edits of messages it never saw, and these
    messages were posted by the generator, not through it; so a permissive one here."""
    from aiohttp import web

    ids = itertools.count(1800000000000)

    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        aid = str(next(ids))
        cid = f"{channel};messageid={aid}" if channel else f"a:personal-{(body.get('members') or [{}])[0].get('id')}"
        return web.json_response({"id": cid, "activityId": aid}, status=201)

    async def post(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": str(next(ids))})

    async def put(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": request.match_info["aid"]})

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/v3/conversations", create)
    app.router.add_post("/v3/conversations/{cid}/activities", post)
    app.router.add_post("/v3/conversations/{cid}/activities/{aid}", post)
    app.router.add_put("/v3/conversations/{cid}/activities/{aid}", put)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_floor(port: int) -> None:
    """The floor: the least a botbuilder bot does for an invoke, on the same aiohttp route
    shape as bot/app.py (parse, deserialise, authenticate, process_activity)."""
    from aiohttp import web
    from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
    from botbuilder.schema import Activity

    class Config:
        APP_ID = APP_PASSWORD = APP_TENANTID = ""
        APP_TYPE = "MultiTenant"

    card = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.5",
            "body": [{"type": "TextBlock", "text": "Thanks: you accepted.", "wrap": True}]}  # fmt: skip

    class EchoBot(ActivityHandler):
        async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
            return InvokeResponse(status=200, body={"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive",
                                                    "value": card})  # fmt: skip

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        activity = Activity().deserialize(json.loads(await request.read()))
        auth = await adapter.bot_framework_authentication.authenticate_request(
            activity, request.headers.get("Authorization", "")
        )
        response = await adapter.process_activity(auth, activity, bot.on_turn)
        if response is None:
            return web.Response(status=201)
        return web.json_response(response.body, status=response.status or 200)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", lambda _: web.json_response({"status": "ok"}))  # type: ignore[arg-type,return-value]
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# Processes -----------------------------------------------------------------------------------


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], port: int, workdir: Path):
        self.name, self.port = name, port
        self.log = (workdir / f"{name}.log").open("wb")  # noqa: SIM115
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, path: str = "/healthz", limit: float = 120) -> None:
        import aiohttp

        deadline = time.monotonic() + limit
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    async with http.get(self.url + path) as r:
                        if r.status < 500:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not come up; see {self.log.name}")

    def peak_rss_mb(self) -> float:
        """The process's peak resident set (VmHWM), in MB."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def idle(self, limit: float = 180) -> None:
        """Wait until the process stops using the CPU (its outbox and scheduler caught up), so
        what it still does after a run does not slow the next one."""
        deadline = time.monotonic() + limit
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            now = self.cpu_seconds()
            if now - before < 0.03:
                return
            before = now

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SDBOT_", "DATABASE_URL"))}
    env.update(extra)
    return env


# Load ----------------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    concurrency: int
    presses: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def throughput(self) -> float:
        return self.presses / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


async def press_all(url: str, activities: list[dict[str, Any]], concurrency: int, label: str) -> Result:
    import aiohttp

    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for a in activities:
        queue.put_nowait(a)
    latencies: list[float] = []
    errors = 0

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while not queue.empty():
            activity = queue.get_nowait()
            started = time.perf_counter()
            try:
                async with http.post(url + "/api/messages", json=activity) as r:
                    body = await r.json(content_type=None) if r.status == 200 else None
                ok = r.status == 200 and isinstance(body, dict) and body.get("statusCode") == 200 \
                    and body.get("type") == "application/vnd.microsoft.card.adaptive"  # fmt: skip
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += not ok

    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Result(label, concurrency, len(activities), seconds, latencies, errors)


def accept_presses(pending: list[tuple[str, str]], directory: Any, service_url: str) -> list[dict[str, Any]]:
    """One Accept per pending invitation, from a person of the invited agency (round robin),
    in the agency's channel thread, each with its own activity id."""
    from tests.support import activities

    people: dict[str, list[Any]] = {}
    for p in directory.people:
        people.setdefault(p.agency, []).append(p)
    out = []
    for n, (invitation_id, agency_id) in enumerate(pending):
        staff = people[agency_id]
        p = staff[n % len(staff)]
        person = {"teams_id": p.teams_id, "name": p.name, "aad_object_id": p.aad_object_id}
        channel = next(a.channel_id for a in directory.agencies if a.id == agency_id)
        activity = activities.invoke(person, "accept", {"invitation_id": invitation_id}, service_url,
                                     conversation_id=f"{channel};messageid=17000{n:08d}")  # fmt: skip
        activity["id"] = f"bench-{n}-{time.time_ns()}"
        out.append(activity)
    return out


# The scheduler pass --------------------------------------------------------------------------


async def time_pass(url: str, directory: Any, now: datetime) -> tuple[float, int, float, int]:
    """(first pass seconds, its statements, second pass seconds, its statements)."""
    from sqlalchemy import event, text

    from bot.scheduler import Scheduler
    from bot.settings import Settings
    from dialogs.services import Services
    from procedure import load_profile
    from storage.db import create_engine, session_factory

    engine = create_engine(url)
    statements = 0

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    services = Services.build(load_profile(None), "Europe/London", directory.escalation_channel)
    factory = session_factory(engine)
    scheduler = Scheduler(factory, services, Settings(dev=True, database_url=url), clock=lambda: now)
    out: list[float | int] = []
    try:
        async with factory() as session:  # a warm connection, as in `sdbot serve`
            await session.execute(text("select 1"))
        for _ in range(2):
            statements = 0
            started = time.perf_counter()
            await scheduler.run_once()
            out += [time.perf_counter() - started, statements]
    finally:
        await engine.dispose()
    return out[0], int(out[1]), out[2], int(out[3])  # type: ignore[return-value]


# The run -------------------------------------------------------------------------------------


async def run(db: str, quick: bool) -> int:
    from storage.db import create_engine, migrate, session_factory, transaction
    from storage.directory import sync_directory
    from tests.support import bulk

    workdir = Path(tempfile.mkdtemp(prefix="sdbot-bench-"))
    pg = None
    if db == "postgres":
        from tests.support.postgres import PostgresServer

        pg = PostgresServer().start()
        url = pg.make_database("bench")
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    directory = bulk.directory()
    directory_file = workdir / "directory.toml"
    directory_file.write_text(bulk.directory_toml(directory))
    sizes = [(1_000, 200), (10_000, 2_000), (100_000, 2_000)]
    if quick:
        sizes = [(1_000, 200), (10_000, 2_000)]
    presses = {1: 40, 10: 200, 50: 400} if not quick else {1: 20, 10: 60, 50: 100}

    print(f"# sdbot benchmark: {db}, {os.cpu_count()} CPU(s), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    await migrate(url)
    engine = create_engine(url)
    factory = session_factory(engine)
    async with transaction(factory) as session:
        await sync_directory(session, directory)
    now = datetime.now(UTC)
    passes: list[tuple[int, int, float, int, float, int]] = []
    results: list[Result] = []
    rss = float("nan")
    # The fake Bot Connector's address is known now: the generated messages were "posted" there.
    connector_port = free_port()
    connector_url = f"http://127.0.0.1:{connector_port}"
    written = opened = 0
    pending: list[tuple[str, str]] = []
    try:
        for total, open_total in sizes:
            started = time.perf_counter()
            more = await bulk.generate(factory, now, total=total - written, open_count=open_total - opened,
                                       start=written, history=total <= 10_000, service_url=connector_url)  # fmt: skip
            pending += more.pending
            written, opened = total, open_total
            if db == "postgres":
                # What autovacuum does after bulk changes: fresh planner statistics for the new rows.
                async with engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.exec_driver_sql("ANALYZE")
            print(f"wrote {total:,} discussions ({open_total:,} open) in {time.perf_counter() - started:.1f} s", flush=True)
            first, first_n, steady, steady_n = await time_pass(url, directory, now)
            passes.append((total, open_total, first, first_n, steady, steady_n))
            print(f"  scheduler pass: first {first * 1000:.0f} ms ({first_n} statements), "
                  f"steady {steady * 1000:.0f} ms ({steady_n} statements)", flush=True)  # fmt: skip
            if total == 10_000:
                await engine.dispose()
                results, rss = await press_benchmark(url, directory, directory_file, pending, presses, connector_port)
                engine = create_engine(url)
                factory = session_factory(engine)
    except BaseException:
        print(f"benchmark failed; the processes' logs are in {workdir}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    finally:
        await engine.dispose()
        if pg is not None:
            pg.stop()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other work on the machine slows every number)")
    report(db, passes, results, rss)
    return 0


async def press_benchmark(url: str, directory: Any, directory_file: Path, pending: list[tuple[str, str]],
                          presses: dict[int, int], connector_port: int) -> tuple[list[Result], float]:  # fmt: skip
    workdir = directory_file.parent
    bot_port, floor_port = free_port(), free_port()
    me = [sys.executable, str(SCRIPT)]
    connector = Process("connector", [*me, "--serve-connector", str(connector_port)], child_env(), connector_port, workdir)
    floor = Process("floor", [*me, "--serve-floor", str(floor_port)], child_env(), floor_port, workdir)
    bot_env = child_env(DATABASE_URL=url, SDBOT_DEV="1", SDBOT_SERVICE_URL=f"http://127.0.0.1:{connector_port}",
                        SDBOT_DIRECTORY=str(directory_file), SDBOT_LOG_LEVEL="WARNING")  # fmt: skip
    serve = [sys.executable, "-m", "bot.cli", "serve", "--port", str(bot_port)]
    if os.environ.get("BENCH_PROFILE"):  # where to write the bot's cProfile statistics (written when it stops)
        serve[1:1] = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
    bot = Process("bot", serve, bot_env, bot_port, workdir)
    results: list[Result] = []
    try:
        await connector.ready("/", 60)
        await floor.ready()
        await bot.ready()
        service_url = connector.url
        # Accept each pending invitation once; the bot and the floor answer the same presses.
        queue = iter(accept_presses(pending, directory, service_url))
        await bot.idle()
        for c in CONCURRENCY:
            batch = list(itertools.islice(queue, presses[c]))
            bot_result = await press_all(bot.url, batch, c, "bot")
            await bot.idle()
            floor_result = await press_all(floor.url, batch, c, "floor")
            results += [bot_result, floor_result]
            print(f"  concurrency {c}: bot {bot_result.throughput:.1f}/s p50 {bot_result.pct(50):.0f} ms "
                  f"p99 {bot_result.pct(99):.0f} ms ({bot_result.errors} errors); floor {floor_result.throughput:.1f}/s "
                  f"p99 {floor_result.pct(99):.0f} ms", flush=True)  # fmt: skip
        rss = bot.peak_rss_mb()
    finally:
        for p in (bot, floor, connector):
            p.stop()
            p.log.close()
    return results, rss


def report(db: str, passes: list[tuple[int, int, float, int, float, int]], results: list[Result], rss: float) -> None:
    print()
    print(f"## RSVP presses ({db}, 10 000 discussions, 2 000 open, 5 invitations each)")
    print()
    print("| concurrency | presses | bot presses/s | p50 ms | p95 ms | p99 ms | errors | floor presses/s | floor p99 ms | bot / floor |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for bot_r, floor_r in zip(results[::2], results[1::2], strict=True):
        ratio = bot_r.throughput / floor_r.throughput if floor_r.throughput else float("nan")
        print(f"| {bot_r.concurrency} | {bot_r.presses} | {bot_r.throughput:.1f} | {bot_r.pct(50):.0f} | {bot_r.pct(95):.0f} "
              f"| {bot_r.pct(99):.0f} | {bot_r.errors} | {floor_r.throughput:.1f} | {floor_r.pct(99):.0f} | {ratio:.0%} |")  # fmt: skip
    print()
    print(f"Peak RSS of `sdbot serve`: {rss:.0f} MB")
    print()
    print(f"## One scheduler pass ({db})")
    print()
    print("| discussions | open | first pass ms | statements | steady pass ms | statements |")
    print("|---:|---:|---:|---:|---:|---:|")
    for total, open_total, first, first_n, steady, steady_n in passes:
        print(f"| {total:,} | {open_total:,} | {first * 1000:.0f} | {first_n} | {steady * 1000:.0f} | {steady_n} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="fewer presses, no 100 000 size")
    parser.add_argument("--serve-connector", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_connector:
        serve_fake_connector(args.serve_connector)
        return 0
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return 0
    return asyncio.run(run(args.db, args.quick))


if __name__ == "__main__":
    sys.exit(main())
