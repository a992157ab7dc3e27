"""Typed routing: a command word or a card verb to the flow that handles it."""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.channel import sent_privately_text, something_went_wrong
from cards.verbs import Verb
from dialogs import (
    agenda,
    cases,
    convene,
    icpc,
    meeting,
    parse,
    record,
    record_files,
    replies,
    report_teams,
    review,
    rsvp,
    status,
)
from dialogs.access import may_see
from dialogs.parse import InputError
from dialogs.registry import Registry
from dialogs.services import Services
from dialogs.targets import private_where
from dialogs.types import CardAction, CardReply, Command, FileConsent, Where
from storage import queries

log = logging.getLogger("sdbot.dialogs")


COMMANDS: list[tuple[str, str]] = [
    ("convene CASE_REF [referral WHEN] [concerns CODES] [flags CODES] [action WHEN] [at WHEN]",
     "Work out the convene-by deadline and who to invite; then press Send invitations. "
     "`convene` alone opens a form."),
    ("status CASE_REF", "Show the roster: who accepted, quorum, time left, escalations."),
    ("start CASE_REF", "Open the discussion: the Professional Difference Statement, then the agenda."),
    ("close CASE_REF", "Close the discussion and produce the record for circulation."),
    ("review CASE_REF", "Convene a review discussion linked to the last one."),
    ("icpc CASE_REF held WHEN", "Record when the Initial Child Protection Conference was held (chairs; after an S47)."),
    ("cases", "Your open discussions (chairs), or the cases at risk your agency is in (duty managers)."),
    ("report [from DATE] [to DATE]", "Chairs and duty managers: timeliness, attendance and escalation figures (default: the last 3 months)."),
    ("help", "This list."),
]  # fmt: skip

REGISTRY = Registry()
# Every command word and card verb, registered here explicitly (flows import nothing upward).
REGISTRY.command("convene", convene.convene_command)
REGISTRY.command("status", status.status_command)
REGISTRY.command("start", meeting.start_command)
REGISTRY.command("close", record.close_command)
REGISTRY.command("review", review.review_command)
REGISTRY.command("icpc", icpc.icpc_command)
REGISTRY.command("cases", cases.cases_command)
REGISTRY.command("report", report_teams.report_command)
REGISTRY.action(convene.convene_form, Verb.CONVENE_FORM)
REGISTRY.action(convene.send_invitations, Verb.SEND_INVITATIONS)
REGISTRY.action(rsvp.answer, Verb.ACCEPT, Verb.DECLINE, Verb.DELEGATE, Verb.WITHDRAW)
REGISTRY.action(rsvp.record_answer, Verb.RECORD_ANSWER)
REGISTRY.action(status.status_refresh, Verb.STATUS)
REGISTRY.action(agenda.agenda_back, Verb.AGENDA_BACK)
REGISTRY.action(agenda.agenda_next, Verb.AGENDA_NEXT)
REGISTRY.action(agenda.agenda_add_action, Verb.AGENDA_ADD_ACTION)
REGISTRY.action(meeting.info_add, Verb.INFO_ADD)
REGISTRY.action(meeting.disagree, Verb.DISAGREE)
REGISTRY.action(meeting.resolve_disagreement, Verb.RESOLVE_DISAGREEMENT)
REGISTRY.action(meeting.csc_not_present, Verb.CSC_NOT_PRESENT)
REGISTRY.action(record.approve_circulation, Verb.APPROVE_CIRCULATION)
REGISTRY.action(record.action_done, Verb.ACTION_DONE)
REGISTRY.action(record_files.download_pdf, Verb.RECORD_PDF)
REGISTRY.action(report_teams.report_file, Verb.REPORT_FILE)


async def _case_ref_in(session: AsyncSession, cmd: Command) -> str | None:
    """The case reference a command names, for the channel's short answer: only a case that
    exists and that the person may see (what was typed is echoed to the channel otherwise
    never: a mistyped case reference could be a child's name)."""
    words = cmd.text.split()
    try:
        ref = parse.case_ref(words[1]) if len(words) > 1 else None
    except InputError:
        return None
    d = await queries.latest_discussion(session, ref) if ref else None
    person = await queries.person_by_aad(session, cmd.actor.aad_object_id)
    return ref if d is not None and await may_see(session, d, person) else None


HELP_WORDS = ("", "help", "?", "hi", "hello")


async def handle_command(session: AsyncSession, services: Services, cmd: Command) -> None:
    if cmd.where.is_shared and cmd.text.partition(" ")[0].lower().strip() in HELP_WORDS:
        await replies.card(session, cmd.where, cards.channel_help(COMMANDS))  # the same for everyone
        return
    if cmd.where.is_shared:
        # Typed in a channel: the channel gets a short note, the answer goes to the person's
        # personal chat. Every flow then answers "where" it is told, which is private.
        await replies.card(session, cmd.where, cards.sent_privately(await _case_ref_in(session, cmd)))
        cmd = replace(cmd, where=await private_where(session, cmd.actor, cmd.where), origin=cmd.where)
    word, _, rest = cmd.text.partition(" ")
    word = word.lower().strip()
    if word in HELP_WORDS:
        await replies.card(session, cmd.where, cards.help_card(COMMANDS))
        return
    flow = REGISTRY.commands.get(word)
    if flow is None:
        await replies.card(
            session,
            cmd.where,
            cards.error_card(
                f"I don't know the command '{word[:40]}'",
                "Type one of these:",
                [c for c, _ in COMMANDS],
            ),
        )
        return
    await flow(session, services, cmd, rest.strip())


async def handle_action(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    try:
        flow = REGISTRY.actions.get(Verb(act.verb))  # what Teams sent: any string
    except ValueError:
        flow = None
    if flow is None:
        return CardReply(error=("UnknownAction", f"This button ({act.verb[:40]}) is not one I know."))
    if not act.where.is_shared:
        return await flow(session, services, act)
    # Pressed in a channel: the card returned replaces the pressed card for the channel, so it
    # must be channel-safe; anything private goes to the presser's personal chat.
    private = await private_where(session, act.actor, act.where)
    reply = await flow(session, services, replace(act, where=private, origin=act.where))
    if reply.error is not None:
        return CardReply(error=reply.error)
    if reply.channel_card is not None and reply.channel_card.card is not None:
        return CardReply(channel_card=reply.channel_card)
    if reply.card is not None:
        await replies.card(session, private, reply.card, purpose="reply")
    elif reply.message:
        await replies.text(session, private, reply.message)
    return CardReply(message=sent_privately_text())


async def handle_file_consent(session: AsyncSession, services: Services, req: FileConsent) -> None:
    """Teams' `fileConsent/invoke`: the record's PDF, or the report (its card says which)."""
    if req.context.get("kind") == report_teams.FILE_KIND:
        await report_teams.file_consent(session, services, req)
    else:
        await record_files.file_consent(session, services, req)


async def failed(session: AsyncSession, where: Where) -> None:
    if where.is_shared:
        await replies.card(session, where, something_went_wrong())
        return
    await replies.card(session, where, cards.error_card(
        "Something went wrong — nothing was changed",
        "Try again in a moment; if it keeps failing, tell your administrator.",
    ))  # fmt: skip


async def welcome(session: AsyncSession, services: Services, where: Where) -> None:
    await replies.card(session, where, cards.channel_help(COMMANDS) if where.is_shared else cards.help_card(COMMANDS))
