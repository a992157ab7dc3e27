"""The record of a case as data (CONTRACT section 6). For people (cards, Markdown, HTML, PDF) the
same record is built as `cards.record.RecordDoc` in dialogs/record_view.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.views import icpc_held_of, quorum_of_kinds
from procedure.states import DiscussionStatus, InvitationStatus
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

    q = quorum_of_kinds([i.agency_kind for i in d.invitations if i.status == InvitationStatus.ACCEPTED], d.flags, d.profile)
    return {
        "id": d.id,
        "kind": d.kind,
        "review_of": d.review_of,
        "status": d.status,
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
        # When the ICPC was held (recorded by the chair with `icpc`): the initiating discussion's.
        "icpc_held_at": _iso(await icpc_held_of(session, d), tz),
        "next_review_at": _iso(d.next_review_at, tz),
    }  # fmt: skip


async def case_record(session: AsyncSession, case_ref: str, tz: Any) -> dict[str, Any] | None:
    discussions = await queries.discussions_for_case(session, case_ref)
    discussions = [d for d in discussions if d.status != DiscussionStatus.CANCELLED]
    if not discussions:
        return None
    return {
        "case_ref": discussions[0].case_ref,
        "confidential": "Confidential professionals' meeting: not to be shared without the chair's permission (SX 6.6).",
        "discussions": [await discussion_record(session, d, tz) for d in discussions],
    }
