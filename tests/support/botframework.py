"""A fake of the Bot Framework's token signing on 127.0.0.1: its OpenID metadata
(`GET /v1/.well-known/openidconfiguration`), its signing keys (`GET /v1/.well-known/keys`,
each with `endorsements` naming the channels it signs for), and tokens minted the way the
Bot Framework mints them for a channel's request to a bot (RS256, `iss`
https://api.botframework.com, `aud` the bot's app id, a `serviceurl` claim, `kid` in the JWKS).

    async with FakeBotFrameworkIdentity() as bf:
        settings = Settings(..., openid_metadata_url=bf.metadata_url)
        headers = {"Authorization": f"Bearer {bf.channel_token(app_id, service_url)}"}

`hang()` makes the metadata endpoint hold every request until `release()`.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.fakehttp import FakeService, LocalServer

CHANNEL_ISSUER = "https://api.botframework.com"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"


def _b64(n: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


class SigningKeyPair:
    def __init__(self, kid: str, endorsements: list[str]):
        self.kid = kid
        self.endorsements = endorsements
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": _b64(numbers.n),
                "e": _b64(numbers.e), "endorsements": self.endorsements}  # fmt: skip


class FakeBotFrameworkIdentity(FakeService):
    def __init__(self) -> None:
        self.keys = [SigningKeyPair("bf-key-1", ["msteams", "webchat"])]
        self.rogue = SigningKeyPair("bf-key-1", ["msteams"])  # same kid, not published
        self.metadata_calls = 0
        self.key_calls = 0
        self._hang: asyncio.Event | None = None
        self._server = LocalServer(self._app())

    @property
    def metadata_url(self) -> str:
        return f"{self.url}{METADATA_PATH}"

    def hang(self) -> None:
        self._hang = asyncio.Event()

    def release(self) -> None:
        if self._hang is not None:
            self._hang.set()
            self._hang = None

    def channel_token(self, app_id: str, service_url: str, *, issuer: str = CHANNEL_ISSUER,
                      key: SigningKeyPair | None = None, lifetime: int = 3600, **claims: Any) -> str:  # fmt: skip
        now = int(time.time())
        payload = {"serviceurl": service_url, "nbf": now - 60, "exp": now + lifetime, "iss": issuer,
                   "aud": app_id, **claims}  # fmt: skip
        signer = key or self.keys[0]
        return jwt.encode(payload, signer.private, algorithm="RS256", headers={"kid": signer.kid, "x5t": signer.kid})

    async def stop(self) -> None:
        self.release()
        await self._server.stop()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(METADATA_PATH, self._metadata)
        app.router.add_get(KEYS_PATH, self._keys)
        return app

    async def _metadata(self, request: web.Request) -> web.Response:
        self.metadata_calls += 1
        if self._hang is not None:
            await self._hang.wait()
        return web.json_response({
            "issuer": CHANNEL_ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": f"{self.url}{KEYS_PATH}",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        })  # fmt: skip

    async def _keys(self, request: web.Request) -> web.Response:
        self.key_calls += 1
        return web.json_response({"keys": [k.jwk() for k in self.keys]})
