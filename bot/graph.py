"""Microsoft Graph through msal (client credentials): Teams meetings for the discussions.

- msal is synchronous and does HTTP (OpenID discovery when it first needs the authority, then
  the token endpoint): it runs in a worker thread, never on the event loop. Its token cache
  serves later calls until the token nears expiry.
- Graph calls retry 429 (honouring Retry-After, capped), 5xx, 408 and connection errors with
  exponential backoff and jitter, up to `max_attempts`; then `GraphError`. Other 4xx fail at
  once. Token-endpoint failures are retried the same way.
- Calendars carry the case reference only: never a child's or family's details.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import aiohttp

log = logging.getLogger("sdbot.graph")

REAL_AUTHORITY = "https://login.microsoftonline.com"
REAL_GRAPH = "https://graph.microsoft.com"
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# IANA names Graph's calendar API accepts in dateTimeTimeZone.timeZone (its "additional time
# zones"; Windows names work too). A datetime in any other zone is sent in UTC, which is always
# accepted and means the same instant.
GRAPH_IANA_ZONES = frozenset({
    "UTC", "Etc/GMT", "Europe/London", "Atlantic/Reykjavik", "Europe/Berlin", "Europe/Budapest",
    "Europe/Paris", "Europe/Warsaw", "Europe/Bucharest", "Europe/Kiev", "Europe/Istanbul",
    "Europe/Moscow", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "Australia/Sydney", "Pacific/Auckland",
})  # fmt: skip


class GraphError(Exception):
    """Graph or the identity platform refused, or kept failing. `status` is the last HTTP status
    (None for a connection failure), `code` Graph's or the token endpoint's error code."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code

    @property
    def transient(self) -> bool:
        return self.status is None or self.status in TRANSIENT_STATUSES or self.status >= 500


class _Retry(Exception):
    """One attempt failed in a way worth retrying."""

    def __init__(self, error: GraphError, retry_after: float | None = None):
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


@dataclass(frozen=True)
class GraphSettings:
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    organiser: str = ""  # UPN or object id of the mailbox that owns the events
    authority_host: str = REAL_AUTHORITY
    graph_base: str = REAL_GRAPH
    max_attempts: int = 5
    backoff_base: float = 0.5  # seconds; the n-th retry waits about base * 2**(n-1), with jitter
    backoff_max: float = 30.0
    max_retry_after: float = 60.0  # a longer Retry-After is waited this long at most
    timeout: float = 20.0  # per HTTP request
    ca_file: str = ""  # extra CA bundle to trust (a private PKI, or a test's own certificate)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> GraphSettings:
        e = os.environ if env is None else env
        return cls(
            tenant_id=e.get("SDBOT_GRAPH_TENANT_ID") or e.get("MicrosoftAppTenantId", ""),
            client_id=e.get("SDBOT_GRAPH_CLIENT_ID") or e.get("MicrosoftAppId", ""),
            client_secret=e.get("SDBOT_GRAPH_CLIENT_SECRET") or e.get("MicrosoftAppPassword", ""),
            organiser=e.get("SDBOT_GRAPH_ORGANISER", ""),
            authority_host=(e.get("SDBOT_GRAPH_AUTHORITY_HOST") or REAL_AUTHORITY).rstrip("/"),
            graph_base=(e.get("SDBOT_GRAPH_BASE_URL") or REAL_GRAPH).rstrip("/"),
            ca_file=e.get("SDBOT_GRAPH_CA_FILE", ""),
            max_attempts=max(1, int(e.get("SDBOT_GRAPH_MAX_ATTEMPTS") or 5)),
            backoff_base=float(e.get("SDBOT_GRAPH_BACKOFF_BASE") or 0.5),
        )

    @property
    def configured(self) -> bool:
        return all((self.tenant_id, self.client_id, self.client_secret, self.organiser))

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant_id}"

    @property
    def scope(self) -> str:
        return f"{self.graph_base.rstrip('/')}/.default"


@dataclass(frozen=True)
class Meeting:
    event_id: str
    join_url: str
    web_link: str | None = None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def graph_time(when: datetime, zone: str) -> dict[str, str]:
    return {"dateTime": when.replace(tzinfo=None).isoformat(timespec="seconds"), "timeZone": zone}


