"""A small Bot Connector REST client for proactive sends, thread creation and edits.

Why not the SDK's `continue_conversation`: it swallows send errors into `on_turn_error` and
returns normally (TEAMS-NOTES), which an outbox would take for delivery; and msrest does not
retry 429. Here every failure surfaces as `ConnectorError` with what the worker needs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import quote

import aiohttp

log = logging.getLogger("sdbot.connector")

TRANSIENT_STATUSES = {408, 412, 429, 500, 502, 503, 504}


class ConnectorError(Exception):
    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.status is None or self.status in TRANSIENT_STATUSES


PUBLIC_LOGIN_URL = "https://login.microsoftonline.com"
PUBLIC_BOT_SCOPE = "https://api.botframework.com"


class BotTokenProvider:
    """Tokens for calling the Bot Connector as the bot (client credentials, msal). msal is
    synchronous and does HTTP, so it runs in a thread, with a timeout on every request.

    `login_url` and `scope` default to Microsoft's public cloud (sovereign clouds differ);
    `ca_file` is an extra CA to trust (a private PKI, or a test's own certificate)."""

    def __init__(self, app_id: str, password: str, tenant_id: str = "", app_type: str = "MultiTenant",
                 login_url: str = "", scope: str = "", ca_file: str = "", timeout: float = 15.0):  # fmt: skip
        self._app_id, self._password = app_id, password
        self._tenant = tenant_id if app_type.lower() == "singletenant" and tenant_id else "botframework.com"
        self._login_url = (login_url or PUBLIC_LOGIN_URL).rstrip("/")
        self._scope = f"{(scope or PUBLIC_BOT_SCOPE).rstrip('/').removesuffix('/.default')}/.default"
        self._ca_file = ca_file
        self._timeout = timeout
        self._app: Any = None
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    def _make_app(self) -> Any:
        import msal
        import requests

        timeout, ca_file = self._timeout, self._ca_file

        class BoundedSession(requests.Session):
            """msal's HTTP client, with a timeout and trusting `ca_file` when given."""

            def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
                kwargs.setdefault("timeout", timeout)
                if ca_file:
                    kwargs.setdefault("verify", ca_file)
                return super().request(method, url, *args, **kwargs)

        http = BoundedSession()
        return msal.ConfidentialClientApplication(
            self._app_id,
            client_credential=self._password,
            authority=f"{self._login_url}/{self._tenant}",
            # Instance discovery asks Microsoft's public cloud about the authority: only there.
            instance_discovery=self._login_url == PUBLIC_LOGIN_URL,
            http_client=http,
        )

    def _acquire(self) -> dict[str, Any]:
        if self._app is None:
            self._app = self._make_app()
        return self._app.acquire_token_for_client(scopes=[self._scope])

    async def token(self) -> str:
        async with self._lock:
            if self._token and time.monotonic() < self._expires:
                return self._token
            try:
                result = await asyncio.to_thread(self._acquire)
            except Exception as e:  # unreachable or unknown authority: a transient failure
                self._app = None
                raise ConnectorError(f"could not get the bot's token: {type(e).__name__}") from e
            if "access_token" not in result:
                raise ConnectorError(f"could not get the bot's token: {result.get('error')}")  # retried, then failed
            self._token = str(result["access_token"])
            lifetime = float(result.get("expires_in") or 3600)
            self._expires = time.monotonic() + max(60.0, lifetime - 300)  # renew 5 min early
            return self._token


class ConnectorClient:
    def __init__(self, session: aiohttp.ClientSession, tokens: BotTokenProvider | None = None):
        self._session = session
        self._tokens = tokens

    async def _request(self, method: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if self._tokens is not None:
            headers["Authorization"] = f"Bearer {await self._tokens.token()}"
        try:
            async with self._session.request(
                method, url, json=body, headers=headers, timeout=aiohttp.ClientTimeout(total=15)
            ) as response:
                text = await response.text()
                if response.status >= 400:
                    retry_after: float | None = None
                    header = response.headers.get("Retry-After")
                    if header:
                        try:
                            retry_after = max(0.0, float(header))
                        except ValueError:
                            retry_after = None
                    raise ConnectorError(
                        f"{method} {url} answered {response.status}: {text[:300]}",
                        status=response.status,
                        retry_after=retry_after,
                    )
                if not text:
                    return {}
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    return {}
                return data if isinstance(data, dict) else {}
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as e:
            raise ConnectorError(f"{method} {url} failed: {type(e).__name__}: {e}") from e

    async def upload(self, url: str, data: bytes) -> None:
        """PUT a whole file to the upload URL of an accepted file consent card (a pre-authorised
        OneDrive upload session: no bot token goes there). The URL stays out of errors and logs."""
        size = len(data)
        headers = {"Content-Range": f"bytes 0-{size - 1}/{size}", "Content-Length": str(size)}
        try:
            async with self._session.put(url, data=data, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=60)) as response:  # fmt: skip
                text = await response.text()
                if response.status >= 400:
                    raise ConnectorError(f"file upload answered {response.status}: {text[:200]}", status=response.status,
                                         retry_after=_retry_after(response.headers.get("Retry-After")))  # fmt: skip
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as e:
            raise ConnectorError(f"file upload failed: {type(e).__name__}") from e

    @staticmethod
    def _base(service_url: str) -> str:
        return service_url.rstrip("/")

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str | None:
        url = f"{self._base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        data = await self._request("POST", url, activity)
        return data.get("id")

    async def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        conv, aid = quote(conversation_id, safe=""), quote(activity_id, safe="")
        url = f"{self._base(service_url)}/v3/conversations/{conv}/activities/{aid}"
        await self._request("PUT", url, {**activity, "id": activity_id})

    async def create_conversation(self, service_url: str, parameters: dict[str, Any]) -> tuple[str, str | None]:
        data = await self._request("POST", f"{self._base(service_url)}/v3/conversations", parameters)
        conversation_id = data.get("id")
        if not conversation_id:
            raise ConnectorError("create conversation answered without an id", status=502)
        return conversation_id, data.get("activityId")


def _retry_after(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None
