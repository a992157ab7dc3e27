"""Checking the Bot Framework's tokens without blocking the event loop.

botframework-connector validates a channel token against the OpenID metadata and signing keys
it fetches with a blocking `requests.get` without a timeout, inside a coroutine: one request
while that endpoint hangs would freeze the whole bot (health checks, other requests, SIGTERM).
Here the SDK's metadata cache (`JwtTokenExtractor.metadataCache`, keyed by metadata URL) is
filled with an aiohttp fetcher that has a timeout; everything else (signature, issuer,
audience, endorsements, service URL) stays the SDK's own validation.

The metadata URL is the SDK's `ChannelValidation.open_id_metadata_endpoint` (its override for
the public-cloud constant): `SDBOT_OPENID_METADATA_URL`, for sovereign clouds or a test.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger("sdbot.auth")

REFRESH_AFTER = 24 * 3600.0  # keys are refetched daily, as the SDK does
UNKNOWN_KEY_REFRESH = 300.0  # a token signed by an unknown key refetches at most this often
FAILURE_BACKOFF = 5.0  # after a failed fetch, refuse at once for this long rather than pile up


class MetadataUnavailable(Exception):
    """The OpenID metadata or signing keys could not be fetched: tokens cannot be checked now."""


@dataclass(frozen=True)
class SigningKey:
    """What the SDK's JwtTokenExtractor reads from its metadata cache."""

    public_key: Any
    endorsements: list[str]


class AsyncOpenIdMetadata:
    """Drop-in for the SDK's `_OpenIdMetadata`: `await get(kid)` -> SigningKey or None."""

    def __init__(self, url: str, session: aiohttp.ClientSession, timeout: float, ssl_context: ssl.SSLContext | None):
        self.url = url
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._keys: list[dict[str, Any]] = []
        self._fetched_at = float("-inf")
        self._failed_at = float("-inf")
        self._lock = asyncio.Lock()

    async def get(self, key_id: str | None) -> SigningKey | None:
        now = time.monotonic()
        if now - self._fetched_at > REFRESH_AFTER:
            await self._refresh()
        key = self._find(key_id)
        if key is None and time.monotonic() - self._fetched_at > UNKNOWN_KEY_REFRESH:
            await self._refresh()
            key = self._find(key_id)
        return key

    async def _refresh(self) -> None:
        started = time.monotonic()
        async with self._lock:
            if self._fetched_at >= started:  # another request refreshed while this one waited
                return
            if time.monotonic() - self._failed_at < FAILURE_BACKOFF:
                raise MetadataUnavailable("the signing keys could not be fetched a moment ago")
            try:
                config = await self._get_json(self.url)
                keys = (await self._get_json(str(config["jwks_uri"])))["keys"]
                if not isinstance(keys, list):
                    raise ValueError("keys is not a list")
            except Exception as e:
                self._failed_at = time.monotonic()
                log.warning("OpenID metadata not fetched", extra={"url": self.url, "error": type(e).__name__})
                raise MetadataUnavailable(type(e).__name__) from e
            self._keys = [k for k in keys if isinstance(k, dict)]
            self._fetched_at = time.monotonic()

    async def _get_json(self, url: str) -> dict[str, Any]:
        async with self._session.get(url, timeout=self._timeout, ssl=self._ssl) as response:
            response.raise_for_status()
            data = await response.json(content_type=None)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data

    def _find(self, key_id: str | None) -> SigningKey | None:
        from jwt.algorithms import RSAAlgorithm

        for key in self._keys:
            if key.get("kid") == key_id:
                endorsements = key.get("endorsements")
                return SigningKey(RSAAlgorithm.from_jwk(json.dumps(key)),
                                  endorsements if isinstance(endorsements, list) else [])  # fmt: skip
        return None


def install(metadata_url: str, session: aiohttp.ClientSession, timeout: float, ca_file: str = "") -> None:
    """Make the SDK check channel tokens against `metadata_url` (empty: Microsoft's public
    cloud), and fetch that metadata (and the emulator's) with aiohttp instead of requests."""
    from botframework.connector.auth import AuthenticationConstants, ChannelValidation
    from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

    ChannelValidation.open_id_metadata_endpoint = metadata_url or None
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    urls = {
        metadata_url or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    }
    for url in urls:
        JwtTokenExtractor.metadataCache[url] = AsyncOpenIdMetadata(url, session, timeout, context)
