"""Running the discussion: `start`, the chair's agenda one step at a time, attendees'
information and disagreements, and `CSC not present` (PROCEDURE sections 4, 5 and 7)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.common import card, execute, show_card, text
from cards.meeting import (
    ActionView,
    AgendaView,
    FieldView,
    MeetingView,
    action_card,
    agenda_card,
    meeting_card,
)
from dialogs import escalate, parse, replies
from dialogs.access import may_see
from dialogs.parse import InputError
from dialogs.roster import refresh_roster
from dialogs.services import Services
from dialogs.targets import chair_target, person_target
from dialogs.types import CardAction, CardReply, Command
from dialogs.views import quorum_of_kinds
from procedure import (
    AGENDA,
    DECISION_TOPICS,
    PROFESSIONAL_DIFFERENCE_STATEMENT,
    disagreement_resolve_by,
    medical_decision_allowed,
)
from procedure.quorum import HEALTH_KINDS
from storage import outbox, queries
from storage.models import (
    Action,
    Attendance,
    Contribution,
    Decision,
    Disagreement,
    Discussion,
    Person,
)

MEDICAL_TOPIC = "medical"


def _s(data: dict[str, Any], key: str, limit: int = 4000) -> str:
    value = data.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def _chair_of(session: AsyncSession, d: Discussion, aad: str | None) -> Person | None:
    person = await queries.person_by_aad(session, aad)
    return person if person is not None and person.id == d.chair_person_id else None


# start ---------------------------------------------------------------------------------------


async def start_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    try:
        ref = parse.case_ref(rest)
    except InputError as e:
        await replies.card(session, cmd.where, cards.error_card("Which case?", f"Type: start CASE_REF. {e}"))
        return
    d = await queries.latest_discussion(session, ref, ("invited", "in_progress"))
    chair = await _chair_of(session, d, cmd.actor.aad_object_id) if d else None
    if d is None or chair is None:
        await replies.card(session, cmd.where, cards.error_card(
            f"Nothing to start for {ref}",
            "Only the chair can start a discussion, after sending its invitations. Check the case reference.",
        ))  # fmt: skip
        return
    d.chair_conversation_key = f"conv:{cmd.where.conversation_id}"
    if d.status == "invited":
        d.status, d.started_at = "in_progress", cmd.now
        accepted = [i.agency_kind for i in d.invitations if i.status == "accepted"]
        d.quorate_at_start = quorum_of_kinds(accepted, d.flags, d.profile).quorate  # for the reports
        await _prefill_attendance(session, d)
        await queries.audit(session, "start", actor_aad=cmd.actor.aad_object_id, actor_name=cmd.actor.name,
                            discussion=d, conversation_id=cmd.where.conversation_id, at=cmd.now)  # fmt: skip
        await _send_meeting_cards(session, services, d)
        await refresh_roster(session, services, d, cmd.now)
    await replies.card(session, cmd.where, await agenda_step_card(session, services, d, d.agenda_step),
                       discussion_id=d.id, purpose="agenda")  # fmt: skip


async def _prefill_attendance(session: AsyncSession, d: Discussion) -> None:
    if await queries.record_parts(session, d.id) and (await queries.record_parts(session, d.id))["attendance"]:
        return
    seen: set[str] = set()
    for inv in d.invitations:
        agency = await queries.agency(session, inv.agency_id)
        pid = inv.person_id or inv.delegated_to_person_id
        person = await queries.person(session, pid)
        if person is not None and person.id not in seen:
            seen.add(person.id)
            session.add(Attendance(discussion_id=d.id, person_id=person.id, name=person.name, role=person.role,
                                   agency_id=person.agency_id, agency_name=agency.name if agency else "",
                                   agency_kind=inv.agency_kind, present=inv.status == "accepted",
                                   apologies=None if inv.status == "accepted" else inv.answer_reason))  # fmt: skip
        elif person is None and agency is not None:
            accepted = inv.status == "accepted"  # e.g. the chair accepted on the agency's behalf
            name = f"{agency.name} representative (name to confirm)" if accepted else f"No one confirmed from {agency.name}"
            session.add(Attendance(discussion_id=d.id, name=name, role="", agency_id=agency.id, agency_name=agency.name,
                                   agency_kind=inv.agency_kind, present=accepted,
                                   apologies=None if accepted else (inv.answer_reason or inv.status)))  # fmt: skip
    await session.flush()


async def meeting_view(session: AsyncSession, services: Services, d: Discussion, agency_kind: str, agency_name: str) -> dict[str, Any]:
    chair = await queries.person(session, d.chair_person_id)
    reported = await queries.escalation_exists(session, f"csc_absent:{d.id}")
    return meeting_card(MeetingView(
        discussion_id=d.id, case_ref=d.case_ref, agency_name=agency_name,
        scheduled_for=services.local(d.scheduled_for) if d.scheduled_for else None,
        meeting_url=d.meeting_url, chair_name=chair.name if chair else "the chair",
        started=d.status == "in_progress" or d.started_at is not None,
        may_report_csc_absent=agency_kind in ("police", "health"),
        difference_statement=PROFESSIONAL_DIFFERENCE_STATEMENT, csc_absent_reported=reported,
    ))  # fmt: skip


async def _send_meeting_cards(session: AsyncSession, services: Services, d: Discussion) -> None:
    """The meeting card to everyone who accepted (personal chat: it can carry information)."""
    for inv in d.invitations:
        if inv.status != "accepted" or inv.agency_kind == "csc":
            continue
        person = await queries.person(session, inv.person_id or inv.delegated_to_person_id)
        agency = await queries.agency(session, inv.agency_id)
        if person is None or not person.teams_id or agency is None:
            continue
        key = f"meeting:{d.id}:{person.id}"
        if await outbox.was_sent_under(session, key):
            continue
        card = await meeting_view(session, services, d, inv.agency_kind, agency.name)
        await outbox.enqueue(session, target=person_target(person), payload=replies.card_activity(card),
                             message_key=key, discussion_id=d.id, purpose="meeting")  # fmt: skip


async def send_meeting_cards_at_start_time(session: AsyncSession, services: Services, d: Discussion) -> int:
    before = len(await queries.sent_keys_with_prefix(session, f"meeting:{d.id}:", discussion_id=d.id))
    await _send_meeting_cards(session, services, d)
    return len(await queries.sent_keys_with_prefix(session, f"meeting:{d.id}:", discussion_id=d.id)) - before


# The agenda ------------------------------------------------------------------------------------


def _topic_choices(topic: str) -> tuple[tuple[str, str], ...]:
    return tuple(DECISION_TOPICS[topic])


async def _fields_for(session: AsyncSession, d: Discussion, step_key: str, values: dict[str, str],
                      errors: dict[str, str]) -> tuple[list[FieldView], list[str], list[tuple[str, str]]]:  # fmt: skip
    """Inputs and notes of one step. Steps whose inputs depend on the case are built here;
    the rest come from `procedure.AGENDA` as they are."""
    parts = await queries.record_parts(session, d.id)
    saved = dict(d.agenda.get(step_key, {})) if isinstance(d.agenda.get(step_key), dict) else {}
    saved.update(values)
    notes: list[str] = []
    extra: list[tuple[str, str]] = []
    if step_key == "attendance":
        fields = [FieldView(f"present:{a.id}", ", ".join(x for x in (a.name, a.role, a.agency_name if a.person_id else "") if x)
                            + ": present", "toggle", value="true" if a.present else "false")
                  for a in parts["attendance"]]  # fmt: skip
        fields.append(FieldView("others", "Others present (one per line: name, job role, agency)", "multiline",
                                value=saved.get("others", "")))  # fmt: skip
        fields.append(FieldView("apologies", "Apologies and reasons", "multiline", value=saved.get("apologies", "")))
        return fields, notes, extra
    if step_key == "information":
        notes = [f"{c.author_name} ({c.agency_id or 'chair'}): {c.text[:300]}" for c in parts["contributions"] if c.step == "information"]
    if step_key in ("decisions", "medical"):
        topics = [MEDICAL_TOPIC] if step_key == "medical" else [t for t in DECISION_TOPICS if t != MEDICAL_TOPIC]
        recorded = {x.topic: x for x in parts["decisions"]}
        fields = []
        for topic in topics:
            current = recorded.get(topic)
            label = topic.replace("-", " ").capitalize()
            fields.append(FieldView(f"decision:{topic}", f"{label}: decision", "choice", choices=_topic_choices(topic),
                                    value=saved.get(f"decision:{topic}", current.outcome if current else ""),
                                    error=errors.get(f"decision:{topic}")))  # fmt: skip
            fields.append(FieldView(f"rationale:{topic}", f"{label}: rationale (why)", "multiline",
                                    value=saved.get(f"rationale:{topic}", current.rationale if current else ""),
                                    error=errors.get(f"rationale:{topic}")))  # fmt: skip
        if step_key == "medical":
            health = []
            for inv in d.invitations:
                if inv.agency_kind in HEALTH_KINDS and inv.agency_id:
                    health += [(p.id, f"{p.name}, {p.role}") for p in await queries.people_in(session, inv.agency_id)]
            fields.append(FieldView("consulted", "Paediatrician or health professional consulted (if not present)",
                                    "choice", choices=tuple(health), value=saved.get("consulted", "")))  # fmt: skip
        notes = [f"{x.topic}: {x.outcome}. {x.rationale[:200]}" for x in parts["decisions"] if x.topic in topics]
        return fields, notes, extra
    if step_key == "actions":
        owners = []
        for inv in d.invitations:
            if inv.agency_id:
                owners += [(p.id, f"{p.name} ({p.agency_id})") for p in await queries.people_in(session, inv.agency_id)]
        fields = [
            FieldView("what", "What is to be done", "multiline", value=values.get("what", ""), error=errors.get("what")),
            FieldView("owner", "Who (person and agency)", "choice", choices=tuple(owners), value=values.get("owner", ""),
                      error=errors.get("owner")),
            FieldView("due", "By when", "date", value=values.get("due", ""), error=errors.get("due")),
            FieldView("purpose", "For what purpose", "text", value=values.get("purpose", ""), error=errors.get("purpose")),
        ]  # fmt: skip
        notes = [f"{a.what[:120]}: {a.owner_name}, due {a.due.astimezone().strftime('%d %b %H:%M')}" for a in parts["actions"]]
        extra = [("Add action", "agenda_add_action")]
        return fields, notes, extra
    step = next(s for s in AGENDA if s.key == step_key)
    fields = [FieldView(f.key, f.label, f.kind, False, tuple(f.choices), saved.get(f.key, ""), errors.get(f.key))
              for f in step.fields]  # fmt: skip
    return fields, notes, extra


async def agenda_step_card(session: AsyncSession, services: Services, d: Discussion, index: int,
                           values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                           error: str | None = None) -> dict[str, Any]:  # fmt: skip
    index = max(0, min(index, len(AGENDA) - 1))
    step = AGENDA[index]
    fields, notes, extra = await _fields_for(session, d, step.key, values or {}, errors or {})
    prompt = step.prompt
    if step.key == "difference-statement":
        prompt = f"Read this out to everyone:\n\n\"{PROFESSIONAL_DIFFERENCE_STATEMENT}\""
    return agenda_card(AgendaView(
        discussion_id=d.id, case_ref=d.case_ref, step_index=index, step_count=len(AGENDA), step_key=step.key,
        title=step.title, prompt=prompt, source=step.source, fields=fields, notes=notes, error=error,
        last=index == len(AGENDA) - 1, extra_actions=extra,
    ))  # fmt: skip


async def _agenda_discussion(session: AsyncSession, act: CardAction) -> tuple[Discussion | None, CardReply | None]:
    d = await queries.discussion(session, act.data.get("discussion_id"))
    if d is None:
        return None, CardReply(error=("NotFound", "This discussion does not exist."))
    if await _chair_of(session, d, act.actor.aad_object_id) is None:
        return None, CardReply(card=cards.error_card(
            "Only the chair records the discussion",
            "Decisions and the agenda are recorded by the chair. You can add your agency's information "
            "or register a disagreement from your meeting card.",
        ))  # fmt: skip
    if d.status != "in_progress":
        return None, CardReply(card=cards.error_card("The discussion is not in progress", f"Type 'start {d.case_ref}' first."))
    return d, None


def _step_index(act: CardAction) -> int | None:
    key = act.data.get("step")
    return next((i for i, s in enumerate(AGENDA) if s.key == key), None)


async def agenda_back(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, refusal = await _agenda_discussion(session, act)
    if refusal or d is None:
        return refusal or CardReply()
    index = _step_index(act)
    d.agenda_step = max(0, (index if index is not None else d.agenda_step) - 1)
    return CardReply(card=await agenda_step_card(session, services, d, d.agenda_step))


async def agenda_next(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, refusal = await _agenda_discussion(session, act)
    if refusal or d is None:
        return refusal or CardReply()
    index = _step_index(act)
    if index is None:
        return CardReply(error=("BadRequest", "Unknown agenda step."))
    step = AGENDA[index]
    values = {k: v.strip()[:4000] for k, v in act.data.items() if isinstance(v, str) and k not in ("discussion_id", "step")}
    errors, error = await _save_step(session, services, d, step.key, values, act)
    if errors or error:
        return CardReply(card=await agenda_step_card(session, services, d, index, values, errors, error))
    await queries.audit(session, "agenda_step", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, conversation_id=act.where.conversation_id, at=act.now, step=step.key)  # fmt: skip
    if index == len(AGENDA) - 1:
        d.agenda_step = index
        return CardReply(card=cards.notice_card(
            f"{d.case_ref}: agenda complete",
            ["Everything is recorded. Type 'close " + d.case_ref + "' to produce the record for circulation."],
            style="good",
        ))  # fmt: skip
    d.agenda_step = index + 1
    return CardReply(card=await agenda_step_card(session, services, d, d.agenda_step))


async def _save_step(session: AsyncSession, services: Services, d: Discussion, key: str, values: dict[str, str],
                     act: CardAction) -> tuple[dict[str, str], str | None]:  # fmt: skip
    parts = await queries.record_parts(session, d.id)
    if key == "attendance":
        for a in parts["attendance"]:
            if f"present:{a.id}" in values:
                a.present = values[f"present:{a.id}"] == "true"
        for line in values.get("others", "").splitlines():
            bits = [b.strip() for b in line.split(",")]
            if bits and bits[0]:
                session.add(Attendance(discussion_id=d.id, name=bits[0][:200], role=(bits[1] if len(bits) > 1 else "")[:200],
                                       agency_name=(bits[2] if len(bits) > 2 else "")[:200], present=True))  # fmt: skip
        d.agenda = {**d.agenda, key: {"apologies": values.get("apologies", "")}}
        return {}, None
    if key in ("decisions", "medical"):
        return await _save_decisions(session, d, key, values, parts, act)
    if key == "actions":
        if any(values.get(k) for k in ("what", "owner", "due", "purpose")):
            return await _add_action(session, services, d, values, act)
        if not parts["actions"]:
            return {}, "Record at least one SMART action (what, who, by when, for what purpose) before moving on."
        return {}, None
    step = next(s for s in AGENDA if s.key == key)
    missing = {f.key: f"{f.label}: required." for f in step.fields if f.required and not values.get(f.key)}
    if missing:
        return missing, None
    d.agenda = {**d.agenda, key: {f.key: values.get(f.key, "") for f in step.fields}}
    if key == "information" and values:
        for f in step.fields:
            if values.get(f.key):
                session.add(Contribution(discussion_id=d.id, step=key, author_person_id=d.chair_person_id,
                                         author_name="chair", text=values[f.key], at=act.now))  # fmt: skip
    return {}, None


async def _save_decisions(session: AsyncSession, d: Discussion, key: str, values: dict[str, str],
                          parts: dict[str, list[Any]], act: CardAction) -> tuple[dict[str, str], str | None]:  # fmt: skip
    topics = [MEDICAL_TOPIC] if key == "medical" else [t for t in DECISION_TOPICS if t != MEDICAL_TOPIC]
    errors: dict[str, str] = {}
    chosen: dict[str, tuple[str, str]] = {}
    for topic in topics:
        outcome, rationale = values.get(f"decision:{topic}", ""), values.get(f"rationale:{topic}", "")
        if not outcome:
            continue
        if outcome not in {v for v, _ in DECISION_TOPICS[topic]}:
            errors[f"decision:{topic}"] = "Choose one of the listed outcomes."
        elif not rationale:
            errors[f"rationale:{topic}"] = "Every decision needs its rationale (why it was decided)."
        else:
            chosen[topic] = (outcome, rationale)
    if errors:
        return errors, None
    if key == "medical":
        if MEDICAL_TOPIC not in chosen and not any(x.topic == MEDICAL_TOPIC for x in parts["decisions"]):
            return {f"decision:{MEDICAL_TOPIC}": "Record whether a medical is needed; if not, record why."}, None
        if MEDICAL_TOPIC in chosen:
            present = [a.agency_kind for a in parts["attendance"] if a.present and a.agency_kind]
            consulted = await queries.person(session, values.get("consulted") or None)
            if consulted is not None:
                agency = await queries.agency(session, consulted.agency_id)
                if agency is not None:
                    present.append(agency.kind)
            allowed, why = medical_decision_allowed(present)
            if not allowed:
                return {}, why
            if consulted is not None:
                d.agenda = {**d.agenda, "medical": {"consulted": consulted.id}}
                session.add(Attendance(discussion_id=d.id, person_id=consulted.id, name=consulted.name,
                                       role=consulted.role, agency_id=consulted.agency_id,
                                       agency_name=agency.name if agency else "", agency_kind=agency.kind if agency else None,
                                       present=False, apologies="consulted on the medical decision"))  # fmt: skip
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    for topic, (outcome, rationale) in chosen.items():
        for old in [x for x in parts["decisions"] if x.topic == topic]:
            await session.delete(old)
        session.add(Decision(discussion_id=d.id, topic=topic, outcome=outcome, rationale=rationale,
                             recorded_by=person.id if person else "", at=act.now))  # fmt: skip
        if topic == "s47":
            d.s47_initiated = outcome in ("single", "joint")
    await session.flush()
    return {}, None


async def agenda_add_action(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, refusal = await _agenda_discussion(session, act)
    if refusal or d is None:
        return refusal or CardReply()
    values = {k: v.strip()[:4000] for k, v in act.data.items() if isinstance(v, str) and k not in ("discussion_id", "step")}
    errors, error = await _add_action(session, services, d, values, act)
    index = next(i for i, s in enumerate(AGENDA) if s.key == "actions")
    if errors or error:
        return CardReply(card=await agenda_step_card(session, services, d, index, values, errors, error))
    return CardReply(card=await agenda_step_card(session, services, d, index))


async def _add_action(session: AsyncSession, services: Services, d: Discussion, values: dict[str, str],
                      act: CardAction) -> tuple[dict[str, str], str | None]:  # fmt: skip
    """A SMART action: what, who (person and agency), by when, for what purpose (SX, GM)."""
    errors = {k: "Required for a SMART action." for k in ("what", "owner", "due", "purpose") if not values.get(k)}
    owner = await queries.person(session, values.get("owner") or None)
    if values.get("owner") and (owner is None or not owner.active):
        errors["owner"] = "Choose the owner from the list."
    due: datetime | None = None
    if values.get("due"):
        try:
            due = parse.when(values["due"], act.now, services.tz.key, "due")
            if due <= act.now:
                errors["due"] = "The due time is in the past."
        except InputError as e:
            errors["due"] = str(e)
    if errors:
        return errors, None
    assert owner is not None and due is not None
    agency = await queries.agency(session, owner.agency_id)
    row = Action(id=str(uuid.uuid4()), discussion_id=d.id, what=values["what"], owner_person_id=owner.id,
                 owner_name=owner.name, agency_id=owner.agency_id, due=due, purpose=values["purpose"], created_at=act.now)  # fmt: skip
    session.add(row)
    await session.flush()
    await queries.audit(session, "action_added", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, at=act.now, action_id=row.id, owner=owner.id, due=due)  # fmt: skip
    await post_action(session, services, d, row, agency.name if agency else "", agency.channel_id if agency else None, owner)
    return {}, None


async def post_action(session: AsyncSession, services: Services, d: Discussion, row: Action, agency_name: str,
                      channel_id: str | None, owner: Person) -> None:  # fmt: skip
    """Each action goes to the owner's agency channel (actions may be in channels, PROCEDURE 8)
    or, without one, to the owner's personal chat; it is edited in place when done."""

    card = action_card(ActionView(action_id=row.id, case_ref=d.case_ref, what=row.what, owner_name=owner.name,
                                  agency_name=agency_name, due=services.local(row.due), purpose=row.purpose,
                                  status=row.status))  # fmt: skip
    target = {"kind": "channel", "channel_id": channel_id} if channel_id else person_target(owner)
    await outbox.enqueue(session, target=target, payload=replies.card_activity(card), message_key=f"action:{row.id}",
                         discussion_id=d.id, purpose="action")  # fmt: skip


