"""The record as people read it: built once from the database as `cards.record.RecordDoc`, then
rendered as cards (cards/record.py), Markdown and HTML (here) and PDF (dialogs/record_pdf.py).

Every answer given on the agenda appears under its step's label, in agenda order (PROCEDURE
section 5), in words (code tables in procedure/labels.py) and in local time; then the
disagreements, invitations and escalations, and the deadlines that follow (section 6).
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.format import escape_markdown
from cards.record import Entry, Part, RecordDoc, Section, escape_inline
from dialogs.services import Services
from dialogs.views import icpc_held_of, quorum_of_kinds
from procedure import AGENCY_KINDS, AGENDA, CONCERNS, DECISION_TOPICS, FLAGS, AgendaStep
from procedure.labels import (
    ANSWER_WORDS,
    ESCALATION_WORDS,
    FORMAT_WORDS,
    KIND_WORDS,
    STATUS_WORDS,
    decision_words,
    words,
)
from procedure.states import (
    ActionStatus,
    AnswerSource,
    Delivery,
    DiscussionStatus,
    InvitationStatus,
)
from storage import queries
from storage.models import Agency, Discussion

MEDICAL_TOPIC = "medical"
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# An attendance row without a typed reason keeps the invitation's status as its apologies.
APOLOGY_WORDS: dict[str, str] = {InvitationStatus.PENDING: "no answer to the invitation",
                                 InvitationStatus.DECLINED: "declined the invitation", InvitationStatus.WITHDRAWN: "withdrew"}


class _Context:
    """What one record needs besides the discussion: local time, profile and agency names."""

    def __init__(self, session: AsyncSession, services: Services):
        self.session, self.services = session, services
        self._agencies: dict[str, Agency | None] = {}

    def when(self, value: datetime | None, missing: str = "Not set") -> str:
        return self.services.when(value) if value else missing

    async def agency_name(self, agency_id: str | None, fallback: str = "") -> str:
        if not agency_id:
            return fallback
        if agency_id not in self._agencies:
            self._agencies[agency_id] = await queries.agency(self.session, agency_id)
        agency = self._agencies[agency_id]
        return agency.name if agency else (fallback or agency_id)

    def typed(self, value: Any) -> str:
        """An agenda answer as text; a stored ISO time reads as people write times."""
        text = value if isinstance(value, str) else ("" if value is None else str(value))
        if _ISO.match(text):
            try:
                return self.when(datetime.fromisoformat(text))
            except ValueError:
                return text
        return text.strip()


def _answer(ctx: _Context, kind: str, choices: tuple[tuple[str, str], ...], value: Any) -> str:
    if kind == "toggle":
        return "Yes" if str(value).lower() == "true" else "No"
    if kind in ("choice", "multichoice"):
        labels = dict(choices)
        codes = [c.strip() for c in str(value).split(",") if c.strip()] if kind == "multichoice" else [str(value)]
        return ", ".join(labels.get(c, c) for c in codes)
    return ctx.typed(value)


def _step_answers(ctx: _Context, d: Discussion, step: AgendaStep) -> list[Entry]:
    saved = d.agenda.get(step.key) if isinstance(d.agenda, dict) else None
    saved = saved if isinstance(saved, dict) else {}
    entries = []
    for f in step.fields:
        value = saved.get(f.key)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            if f.required and step.key in d.agenda:
                entries.append(Entry(f.label, "Not recorded"))
            continue
        entries.append(Entry(f.label, _answer(ctx, f.kind, f.choices, value)))
    return entries


def _title(step: AgendaStep) -> str:
    return f"{step.number}. {step.title}"


async def _attendance(ctx: _Context, d: Discussion, parts: dict[str, list[Any]]) -> list[Entry]:
    entries = []
    for a in parts["attendance"]:
        agency = a.agency_name or await ctx.agency_name(a.agency_id)
        who = ", ".join(x for x in (a.role, agency) if x and x not in a.name)
        if a.present:
            status = "present"
        elif a.apologies == "consulted on the medical decision":
            status = "not present; consulted on the medical decision"
        else:
            reason = APOLOGY_WORDS.get(a.apologies or "", a.apologies or "")
            status = f"apologies ({reason})" if reason else "apologies"
        entries.append(Entry(a.name, f"{who}: {status}" if who else status[:1].upper() + status[1:]))
    saved = d.agenda.get("attendance")
    if isinstance(saved, dict) and saved.get("apologies"):
        entries.append(Entry("Apologies and reasons", ctx.typed(saved["apologies"])))
    return entries


async def _information(ctx: _Context, d: Discussion, parts: dict[str, list[Any]], step: AgendaStep) -> list[Entry]:
    entries = []
    for c in parts["contributions"]:
        if c.agency_id is None:  # the chair's summary, saved on the agenda step below
            continue
        agency = await ctx.agency_name(c.agency_id)
        entries.append(Entry(f"{agency}: {c.author_name}" if agency else c.author_name, c.text,
                             (("Shared", ctx.when(c.at)),)))  # fmt: skip
    return entries + _step_answers(ctx, d, step)


def _decisions(ctx: _Context, d: Discussion, parts: dict[str, list[Any]], topics: list[str]) -> list[Entry]:
    recorded = {x.topic: x for x in parts["decisions"]}  # the latest of each topic
    entries = []
    for topic in [*topics, *(t for t in recorded if t not in topics and t not in DECISION_TOPICS)]:
        x = recorded.get(topic)
        if x is None:
            continue
        title, outcome = decision_words(x.topic, x.outcome)
        entries.append(Entry(title, outcome, (("Rationale", x.rationale),)))
    return entries


async def _medical(ctx: _Context, d: Discussion, parts: dict[str, list[Any]]) -> list[Entry]:
    entries = _decisions(ctx, d, parts, [MEDICAL_TOPIC])
    saved = d.agenda.get("medical") if isinstance(d.agenda.get("medical"), dict) else {}
    consulted = await queries.person(ctx.session, (saved or {}).get("consulted"))
    if consulted is not None:
        agency = await ctx.agency_name(consulted.agency_id)
        entries.append(Entry("Health professional consulted", ", ".join(x for x in (consulted.name, consulted.role, agency) if x)))
    return entries


async def _actions(ctx: _Context, parts: dict[str, list[Any]]) -> list[Entry]:
    entries = []
    for a in parts["actions"]:
        agency = await ctx.agency_name(a.agency_id)
        status = f"Done {ctx.when(a.done_at)}" if a.status == ActionStatus.DONE else "Open"
        entries.append(Entry(a.what, "", (("Who", f"{a.owner_name}, {agency}" if agency else a.owner_name),
                                          ("By when", ctx.when(a.due)), ("Purpose", a.purpose), ("Status", status))))  # fmt: skip
    return entries


async def _disagreements(ctx: _Context, parts: dict[str, list[Any]]) -> list[Entry]:
    stages = ctx.services.profile.disagreement_stages
    entries = []
    for g in parts["disagreements"]:
        agency = await ctx.agency_name(g.agency_id)
        stage = stages[min(g.stage_index, len(stages) - 1)] if stages else str(g.stage_index + 1)
        details = [("Raised", ctx.when(g.created_at)),
                   ("Stage", f"{stage[:1].upper()}{stage[1:]} (stage {g.stage_index + 1} of {max(len(stages), 1)})"),
                   ("Resolve by", ctx.when(g.resolve_by))]  # fmt: skip
        if g.resolved_at:
            details.append(("Resolved", f"{ctx.when(g.resolved_at)}: {g.resolution or ''}".rstrip(": ")))
        else:
            details.append(("Resolved", "Not yet"))
        entries.append(Entry(f"{g.raised_by_name}, {agency}" if agency else g.raised_by_name, g.about, tuple(details)))
    return entries


async def _invitations(ctx: _Context, d: Discussion) -> list[Entry]:
    entries = []
    for i in d.invitations:
        agency = await ctx.agency_name(i.agency_id, AGENCY_KINDS.get(i.agency_kind, i.agency_kind))
        person = await queries.person(ctx.session, i.person_id or i.delegated_to_person_id)
        answer = words(ANSWER_WORDS, i.status)
        details = [("Why invited", i.reason)]
        # Who withdraws or declines is not always who accepted (a colleague may): the escalation
        # names them; here only who had accepted is certain.
        if person is not None and i.status in (InvitationStatus.ACCEPTED, InvitationStatus.DELEGATED):
            answer += f" by {person.name}" if i.status == InvitationStatus.ACCEPTED else f" to {person.name}"
        elif person is not None and i.status == InvitationStatus.WITHDRAWN:
            details.append(("Had been accepted by", person.name))
        if i.responded_at and i.status != InvitationStatus.PENDING:
            answer += f", {ctx.when(i.responded_at)}"
        # An answer given by phone or e-mail and recorded by the chair, or read from the calendar.
        recorder = await queries.person(ctx.session, i.recorded_by_person_id)
        if recorder is not None:
            answer += f" (recorded by {recorder.name})"
        elif i.answer_source == AnswerSource.CALENDAR:
            answer += " (from the calendar invitation)"
        if i.answer_note:
            details.append(("Note", i.answer_note))
        if i.delivery == Delivery.FAILED and i.status == InvitationStatus.PENDING:
            details.append(("Invitation", "Not delivered in Teams"))
        if i.answer_reason:
            details.append(("Reason given", i.answer_reason))
        kind = AGENCY_KINDS.get(i.agency_kind, i.agency_kind)
        if kind.lower() not in agency.lower():
            details.insert(0, ("Invited as", kind))
        entries.append(Entry(agency, answer, tuple(details), flag="Late" if i.late else ""))
    return entries


async def _escalations(ctx: _Context, d: Discussion) -> list[Entry]:
    entries = []
    for e in await queries.escalations(ctx.session, d.id):
        told = ", ".join(f"{n.get('name')} ({n.get('role')})" if n.get("role") else str(n.get("name")) for n in e.notified)
        agency = await ctx.agency_name(e.agency_id)
        label = words(ESCALATION_WORDS, e.kind) + (f": {agency}" if agency else "")
        entries.append(Entry(label, e.detail or "", (("When", ctx.when(e.at)), ("Told", told or "Nobody reachable"))))
    return entries


def _deadlines(ctx: _Context, d: Discussion, icpc_held: datetime | None) -> list[Entry]:
    entries = [Entry("Convene by", ctx.when(d.convene_by, "No deadline"), (("Rule", d.convene_by_rule),)
                     + ((("Note", d.convene_by_note),) if d.convene_by_note else ()))]  # fmt: skip
    entries.append(Entry("Circulate the record by", ctx.when(d.circulate_by, "When the discussion is closed")))
    entries.append(Entry("Record circulated", ctx.when(d.circulated_at, "Not yet")))
    if d.icpc_by:
        entries.append(Entry("Initial Child Protection Conference by", ctx.when(d.icpc_by)))
        entries.append(Entry("Initial Child Protection Conference held", ctx.when(icpc_held, "Not recorded yet")))
    else:
        entries.append(Entry("Initial Child Protection Conference", "Not required: no Section 47 enquiry initiated"))
    if d.next_review_at:
        entries.append(Entry("Next review by", ctx.when(d.next_review_at)))
    return entries


async def discussion_part(session: AsyncSession, services: Services, d: Discussion) -> Part:
    ctx = _Context(session, services)
    parts = await queries.record_parts(session, d.id)
    chair = await queries.person(session, d.chair_person_id)
    kind = words(KIND_WORDS, d.kind)
    held = ctx.when(d.started_at, "")
    facts: list[tuple[str, str]] = [("Case reference", d.case_ref)]
    if d.review_of:
        earlier = await queries.discussion(session, d.review_of)
        when = (earlier.started_at or earlier.scheduled_for) if earlier else None
        facts.append(("Discussion", f"Review of the discussion held {ctx.when(when, 'earlier')}"))
    else:
        facts.append(("Discussion", "Initial"))
    facts.append(("Held", held or f"Not yet held (planned {ctx.when(d.scheduled_for, 'without a time')})"))
    facts += [
        ("Format", words(FORMAT_WORDS, d.format)),
        ("Chair", ", ".join(x for x in (chair.name, chair.role) if x) if chair else "Not known"),
        ("Referral received", ctx.when(d.referral_received_at)),
    ]
    if d.action_at:
        facts.append(("Immediate protective action", ctx.when(d.action_at)))
    facts.append(("Concerns", "; ".join(CONCERNS.get(c, c) for c in d.concerns) or "None recorded"))
    facts.append(("Circumstances", "; ".join(FLAGS.get(f, f) for f in d.flags) or "None recorded"))
    accepted = [i.agency_kind for i in d.invitations if i.status == InvitationStatus.ACCEPTED]
    q = quorum_of_kinds(accepted, d.flags, d.profile)
    facts.append(("Quorate", "Yes" if q.quorate else "No: " + ", ".join(AGENCY_KINDS.get(m, m) for m in q.missing)
                  + " not confirmed"))  # fmt: skip
    facts.append(("Status", words(STATUS_WORDS, d.status)))

    sections: list[Section] = []
    for step in AGENDA:
        if step.key == "attendance":
            entries = await _attendance(ctx, d, parts)
        elif step.key == "difference-statement":
            read = step.key in (d.agenda or {})
            entries = [Entry("Read out at the start", "Yes")] if read else []
        elif step.key == "information":
            entries = await _information(ctx, d, parts, step)
        elif step.key == "decisions":
            entries = _decisions(ctx, d, parts, [t for t in DECISION_TOPICS if t != MEDICAL_TOPIC])
        elif step.key == "medical":
            entries = await _medical(ctx, d, parts)
        elif step.key == "actions":
            entries = await _actions(ctx, parts)
        else:
            entries = _step_answers(ctx, d, step)
        sections.append(Section(step.key, _title(step), tuple(entries)))
    sections.append(Section("disagreements", "Professional disagreements", tuple(await _disagreements(ctx, parts)),
                            "None raised."))  # fmt: skip
    sections.append(Section("invitations", "Invitations and answers (late withdrawals marked LATE)",
                            tuple(await _invitations(ctx, d)), "No invitations."))  # fmt: skip
    sections.append(Section("escalations", "Escalations", tuple(await _escalations(ctx, d)), "None."))
    sections.append(Section("deadlines", "Deadlines that follow", tuple(_deadlines(ctx, d, await icpc_held_of(session, d)))))
    title = f"{kind}, {held}" if held else kind
    return Part(title=title, facts=tuple(facts), sections=tuple(sections))


async def record_doc(session: AsyncSession, services: Services, discussions: list[Discussion],
                     now: datetime | None = None) -> RecordDoc:  # fmt: skip
    parts = [await discussion_part(session, services, d) for d in discussions]
    produced = f"Produced {services.when(now)}" if now else ""
    return RecordDoc(case_ref=discussions[0].case_ref if discussions else "", parts=tuple(parts), produced=produced)


async def case_doc(session: AsyncSession, services: Services, case_ref: str, now: datetime | None = None) -> RecordDoc | None:
    discussions = [d for d in await queries.discussions_for_case(session, case_ref) if d.status != DiscussionStatus.CANCELLED]
    if not discussions:
        return None
    return await record_doc(session, services, discussions, now)


# Markdown -------------------------------------------------------------------------------------


def _md_lines(value: str, indent: str) -> str:
    # A hard line break (backslash) keeps each line the person typed on its own line.
    lines = [escape_markdown(line.strip()) for line in value.splitlines() if line.strip()]
    return ("\\\n" + indent).join(lines)


def to_markdown(doc: RecordDoc) -> str:
    out = [f"# {escape_inline(doc.title)}", "", f"**CONFIDENTIAL.** {escape_markdown(doc.confidential)}", ""]
    if doc.produced:
        out += [f"_{escape_markdown(doc.produced)}_", ""]
    for part in doc.parts:
        out += [f"## {escape_inline(part.title)}", ""]
        out += [f"- **{escape_inline(k)}:** {_md_lines(v, '  ')}" for k, v in part.facts]
        for section in part.sections:
            out += ["", f"### {escape_inline(section.title)}", ""]
            if not section.entries:
                out.append(f"_{escape_markdown(section.empty)}_")
                continue
            for e in section.entries:
                label = f"**{escape_inline(e.label)}**" + (f" **({escape_markdown(e.flag).upper()})**" if e.flag else "")
                out.append(f"- {label}" + (f": {_md_lines(e.text, '  ')}" if e.text else ""))
                out += [f"  - _{escape_inline(k)}:_ {_md_lines(v, '    ')}" for k, v in e.details if v]
        out.append("")
    out += [escape_markdown(n) for n in doc.notes]
    return "\n".join(out).rstrip() + "\n"


# HTML -----------------------------------------------------------------------------------------

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;max-width:52em;margin:2em auto;color:#1b1b1b;line-height:1.4}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:2px solid #006978;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em;color:#006978;margin:1.4em 0 .4em}
.confidential{color:#a00;font-weight:bold;border:1px solid #a00;padding:.4em .6em}
.produced{color:#555;font-size:.9em}
table.facts{border-collapse:collapse;width:100%}table.facts th{text-align:left;width:14em;vertical-align:top}
table.facts th,table.facts td{border-bottom:1px solid #ddd;padding:.25em .4em}
.entry{margin:.2em 0 .7em}.entry .label{font-weight:bold}.flag{color:#a00;font-weight:bold}
.entry dl{margin:.2em 0 0 1.2em;display:grid;grid-template-columns:max-content auto;gap:.1em .8em}
.entry dt{color:#555}.entry dd{margin:0}.empty{color:#666;font-style:italic}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}h3{page-break-after:avoid}}
"""


