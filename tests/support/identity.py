"""A fake Microsoft identity platform and Graph on 127.0.0.1: the OpenID configuration and
token endpoint msal calls (client credentials), and Graph calendar events with Teams links."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import itertools
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web


@dataclass
class FakeIdentityAndGraph:
    client_id: str = "6a1c9a2e-0000-4000-8000-00000000abcd"
    client_secret: str = "test-secret"
    tenant: str = "11111111-2222-4333-8444-555555555555"
    token_calls: int = 0
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._faults: list[list[Any]] = []  # [count, status, retry_after, match]
        self._token_delay = 0.0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.ca_file = ""

    def fail_next(self, count: int, status: int, retry_after: float | None = None, match: str = "/v1.0/") -> None:
        self._faults.append([count, status, retry_after, match])

    def delay_tokens(self, seconds: float) -> None:
        self._token_delay = seconds

    def _certificate(self) -> ssl.SSLContext:
        """msal talks to https only: a throwaway certificate for 127.0.0.1, trusted via ca_file."""
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
        folder = Path(tempfile.mkdtemp(prefix="sdbot-idp-"))
        self.ca_file = str(folder / "cert.pem")
        Path(self.ca_file).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file = folder / "key.pem"
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))  # fmt: skip
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca_file, key_file)
        return context

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_post("/v1.0/users/{organiser}/events", self._create_event)
        app.router.add_get("/v1.0/users/{organiser}/events/{id}", self._get_event)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._certificate())
        await site.start()
        self.url = f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _fault(self, request: web.Request) -> web.Response | None:
        for fault in self._faults:
            if fault[0] > 0 and fault[3] in request.path:
                fault[0] -= 1
                self.requests.append((request.method, request.path, fault[1]))
                headers = {"Retry-After": f"{fault[2]:g}"} if fault[2] is not None else {}
                return web.json_response({"error": {"code": "injected"}}, status=fault[1], headers=headers)
        return None

    async def _openid(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"{self.url}/{tenant}"
        return web.json_response({
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })  # fmt: skip

    async def _token(self, request: web.Request) -> web.Response:
        fault = self._fault(request)
        if fault is not None:
            return fault
        form = await request.post()
        self.token_calls += 1
        if self._token_delay:
            await asyncio.sleep(self._token_delay)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            self.requests.append((request.method, request.path, 401))
            return web.json_response({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}, status=401)
        self.requests.append((request.method, request.path, 200))
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                  "access_token": f"graph-token-{self.token_calls}"})  # fmt: skip

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "").startswith("Bearer graph-token-")

    async def _create_event(self, request: web.Request) -> web.Response:
        fault = self._fault(request)
        if fault is not None:
            return fault
        if not self._authorised(request):
            return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
        body = await request.json()
        event_id = f"AAMk-event-{next(self._ids)}"
        event = {**body, "id": event_id, "organizer": {"emailAddress": {"address": request.match_info["organiser"]}},
                 "onlineMeeting": {"joinUrl": f"https://teams.example.test/l/meetup-join/{event_id}"},
                 "attendees": [{**a, "status": {"response": "none"}} for a in body.get("attendees", [])]}  # fmt: skip
        self.events[event_id] = event
        self.requests.append((request.method, request.path, 201))
        return web.json_response(event, status=201)

    async def _get_event(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
        event = self.events.get(request.match_info["id"])
        if event is None:
            return web.json_response({"error": {"code": "ErrorItemNotFound"}}, status=404)
        return web.json_response(event)