# What attendees do ---------------------------------------------------------------------------


async def _participant(session: AsyncSession, act: CardAction) -> tuple[Discussion | None, Person | None, CardReply | None]:
    d = await queries.discussion(session, act.data.get("discussion_id"))
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if d is None or not await may_see(session, d, person):
        return None, None, CardReply(card=cards.error_card("Not available", "Only the chair and the invited agencies can do this."))
    return d, person, None


async def info_add(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, person, refusal = await _participant(session, act)
    if refusal or d is None or person is None:
        return refusal or CardReply()
    text = _s(act.data, "info")
    if not text:
        return CardReply(card=cards.error_card("Nothing to add", "Write the information first; nothing was saved."))
    if d.status not in ("invited", "in_progress"):
        return CardReply(card=cards.error_card("The discussion is closed", "Send further information to the chair directly."))
    session.add(Contribution(discussion_id=d.id, step="information", agency_id=person.agency_id,
                             author_person_id=person.id, author_name=person.name, text=text, at=act.now))  # fmt: skip
    await queries.audit(session, "information_added", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, conversation_id=act.where.conversation_id, at=act.now, chars=len(text))  # fmt: skip
    return CardReply(card=cards.notice_card(f"{d.case_ref}: information shared with the chair",
                                            ["It will appear in the record under your name and agency."], style="good"))  # fmt: skip


async def disagree(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, person, refusal = await _participant(session, act)
    if refusal or d is None or person is None:
        return refusal or CardReply()
    about = _s(act.data, "about", 2000)
    if not about:
        return CardReply(card=cards.error_card("Say what you disagree with", "Nothing was saved."))
    deadline = disagreement_resolve_by(act.now, services.profile, 0)
    row = Disagreement(id=str(uuid.uuid4()), discussion_id=d.id, raised_by_person_id=person.id,
                       raised_by_name=person.name, agency_id=person.agency_id, about=about, stage_index=0,
                       resolve_by=deadline.at, created_at=act.now)  # fmt: skip
    session.add(row)
    await queries.audit(session, "disagreement", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, at=act.now, disagreement=row.id, resolve_by=deadline.at)  # fmt: skip
    target = await chair_target(session, d)
    if target is not None:
        notice = disagreement_card(d.case_ref, row, person, services)
        await outbox.enqueue(session, target=target, payload=replies.card_activity(notice), discussion_id=d.id,
                             message_key=f"disagreement:{row.id}", purpose="disagreement")  # fmt: skip
    return CardReply(card=cards.notice_card(
        f"{d.case_ref}: disagreement registered",
        [f"The chair has been told. It must be resolved at {services.profile.disagreement_stages[0]} level by "
         f"{services.local(deadline.at):%a %d %b %H:%M}, or it goes to the next level."], style="good"))  # fmt: skip


def disagreement_card(case_ref: str, row: Disagreement, person: Person | None, services: Services) -> dict[str, Any]:
    """The chair's card for a disagreement: what, the stage and its deadline, and a way to
    record how it was resolved (GM: resolved at practitioner level "and recorded")."""

    who = f"{person.name} ({person.role})" if person else row.raised_by_name
    stage = services.profile.disagreement_stages[min(row.stage_index, len(services.profile.disagreement_stages) - 1)]
    body = [text(f"{case_ref}: professional disagreement", weight="Bolder", size="Medium"),
            text(f"{who} disagrees: {row.about[:500]}")]  # fmt: skip
    if row.resolved_at:
        body.append(text(f"Resolved {services.local(row.resolved_at):%a %d %b %H:%M}: {row.resolution}", color="Good"))
        return card(body)
    body.append(text(f"Stage: {stage}. Resolve by {services.local(row.resolve_by):%a %d %b %H:%M}, or it goes to "
                     "the next level (SX 7.2).", color="Warning"))  # fmt: skip
    return card(body, [show_card("Record resolution", [
        {"type": "Input.Text", "id": "resolution", "label": "How was it resolved?", "isMultiline": True,
         "isRequired": True, "errorMessage": "Say how it was resolved.", "maxLength": 2000},
    ], execute("Save resolution", "resolve_disagreement", {"disagreement_id": row.id}, "positive"))])  # fmt: skip


async def resolve_disagreement(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    row = await queries.disagreement(session, act.data.get("disagreement_id"))
    if row is None:
        return CardReply(card=cards.error_card("Unknown disagreement", "It does not exist."))
    d = await queries.discussion(session, row.discussion_id)
    if d is None or await _chair_of(session, d, act.actor.aad_object_id) is None:
        return CardReply(card=cards.error_card("Only the chair records the resolution", "Nothing was changed."))
    resolution = _s(act.data, "resolution", 2000)
    if not resolution:
        return CardReply(card=cards.error_card("Say how it was resolved", "Nothing was changed."))
    if row.resolved_at is None:
        row.resolved_at, row.resolution = act.now, resolution
        await queries.audit(session, "disagreement_resolved", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                            discussion=d, at=act.now, disagreement=row.id)  # fmt: skip
    raiser = await queries.person(session, row.raised_by_person_id)
    return CardReply(card=disagreement_card(d.case_ref, row, raiser, services))


async def csc_not_present(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, person, refusal = await _participant(session, act)
    if refusal or d is None or person is None:
        return refusal or CardReply()
    agency = await queries.agency(session, person.agency_id)
    if agency is None or agency.kind not in ("police", "health"):
        return CardReply(card=cards.error_card("For the police and health", "Only the police or health attendee reports CSC absence."))
    if d.status == "invited":
        await escalate.csc_absent(session, services, d, act.now, reported_by=person)
        await refresh_roster(session, services, d, act.now)
    return CardReply(card=await meeting_view(session, services, d, agency.kind, agency.name))
