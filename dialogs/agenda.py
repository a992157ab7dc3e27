"""The chair's agenda (PROCEDURE section 5), one step at a time, and the SMART actions it records.

The agenda card is a message sent under a message key (`agenda:<discussion>:<n>`), edited in
place after every step and whenever an attendee adds information, so what the chair sees is
always the current step with everything shared so far. Saving a step replaces what that step
recorded before (Back then Save and next never duplicates). Each step's inputs have their own
ids (`s8.decision:s47`): a client editing a card in place may keep input state under a repeated id.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.meeting import ActionView, AgendaView, FieldView, action_card, agenda_card
from cards.verbs import Verb
from dialogs import parse, replies
from dialogs.parse import InputError
from dialogs.services import Services
from dialogs.targets import channel_target, person_target
from dialogs.types import CardAction, CardReply
from procedure import (
    AGENDA,
    DECISION_TOPICS,
    MEDICAL_DECISION_KINDS,
    PROFESSIONAL_DIFFERENCE_STATEMENT,
    input_id,
    medical_decision_allowed,
    review_reminder_at,
    s47_initiated,
    step_values,
)
from procedure.labels import DECISION_WORDS
from procedure.states import DiscussionStatus
from storage import outbox, queries
from storage.models import Action, Attendance, Contribution, Decision, Discussion, OutboxOp, Person
from storage.targets import Target

MEDICAL_TOPIC = "medical"
COMPLETE = len(AGENDA)  # `Discussion.agenda_step` once the chair has finished the agenda
_STEP_INDEX = {s.key: i for i, s in enumerate(AGENDA)}


@dataclass
class Saved:
    """What saving a step gave: field errors, a step error, and a notice for the next card."""

    errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    notice: str | None = None

    @property
    def refused(self) -> bool:
        return bool(self.errors or self.error)


async def chair_of(session: AsyncSession, d: Discussion, aad: str | None) -> Person | None:
    person = await queries.person_by_aad(session, aad)
    return person if person is not None and person.id == d.chair_person_id else None


# Building a step's card --------------------------------------------------------------------------


async def _invited_people(session: AsyncSession, d: Discussion, kinds: frozenset[str] | None = None) -> list[tuple[Person, str]]:
    """People of the invited agencies, each with the requirement (agency kind) it meets."""
    people: list[tuple[Person, str]] = []
    for inv in d.invitations:
        if inv.agency_id and (kinds is None or inv.agency_kind in kinds):
            people += [(p, inv.agency_kind) for p in await queries.people_in(session, inv.agency_id)]
    return people


async def _fields_for(session: AsyncSession, services: Services, d: Discussion, step_key: str, values: dict[str, str],
                      errors: dict[str, str], parts: dict[str, list[Any]]) -> tuple[list[FieldView], list[str], list[tuple[str, Verb]]]:  # fmt: skip
    """Inputs (keyed by field key), notes and extra buttons of one step."""
    saved = dict(d.agenda.get(step_key, {})) if isinstance(d.agenda.get(step_key), dict) else {}
    saved.update(values)
    notes: list[str] = []
    if step_key == "attendance":
        listed = [a for a in parts["attendance"] if a.source not in ("others", "consulted")]
        fields = [FieldView(f"present:{a.id}", ", ".join(x for x in (a.name, a.role, a.agency_name if a.person_id else "") if x)
                            + ": present", "toggle", value="true" if a.present else "false")
                  for a in listed]  # fmt: skip
        listed_ids = {a.person_id for a in listed if a.person_id}
        choices = tuple((p.id, f"{p.name}, {p.role} ({p.agency_id})") for p, _ in await _invited_people(session, d)
                        if p.id not in listed_ids)  # fmt: skip
        chosen = saved.get("others_people", ",".join(a.person_id for a in parts["attendance"]
                                                     if a.source == "others" and a.person_id))  # fmt: skip
        if choices:
            fields.append(FieldView("others_people", "Others present from the invited agencies", "multichoice",
                                    choices=choices, value=chosen, error=errors.get("others_people")))  # fmt: skip
        fields.append(FieldView("others", "Others present, not in the list (one per line: name or e-mail, job role, agency)",
                                "multiline", value=saved.get("others", ""), error=errors.get("others")))  # fmt: skip
        fields.append(FieldView("apologies", "Apologies and reasons", "multiline", value=saved.get("apologies", "")))
        guests = [a.name for a in parts["attendance"] if a.source == "others" and not a.person_id]
        if guests:
            notes.append("Not in the directory (guests, no agency): " + ", ".join(guests))
        return fields, notes, []
    if step_key in ("decisions", "medical"):
        topics = [MEDICAL_TOPIC] if step_key == "medical" else [t for t in DECISION_TOPICS if t != MEDICAL_TOPIC]
        recorded = {x.topic: x for x in parts["decisions"]}
        fields = []
        for topic in topics:
            current = recorded.get(topic)
            label = DECISION_WORDS[topic][0] if topic in DECISION_WORDS else topic  # the record's words, not "Abe interview"
            fields.append(FieldView(f"decision:{topic}", f"{label}: decision", "choice", choices=tuple(DECISION_TOPICS[topic]),
                                    value=saved.get(f"decision:{topic}", current.outcome if current else ""),
                                    error=errors.get(f"decision:{topic}")))  # fmt: skip
            fields.append(FieldView(f"rationale:{topic}", f"{label}: rationale (why)", "multiline",
                                    value=saved.get(f"rationale:{topic}", current.rationale if current else ""),
                                    error=errors.get(f"rationale:{topic}")))  # fmt: skip
        if step_key == "medical":
            # Only people whose expertise counts for the decision (procedure.medical_decision_allowed).
            health = tuple((p.id, f"{p.name}, {p.role}") for p, _ in await _invited_people(session, d, MEDICAL_DECISION_KINDS))
            consulted = next((a.person_id for a in parts["attendance"] if a.source == "consulted" and a.person_id), "")
            fields.append(FieldView("consulted", "Paediatrician or health professional consulted (if not present)",
                                    "choice", choices=health, value=saved.get("consulted", consulted or "")))  # fmt: skip
        notes = [f"{x.topic}: {x.outcome}. {x.rationale[:200]}" for x in parts["decisions"] if x.topic in topics]
        return fields, notes, []
    if step_key == "actions":
        owners = tuple((p.id, f"{p.name} ({p.agency_id})") for p, _ in await _invited_people(session, d))
        fields = [
            FieldView("what", "What is to be done", "multiline", value=values.get("what", ""), error=errors.get("what")),
            FieldView("owner", "Who (person and agency)", "choice", choices=owners, value=values.get("owner", ""),
                      error=errors.get("owner")),
            FieldView("due", "By when", "date", value=values.get("due", ""), error=errors.get("due")),
            FieldView("purpose", "For what purpose", "text", value=values.get("purpose", ""), error=errors.get("purpose")),
        ]  # fmt: skip
        notes = [f"{a.what[:120]}: {a.owner_name}, due {services.when(a.due)}" for a in parts["actions"]]
        return fields, notes, [("Add action", Verb.AGENDA_ADD_ACTION)]
    if step_key == "information":
        notes = [f"{c.author_name} ({c.agency_id}): {c.text[:300]}" for c in parts["contributions"]
                 if c.step == "information" and c.agency_id]  # fmt: skip
    step = AGENDA[_STEP_INDEX[step_key]]
    fields = [FieldView(f.key, f.label, f.kind, False, tuple(f.choices), saved.get(f.key, ""), errors.get(f.key))
              for f in step.fields]  # fmt: skip
    return fields, notes, []


def _shared_since(parts: dict[str, list[Any]], step_key: str) -> str | None:
    """On every step but the information step: who has shared information (its text is there)."""
    if step_key == "information":
        return None
    names = [f"{c.author_name} ({c.agency_id})" for c in parts["contributions"] if c.step == "information" and c.agency_id]
    if not names:
        return None
    return f"Information shared by attendees: {', '.join(dict.fromkeys(names))}. It is on step 4."


async def agenda_step_card(session: AsyncSession, services: Services, d: Discussion, index: int,
                           values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                           error: str | None = None, notice: str | None = None) -> dict[str, Any]:  # fmt: skip
    index = max(0, min(index, len(AGENDA) - 1))
    step = AGENDA[index]
    parts = await queries.record_parts(session, d.id)
    fields, notes, extra = await _fields_for(session, services, d, step.key, values or {}, errors or {}, parts)
    # The actions form repeats: a new round of ids after each action, so it comes back empty.
    round_ = len(parts["actions"]) if step.key == "actions" else None
    fields = [dataclasses.replace(f, key=input_id(step.number, f.key, round_)) for f in fields]
    prompt = step.prompt
    if step.key == "difference-statement":
        prompt = f"Read this out to everyone:\n\n\"{PROFESSIONAL_DIFFERENCE_STATEMENT}\""
    shared = _shared_since(parts, step.key)
    return agenda_card(AgendaView(
        discussion_id=d.id, case_ref=d.case_ref, step_index=index, step_count=len(AGENDA), step_key=step.key,
        title=step.title, prompt=prompt, source=step.source, fields=fields, notes=notes, error=error,
        last=index == len(AGENDA) - 1, extra_actions=extra,
        notice=" ".join(x for x in (notice, shared) if x) or None,
    ))  # fmt: skip


async def _complete_card(session: AsyncSession, d: Discussion) -> dict[str, Any]:
    lines = ["Everything is recorded. Type 'close " + d.case_ref + "' to produce the record for circulation."]
    shared = _shared_since(await queries.record_parts(session, d.id), "complete")
    if shared:
        lines.append(shared.replace("It is on step 4.", "It is in the record."))
    return cards.notice_card(f"{d.case_ref}: agenda complete", lines, style="good")


async def current_agenda_card(session: AsyncSession, services: Services, d: Discussion, notice: str | None = None) -> dict[str, Any]:
    if d.agenda_step >= COMPLETE:
        return await _complete_card(session, d)
    return await agenda_step_card(session, services, d, d.agenda_step, notice=notice)


async def post_agenda(session: AsyncSession, services: Services, d: Discussion, target: Target) -> None:
    """The agenda as a new message under a new key; it is the one kept up to date from now on."""
    if d.agenda_step >= COMPLETE:
        d.agenda_step = COMPLETE - 1  # typed `start` again after finishing: back to the last step
    n = int((d.agenda_message_key or "agenda:x:0").rsplit(":", 1)[1]) + 1
    d.agenda_message_key = f"agenda:{d.id}:{n}"
    await outbox.enqueue(session, target=target, payload=replies.card_activity(await current_agenda_card(session, services, d)),
                         message_key=d.agenda_message_key, discussion_id=d.id, purpose="agenda")  # fmt: skip


async def refresh_agenda(session: AsyncSession, services: Services, d: Discussion, card: dict[str, Any] | None = None) -> None:
    """Edit the chair's agenda message in place to show `card` (default: the current step)."""
    if not d.agenda_message_key or not await outbox.was_sent_under(session, d.agenda_message_key):
        return
    card = card or await current_agenda_card(session, services, d)
    await outbox.enqueue(session, op=OutboxOp.UPDATE, message_key=d.agenda_message_key, payload=replies.card_activity(card),
                         discussion_id=d.id, purpose="agenda")  # fmt: skip


