"""Teams-shaped activity JSON, as Teams posts it to /api/messages."""

from __future__ import annotations

import itertools
from typing import Any

TENANT = "11111111-2222-4333-8444-555555555555"
TEAM = "19:team-safeguarding@thread.tacv2"
BOT_ID = "28:sdbot-test"
_ids = itertools.count(1)


def next_id() -> str:
    return f"1700000000{next(_ids):06d}"


def personal_conversation(teams_id: str) -> str:
    return f"a:personal-{teams_id}"


def _base(person: dict[str, Any], service_url: str, conversation: dict[str, Any], channel_data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": next_id(),
        "timestamp": "2026-11-23T09:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": person["teams_id"], "name": person["name"], "aadObjectId": person["aad_object_id"]},
        "conversation": conversation,
        "recipient": {"id": BOT_ID, "name": "Strategy Discussions"},
        "channelData": channel_data,
        "locale": "en-GB",
    }


def message(person: dict[str, Any], text: str, service_url: str, channel_id: str | None = None,
            tenant: str = TENANT) -> dict[str, Any]:
    if channel_id:
        conversation = {"isGroup": True, "conversationType": "channel", "tenantId": tenant,
                        "id": f"{channel_id};messageid={next_id()}"}
        channel_data = {"teamsChannelId": channel_id, "teamsTeamId": TEAM, "channel": {"id": channel_id},
                        "team": {"id": TEAM}, "tenant": {"id": tenant}}
        text = f"<at>Strategy Discussions</at> {text}"
        entities = [{"type": "mention", "text": "<at>Strategy Discussions</at>",
                     "mentioned": {"id": BOT_ID, "name": "Strategy Discussions"}}]
    else:
        conversation = {"conversationType": "personal", "tenantId": tenant,
                        "id": personal_conversation(person["teams_id"])}
        channel_data = {"tenant": {"id": tenant}}
        entities = [{"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web", "timezone": "Europe/London"}]
    activity = _base(person, service_url, conversation, channel_data)
    activity.update({"type": "message", "text": text, "textFormat": "plain", "entities": entities})
    return activity


def invoke(person: dict[str, Any], verb: str, data: dict[str, Any], service_url: str,
           conversation_id: str | None = None, reply_to_id: str | None = None,
           tenant: str = TENANT) -> dict[str, Any]:
    conv_id = conversation_id or personal_conversation(person["teams_id"])
    is_channel = conv_id.startswith("19:")
    conversation = {"tenantId": tenant, "id": conv_id,
                    "conversationType": "channel" if is_channel else "personal"}
    channel_data: dict[str, Any] = {"tenant": {"id": tenant}, "source": {"name": "message"}, "legacy": {"replyToId": reply_to_id}}
    if is_channel:
        channel = conv_id.split(";")[0]
        channel_data.update({"channel": {"id": channel}, "team": {"id": TEAM}})
        conversation["isGroup"] = True
    activity = _base(person, service_url, conversation, channel_data)
    activity.update({
        "type": "invoke",
        "name": "adaptiveCard/action",
        "replyToId": reply_to_id or next_id(),
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
    })
    return activity


def conversation_update_bot_added(service_url: str, person: dict[str, Any], tenant: str = TENANT) -> dict[str, Any]:
    conversation = {"conversationType": "personal", "tenantId": tenant, "id": personal_conversation(person["teams_id"])}
    activity = _base(person, service_url, conversation, {"tenant": {"id": tenant}})
    activity.update({"type": "conversationUpdate", "membersAdded": [{"id": BOT_ID}]})
    return activity
