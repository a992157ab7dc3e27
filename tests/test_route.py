"""The real /api/messages route: help, the card-click fix, bad input, authentication, tenant."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from tests.conftest import PEOPLE, Bot, make_settings
from tests.support import activities


def card_of(activity: dict) -> dict:
    return activity["attachments"][0]["content"]


def texts(card: dict) -> str:
    return json.dumps(card)


async def test_help_in_personal_chat_answers_with_the_command_list(bot: Bot) -> None:
    await bot.say("chris", "help")
    await bot.drain()
    sent = bot.connector.sent
    assert len(sent) == 1
    conv = activities.personal_conversation(PEOPLE["chris"]["teams_id"])
    assert sent[0].conversation_id == conv
    body = texts(card_of(sent[0].activity))
    for word in ("convene", "status", "start", "close", "review"):
        assert word in body


async def test_help_when_mentioned_in_a_channel(bot: Bot) -> None:
    await bot.say("chris", "help", channel_id="19:csc-sd@thread.tacv2")
    await bot.drain()
    assert len(bot.connector.sent) == 1
    assert bot.connector.sent[0].conversation_id.startswith("19:csc-sd@thread.tacv2;messageid=")
    assert "convene" in texts(card_of(bot.connector.sent[0].activity))


async def test_unknown_command_is_answered_with_the_choices(bot: Bot) -> None:
    await bot.say("chris", "frobnicate CR-1")
    await bot.drain()
    body = texts(card_of(bot.connector.sent[0].activity))
    assert "frobnicate" in body and "convene" in body


async def test_card_click_returns_200_with_the_card_body(bot: Bot) -> None:
    # The SDK's own route answers every adaptiveCard/action with 500 (double serialisation).
    status, body = await bot.click("pat", "convene_form", {"case_ref": "CR-1"})
    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["type"] == "AdaptiveCard"
    assert "chair" in texts(body["value"]).lower()


async def test_unknown_verb_gets_an_error_body_not_a_500(bot: Bot) -> None:
    status, body = await bot.click("chris", "no_such_verb", {})
    assert status == 200
    assert body["statusCode"] == 400 and body["type"] == "application/vnd.microsoft.error"


async def test_healthz(bot: Bot) -> None:
    assert bot.client is not None
    response = await bot.client.get("/healthz")
    assert response.status == 200 and (await response.json())["status"] == "ok"


async def test_bad_bodies_get_clear_answers_and_change_nothing(bot: Bot) -> None:
    assert bot.client is not None
    r = await bot.client.post("/api/messages", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status == 400 and "JSON" in (await r.json())["error"]
    r = await bot.client.post("/api/messages", json=[1, 2, 3])
    assert r.status == 400
    r = await bot.client.post("/api/messages", json={"text": "no type"})
    assert r.status == 400
    r = await bot.client.post("/api/messages", data=b"hello", headers={"Content-Type": "text/plain"})
    assert r.status == 415
    huge = activities.message(PEOPLE["chris"], "convene CR-1 " + "x" * 400_000, bot.connector.url)
    r = await bot.client.post("/api/messages", json=huge)
    assert r.status == 413
    await bot.drain()
    assert bot.connector.sent == []


async def test_other_tenant_is_refused(sqlite_url: str, connector) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(sqlite_url, tenant_id=activities.TENANT, service_url=connector.url)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        other = activities.message(PEOPLE["chris"], "help", connector.url, tenant="99999999-9999-4999-8999-999999999999")
        r = await client.post("/api/messages", json=other)
        assert r.status == 403
        ours = activities.message(PEOPLE["chris"], "help", connector.url)
        r = await client.post("/api/messages", json=ours)
        assert r.status == 201


async def test_with_an_app_id_missing_or_garbage_tokens_get_401_and_the_bot_keeps_serving(sqlite_url: str, connector) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(sqlite_url, dev=False, app_id="6a1c9a2e-0000-4000-8000-00000000abcd",
                             app_password="not-a-real-secret", tenant_id=activities.TENANT)  # fmt: skip
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        activity = activities.message(PEOPLE["chris"], "help", connector.url)
        for headers in ({}, {"Authorization": "Bearer garbage"}, {"Authorization": "Bearer a.b.c"}, {"Authorization": "Basic xyz"}):
            r = await client.post("/api/messages", json=activity, headers=headers)
            assert r.status == 401, (headers, r.status, await r.text())
        invoke = activities.invoke(PEOPLE["chris"], "status", {}, connector.url)
        r = await client.post("/api/messages", json=invoke)
        assert r.status == 401
        r = await client.get("/healthz")
        assert r.status == 200
    assert connector.sent == []


def test_serve_refuses_to_start_without_an_app_id_unless_dev() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SDBOT_"))}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--port", "1"], env=env,
                            capture_output=True, text=True, timeout=60, cwd="/")  # fmt: skip
    assert result.returncode == 2
    assert "MicrosoftAppId" in result.stderr and "SDBOT_DEV=1" in result.stderr


def test_sdbot_help_explains_itself() -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for word in ("serve", "migrate", "export", "package", "worker", "MicrosoftAppId"):
        assert word in result.stdout


async def test_a_flow_that_fails_rolls_back_and_says_so(bot: Bot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dialogs import router

    async def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(router.REGISTRY.commands, "status", broken)
    monkeypatch.setitem(router.REGISTRY.actions, "status", broken)
    await bot.say("chris", "status CR-1")
    await bot.drain()
    assert "nothing was changed" in texts(card_of(bot.connector.sent[-1].activity))
    status, body = await bot.click("chris", "status", {"discussion_id": "x"})
    assert status == 200 and body["statusCode"] == 400 and "nothing was changed" in body["value"]["message"]


def test_sdbot_check_validates_the_directory_and_profile(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SDBOT_"))}
    ok = subprocess.run([sys.executable, "-m", "bot.cli", "check"], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert ok.returncode == 0 and "17 agencies" in ok.stdout and "pan-sussex" in ok.stdout
    bad = tmp_path / "directory.toml"
    bad.write_text('[[agencies]]\nid = "police"\nname = "Police"\nkind = "foster-carer"\n')
    wrong = subprocess.run([sys.executable, "-m", "bot.cli", "check"], env={**env, "SDBOT_DIRECTORY": str(bad)},
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)  # fmt: skip
    assert wrong.returncode == 1 and "agency 'police'" in wrong.stderr and "foster carers must not attend" in wrong.stderr
    missing = subprocess.run([sys.executable, "-m", "bot.cli", "check"], env={**env, "SDBOT_PROFILE": "atlantis"},
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 1 and "atlantis" in missing.stderr
