"""Where an outbox message goes, and the one kind of payload a shared conversation may receive.

A strategy discussion is about a named child: nothing a person typed (reasons, information,
disagreements, agenda answers, decisions, the record) may reach a channel or a group chat.
That is enforced here, where every message passes, rather than in each flow:

- `Target` knows whether it is *shared* (a channel thread, a channel or group conversation);
- a shared target accepts only a `ChannelSafe` payload, which only `dialogs.replies` builds,
  and only from `cards.channel` messages (built from views that hold no free text);
- `storage.outbox.enqueue` raises `ConfidentialityError` otherwise, and the outbox worker
  refuses such a row again before sending (the last line).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

PERSONAL = "personal"
# Conversation types more than one person reads. Teams ids of channels and group chats start
# with "19:" (personal chats with "a:"), so an id alone is enough to recognise one.
SHARED_TYPES = frozenset({"channel", "groupChat"})
SHARED_ID_PREFIX = "19:"


class TargetKind(StrEnum):
    PERSON = "person"  # their personal chat, created when there is none
    CONVERSATION = "conversation"  # a known conversation, with its type
    CHANNEL = "channel"  # a new thread in a channel


class ConfidentialityError(ValueError):
    """A payload that may carry free text was addressed to a shared conversation."""


def is_shared_conversation(conversation_id: str | None, conversation_type: str | None) -> bool:
    return (conversation_type or "") in SHARED_TYPES or (conversation_id or "").startswith(SHARED_ID_PREFIX)


@dataclass(frozen=True)
class Target:
    """An outbox target: a person (their personal chat, created when there is none), a known
    conversation (with its type), or a new thread in a channel."""

    kind: TargetKind  # a plain string from stored JSON becomes the member (__post_init__)
    conversation_id: str | None = None
    conversation_type: str | None = None  # for a conversation: personal | channel | groupChat
    channel_id: str | None = None
    person_id: str | None = None
    teams_id: str | None = None
    aad_object_id: str | None = None
    service_url: str | None = None
    tenant_id: str | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", TargetKind(self.kind))  # frozen: set once, here
        except ValueError:
            raise ValueError(f"unknown outbox target kind {self.kind!r}") from None
        if self.kind == TargetKind.PERSON and not (self.teams_id or self.aad_object_id or self.person_id):
            raise ValueError("a person target needs a person id, a Teams id or an AAD object id")
        if self.kind == TargetKind.CONVERSATION and not self.conversation_id:
            raise ValueError("a conversation target needs its conversation id")
        if self.kind == TargetKind.CHANNEL and not self.channel_id:
            raise ValueError("a channel target needs its channel id")

    @classmethod
    def person(cls, *, person_id: str | None = None, teams_id: str | None = None, aad_object_id: str | None = None,
               service_url: str | None = None, tenant_id: str | None = None) -> Target:  # fmt: skip
        return cls(TargetKind.PERSON, person_id=person_id, teams_id=teams_id, aad_object_id=aad_object_id,
                   service_url=service_url, tenant_id=tenant_id)  # fmt: skip

    @classmethod
    def conversation(cls, conversation_id: str, conversation_type: str | None, *, service_url: str | None = None,
                     tenant_id: str | None = None) -> Target:  # fmt: skip
        return cls(TargetKind.CONVERSATION, conversation_id=conversation_id, conversation_type=conversation_type,
                   service_url=service_url, tenant_id=tenant_id)  # fmt: skip

    @classmethod
    def channel(cls, channel_id: str, *, service_url: str | None = None, tenant_id: str | None = None) -> Target:
        return cls(TargetKind.CHANNEL, channel_id=channel_id, service_url=service_url, tenant_id=tenant_id)

    @property
    def is_shared(self) -> bool:
        """True for a channel (new thread or existing conversation) or a group chat."""
        if self.kind == TargetKind.CHANNEL:
            return True
        if self.kind == TargetKind.CONVERSATION:
            return is_shared_conversation(self.conversation_id, self.conversation_type)
        return False

    # The brief's word for it; a group chat counts as a channel here.
    is_channel = is_shared

    @property
    def order_key(self) -> str:
        if self.kind == TargetKind.CONVERSATION:
            return f"conv:{self.conversation_id}"
        if self.kind == TargetKind.CHANNEL:
            return f"channel:{self.channel_id}"
        return f"person:{self.aad_object_id or self.person_id or self.teams_id}"

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any] | Target) -> Target:
        if isinstance(data, Target):
            return data
        if not isinstance(data, dict):
            raise ValueError(f"not an outbox target: {data!r}")
        fields: dict[str, Any] = {k: data[k] for k in cls.__dataclass_fields__ if data.get(k) is not None}
        return cls(**fields)


@dataclass(frozen=True)
class ChannelSafe:
    """An activity fit for a shared conversation. Built only by `dialogs.replies.channel_safe`
    from a `cards.ChannelMessage` (tests/test_confidentiality.py checks who builds it)."""

    activity: dict[str, Any]
