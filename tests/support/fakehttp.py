"""What the local fakes (Bot Connector, identity platform + Graph) share: the record of each
request, failure injection (status codes with Retry-After, dropped connections, delays),
polling for a condition, and an aiohttp server on 127.0.0.1 with an ephemeral port."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web


@dataclass
class Recorded:
    """One request as the fake saw it. `status` is what it answered; 0: connection dropped."""

    method: str
    path: str  # decoded (conversation ids appear as they are: `19:x@thread.tacv2;messageid=1`)
    conversation_id: str | None
    json: Any  # the parsed body (JSON, or the form fields of a form post); None if none
    headers: dict[str, str]
    status: int
    at: float  # time.monotonic() when the request arrived
    query: dict[str, str] | None = None

    @property
    def body(self) -> Any:  # older name of `json`
        return self.json

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")

    @property
    def failed(self) -> bool:
        return self.status == 0 or self.status >= 400


@dataclass
class Fault:
    count: int
    status: int | None  # an HTTP status; None with delay 0: drop the connection
    retry_after: float | None = None
    match: str | None = None  # applies to requests whose decoded path contains this
    delay: float = 0.0  # > 0: hold the request this long, then handle it normally

    def applies(self, path: str) -> bool:
        return self.count > 0 and (self.match is None or self.match in path)


class Dropped(ConnectionResetError):
    """Raised inside a handler after the fake closed the caller's connection on purpose."""


def retry_after_header(seconds: float) -> str:
    # Real services send whole seconds; fractions keep tests fast (clients should parse both).
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def error_body(status: int, code: str | None = None, message: str = "injected by the test") -> dict[str, Any]:
    default = {400: "BadArgument", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
               412: "PreconditionFailed", 429: "Throttled"}.get(status, "ServiceError")  # fmt: skip
    return {"error": {"code": code or default, "message": message}}


class Faults:
    """Failure injection, consumed in the order the faults were added."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []
        self.held = 0  # requests held by a delay fault

    def add(self, fault: Fault) -> None:
        if fault.count < 0:
            raise ValueError("count must be >= 0")
        self.pending.append(fault)

    def clear(self) -> None:
        self.pending.clear()

    def take(self, path: str) -> Fault | None:
        for fault in self.pending:
            if fault.applies(path):
                fault.count -= 1
                self.pending = [f for f in self.pending if f.count > 0]
                return fault
        return None

    async def apply(self, request: web.Request, record: Callable[[int], None]) -> web.StreamResponse | None:
        """Answer the request as the next matching fault says, or return None to handle it.

        `record(status)` is called for a request the fault answers (0 when dropped)."""
        fault = self.take(request.path)
        if fault is None:
            return None
        if fault.delay > 0:
            self.held += 1
            await asyncio.sleep(fault.delay)
            if request.transport is None or request.transport.is_closing():
                # The caller went away (timed out, or was killed): the request never completed.
                raise Dropped("the caller went away while the request was held")
            return None
        if fault.status is None:
            record(0)
            if request.transport is not None:
                request.transport.abort()
            raise Dropped("connection dropped by the fake")
        record(fault.status)
        headers = {"Retry-After": retry_after_header(fault.retry_after)} if fault.retry_after is not None else {}
        return web.json_response(error_body(fault.status), status=fault.status, headers=headers)


async def wait_until(predicate: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:g}s; got: {describe()}")
        await asyncio.sleep(0.01)


class LocalServer:
    """An aiohttp application served on 127.0.0.1, on a port the OS picks."""

    def __init__(self, app: web.Application, ssl_context: ssl.SSLContext | None = None):
        self._app = app
        self._ssl = ssl_context
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the fake is not started: call (and await) start() first")
        return f"{'https' if self._ssl else 'http'}://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self._runner is not None:
            return
        runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=0.5, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self._ssl)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class FakeService:
    """A fake Microsoft service served by a `LocalServer`: started and stopped with it, or used
    as `async with`. Subclasses set `_server` and may extend `stop` with their own clean-up."""

    _server: LocalServer

    @property
    def url(self) -> str:
        return self._server.url

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

