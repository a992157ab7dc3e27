"""Microsoft Graph through msal (client credentials): Teams meetings for the discussions.

msal is synchronous and does HTTP: it runs in a thread, never on the event loop. Its token
cache serves later calls. Graph's 429 honours Retry-After; 5xx and resets back off.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

log = logging.getLogger("sdbot.graph")

REAL_AUTHORITY = "https://login.microsoftonline.com"


class GraphError(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class GraphSettings:
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    organiser: str = ""
    authority_host: str = REAL_AUTHORITY
    graph_base: str = "https://graph.microsoft.com"
    max_attempts: int = 5
    backoff_base: float = 0.5
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
            graph_base=(e.get("SDBOT_GRAPH_BASE_URL") or "https://graph.microsoft.com").rstrip("/"),
            ca_file=e.get("SDBOT_GRAPH_CA_FILE", ""),
            max_attempts=int(e.get("SDBOT_GRAPH_MAX_ATTEMPTS") or 5),
            backoff_base=float(e.get("SDBOT_GRAPH_BACKOFF_BASE") or 0.5),
        )

    @property
    def configured(self) -> bool:
        return all((self.tenant_id, self.client_id, self.client_secret, self.organiser))


@dataclass(frozen=True)
class Meeting:
    event_id: str
    join_url: str


class GraphClient:
    def __init__(self, settings: GraphSettings, session: aiohttp.ClientSession | None = None):
        self._settings = settings
        self._session = session
        self._own_session = session is None
        self._app: Any = None
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _make_app(self) -> Any:
        import msal

        s = self._settings
        http_client = None
        if s.ca_file:
            import requests

            # requests lets REQUESTS_CA_BUNDLE override a session's own `verify`: opt out of it.
            http_client = requests.Session()
            http_client.trust_env = False
            http_client.verify = s.ca_file
        return msal.ConfidentialClientApplication(
            s.client_id,
            authority=f"{s.authority_host}/{s.tenant_id}",
            client_credential=s.client_secret,
            # Outside Microsoft's cloud (tests, sovereign clouds) skip instance discovery.
            instance_discovery=s.authority_host == REAL_AUTHORITY,
            http_client=http_client,
        )

    def _acquire(self) -> dict[str, Any]:
        if self._app is None:
            self._app = self._make_app()
        return self._app.acquire_token_for_client(scopes=[f"{self._settings.graph_base}/.default"])

    async def token(self) -> str:
        async with self._lock:
            try:
                result = await asyncio.to_thread(self._acquire)
            except Exception as e:  # msal raises ValueError etc. when the authority is unreachable
                raise GraphError(f"could not get a Graph token: {type(e).__name__}: {e}") from e
        if "access_token" not in result:
            raise GraphError(f"could not get a Graph token: {result.get('error')}: {result.get('error_description', '')[:200]}")
        return str(result["access_token"])

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._session is None:
            connector = None
            if self._settings.ca_file:
                import ssl

                connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=self._settings.ca_file))
            self._session = aiohttp.ClientSession(connector=connector)
        url = f"{self._settings.graph_base}/v1.0{path}"
        last = "no attempt"
        for attempt in range(1, self._settings.max_attempts + 1):
            headers = {"Authorization": f"Bearer {await self.token()}", "Content-Type": "application/json"}
            delay = random.uniform(0, self._settings.backoff_base * 2**attempt)
            try:
                async with self._session.request(method, url, json=body, headers=headers,
                                                 timeout=aiohttp.ClientTimeout(total=20)) as r:  # fmt: skip
                    text = await r.text()
                    if r.status < 400:
                        return await r.json(content_type=None) if text else {}
                    last = f"{method} {path} answered {r.status}: {text[:200]}"
                    if r.status == 429 or r.status >= 500:
                        retry_after = r.headers.get("Retry-After")
                        if r.status == 429 and retry_after:
                            try:
                                delay = min(float(retry_after), 60.0)
                            except ValueError:
                                pass
                    else:
                        raise GraphError(last, r.status)
            except (aiohttp.ClientError, TimeoutError) as e:
                last = f"{method} {path} failed: {type(e).__name__}: {e}"
            log.warning("graph retry", extra={"attempt": attempt, "error": last[:200], "wait": round(delay, 2)})
            if attempt < self._settings.max_attempts:
                await asyncio.sleep(delay)
        raise GraphError(f"gave up after {self._settings.max_attempts} attempts: {last}")

    async def create_meeting(self, subject: str, start: datetime, end: datetime,
                             attendees: list[tuple[str, str]]) -> Meeting:  # fmt: skip
        zone = getattr(start.tzinfo, "key", "UTC")
        body = {
            "subject": subject,
            # The case reference only: no personal details travel to calendars.
            "body": {"contentType": "text", "content": f"{subject}. Confidential professionals' meeting."},
            "start": {"dateTime": start.replace(tzinfo=None).isoformat(), "timeZone": zone},
            "end": {"dateTime": end.astimezone(start.tzinfo).replace(tzinfo=None).isoformat(), "timeZone": zone},
            "attendees": [{"emailAddress": {"address": email, "name": name}, "type": "required"} for name, email in attendees],
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
        }  # fmt: skip
        data = await self._request("POST", f"/users/{self._settings.organiser}/events", body)
        join = (data.get("onlineMeeting") or {}).get("joinUrl")
        if not data.get("id") or not join:
            raise GraphError("Graph created the event without a Teams join link")
        log.info("meeting created", extra={"event": data["id"]})
        return Meeting(event_id=data["id"], join_url=join)

    async def attendee_responses(self, event_id: str) -> dict[str, str]:
        data = await self._request("GET", f"/users/{self._settings.organiser}/events/{event_id}")
        return {
            a["emailAddress"]["address"].lower(): (a.get("status") or {}).get("response", "none")
            for a in data.get("attendees", [])
            if a.get("emailAddress", {}).get("address")
        }
