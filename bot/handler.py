"""The Teams activity handler: turns activities into typed requests and routes them to flows.

Each activity is one database transaction: the flow's state changes, its outbox rows, the
conversation reference and the record that this activity id was handled commit together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ChannelAccount
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs import router
from dialogs.services import Services
from dialogs.types import Actor, CardAction, CardReply, Command, FileConsent, Where
from storage import activities, outbox
from storage.db import DatabaseUnavailable, is_unavailable, touched_discussions, transaction
from storage.models import utcnow

log = logging.getLogger("sdbot.handler")

MAX_TEXT = 4000
MAX_VERB = 64  # card verbs are short identifiers; anything longer is not one of ours


def processed_key(activity: Activity) -> str | None:
    """The dedupe key of an activity: its id within its conversation, from its sender."""
    if not activity.id:
        return None
    conversation = activity.conversation.id if activity.conversation else ""
    sender = activity.from_property.id if activity.from_property else ""
    return activities.activity_key(conversation or "", activity.id, sender)


def _mapping(value: Any) -> dict[str, Any]:
    """A JSON object from an activity, or {} for anything else (a client may send any shape)."""
    return value if isinstance(value, dict) else {}


def tenant_of(activity: Activity) -> str | None:
    # Teams sends conversation.tenantId, which the SDK loses on deserialise; channelData keeps it.
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else None
    if tenant and tenant.get("id"):
        return str(tenant["id"])
    conv = activity.conversation
    return getattr(conv, "tenant_id", None) if conv else None


def where_of(activity: Activity) -> Where:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team, channel = _mapping(data.get("team")), _mapping(data.get("channel"))
    conv = activity.conversation
    conv_type = (conv.conversation_type if conv else None) or ("channel" if channel else "personal")
    return Where(
        conversation_id=conv.id if conv else "",
        conversation_type=conv_type,
        service_url=activity.service_url or "",
        tenant_id=tenant_of(activity),
        team_id=team.get("id"),
        channel_id=channel.get("id"),
        bot_id=activity.recipient.id if activity.recipient else None,
    )


def actor_of(activity: Activity) -> Actor:
    sender: ChannelAccount | None = activity.from_property
    aad = getattr(sender, "aad_object_id", None) if sender else None
    return Actor(
        aad_object_id=aad.lower() if aad else None,
        teams_id=sender.id if sender else None,
        name=(sender.name if sender else None) or "someone",
    )


def _failed() -> dict[str, Any]:
    return CardReply(error=("InternalError", "Something went wrong and nothing was changed. Try again; "
                            "if it keeps failing, tell your administrator.")).as_invoke_body()  # fmt: skip


def _unavailable() -> dict[str, Any]:
    body = CardReply(error=("ServiceUnavailable", "The bot cannot save anything just now, so nothing was "
                            "changed. Try again in a minute.")).as_invoke_body()  # fmt: skip
    body["statusCode"] = 503
    return body


class StrategyDiscussionBot(TeamsActivityHandler):
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        services: Services,
        on_enqueued: Callable[[frozenset[str]], None] = lambda touched: None,
        clock: Callable[[], datetime] = utcnow,
    ):
        super().__init__()
        self._factory = factory
        self._services = services
        self._on_enqueued = on_enqueued
        self._clock = clock

    async def _remember(self, session: AsyncSession, activity: Activity, where: Where, actor: Actor) -> None:
        if not where.conversation_id or not where.service_url:
            return
        fields: dict[str, Any] = {
            "conversation_id": where.conversation_id,
            "conversation_type": where.conversation_type,
            "service_url": where.service_url,
            "tenant_id": where.tenant_id,
            "team_id": where.team_id,
            "channel_id": where.channel_id,
            "bot_id": where.bot_id,
        }
        await outbox.save_conversation(session, f"conv:{where.conversation_id}", **fields)
        if where.conversation_type == "personal" and actor.aad_object_id:
            await outbox.save_conversation(
                session, f"user:{actor.aad_object_id}", **fields, user_aad_object_id=actor.aad_object_id
            )

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text = TurnContext.remove_recipient_mention(activity) if activity.entities else activity.text
        text = (text or "").replace("\u00a0", " ").strip()[:MAX_TEXT]
        where, actor = where_of(activity), actor_of(activity)
        command = Command(actor=actor, where=where, text=text, activity_id=activity.id, now=self._clock())
        key = processed_key(activity)
        touched: frozenset[str] = frozenset()
        try:
            async with transaction(self._factory) as session:
                if key and not await activities.mark_processed(session, key):
                    log.info("repeated message ignored", extra={"activity": activity.id})
                    return
                await self._remember(session, activity, where, actor)
                await router.handle_command(session, self._services, command)
            touched = touched_discussions(session)
        except IntegrityError:
            log.info("message handled concurrently elsewhere", extra={"activity": activity.id})
            return
        except Exception as e:  # rolled back: tell the person, rather than leave them waiting
            if is_unavailable(e):
                # Not accepted: the route answers 503 and Teams may send it again.
                log.warning("database unavailable: message not accepted", extra={"activity": activity.id,
                            "error": type(e).__name__})  # fmt: skip
                raise DatabaseUnavailable(type(e).__name__) from e
            log.exception("command failed", extra={"activity": activity.id})
            async with transaction(self._factory) as session:
                await router.failed(session, where)
        self._on_enqueued(touched)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        where, actor = where_of(activity), actor_of(activity)
        async with transaction(self._factory) as session:
            await self._remember(session, activity, where, actor)
            bot_id = activity.recipient.id if activity.recipient else None
            added = [m.id for m in (activity.members_added or [])]
            if bot_id and bot_id in added:
                await router.welcome(session, self._services, where)
        self._on_enqueued(frozenset())

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        async with transaction(self._factory) as session:
            await self._remember(session, activity, where_of(activity), actor_of(activity))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name == "fileConsent/invoke":  # the record's PDF: see _file_consent below
            return await self._file_consent(activity)
        if activity.name != "adaptiveCard/action":
            # Only Universal Actions are ours (the SDK would answer 501 to the rest): say so plainly.
            log.info("unsupported invoke", extra={"invoke": str(activity.name)[:MAX_VERB]})
            return InvokeResponse(status=200, body=CardReply(error=(
                "NotSupported", "This bot answers card buttons (adaptiveCard/action) only.")).as_invoke_body())  # fmt: skip
        reply = await self._card_action(activity)
        # Answered as a plain dict: the route writes it as it is (the SDK's own path
        # serialises it twice and answers 500; see TEAMS-NOTES).
        return InvokeResponse(status=200, body=reply)

    async def _card_action(self, activity: Activity) -> dict[str, Any]:
        action = _mapping(_mapping(activity.value).get("action"))
        verb = action.get("verb")
        data = _mapping(action.get("data"))
        where, actor = where_of(activity), actor_of(activity)
        if not isinstance(verb, str) or not verb:
            return CardReply(error=("BadRequest", "This card action has no verb.")).as_invoke_body()
        if len(verb) > MAX_VERB:
            log.info("card action refused: verb too long", extra={"verb": verb[:MAX_VERB], "length": len(verb)})
            return CardReply(error=("BadRequest", "This card action is not one of this bot's.")).as_invoke_body()
        key = processed_key(activity)
        request = CardAction(
            actor=actor,
            where=where,
            verb=verb,
            data=data,
            activity_id=activity.id,
            reply_to_id=activity.reply_to_id,
            now=self._clock(),
        )
        try:
            async with transaction(self._factory) as session:
                if key:
                    earlier = await activities.earlier_response(session, key)
                    if earlier is not None:
                        log.info("repeated card action replayed", extra={"activity": activity.id, "verb": verb})
                        return earlier
                await self._remember(session, activity, where, actor)
                reply = await router.handle_action(session, self._services, request)
                if where.is_shared and reply.card is not None:
                    # The last line (the router answers channel presses safely): the card
                    # returned replaces the pressed one in the channel, so never a private card.
                    raise RuntimeError(f"a private card was about to answer a press in a channel ({verb})")
                body = reply.as_invoke_body()
                if key:
                    await activities.mark_processed(session, key, body)
        except IntegrityError:
            try:
                async with self._factory() as session:
                    earlier = await activities.earlier_response(session, key or "")
            except Exception as e:
                if not is_unavailable(e):
                    raise
                earlier = None
            if earlier is not None:
                return earlier
            log.exception("card action failed", extra={"verb": verb})
            return _failed()
        except Exception as e:  # the transaction rolled back: say so, rather than a bare 500
            if is_unavailable(e):
                log.warning("database unavailable: card action not done", extra={"verb": verb, "error": type(e).__name__})
                return _unavailable()
            log.exception("card action failed", extra={"verb": verb})
            return _failed()
        self._on_enqueued(touched_discussions(session))
        log.info("card action", extra={"verb": verb, "actor": actor.aad_object_id, "status": body["statusCode"]})
        return body

    # Files: a person's Allow or Decline on the record's file consent card ---------------------

    async def _file_consent(self, activity: Activity) -> InvokeResponse:
        """Teams' `fileConsent/invoke`. Answered 200 at once: the upload itself is an outbox row
        the worker delivers (and retries) after this answer."""
        value = activity.value if isinstance(activity.value, dict) else {}
        context, upload = value.get("context"), value.get("uploadInfo")
        request = FileConsent(
            actor=actor_of(activity),
            where=where_of(activity),
            action=str(value.get("action") or "")[:16],
            context=context if isinstance(context, dict) else {},
            upload_info=upload if isinstance(upload, dict) else {},
            activity_id=activity.id,
            now=self._clock(),
        )
        key = processed_key(activity)
        try:
            async with transaction(self._factory) as session:
                if key and not await activities.mark_processed(session, key):
                    return InvokeResponse(status=200, body={})
                await self._remember(session, activity, request.where, request.actor)
                await router.handle_file_consent(session, self._services, request)
        except IntegrityError:  # the same answer handled concurrently elsewhere
            return InvokeResponse(status=200, body={})
        except Exception as e:  # rolled back: Teams may send the answer again
            if is_unavailable(e):
                log.warning("database unavailable: file consent not handled", extra={"error": type(e).__name__})
                return InvokeResponse(status=503, body={})
            log.exception("file consent failed", extra={"activity": activity.id})
            return InvokeResponse(status=500, body={})
        self._on_enqueued(frozenset())
        log.info("file consent", extra={"action": request.action, "actor": request.actor.aad_object_id})
        return InvokeResponse(status=200, body={})
