"""A fake Bot Connector on 127.0.0.1: the REST API a bot's replies and proactive messages use
(create a conversation or channel thread, post, reply, edit, delete, members), recording what
the bot sends and answering like the real service, failures included (429 with Retry-After,
5xx, dropped connections, slow answers).

    async with FakeConnector() as connector:
        ...  # point the bot's serviceUrl at connector.url
        await connector.wait_for(lambda c: len(c.sent) == 2)
        connector.messages_in("19:police-sd@thread.tacv2;messageid=1763...")
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support.fakehttp import (
    FakeService,
    Fault,
    Faults,
    LocalServer,
    Recorded,
    error_body,
    wait_until,
)

__all__ = ["FakeConnector", "Message", "Recorded"]


@dataclass
class Message:
    """A message the bot posted (or its edit, in `updates`)."""

    conversation_id: str
    activity_id: str
    activity: dict[str, Any]
    reply_to: str | None = None

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")


class FakeConnector(FakeService):
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.sent: list[Message] = []
        self.updates: list[Message] = []
        self.deleted: list[tuple[str, str]] = []
        self.created_conversations: list[dict[str, Any]] = []
        self.members: dict[str, list[dict[str, Any]]] = {}
        self.personal_chats: dict[str, str] = {}  # Teams user id -> the 1:1 chat created for them
        self.not_installed_for: set[str] = set()  # Teams user ids a 1:1 chat is refused for (403)
        self._faults = Faults()
        # Teams activity ids look like epoch milliseconds; ours only need to be unique.
        self._ids = itertools.count(1763800000000)
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}  # insertion order = post order
        self._server = LocalServer(self._app())

    # Control -------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int, retry_after: float | None = None, match: str | None = None) -> None:
        """The next `count` requests (whose path contains `match`) answer `status`, with a
        `Retry-After` header (seconds) when given. They are recorded, and change nothing."""
        self._faults.add(Fault(count, status, retry_after, match))

    def drop_connection_next(self, count: int = 1, match: str | None = None) -> None:
        """The next `count` requests get their connection reset (recorded with status 0)."""
        self._faults.add(Fault(count, None, None, match))

    def delay_next(self, count_or_seconds: float, seconds: float | None = None, match: str | None = None) -> None:
        """Hold requests before handling them: `delay_next(2.0)` holds the next request 2 s;
        `delay_next(count, seconds)` the next `count` requests. A request whose caller goes away
        while held is lost (not handled), as a real one would be."""
        if seconds is None:
            count, seconds = 1, float(count_or_seconds)
        else:
            count = int(count_or_seconds)
        self._faults.add(Fault(count, 0, None, match, delay=seconds))

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def held(self) -> int:
        """How many requests a delay held."""
        return self._faults.held

    def add_member(self, conversation_id: str, member: dict[str, Any]) -> None:
        """Register a member (`{"id": "29:...", "name": ..., "aadObjectId": ..., ...}`) that
        GET .../members and .../pagedmembers answer for the conversation (or team)."""
        self.members.setdefault(conversation_id, []).append(member)

    # Introspection -------------------------------------------------------------------------

    @property
    def authorizations(self) -> list[str | None]:
        """The Authorization header of every request, in order (None where there was none)."""
        return [r.authorization for r in self.requests]

    def messages_in(self, conversation_id: str) -> list[dict[str, Any]]:
        """The current content of each message in a conversation (edits applied), in the order
        they were posted, each with its `id`."""
        return [dict(a, id=aid) for (cid, aid), a in self._messages.items() if cid == conversation_id]

    def message(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        activity = self._messages.get((conversation_id, activity_id))
        return None if activity is None else dict(activity, id=activity_id)

    def summary(self, last: int = 12) -> str:
        lines = [f"{len(self.requests)} requests, {len(self.sent)} sent, {len(self.updates)} updates, "
                 f"{len(self.created_conversations)} conversations created"]  # fmt: skip
        for r in self.requests[-last:]:
            lines.append(f"  {r.method} {r.path} -> {r.status or 'dropped'}")
        for m in self.sent[-last:]:
            lines.append(f"  sent to {m.conversation_id} ({m.activity_id}): {m.text[:80] or m.activity.get('type')}")
        return "\n".join(lines)

    async def wait_for(self, predicate: Callable[[FakeConnector], bool], timeout: float = 5.0) -> None:
        """Poll until predicate(self) holds; else AssertionError with what did arrive."""
        await wait_until(lambda: predicate(self), timeout, self.summary)

    # Server --------------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        conv = "/v3/conversations/{cid}"
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post(conv + "/activities", self._post)
        app.router.add_post(conv + "/activities/{aid}", self._post)
        app.router.add_put(conv + "/activities/{aid}", self._put)
        app.router.add_delete(conv + "/activities/{aid}", self._delete)
        app.router.add_get(conv + "/members", self._members)
        app.router.add_get(conv + "/pagedmembers", self._paged_members)
        app.router.add_get(conv + "/members/{mid}", self._member)
        return app

    def _new_id(self) -> str:
        return str(next(self._ids))

    def _recorder(self, request: web.Request, body: Any, cid: str | None, at: float) -> Callable[[int], None]:
        def record(status: int) -> None:
            self.requests.append(Recorded(request.method, request.path, cid, body, dict(request.headers), status, at,
                                          dict(request.query) or None))  # fmt: skip

        return record

    async def _begin(self, request: web.Request, cid: str | None, read_body: bool = True
                     ) -> tuple[Any, Callable[[int], None], web.StreamResponse | None]:  # fmt: skip
        """Read the body, record arrival, and let an injected fault answer first."""
        at = time.monotonic()
        body: Any = None
        if read_body and request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
        record = self._recorder(request, body, cid, at)
        return body, record, await self._faults.apply(request, record)

    @staticmethod
    def _error(record: Callable[[int], None], status: int, code: str, message: str) -> web.Response:
        record(status)
        return web.json_response(error_body(status, code, message), status=status)

    @staticmethod
    def _is_activity(body: Any) -> bool:
        return isinstance(body, dict) and isinstance(body.get("type"), str) and bool(body["type"])

    def _store(self, cid: str, aid: str, activity: dict[str, Any], reply_to: str | None = None) -> None:
        self.sent.append(Message(cid, aid, activity, reply_to))
        self._messages[(cid, aid)] = activity

    async def _create(self, request: web.Request) -> web.StreamResponse:
        body, record, fault = await self._begin(request, None)
        if fault is not None:
            return fault
        if not isinstance(body, dict):
            return self._error(record, 400, "BadArgument", "the body must be ConversationParameters JSON")
        activity = body.get("activity")
        if activity is not None and not self._is_activity(activity):
            return self._error(record, 400, "BadArgument", "activity: not a valid activity (no type)")
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        members = body.get("members") or []
        if channel:
            if activity is None:
                return self._error(record, 400, "BadArgument", "a new channel thread needs its first activity")
            message_id = self._new_id()
            cid = f"{channel};messageid={message_id}"
            self.created_conversations.append(body)
            self._store(cid, message_id, activity)
            record(201)
            return web.json_response({"id": cid, "activityId": message_id}, status=201)
        if body.get("isGroup"):
            return self._error(record, 400, "BadArgument", "bots cannot create group chats; give a channel")
        if len(members) != 1 or not isinstance(members[0], dict) or not members[0].get("id"):
            return self._error(record, 400, "BadArgument", "a personal chat needs exactly one member with an id")
        # Like Teams for a 1:1 chat: the bot says who it is, the tenant is given (in channelData
        # or tenantId), the member is a Teams user id (29:...), and the app must be installed
        # for that user (`not_installed_for`: Teams answers 403).
        member = str(members[0]["id"])
        tenant = ((body.get("channelData") or {}).get("tenant") or {}).get("id") or body.get("tenantId")
        if not isinstance(body.get("bot"), dict) or not body["bot"].get("id"):
            return self._error(record, 400, "BadArgument", "bot: the bot's id is required")
        if not tenant:
            return self._error(record, 400, "BadArgument", "a personal chat needs the tenant id")
        if not member.startswith("29:"):
            return self._error(record, 400, "BadArgument", f"member {member}: not a Teams user id")
        if member in self.not_installed_for:
            return self._error(record, 403, "Forbidden", "the bot is not installed for this user")
        # Teams answers the same conversation for the same user: the chat already exists.
        cid = f"a:personal-{member}"
        self.personal_chats[member] = cid
        self.created_conversations.append(body)
        response: dict[str, Any] = {"id": cid}
        if activity is not None:
            response["activityId"] = self._new_id()
            self._store(cid, response["activityId"], activity)
        record(201)
        return web.json_response(response, status=201)

    async def _post(self, request: web.Request) -> web.StreamResponse:
        cid = request.match_info["cid"]
        reply_to = request.match_info.get("aid")
        body, record, fault = await self._begin(request, cid)
        if fault is not None:
            return fault
        if not self._is_activity(body):
            return self._error(record, 400, "BadArgument", "not an activity (no type)")
        aid = self._new_id()
        self._store(cid, aid, body, reply_to)
        record(200)
        return web.json_response({"id": aid})

    async def _put(self, request: web.Request) -> web.StreamResponse:
        cid, aid = request.match_info["cid"], request.match_info["aid"]
        body, record, fault = await self._begin(request, cid)
        if fault is not None:
            return fault
        if (cid, aid) not in self._messages:
            return self._error(record, 404, "ActivityNotFoundInConversation", f"no activity {aid} in {cid}")
        if not self._is_activity(body):
            return self._error(record, 400, "BadArgument", "not an activity (no type)")
        self._messages[(cid, aid)] = body
        self.updates.append(Message(cid, aid, body))
        record(200)
        return web.json_response({"id": aid})

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        cid, aid = request.match_info["cid"], request.match_info["aid"]
        _, record, fault = await self._begin(request, cid, read_body=False)
        if fault is not None:
            return fault
        if self._messages.pop((cid, aid), None) is None:
            return self._error(record, 404, "ActivityNotFoundInConversation", f"no activity {aid} in {cid}")
        self.deleted.append((cid, aid))
        record(200)
        return web.Response(status=200)

    async def _members(self, request: web.Request) -> web.StreamResponse:
        cid = request.match_info["cid"]
        _, record, fault = await self._begin(request, cid, read_body=False)
        if fault is not None:
            return fault
        record(200)
        return web.json_response(self.members.get(cid, []))

    async def _paged_members(self, request: web.Request) -> web.StreamResponse:
        cid = request.match_info["cid"]
        _, record, fault = await self._begin(request, cid, read_body=False)
        if fault is not None:
            return fault
        members = self.members.get(cid, [])
        try:
            size = max(1, min(500, int(request.query.get("pageSize") or 500)))
            start = int(request.query.get("continuationToken") or 0)
        except ValueError:
            return self._error(record, 400, "BadArgument", "pageSize and continuationToken must be numbers")
        page: dict[str, Any] = {"members": members[start:start + size]}
        if start + size < len(members):
            page["continuationToken"] = str(start + size)
        record(200)
        return web.json_response(page)

    async def _member(self, request: web.Request) -> web.StreamResponse:
        cid, mid = request.match_info["cid"], request.match_info["mid"]
        _, record, fault = await self._begin(request, cid, read_body=False)
        if fault is not None:
            return fault
        for member in self.members.get(cid, []):
            if mid in (member.get("id"), member.get("aadObjectId")):
                record(200)
                return web.json_response(member)
        return self._error(record, 404, "MemberNotFoundInConversation", f"no member {mid} in {cid}")