def _h(value: str) -> str:
    return "<br>".join(html.escape(line.strip()) for line in value.splitlines() if line.strip())


def to_html(doc: RecordDoc) -> str:
    body = [f"<h1>{html.escape(doc.title)}</h1>",
            f"<p class='confidential'>CONFIDENTIAL. {html.escape(doc.confidential)}</p>"]  # fmt: skip
    if doc.produced:
        body.append(f"<p class='produced'>{html.escape(doc.produced)}</p>")
    for part in doc.parts:
        body.append(f"<h2>{html.escape(part.title)}</h2><table class='facts'>")
        body += [f"<tr><th scope='row'>{html.escape(k)}</th><td>{_h(v)}</td></tr>" for k, v in part.facts]
        body.append("</table>")
        for section in part.sections:
            body.append(f"<section><h3>{html.escape(section.title)}</h3>")
            if not section.entries:
                body.append(f"<p class='empty'>{html.escape(section.empty)}</p>")
            for e in section.entries:
                flag = f" <span class='flag'>({html.escape(e.flag.upper())})</span>" if e.flag else ""
                text = f": {_h(e.text)}" if e.text else ""
                body.append(f"<div class='entry'><span class='label'>{html.escape(e.label)}</span>{flag}{text}")
                details = [(k, v) for k, v in e.details if v]
                if details:
                    body.append("<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{_h(v)}</dd>" for k, v in details) + "</dl>")
                body.append("</div>")
            body.append("</section>")
    body += [f"<p class='produced'>{html.escape(n)}</p>" for n in doc.notes]
    return (f"<!doctype html><html lang='en-GB'><head><meta charset='utf-8'><title>{html.escape(doc.title)}</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>")  # fmt: skip
