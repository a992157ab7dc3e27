"""A fake Bot Connector on 127.0.0.1: records what the bot posts, creates and edits, and
answers like the real service, including its failures (429 with Retry-After, 5xx, resets)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web


@dataclass
class Recorded:
    method: str
    path: str
    conversation_id: str | None
    body: Any
    headers: dict[str, str]
    status: int
    at: float


@dataclass
class Message:
    conversation_id: str
    activity_id: str
    activity: dict[str, Any]


@dataclass
class _Fault:
    count: int
    status: int | None  # None: drop the connection
    retry_after: float | None
    match: str | None
    delay: float = 0.0


@dataclass
class FakeConnector:
    requests: list[Recorded] = field(default_factory=list)
    sent: list[Message] = field(default_factory=list)
    updates: list[Message] = field(default_factory=list)
    created_conversations: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1000)
        self._faults: list[_Fault] = []
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.held = 0  # requests that arrived while delay_next was in force

    # Control -------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int, retry_after: float | None = None, match: str | None = None) -> None:
        self._faults.append(_Fault(count, status, retry_after, match))

    def drop_connection_next(self, count: int, match: str | None = None) -> None:
        self._faults.append(_Fault(count, None, None, match))

    def delay_next(self, count: int, seconds: float, match: str | None = None) -> None:
        """Hold the next requests before handling them (a request cut off while held is lost)."""
        self._faults.append(_Fault(count, 0, None, match, delay=seconds))

    def clear_faults(self) -> None:
        self._faults.clear()

    def add_member(self, conversation_id: str, member: dict[str, Any]) -> None:
        self.members.setdefault(conversation_id, []).append(member)

    def messages_in(self, conversation_id: str) -> list[dict[str, Any]]:
        """The current content of each message in a conversation, edits applied."""
        return [dict(a, id=aid) for (cid, aid), a in self._messages.items() if cid == conversation_id]

    async def wait_for(self, predicate: Callable[[FakeConnector], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out: {len(self.sent)} sent, {len(self.updates)} updates, "
                                     f"{len(self.requests)} requests")  # fmt: skip
            await asyncio.sleep(0.02)

    # Server --------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._put)
        app.router.add_get("/v3/conversations/{cid}/members", self._members)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged_members)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeConnector:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # Handlers ------------------------------------------------------------------------------

    async def _intercept(self, request: web.Request, body: Any, cid: str | None) -> web.StreamResponse | None:
        for fault in self._faults:
            if fault.count > 0 and (fault.match is None or fault.match in unquote(request.path)):
                fault.count -= 1
                if fault.delay:
                    self.held += 1
                    await asyncio.sleep(fault.delay)
                    if request.transport is None or request.transport.is_closing():
                        # The caller is gone (killed): like a request that never completed.
                        raise ConnectionResetError("caller went away while the request was held")
                    return None
                self._record(request, body, cid, fault.status or 0)
                if fault.status is None:
                    assert request.transport is not None
                    request.transport.close()
                    raise ConnectionResetError("dropped by the fake connector")
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                return web.json_response({"error": {"code": "Throttled" if fault.status == 429 else "ServiceError",
                                                    "message": "injected"}}, status=fault.status, headers=headers)  # fmt: skip
        return None

    def _record(self, request: web.Request, body: Any, cid: str | None, status: int) -> None:
        self.requests.append(Recorded(request.method, unquote(request.path), cid, body,
                                      dict(request.headers), status, time.monotonic()))  # fmt: skip

    async def _json(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except (ValueError, json.JSONDecodeError):
            return None

    def _new_id(self) -> str:
        return str(next(self._ids))

    async def _create(self, request: web.Request) -> web.StreamResponse:
        body = await self._json(request)
        fault = await self._intercept(request, body, None)
        if fault is not None:
            return fault
        if not isinstance(body, dict):
            self._record(request, body, None, 400)
            return web.json_response({"error": {"code": "BadArgument", "message": "no body"}}, status=400)
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        activity = body.get("activity")
        self.created_conversations.append(body)
        if channel:
            message_id = self._new_id()
            cid = f"{channel};messageid={message_id}"
            if isinstance(activity, dict):
                self._store(cid, message_id, activity)
            self._record(request, body, cid, 201)
            return web.json_response({"id": cid, "activityId": message_id}, status=201)
        members = body.get("members") or []
        if len(members) != 1 or not members[0].get("id"):
            self._record(request, body, None, 400)
            return web.json_response({"error": {"code": "BadArgument", "message": "members"}}, status=400)
        cid = f"a:personal-{members[0]['id']}"
        activity_id = None
        if isinstance(activity, dict):
            activity_id = self._new_id()
            self._store(cid, activity_id, activity)
        self._record(request, body, cid, 201)
        return web.json_response({"id": cid, **({"activityId": activity_id} if activity_id else {})}, status=201)

    def _store(self, cid: str, aid: str, activity: dict[str, Any]) -> None:
        self.sent.append(Message(cid, aid, activity))
        self._messages[(cid, aid)] = activity

    async def _post(self, request: web.Request) -> web.StreamResponse:
        cid = unquote(request.match_info["cid"])
        body = await self._json(request)
        fault = await self._intercept(request, body, cid)
        if fault is not None:
            return fault
        if not isinstance(body, dict) or not body.get("type"):
            self._record(request, body, cid, 400)
            return web.json_response({"error": {"code": "BadArgument", "message": "not an activity"}}, status=400)
        aid = self._new_id()
        self._store(cid, aid, body)
        self._record(request, body, cid, 200)
        return web.json_response({"id": aid})

    async def _put(self, request: web.Request) -> web.StreamResponse:
        cid, aid = unquote(request.match_info["cid"]), unquote(request.match_info["aid"])
        body = await self._json(request)
        fault = await self._intercept(request, body, cid)
        if fault is not None:
            return fault
        if (cid, aid) not in self._messages:
            self._record(request, body, cid, 404)
            return web.json_response({"error": {"code": "ActivityNotFoundInConversation", "message": aid}}, status=404)
        if not isinstance(body, dict) or not body.get("type"):
            self._record(request, body, cid, 400)
            return web.json_response({"error": {"code": "BadArgument", "message": "not an activity"}}, status=400)
        self._messages[(cid, aid)] = body
        self.updates.append(Message(cid, aid, body))
        self._record(request, body, cid, 200)
        return web.json_response({"id": aid})

    async def _members(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.members.get(unquote(request.match_info["cid"]), []))

    async def _paged_members(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"members": self.members.get(unquote(request.match_info["cid"]), [])})