def event_times(start: datetime, end: datetime) -> tuple[dict[str, str], dict[str, str]]:
    """Graph's {dateTime, timeZone} pair for each: wall-clock time in the start's zone when Graph
    knows that zone by its IANA name, else UTC."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("meeting times must be timezone-aware")
    if end <= start:
        raise ValueError("a meeting must end after it starts")
    zone = getattr(start.tzinfo, "key", None)
    if zone not in GRAPH_IANA_ZONES:
        zone, start, end = "UTC", start.astimezone(UTC), end.astimezone(UTC)
    return graph_time(start, zone), graph_time(end.astimezone(start.tzinfo), zone)


def _http_session(ca_file: str, timeout: float) -> Any:
    """msal's HTTP client: a requests session that remembers the last status and Retry-After
    (msal hides both), with a timeout, and trusting `ca_file` when given."""
    import requests

    class RecordingSession(requests.Session):
        last_status: int | None = None
        last_retry_after: str | None = None

        def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
            kwargs.setdefault("timeout", timeout)
            if ca_file:
                # An explicit `verify` also beats REQUESTS_CA_BUNDLE from the environment.
                kwargs.setdefault("verify", ca_file)
            response = super().request(method, url, *args, **kwargs)
            self.last_status = response.status_code
            self.last_retry_after = response.headers.get("Retry-After")
            return response

    return RecordingSession()


def _describe(error: BaseException) -> str:
    """An exception and what caused it (msal re-raises, hiding the server's answer)."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < 3:
        text = f"{type(current).__name__}: {str(current).strip()[:300]}"
        if text not in parts:
            parts.append(text)
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


def _is_transient_status(status: int | None) -> bool:
    return status is not None and (status in TRANSIENT_STATUSES or status >= 500)


class GraphClient:
    def __init__(self, settings: GraphSettings, session: aiohttp.ClientSession | None = None):
        self._settings = settings
        self._session = session
        self._own_session = session is None
        self._app: Any = None  # msal.ConfidentialClientApplication, made in a thread on first use
        self._token_cache: Any = None  # msal.TokenCache: outlives the app (rebuilt after failures)
        self._http: Any = None
        self._ssl: ssl.SSLContext | None = None
        self._lock = asyncio.Lock()

    @property
    def settings(self) -> GraphSettings:
        return self._settings

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
        if self._http is not None:
            await asyncio.to_thread(self._http.close)
            self._http = None
        self._app = None

    # Tokens (msal, in a thread) ----------------------------------------------------------

    def _make_app(self) -> Any:
        import msal

        s = self._settings
        if self._http is None:
            self._http = _http_session(s.ca_file, s.timeout)
        if self._token_cache is None:
            self._token_cache = msal.TokenCache()
        return msal.ConfidentialClientApplication(
            s.client_id,
            authority=s.authority,
            client_credential=s.client_secret,
            # Instance discovery asks login.microsoftonline.com whether the authority is known:
            # right for Microsoft's cloud, impossible for a local fake or a private authority.
            instance_discovery=s.authority_host.rstrip("/") == REAL_AUTHORITY,
            http_client=self._http,
            token_cache=self._token_cache,
        )

    def _acquire(self) -> dict[str, Any]:
        if self._http is not None:
            self._http.last_status = self._http.last_retry_after = None
        if self._app is None:
            self._app = self._make_app()
        return self._app.acquire_token_for_client(scopes=[self._settings.scope])

    async def token(self) -> str:
        """A Graph access token (msal's cache first). Raises GraphError."""
        try:
            return await self._token()
        except _Retry as r:
            raise r.error from r

    async def _token(self) -> str:
        async with self._lock:
            try:
                result = await asyncio.to_thread(self._acquire)
            except Exception as e:  # msal raises for 5xx, unreachable or unknown authorities
                import requests

                status = self._http.last_status if self._http is not None else None
                error = GraphError(f"could not get a Graph token: {_describe(e)}", status)
                if _is_transient_status(status) or isinstance(e, requests.ConnectionError | requests.Timeout):
                    raise self._token_retry(error) from e
                raise error from e
            if "access_token" in result:
                return str(result["access_token"])
            status = self._http.last_status if self._http is not None else None
            code = result.get("error")
            code = code if isinstance(code, str) else None
            error = GraphError(f"could not get a Graph token: {code or result.get('error')}: "
                               f"{str(result.get('error_description', ''))[:300]}", status, code)  # fmt: skip
            if _is_transient_status(status):
                raise self._token_retry(error)
            raise error

    def _token_retry(self, error: GraphError) -> _Retry:
        retry_after = parse_retry_after(self._http.last_retry_after) if self._http is not None else None
        # msal replays a throttled or failed token response from its own HTTP cache for a while
        # (5 s without Retry-After). This client waits itself, so the next attempt gets a fresh
        # app; the token cache is kept.
        self._app = None
        return _Retry(error, retry_after)

    async def _forget_tokens(self) -> None:
        async with self._lock:
            self._app = None
            self._token_cache = None

    # Graph requests -----------------------------------------------------------------------

    async def _ensure_session(self) -> aiohttp.ClientSession:
        if self._settings.ca_file and self._ssl is None:
            try:
                self._ssl = await asyncio.to_thread(ssl.create_default_context, cafile=self._settings.ca_file)
            except (OSError, ssl.SSLError) as e:
                raise GraphError(f"cannot use the CA file {self._settings.ca_file!r}: {e}") from e
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        s = self._settings
        if retry_after is not None:
            return min(retry_after, s.max_retry_after)
        ceiling = min(s.backoff_max, s.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    async def _attempt(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        session = await self._ensure_session()
        headers = {"Authorization": f"Bearer {await self._token()}", "Accept": "application/json"}
        url = f"{self._settings.graph_base.rstrip('/')}/v1.0{path}"
        try:
            async with session.request(method, url, json=body, headers=headers, ssl=self._ssl or True,
                                       timeout=aiohttp.ClientTimeout(total=self._settings.timeout)) as r:  # fmt: skip
                text = await r.text()
                try:
                    data: Any = await r.json(content_type=None) if text else {}
                except ValueError:
                    data = {"raw": text[:300]}
                if r.status < 400:
                    return r.status, data
                error = (data.get("error") if isinstance(data, dict) else None) or {}
                code = error.get("code") if isinstance(error, dict) else str(error)
                message = error.get("message") if isinstance(error, dict) else None
                failure = GraphError(f"{method} {path} answered {r.status} {code or ''}: {message or text[:200]}".replace("  ", " "),
                                     r.status, code)  # fmt: skip
                if _is_transient_status(r.status):
                    raise _Retry(failure, parse_retry_after(r.headers.get("Retry-After")))
                raise failure
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as e:
            raise _Retry(GraphError(f"{method} {path} failed: {type(e).__name__}: {e}")) from e

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """A Graph v1.0 call (path after /v1.0), retried as the module says. Raises GraphError."""
        attempts = self._settings.max_attempts
        renewed = False
        last: GraphError | None = None
        for attempt in range(1, attempts + 1):
            try:
                _, data = await self._attempt(method, path, body)
                return data
            except _Retry as r:
                last, retry_after = r.error, r.retry_after
            except GraphError as e:
                if e.status == 401 and e.code == "InvalidAuthenticationToken" and not renewed:
                    # Revoked or expired early: msal would hand out the same token; start afresh.
                    renewed = True
                    last, retry_after = e, 0.0
                    await self._forget_tokens()
                else:
                    log.error("graph request refused", extra={"method": method, "graph_path": path,
                                                              "status": e.status, "code": e.code})  # fmt: skip
                    raise
            if attempt == attempts:
                break
            wait = self._backoff(attempt, retry_after)
            log.warning("graph request failed; retrying", extra={
                "method": method, "graph_path": path, "attempt": attempt, "max_attempts": attempts,
                "status": last.status, "code": last.code, "wait_s": round(wait, 3),
                "retry_after_s": retry_after, "error": str(last)[:300]})  # fmt: skip
            await asyncio.sleep(wait)
        assert last is not None
        log.error("graph request gave up", extra={"method": method, "graph_path": path, "attempts": attempts,
                                                  "status": last.status, "code": last.code})  # fmt: skip
        raise GraphError(f"gave up after {attempts} attempts: {last}", last.status, last.code)

    def _events(self, event_id: str | None = None) -> str:
        path = f"/users/{quote(self._settings.organiser, safe='@')}/events"
        return path if event_id is None else f"{path}/{quote(event_id, safe='')}"

    # Meetings -----------------------------------------------------------------------------

    async def create_meeting(self, subject: str, start: datetime, end: datetime, attendees: list[tuple[str, str]],
                             transaction_id: str | None = None) -> Meeting:  # fmt: skip
        """A calendar event in the organiser's mailbox with a Teams meeting, inviting the
        attendees (name, email). `subject` should name the case reference only. Retries reuse
        one `transactionId`, so Graph creates the event once; pass a stable one (e.g. from the
        discussion id) to keep that across restarts."""
        event_start, event_end = event_times(start, end)
        seen: set[str] = set()
        invited = []
        for name, email in attendees:
            if email and email.lower() not in seen:
                seen.add(email.lower())
                invited.append({"emailAddress": {"address": email, "name": name or email}, "type": "required"})
        body = {
            "subject": subject,
            # The case reference only: no personal details travel to calendars.
            "body": {"contentType": "text",
                     "content": f"{subject}. Confidential multi-agency meeting: the details are in Teams."},
            "start": event_start,
            "end": event_end,
            "attendees": invited,
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
            "allowNewTimeProposals": False,
            "responseRequested": True,
            "transactionId": transaction_id or str(uuid.uuid4()),
        }  # fmt: skip
        data = await self.request("POST", self._events(), body)
        join = ((data or {}).get("onlineMeeting") or {}).get("joinUrl")
        if not data.get("id") or not join:
            raise GraphError("Graph created the event without a Teams join link (is Teams enabled for the organiser?)")
        log.info("meeting created", extra={"event_id": data["id"], "attendees": len(invited)})
        return Meeting(event_id=data["id"], join_url=join, web_link=data.get("webLink"))

    async def reschedule_meeting(self, event_id: str, start: datetime, end: datetime) -> None:
        event_start, event_end = event_times(start, end)
        await self.request("PATCH", self._events(event_id), {"start": event_start, "end": event_end})
        log.info("meeting rescheduled", extra={"event_id": event_id})

    async def attendee_responses(self, event_id: str) -> dict[str, str]:
        """Calendar answers by lower-cased email: none, accepted, tentativelyAccepted, declined..."""
        # Only the attendees: the rest of the event is not needed (and is not read).
        data = await self.request("GET", self._events(event_id) + "?$select=attendees")
        return {
            a["emailAddress"]["address"].lower(): (a.get("status") or {}).get("response", "none")
            for a in (data or {}).get("attendees", [])
            if (a.get("emailAddress") or {}).get("address")
        }
