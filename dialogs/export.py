"""The record of a case as data (CONTRACT section 6), and as Markdown and HTML."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.format import escape_markdown
from dialogs.views import quorum_of_kinds
from procedure import AGENCY_KINDS
from storage import queries
from storage.models import Discussion


def _iso(value: datetime | None, tz: Any) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


async def discussion_record(session: AsyncSession, d: Discussion, tz: Any) -> dict[str, Any]:
    chair = await queries.person(session, d.chair_person_id)
    invitations = []
    for i in d.invitations:
        person = await queries.person(session, i.person_id or i.delegated_to_person_id)
        recorder = await queries.person(session, i.recorded_by_person_id)
        invitations.append({
            "agency": i.agency_id, "agency_kind": i.agency_kind, "required": i.required,
            "reason": i.reason, "source": i.source, "person": person.name if person else None,
            "status": i.status, "late": i.late, "answer_reason": i.answer_reason,
            "responded_at": _iso(i.responded_at, tz),
            # An answer the chair recorded for the agency (phone or e-mail): who, and the note.
            "recorded_by": {"name": recorder.name, "role": recorder.role} if recorder else None,
            "answer_source": i.answer_source, "answer_note": i.answer_note, "delivery": i.delivery,
        })  # fmt: skip
    escalations = [
        {"kind": e.kind, "agency": e.agency_id,
         "notified": [{"name": n.get("name"), "role": n.get("role")} for n in e.notified],
         "at": _iso(e.at, tz), "detail": e.detail}
        for e in await queries.escalations(session, d.id)
    ]  # fmt: skip
    parts = await queries.record_parts(session, d.id)

    q = quorum_of_kinds([i.agency_kind for i in d.invitations if i.status == "accepted"], d.flags, d.profile)
    return {
        "id": d.id,
        "kind": d.kind,
        "review_of": d.review_of,
        "status": "invited" if d.status == "inviting" else d.status,
        "format": d.format,
        "referral_received_at": _iso(d.referral_received_at, tz),
        "concerns": list(d.concerns),
        "flags": list(d.flags),
        "action_taken_at": _iso(d.action_at, tz),
        "convene_by": _iso(d.convene_by, tz),
        "convene_by_rule": d.convene_by_rule,
        "convene_by_note": d.convene_by_note,
        "scheduled_for": _iso(d.scheduled_for, tz),
        "meeting_url": d.meeting_url,
        "chair": {"name": chair.name if chair else None, "aad_object_id": chair.aad_object_id if chair else None,
                  "role": chair.role if chair else None},
        "quorate": q.quorate,
        "missing": list(q.missing),
        "invitations": invitations,
        "escalations": escalations,
        "attendance": [{"name": a.name, "role": a.role, "agency": a.agency_id or a.agency_name,
                        "present": a.present, "apologies": a.apologies} for a in parts["attendance"]],
        "information": [{"step": c.step, "agency": c.agency_id, "by": c.author_name, "text": c.text,
                         "at": _iso(c.at, tz)} for c in parts["contributions"]],
        "decisions": [{"topic": x.topic, "outcome": x.outcome, "rationale": x.rationale,
                       "at": _iso(x.at, tz)} for x in parts["decisions"]],
        "actions": [{"what": a.what, "owner": a.owner_name, "agency": a.agency_id, "due": _iso(a.due, tz),
                     "purpose": a.purpose, "status": a.status} for a in parts["actions"]],
        "disagreements": [{"by": g.raised_by_name, "agency": g.agency_id, "about": g.about,
                           "stage": g.stage_index, "resolve_by": _iso(g.resolve_by, tz),
                           "resolved_at": _iso(g.resolved_at, tz), "resolution": g.resolution}
                          for g in parts["disagreements"]],
        "agenda": d.agenda or {},
        "held_at": _iso(d.started_at, tz),
        "closed_at": _iso(d.closed_at, tz),
        "circulate_by": _iso(d.circulate_by, tz),
        "circulated_at": _iso(d.circulated_at, tz),
        "icpc_by": _iso(d.icpc_by, tz),
        "next_review_at": _iso(d.next_review_at, tz),
    }  # fmt: skip


async def case_record(session: AsyncSession, case_ref: str, tz: Any) -> dict[str, Any] | None:
    discussions = await queries.discussions_for_case(session, case_ref)
    discussions = [d for d in discussions if d.status != "cancelled"]
    if not discussions:
        return None
    return {
        "case_ref": discussions[0].case_ref,
        "confidential": "Confidential professionals' meeting: not to be shared without the chair's permission (SX 6.6).",
        "discussions": [await discussion_record(session, d, tz) for d in discussions],
    }


def to_markdown(record: dict[str, Any]) -> str:
    out = [f"# Strategy discussion record: {record['case_ref']}", "", f"**CONFIDENTIAL.** {record['confidential']}", ""]
    for n, d in enumerate(record["discussions"], 1):
        out += [f"## {n}. {d['kind'].capitalize()} discussion ({d['status']})", ""]
        facts = [
            ("Referral received", d["referral_received_at"]), ("Concerns", ", ".join(d["concerns"])),
            ("Flags", ", ".join(d["flags"]) or "none"), ("Convene by", f"{d['convene_by'] or 'no deadline'} ({d['convene_by_rule']})"),
            ("Scheduled for", d["scheduled_for"]), ("Format", d["format"]), ("Chair", d["chair"]["name"]),
            ("Quorate", "yes" if d["quorate"] else "no: missing " + ", ".join(d["missing"])),
            ("Review of", d["review_of"]), ("Held", d["held_at"]), ("Closed", d["closed_at"]),
            ("Circulate by", d["circulate_by"]), ("Circulated", d["circulated_at"]), ("ICPC by", d["icpc_by"]),
        ]  # fmt: skip
        out += [f"- **{k}:** {v}" for k, v in facts if v]
        out += ["", "### Invitations", "", "| agency | kind | required | status | person | late | reason |", "|---|---|---|---|---|---|---|"]
        for i in d["invitations"]:
            out.append(f"| {i['agency'] or '-'} | {AGENCY_KINDS.get(i['agency_kind'], i['agency_kind'])} | "
                       f"{'yes' if i['required'] else 'no'} | {i['status']} | {i['person'] or '-'}"
                       f"{' (recorded by ' + i['recorded_by']['name'] + ')' if i.get('recorded_by') else ''} | "
                       f"{'LATE' if i['late'] else ''} | {_md(i['reason'])} |")  # fmt: skip
        sections: list[tuple[str, list[str]]] = [
            ("Escalations", [f"- {e['at']}: {e['kind']} ({e['agency'] or '-'}), notified "
                             f"{', '.join(x['name'] + ' (' + (x['role'] or '') + ')' for x in e['notified']) or 'nobody'}"
                             for e in d["escalations"]]),
            ("Attendance", [f"- {a['name']}, {a['role']}, {a['agency']}: {'present' if a['present'] else 'apologies'}"
                            for a in d["attendance"]]),
            ("Information shared", [f"- [{c['step']}] {c['by']} ({c['agency'] or '-'}): {_md(c['text'])}" for c in d["information"]]),
            ("Decisions", [f"- **{x['topic']}: {x['outcome']}**. Rationale: {_md(x['rationale'])}" for x in d["decisions"]]),
            ("Actions", [f"- {_md(a['what'])}: {a['owner']} ({a['agency'] or '-'}), due {a['due']}, "
                         f"purpose: {_md(a['purpose'])} [{a['status']}]" for a in d["actions"]]),
            ("Professional disagreements", [f"- {g['by']} ({g['agency'] or '-'}): {_md(g['about'])}; stage {g['stage']}, "
                                            f"resolve by {g['resolve_by']}" for g in d["disagreements"]]),
        ]  # fmt: skip
        for title, lines in sections:
            if lines:
                out += ["", f"### {title}", "", *lines]
        out.append("")
    return "\n".join(out)


def _md(text: str | None) -> str:
    # What people typed shows literally: no links, emphasis, headings or table breaks.
    return escape_markdown(text).replace("\r", " ").replace("\n", " ")


def to_html(record: dict[str, Any]) -> str:
    e = html.escape
    body = [f"<h1>Strategy discussion record: {e(record['case_ref'])}</h1>",
            f"<p class='confidential'><strong>CONFIDENTIAL.</strong> {e(record['confidential'])}</p>"]  # fmt: skip
    for n, d in enumerate(record["discussions"], 1):
        body.append(f"<h2>{n}. {e(d['kind'].capitalize())} discussion ({e(d['status'])})</h2><dl>")
        for key in ("referral_received_at", "convene_by", "convene_by_rule", "scheduled_for", "format", "held_at",
                    "closed_at", "circulate_by", "circulated_at", "icpc_by", "review_of"):
            if d.get(key):
                body.append(f"<dt>{e(key.replace('_', ' '))}</dt><dd>{e(str(d[key]))}</dd>")
        body.append(f"<dt>chair</dt><dd>{e(str(d['chair']['name']))}</dd><dt>quorate</dt><dd>{'yes' if d['quorate'] else 'no'}</dd></dl>")
        tables = [
            ("Invitations", ["agency", "agency_kind", "status", "person", "late", "reason"], d["invitations"]),
            ("Escalations", ["at", "kind", "agency", "detail"], d["escalations"]),
            ("Attendance", ["name", "role", "agency", "present"], d["attendance"]),
            ("Information shared", ["step", "by", "agency", "text"], d["information"]),
            ("Decisions", ["topic", "outcome", "rationale"], d["decisions"]),
            ("Actions", ["what", "owner", "agency", "due", "purpose", "status"], d["actions"]),
            ("Professional disagreements", ["by", "agency", "about", "stage", "resolve_by"], d["disagreements"]),
        ]  # fmt: skip
        for title, columns, rows in tables:
            if not rows:
                continue
            body.append(f"<h3>{e(title)}</h3><table><tr>" + "".join(f"<th>{e(c)}</th>" for c in columns) + "</tr>")
            for row in rows:
                body.append("<tr>" + "".join(f"<td>{e(str(row.get(c, '')))}</td>" for c in columns) + "</tr>")
            body.append("</table>")
    style = "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em}.confidential{color:#a00}"
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(record['case_ref'])} record"
            f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>")  # fmt: skip
