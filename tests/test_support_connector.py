"""The fake Bot Connector answers as the real REST API does, for the Bot Framework SDK's own
client and for plain HTTP: threads, personal chats, posts, replies, edits, members, and the
failures the outbox must survive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from tests.support.connector import FakeConnector

CHANNEL = "19:police-sd@thread.tacv2"
THREAD_BODY = {"isGroup": True, "bot": {"id": "28:sdbot"}, "tenantId": "t-1",
               "channelData": {"channel": {"id": CHANNEL}, "tenant": {"id": "t-1"}},
               "activity": {"type": "message", "text": "Invitation CR-1"}}  # fmt: skip


def personal(user: str) -> dict[str, Any]:
    return {"isGroup": False, "bot": {"id": "28:sdbot"}, "members": [{"id": user}], "tenantId": "t-1",
            "channelData": {"tenant": {"id": "t-1"}}}  # fmt: skip


@pytest.fixture
async def fake() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as connector:
        yield connector


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, method: str, url: str, body: Any = None,
               headers: dict[str, str] | None = None) -> tuple[int, Any, aiohttp.ClientResponse]:  # fmt: skip
    async with http.request(method, url, json=body, headers=headers) as response:
        data = await response.json(content_type=None) if await response.read() else None
        return response.status, data, response


def conv_url(fake: FakeConnector, conversation_id: str, tail: str = "/activities") -> str:
    return f"{fake.url}/v3/conversations/{quote(conversation_id, safe='')}{tail}"


async def test_a_new_channel_thread_carries_its_first_message(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    status, data, response = await call(http, "POST", f"{fake.url}/v3/conversations", THREAD_BODY)
    assert status == 201 and response.content_type == "application/json"
    assert data["id"] == f"{CHANNEL};messageid={data['activityId']}"
    assert fake.created_conversations == [THREAD_BODY]
    [message] = fake.sent
    assert (message.conversation_id, message.activity_id, message.text) == (data["id"], data["activityId"], "Invitation CR-1")
    assert fake.messages_in(data["id"]) == [{"type": "message", "text": "Invitation CR-1", "id": data["activityId"]}]
    _, again, _ = await call(http, "POST", f"{fake.url}/v3/conversations", THREAD_BODY)
    assert again["id"] != data["id"]  # every post to a channel starts its own thread


async def test_personal_chat_ids_are_stable_per_user(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    ids = []
    for user in ("29:pat", "29:pat", "29:hana"):
        status, data, _ = await call(http, "POST", f"{fake.url}/v3/conversations", personal(user))
        assert status == 201 and "activityId" not in data
        ids.append(data["id"])
    assert ids[0] == ids[1] == "a:personal-29:pat" and ids[2] == "a:personal-29:hana"
    assert not fake.sent  # creating a chat posts nothing


async def test_a_personal_chat_is_created_only_as_teams_creates_one(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    no_tenant = {k: v for k, v in personal("29:pat").items() if k not in ("tenantId", "channelData")}
    no_bot = {k: v for k, v in personal("29:pat").items() if k != "bot"}
    not_a_user = personal("28:another-bot")
    for body in (no_tenant, no_bot, not_a_user):
        status, data, _ = await call(http, "POST", f"{fake.url}/v3/conversations", body)
        assert status == 400 and data["error"]["code"] == "BadArgument", body
    fake.not_installed_for.add("29:hana")  # the app is not installed for Hana: Teams answers 403
    status, data, _ = await call(http, "POST", f"{fake.url}/v3/conversations", personal("29:hana"))
    assert status == 403
    status, data, _ = await call(http, "POST", f"{fake.url}/v3/conversations", personal("29:pat"))
    assert status == 201 and fake.personal_chats == {"29:pat": data["id"]} and len(fake.created_conversations) == 1


async def test_create_conversation_refuses_what_teams_refuses(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    no_activity = {**THREAD_BODY, "activity": None}
    group = {"isGroup": True, "bot": {"id": "28:sdbot"}, "members": [{"id": "29:a"}, {"id": "29:b"}]}
    bad_activity = {**THREAD_BODY, "activity": {"text": "no type"}}
    for body in (no_activity, group, bad_activity, personal(""), "not json"):
        status, data, _ = await call(http, "POST", f"{fake.url}/v3/conversations", body)
        assert status == 400 and data["error"]["code"] == "BadArgument", body
    assert not fake.created_conversations and [r.status for r in fake.requests] == [400] * 5


async def test_posts_and_replies_get_unique_ids_and_encoded_ids_work_both_ways(
    fake: FakeConnector, http: aiohttp.ClientSession
) -> None:
    thread = f"{CHANNEL};messageid=1763800000123"
    _, first, _ = await call(http, "POST", conv_url(fake, thread), {"type": "message", "text": "encoded"})
    # The same conversation id written raw in the path (`:`, `@` and `;` unencoded).
    _, second, _ = await call(http, "POST", f"{fake.url}/v3/conversations/{thread}/activities", {"type": "message", "text": "raw"})
    _, reply, _ = await call(http, "POST", conv_url(fake, thread, f"/activities/{first['id']}"), {"type": "message", "text": "reply"})
    assert len({first["id"], second["id"], reply["id"]}) == 3
    assert [m["text"] for m in fake.messages_in(thread)] == ["encoded", "raw", "reply"]
    assert fake.sent[-1].reply_to == first["id"]
    assert {r.conversation_id for r in fake.requests} == {thread}
    assert all(r.path.startswith(f"/v3/conversations/{thread}/") for r in fake.requests)  # decoded


async def test_an_update_replaces_the_message_and_an_unknown_id_is_404(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    _, created, _ = await call(http, "POST", f"{fake.url}/v3/conversations", THREAD_BODY)
    thread, message_id = created["id"], created["activityId"]
    status, data, _ = await call(http, "PUT", conv_url(fake, thread, f"/activities/{message_id}"),
                                 {"type": "message", "id": message_id, "text": "Roster: quorate"})  # fmt: skip
    assert (status, data) == (200, {"id": message_id})
    assert [m["text"] for m in fake.messages_in(thread)] == ["Roster: quorate"]  # edited in place, not re-posted
    assert len(fake.sent) == 1 and [u.text for u in fake.updates] == ["Roster: quorate"]
    status, data, _ = await call(http, "PUT", conv_url(fake, thread, "/activities/999"), {"type": "message"})
    assert status == 404 and data["error"]["code"] == "ActivityNotFoundInConversation"
    status, _, _ = await call(http, "PUT", conv_url(fake, "a:personal-29:pat", f"/activities/{message_id}"), {"type": "message"})
    assert status == 404  # the id exists, but in another conversation
    status, _, _ = await call(http, "PUT", conv_url(fake, thread, f"/activities/{message_id}"), {"text": "no type"})
    assert status == 400 and fake.messages_in(thread)[0]["text"] == "Roster: quorate"


async def test_a_post_that_is_not_an_activity_is_400(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    for body in ({"text": "no type"}, {"type": ""}, ["a list"]):
        status, _, _ = await call(http, "POST", conv_url(fake, "a:1"), body)
        assert status == 400
    async with http.post(conv_url(fake, "a:1"), data=b"{not json", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400
    assert not fake.sent


async def test_429_answers_with_retry_after_and_changes_nothing(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    fake.fail_next(2, 429, retry_after=0.5)
    fake.fail_next(1, 503, retry_after=3)
    answers = []
    for n in range(4):
        async with http.post(conv_url(fake, "a:1"), json={"type": "message", "text": f"m{n}"}) as r:
            answers.append((r.status, r.headers.get("Retry-After"), r.content_type))
    assert answers == [(429, "0.5", "application/json"), (429, "0.5", "application/json"),
                       (503, "3", "application/json"), (200, None, "application/json")]  # fmt: skip
    assert [m.text for m in fake.sent] == ["m3"]
    assert [r.status for r in fake.requests] == [429, 429, 503, 200]  # failed attempts are recorded
    assert [r.json["text"] for r in fake.requests] == ["m0", "m1", "m2", "m3"]


async def test_failures_can_target_one_kind_of_request(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    fake.fail_next(1, 403, match="/v3/conversations/a:2/")
    status, _, _ = await call(http, "POST", conv_url(fake, "a:1"), {"type": "message"})
    assert status == 200
    status, _, _ = await call(http, "POST", conv_url(fake, "a:2"), {"type": "message"})
    assert status == 403  # `match` is compared with the decoded path
    status, _, _ = await call(http, "POST", conv_url(fake, "a:2"), {"type": "message"})
    assert status == 200


async def test_a_dropped_connection_is_a_client_error_and_recorded(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    fake.drop_connection_next(1)
    with pytest.raises(aiohttp.ClientError):
        await call(http, "POST", conv_url(fake, "a:1"), {"type": "message", "text": "lost"})
    status, _, _ = await call(http, "POST", conv_url(fake, "a:1"), {"type": "message", "text": "kept"})
    assert status == 200 and [m.text for m in fake.sent] == ["kept"]
    assert [r.status for r in fake.requests] == [0, 200]


async def test_a_delay_holds_the_request(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    fake.delay_next(0.3)
    started = time.monotonic()
    status, _, _ = await call(http, "POST", conv_url(fake, "a:1"), {"type": "message"})
    assert status == 200 and time.monotonic() - started >= 0.3 and fake.held == 1
    fake.delay_next(2, 0.2)  # the two-argument form: count, seconds
    started = time.monotonic()
    await asyncio.gather(*(call(http, "POST", conv_url(fake, "a:1"), {"type": "message"}) for _ in range(3)))
    assert fake.held == 3 and time.monotonic() - started >= 0.2 and len(fake.sent) == 4


async def test_the_authorization_header_is_recorded(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    await call(http, "POST", conv_url(fake, "a:1"), {"type": "message"}, headers={"Authorization": "Bearer bot-token-1"})
    await call(http, "POST", conv_url(fake, "a:1"), {"type": "message"})
    assert fake.authorizations == ["Bearer bot-token-1", None]
    assert fake.requests[0].authorization == "Bearer bot-token-1"


async def test_members_and_paged_members(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    team = "19:team-safeguarding@thread.tacv2"
    for n in range(3):
        fake.add_member(team, {"id": f"29:user{n}", "name": f"User {n}", "aadObjectId": f"aad-{n}"})
    _, members, _ = await call(http, "GET", conv_url(fake, team, "/members"))
    assert [m["id"] for m in members] == ["29:user0", "29:user1", "29:user2"]
    _, page, _ = await call(http, "GET", conv_url(fake, team, "/pagedmembers?pageSize=2"))
    assert [m["id"] for m in page["members"]] == ["29:user0", "29:user1"]
    _, rest, _ = await call(http, "GET", conv_url(fake, team, f"/pagedmembers?pageSize=2&continuationToken={page['continuationToken']}"))
    assert [m["id"] for m in rest["members"]] == ["29:user2"] and "continuationToken" not in rest
    status, one, _ = await call(http, "GET", conv_url(fake, team, "/members/aad-1"))
    assert status == 200 and one["id"] == "29:user1"
    status, _, _ = await call(http, "GET", conv_url(fake, team, "/members/29:nobody"))
    assert status == 404


async def test_delete_removes_a_message(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    _, posted, _ = await call(http, "POST", conv_url(fake, "a:1"), {"type": "message"})
    status, _, _ = await call(http, "DELETE", conv_url(fake, "a:1", f"/activities/{posted['id']}"))
    assert status == 200 and fake.messages_in("a:1") == [] and fake.deleted == [("a:1", posted["id"])]
    status, _, _ = await call(http, "DELETE", conv_url(fake, "a:1", f"/activities/{posted['id']}"))
    assert status == 404


async def test_wait_for_polls_and_reports_what_it_got(fake: FakeConnector, http: aiohttp.ClientSession) -> None:
    async def later() -> None:
        await asyncio.sleep(0.1)
        await call(http, "POST", conv_url(fake, "a:1"), {"type": "message", "text": "arrived"})

    task = asyncio.create_task(later())
    await fake.wait_for(lambda c: len(c.sent) == 1, timeout=2)
    await task
    with pytest.raises(AssertionError, match=r"(?s)within 0.1s.*1 sent.*arrived"):
        await fake.wait_for(lambda c: len(c.sent) == 2, timeout=0.1)


async def test_the_bot_framework_sdk_client_works_against_it(fake: FakeConnector) -> None:
    """The SDK's own (msrest) client as a second, independent caller: same wire format."""
    from botbuilder.schema import Activity, ChannelAccount, ConversationParameters
    from botframework.connector.aio import ConnectorClient
    from botframework.connector.auth import MicrosoftAppCredentials
    from botframework.connector.models import ErrorResponseException

    client = ConnectorClient(MicrosoftAppCredentials("", ""), base_url=fake.url)
    async with client:
        created = await client.conversations.create_conversation(ConversationParameters(
            is_group=True, bot=ChannelAccount(id="28:sdbot"), tenant_id="t-1",
            channel_data={"channel": {"id": CHANNEL}, "tenant": {"id": "t-1"}},
            activity=Activity(type="message", text="Invitation CR-2")))  # fmt: skip
        assert created.id == f"{CHANNEL};messageid={created.activity_id}"
        sent = await client.conversations.send_to_conversation(created.id, Activity(type="message", text="second"))
        updated = await client.conversations.update_activity(
            created.id, created.activity_id, Activity(type="message", id=created.activity_id, text="edited"))
        assert updated.id == created.activity_id
        fake.add_member(created.id, {"id": "29:pat", "name": "Pat Lead", "aadObjectId": "aad-pat"})
        page = await client.conversations.get_conversation_paged_members(created.id, page_size=10)
        assert [(m.id, m.aad_object_id) for m in page.members] == [("29:pat", "aad-pat")]
        await client.conversations.delete_activity(created.id, sent.id)
        fake.fail_next(1, 429, retry_after=2)
        with pytest.raises(ErrorResponseException) as raised:
            await client.conversations.send_to_conversation(created.id, Activity(type="message", text="throttled"))
        # What a retrying caller reads (TEAMS-NOTES: msrest does not retry 429 itself).
        assert raised.value.response.status_code == 429 and raised.value.response.headers["Retry-After"] == "2"
    assert [m["text"] for m in fake.messages_in(created.id)] == ["edited"]