async def _shown(session: AsyncSession, services: Services, d: Discussion, card: dict[str, Any]) -> CardReply:
    """The clicked card is replaced for the chair at once; the agenda message follows."""
    await refresh_agenda(session, services, d, card)
    return CardReply(card=card)


# The chair's buttons ----------------------------------------------------------------------------


async def _agenda_discussion(session: AsyncSession, act: CardAction) -> tuple[Discussion | None, CardReply | None]:
    d = await queries.discussion(session, act.data.get("discussion_id"))
    if d is None:
        return None, CardReply(error=("NotFound", "This discussion does not exist."))
    if await chair_of(session, d, act.actor.aad_object_id) is None:
        return None, CardReply(card=cards.error_card(
            "Only the chair records the discussion",
            "Decisions and the agenda are recorded by the chair. You can add your agency's information "
            "or register a disagreement from your meeting card.",
        ))  # fmt: skip
    if d.status != DiscussionStatus.IN_PROGRESS:
        return None, CardReply(card=cards.error_card("The discussion is not in progress", f"Type 'start {d.case_ref}' first."))
    return d, None


def _step_index(act: CardAction) -> int | None:
    key = act.data.get("step")
    return _STEP_INDEX.get(key) if isinstance(key, str) else None


async def agenda_back(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, refusal = await _agenda_discussion(session, act)
    if refusal or d is None:
        return refusal or CardReply()
    index = _step_index(act)
    d.agenda_step = max(0, (index if index is not None else min(d.agenda_step, COMPLETE - 1)) - 1)
    return await _shown(session, services, d, await agenda_step_card(session, services, d, d.agenda_step))


async def agenda_next(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, refusal = await _agenda_discussion(session, act)
    if refusal or d is None:
        return refusal or CardReply()
    index = _step_index(act)
    if index is None:
        return CardReply(error=("BadRequest", "Unknown agenda step."))
    step = AGENDA[index]
    values = step_values(step.number, act.data)
    saved = await _save_step(session, services, d, step.key, values, act)
    if saved.refused:
        # The same step again, with what was typed and the error next to its field.
        return CardReply(card=await agenda_step_card(session, services, d, index, values, saved.errors, saved.error))
    await queries.audit(session, "agenda_step", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, conversation_id=act.where.conversation_id, at=act.now, step=step.key)  # fmt: skip
    d.agenda_step = index + 1
    return await _shown(session, services, d, await current_agenda_card(session, services, d, notice=saved.notice))


async def agenda_add_action(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, refusal = await _agenda_discussion(session, act)
    if refusal or d is None:
        return refusal or CardReply()
    index = _STEP_INDEX["actions"]
    values = step_values(AGENDA[index].number, act.data)
    saved = await _add_action(session, services, d, values, act)
    if saved.refused:
        return CardReply(card=await agenda_step_card(session, services, d, index, values, saved.errors, saved.error))
    d.agenda_step = index
    return await _shown(session, services, d, await agenda_step_card(session, services, d, index))


# Saving a step ----------------------------------------------------------------------------------


async def _save_step(session: AsyncSession, services: Services, d: Discussion, key: str, values: dict[str, str],
                     act: CardAction) -> Saved:  # fmt: skip
    if key == "attendance":
        return await _save_attendance(session, d, values)
    if key in ("decisions", "medical"):
        return await _save_decisions(session, d, key, values, act)
    if key == "actions":
        if any(values.get(k) for k in ("what", "owner", "due", "purpose")):
            return await _add_action(session, services, d, values, act)
        if not (await queries.record_parts(session, d.id))["actions"]:
            return Saved(error="Record at least one SMART action (what, who, by when, for what purpose) before moving on.")
        return Saved()
    step = AGENDA[_STEP_INDEX[key]]
    errors = {f.key: f"{f.label}: required." for f in step.fields if f.required and not values.get(f.key)}
    answers = {f.key: values.get(f.key, "") for f in step.fields}
    next_review: datetime | None = None
    if key == "contingency" and answers.get("next_review"):
        try:
            next_review = parse.when(answers["next_review"], act.now, services.tz.key, "next review")
            if next_review <= act.now:
                errors["next_review"] = "The next review must be in the future."
            answers["next_review"] = services.when(next_review, "input")  # the record reads a date, not what was typed
        except InputError as e:
            errors["next_review"] = str(e)
    if errors:
        return Saved(errors=errors)
    d.agenda = {**d.agenda, key: answers}
    if key == "contingency":
        d.next_review_at = next_review
        d.review_remind_at = review_reminder_at(next_review, services.profile) if next_review else None
    if key == "information":
        await queries.delete_chair_information(session, d.id, d.chair_person_id)
        if answers.get("summary"):
            session.add(Contribution(discussion_id=d.id, step=key, author_person_id=d.chair_person_id,
                                     author_name="chair", text=answers["summary"], at=act.now))  # fmt: skip
    return Saved()


async def _save_attendance(session: AsyncSession, d: Discussion, values: dict[str, str]) -> Saved:
    """Who is present: the invitees' toggles, others chosen from the invited agencies' people,
    and typed names matched against the directory (a match counts with its agency's expertise);
    a typed name that matches nobody is kept as a guest without agency, and the chair is told."""
    parts = await queries.record_parts(session, d.id)
    listed = [a for a in parts["attendance"] if a.source not in ("others", "consulted")]
    for a in listed:
        if f"present:{a.id}" in values:
            a.present = values[f"present:{a.id}"] == "true"
    kinds = {inv.agency_id: inv.agency_kind for inv in d.invitations if inv.agency_id}
    seen = {a.person_id for a in listed if a.person_id}
    people: list[Person] = []
    for pid in [x.strip() for x in values.get("others_people", "").split(",") if x.strip()]:
        person = await queries.person(session, pid)
        if person is None or not person.active or person.agency_id not in kinds:
            return Saved(errors={"others_people": "Choose people from the list."})
        people.append(person)
    guests: list[tuple[str, str, str]] = []
    unmatched: list[str] = []
    for line in values.get("others", "").splitlines():
        bits = [b.strip() for b in line.split(",")]
        if not bits[0]:
            continue
        matches = await queries.people_matching(session, bits[0])
        if len(matches) == 1:
            people.append(matches[0])
        else:
            guests.append((bits[0][:200], (bits[1] if len(bits) > 1 else "")[:200], (bits[2] if len(bits) > 2 else "")[:200]))
            unmatched.append(bits[0][:60] + (" (more than one person has that name)" if matches else ""))
    await queries.delete_attendance(session, d.id, "others")
    for person in people:
        if person.id in seen:
            # Named as present though already listed (e.g. toggled off by mistake): present it is.
            for a in listed:
                a.present = a.present or a.person_id == person.id
            continue
        seen.add(person.id)
        agency = await queries.agency(session, person.agency_id)
        session.add(Attendance(discussion_id=d.id, person_id=person.id, name=person.name, role=person.role,
                               agency_id=person.agency_id, agency_name=agency.name if agency else "",
                               agency_kind=kinds.get(person.agency_id) or (agency.kind if agency else None),
                               present=True, source="others"))  # fmt: skip
    for name, role, agency_name in guests:
        session.add(Attendance(discussion_id=d.id, name=name, role=role, agency_name=agency_name, present=True, source="others"))
    d.agenda = {**d.agenda, "attendance": {k: values.get(k, "") for k in ("others_people", "others", "apologies")}}
    await session.flush()
    if unmatched:
        return Saved(notice="Not found in the directory, so recorded as guests without an agency (their expertise "
                            "does not count for the medical decision): " + "; ".join(unmatched) + ". Go Back to "
                            "choose them from the list or type their e-mail.")  # fmt: skip
    return Saved()


async def _save_decisions(session: AsyncSession, d: Discussion, key: str, values: dict[str, str], act: CardAction) -> Saved:
    topics = [MEDICAL_TOPIC] if key == "medical" else [t for t in DECISION_TOPICS if t != MEDICAL_TOPIC]
    errors: dict[str, str] = {}
    chosen: dict[str, tuple[str, str]] = {}
    for topic in topics:
        outcome, rationale = values.get(f"decision:{topic}", ""), values.get(f"rationale:{topic}", "")
        if not outcome:
            if rationale:
                errors[f"decision:{topic}"] = "Choose the decision this rationale is for, or clear the rationale."
            continue
        if outcome not in {v for v, _ in DECISION_TOPICS[topic]}:
            errors[f"decision:{topic}"] = "Choose one of the listed outcomes."
        elif not rationale:
            errors[f"rationale:{topic}"] = "Every decision needs its rationale (why it was decided)."
        else:
            chosen[topic] = (outcome, rationale)
    if key == "medical" and not errors and MEDICAL_TOPIC not in chosen:
        errors[f"decision:{MEDICAL_TOPIC}"] = "Record whether a medical is needed; if not, record why."
    if errors:
        return Saved(errors=errors)
    parts = await queries.record_parts(session, d.id)
    consulted: Person | None = None
    if key == "medical":
        present = [a.agency_kind for a in parts["attendance"] if a.present and a.agency_kind]
        consulted = await queries.person(session, values.get("consulted") or None)
        agency = await queries.agency(session, consulted.agency_id) if consulted else None
        if agency is not None:
            present.append(agency.kind)
        allowed, why = medical_decision_allowed(present)
        if not allowed:
            return Saved(error=why)
        await queries.delete_attendance(session, d.id, "consulted")
        # Chosen as consulted but marked present: one attendance line, not "present" and "not present".
        already_present = consulted is not None and any(
            a.present and a.person_id == consulted.id for a in parts["attendance"] if a.source != "consulted")
        if consulted is not None and not already_present:
            session.add(Attendance(discussion_id=d.id, person_id=consulted.id, name=consulted.name,
                                   role=consulted.role, agency_id=consulted.agency_id,
                                   agency_name=agency.name if agency else "", agency_kind=agency.kind if agency else None,
                                   present=False, apologies="consulted on the medical decision", source="consulted"))  # fmt: skip
        d.agenda = {**d.agenda, "medical": {"consulted": consulted.id if consulted else ""}}
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    await queries.delete_decisions(session, d.id, topics)
    for topic, (outcome, rationale) in chosen.items():
        session.add(Decision(discussion_id=d.id, topic=topic, outcome=outcome, rationale=rationale,
                             recorded_by=person.id if person else "", at=act.now))  # fmt: skip
    if key == "decisions":
        d.s47_initiated = s47_initiated({topic: outcome for topic, (outcome, _) in chosen.items()})
    await session.flush()
    return Saved()


# SMART actions ----------------------------------------------------------------------------------


async def _add_action(session: AsyncSession, services: Services, d: Discussion, values: dict[str, str],
                      act: CardAction) -> Saved:  # fmt: skip
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
        return Saved(errors=errors)
    assert owner is not None and due is not None
    agency = await queries.agency(session, owner.agency_id)
    row = Action(id=str(uuid.uuid4()), discussion_id=d.id, what=values["what"], owner_person_id=owner.id,
                 owner_name=owner.name, agency_id=owner.agency_id, due=due, purpose=values["purpose"], created_at=act.now)  # fmt: skip
    session.add(row)
    await session.flush()
    await queries.audit(session, "action_added", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, at=act.now, action_id=row.id, owner=owner.id, due=due)  # fmt: skip
    await post_action(session, services, d, row, agency.name if agency else "", agency.channel_id if agency else None, owner)
    return Saved()


async def post_action(session: AsyncSession, services: Services, d: Discussion, row: Action, agency_name: str,
                      channel_id: str | None, owner: Person) -> None:  # fmt: skip
    """Each action goes to the owner's agency channel (actions may be in channels, PROCEDURE 8)
    or, without one, to the owner's personal chat; it is edited in place when done."""

    view = ActionView(action_id=row.id, case_ref=d.case_ref, what=row.what, owner_name=owner.name,
                      agency_name=agency_name, due=services.local(row.due), purpose=row.purpose, status=row.status)  # fmt: skip
    if channel_id:
        await replies.to_channel(session, channel_target(channel_id), cards.channel_action(view),
                                 message_key=f"action:{row.id}", discussion_id=d.id, purpose="action")  # fmt: skip
        # The channel's card leaves out the purpose (typed text): the owner gets it privately.
        if owner.teams_id:
            notice = cards.notice_card(f"{d.case_ref}: an action for you", [
                row.what, f"Purpose: {row.purpose}", f"Due {services.when(row.due)}.",
                f"Mark it done on the action card in {agency_name}'s channel.",
            ])  # fmt: skip
            await outbox.enqueue(session, target=person_target(owner), payload=replies.card_activity(notice),
                                 discussion_id=d.id, purpose="action")  # fmt: skip
    else:
        await outbox.enqueue(session, target=person_target(owner), payload=replies.card_activity(action_card(view)),
                             message_key=f"action:{row.id}", discussion_id=d.id, purpose="action")  # fmt: skip
