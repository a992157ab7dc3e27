"""A fake Microsoft identity platform and Microsoft Graph on 127.0.0.1, over HTTPS (msal accepts
only https authorities) with a throwaway certificate that `ca_file` names.

Identity: `GET /{tenant}/v2.0/.well-known/openid-configuration` and
`POST /{tenant}/oauth2/v2.0/token` (client credentials) — all msal calls with
`instance_discovery=False`. Graph: `POST/GET/PATCH/DELETE /v1.0/users/{organiser}/events[/{id}]`
with Teams join links and settable attendee responses. Failure injection and a record of every
request, as the fake connector has.

    async with FakeIdentityAndGraph() as fake:
        settings = GraphSettings(tenant_id=fake.tenant, client_id=fake.client_id,
                                 client_secret=fake.client_secret, organiser="sd@example.org",
                                 authority_host=fake.url, graph_base=fake.url, ca_file=fake.ca_file)
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import itertools
import json
import re
import secrets
import shutil
import ssl
import tempfile
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

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

__all__ = ["FakeIdentityAndGraph", "Recorded", "RESPONSES"]

# What Graph puts in attendees[].status.response.
RESPONSES = ("none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded")
GRAPH = "/v1.0/"
TOKEN = "/oauth2/v2.0/token"


def _self_signed(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate for 127.0.0.1 (its own CA), and the server context that presents it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


class FakeIdentityAndGraph(FakeService):
    def __init__(self, client_id: str = "6a1c9a2e-0000-4000-8000-00000000abcd", client_secret: str = "test-secret",
                 tenant: str = "11111111-2222-4333-8444-555555555555", token_lifetime: int = 3599) -> None:  # fmt: skip
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenant = tenant
        self.token_lifetime = token_lifetime
        self.token_calls = 0  # requests to the token endpoint, whatever they got
        self.discovery_calls = 0  # requests for the OpenID configuration
        self.tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self.events: dict[str, dict[str, Any]] = {}  # Graph events by id, as Graph would return them
        self.requests: list[Recorded] = []
        self._faults = Faults()
        self._token_delay = 0.0
        self._ids = itertools.count(1)
        self._folder = Path(tempfile.mkdtemp(prefix="sdbot-idp-"))
        weakref.finalize(self, shutil.rmtree, self._folder, True)
        cert_file, context = _self_signed(self._folder)
        self.ca_file = str(cert_file)
        self._server = LocalServer(self._app(), ssl_context=context)

    # Control -------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int, retry_after: float | None = None, match: str | None = GRAPH) -> None:
        """The next `count` requests whose path contains `match` answer `status` (with
        Retry-After in seconds when given). By default Graph calls; `match=TOKEN` (or
        "/oauth2/") for the token endpoint, `match=None` for every request."""
        self._faults.add(Fault(count, status, retry_after, match))

    def drop_connection_next(self, count: int = 1, match: str | None = GRAPH) -> None:
        self._faults.add(Fault(count, None, None, match))

    def delay_next(self, count: int, seconds: float, match: str | None = GRAPH) -> None:
        self._faults.add(Fault(count, 0, None, match, delay=seconds))

    def delay_tokens(self, seconds: float) -> None:
        """Every token request from now on takes this long to answer."""
        self._token_delay = seconds

    def clear_faults(self) -> None:
        self._faults.clear()
        self._token_delay = 0.0

    def expire_tokens(self) -> None:
        """Every token issued so far is refused by Graph from now on (401)."""
        self.tokens = dict.fromkeys(self.tokens, 0.0)

    def set_response(self, event_id: str, email: str, response: str) -> None:
        """An attendee answers the calendar invitation (accepted, declined, tentativelyAccepted...)."""
        if response not in RESPONSES:
            raise ValueError(f"response must be one of {RESPONSES}")
        for attendee in self.events[event_id]["attendees"]:
            if attendee["emailAddress"]["address"].lower() == email.lower():
                attendee["status"] = {"response": response, "time": dt.datetime.now(dt.UTC).isoformat()}
                return
        raise KeyError(f"{email} is not invited to {event_id}")

    # Introspection -------------------------------------------------------------------------

    def graph_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(GRAPH)]

    def summary(self, last: int = 12) -> str:
        lines = [f"{len(self.requests)} requests, {self.token_calls} token calls, {len(self.events)} events"]
        lines += [f"  {r.method} {r.path} -> {r.status or 'dropped'}" for r in self.requests[-last:]]
        return "\n".join(lines)

    async def wait_for(self, predicate: Callable[[FakeIdentityAndGraph], bool], timeout: float = 5.0) -> None:
        await wait_until(lambda: predicate(self), timeout, self.summary)

    # Lifecycle -----------------------------------------------------------------------------

    async def stop(self) -> None:
        await self._server.stop()
        shutil.rmtree(self._folder, ignore_errors=True)

    # Server --------------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid)
        app.router.add_post("/{tenant}" + TOKEN, self._token)
        events = "/v1.0/users/{organiser}/events"
        app.router.add_post(events, self._create_event)
        app.router.add_get(events + "/{id}", self._get_event)
        app.router.add_patch(events + "/{id}", self._patch_event)
        app.router.add_delete(events + "/{id}", self._delete_event)
        return app

    async def _begin(self, request: web.Request) -> tuple[Any, Callable[[int], None], web.StreamResponse | None]:
        at = time.monotonic()
        body: Any = None
        if request.can_read_body:
            if request.content_type == "application/x-www-form-urlencoded":
                body = dict(await request.post())
            else:
                raw = await request.read()
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")

        def record(status: int) -> None:
            self.requests.append(Recorded(request.method, request.path, None, body, dict(request.headers), status, at,
                                          dict(request.query) or None))  # fmt: skip

        return body, record, await self._faults.apply(request, record)

    @staticmethod
    def _answer(record: Callable[[int], None], data: Any, status: int = 200) -> web.Response:
        record(status)
        return web.json_response(data, status=status)

    def _graph_error(self, record: Callable[[int], None], status: int, code: str, message: str) -> web.Response:
        return self._answer(record, error_body(status, code, message), status)

    def _known_tenant(self, tenant: str) -> bool:
        return tenant.lower() in {self.tenant.lower(), "organizations"}

    async def _openid(self, request: web.Request) -> web.StreamResponse:
        self.discovery_calls += 1
        _, record, fault = await self._begin(request)
        if fault is not None:
            return fault
        tenant = request.match_info["tenant"]
        if not self._known_tenant(tenant):
            return self._answer(record, {"error": "invalid_tenant", "error_description":
                                         f"AADSTS90002: Tenant '{tenant}' not found."}, 400)  # fmt: skip
        base = f"{self.url}/{tenant}"
        return self._answer(record, {
            "token_endpoint": f"{base}{TOKEN}",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "issuer": f"{self.url}/{self.tenant}/v2.0",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": "EU",
        })  # fmt: skip

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.token_calls += 1
        form, record, fault = await self._begin(request)
        if fault is not None:
            return fault
        if self._token_delay:
            await asyncio.sleep(self._token_delay)
        form = form if isinstance(form, dict) else {}

        def refuse(status: int, error: str, description: str) -> web.Response:
            return self._answer(record, {"error": error, "error_description": description,
                                         "error_codes": [int(c) for c in re.findall(r"^AADSTS(\d+)", description)],
                                         "timestamp": dt.datetime.now(dt.UTC).isoformat()}, status)  # fmt: skip

        if not self._known_tenant(request.match_info["tenant"]):
            return refuse(400, "invalid_request", f"AADSTS90002: Tenant '{request.match_info['tenant']}' not found.")
        if form.get("grant_type") != "client_credentials":
            return refuse(400, "unsupported_grant_type", "AADSTS70003: this fake supports client_credentials only.")
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, basic = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Basic":  # RFC 6749 2.3.1: either way is allowed
            user, _, password = base64.b64decode(basic).decode().partition(":")
            client_id, client_secret = unquote_plus(user), unquote_plus(password)
        if client_id != self.client_id:
            return refuse(400, "unauthorized_client", f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory.")
        if client_secret != self.client_secret:
            return refuse(401, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
        scopes = str(form.get("scope", "")).split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return refuse(400, "invalid_scope", f"AADSTS1002012: The provided value for scope {form.get('scope')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
        token = f"graph-token-{self.token_calls}-{secrets.token_hex(8)}"
        self.tokens[token] = time.monotonic() + self.token_lifetime
        return self._answer(record, {"token_type": "Bearer", "expires_in": self.token_lifetime,
                                     "ext_expires_in": self.token_lifetime, "access_token": token})  # fmt: skip

    def _unauthorised(self, request: web.Request, record: Callable[[int], None]) -> web.Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return self._graph_error(record, 401, "InvalidAuthenticationToken", "Access token is empty.")
        if self.tokens.get(token, 0.0) <= time.monotonic():
            return self._graph_error(record, 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        return None

    async def _create_event(self, request: web.Request) -> web.StreamResponse:
        body, record, fault = await self._begin(request)
        if fault is not None:
            return fault
        refused = self._unauthorised(request, record)
        if refused is not None:
            return refused
        if not isinstance(body, dict):
            return self._graph_error(record, 400, "RequestBodyRead", "the body must be a JSON event")
        for when in ("start", "end"):
            value = body.get(when)
            if not isinstance(value, dict) or not value.get("dateTime") or not value.get("timeZone"):
                return self._graph_error(record, 400, "ErrorInvalidRequest", f"{when} needs dateTime and timeZone")
        transaction = body.get("transactionId")
        if transaction:
            for event in self.events.values():
                if event.get("transactionId") == transaction:
                    return self._answer(record, event, 201)  # a retried create: the same event
        event_id = f"AAMkAD-event-{next(self._ids)}-{secrets.token_hex(4)}"
        organiser = request.match_info["organiser"]
        online = bool(body.get("isOnlineMeeting"))
        event = {
            **body,
            "id": event_id,
            "organizer": {"emailAddress": {"address": organiser, "name": organiser}},
            "webLink": f"https://outlook.example.test/owa/?itemid={event_id}",
            "onlineMeeting": {"joinUrl": f"https://teams.example.test/l/meetup-join/19%3ameeting_{event_id}%40thread.v2/0"}
            if online else None,
            "attendees": [{**a, "status": {"response": "none", "time": "0001-01-01T00:00:00Z"}}
                          for a in body.get("attendees", [])],
        }  # fmt: skip
        self.events[event_id] = event
        return self._answer(record, event, 201)

    async def _event(self, request: web.Request) -> tuple[Any, Callable[[int], None], dict[str, Any] | web.StreamResponse]:
        """(body, record, the organiser's event) for a request on one event, or instead of the
        event the answer Graph gives first: a fault, 401 for a bad token, 404 for another's event."""
        body, record, fault = await self._begin(request)
        if fault is not None:
            return body, record, fault
        refused = self._unauthorised(request, record)
        if refused is not None:
            return body, record, refused
        event = self.events.get(request.match_info["id"])
        organiser = request.match_info["organiser"].lower()
        if event is None or event["organizer"]["emailAddress"]["address"].lower() != organiser:
            return body, record, self._graph_error(record, 404, "ErrorItemNotFound",
                                                   "The specified object was not found in the store.")  # fmt: skip
        return body, record, event

    async def _get_event(self, request: web.Request) -> web.StreamResponse:
        _, record, event = await self._event(request)
        return event if isinstance(event, web.StreamResponse) else self._answer(record, event)

    async def _patch_event(self, request: web.Request) -> web.StreamResponse:
        body, record, event = await self._event(request)
        if isinstance(event, web.StreamResponse):
            return event
        if not isinstance(body, dict):
            return self._graph_error(record, 400, "RequestBodyRead", "the body must be JSON")
        for key, value in body.items():
            if key in ("id", "organizer", "onlineMeeting"):
                continue
            if key == "attendees":
                previous = {a["emailAddress"]["address"].lower(): a.get("status") for a in event["attendees"]}
                value = [{**a, "status": previous.get(a["emailAddress"]["address"].lower())
                          or {"response": "none", "time": "0001-01-01T00:00:00Z"}} for a in value]  # fmt: skip
            event[key] = value
        return self._answer(record, event)

    async def _delete_event(self, request: web.Request) -> web.StreamResponse:
        _, record, event = await self._event(request)
        if isinstance(event, web.StreamResponse):
            return event
        del self.events[event["id"]]
        record(204)
        return web.Response(status=204)
