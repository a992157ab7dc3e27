"""Many discussions at once, written straight into the database (bulk INSERTs), for the
benchmark (`scripts/bench.py`) and the scale tests: the shape a local authority's database has
after years of use, with every case reference and person fictional.

- open discussions: invited, starting in 1-3 days, CSC accepted (the chair), the other agencies
  pending or accepted, invitations and the roster posted (outbox rows and sent messages);
- closed discussions: held, record circulated, their action done: history that needs nothing;
- a few things due now (what the scheduler must find): a record not circulated in time, an
  unresolved disagreement past its stage, an action overdue, invitations unanswered past the
  reminder time.

`directory(people_per_agency)` is a directory with a channel for every agency, so each
invitation is one channel thread (an answer edits two messages: the invitation and the roster).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from procedure import AGENCY_KINDS
from storage.audit import GENESIS, HEAD_ID, entry_hash
from storage.directory import Directory, parse_directory
from storage.models import (
    Action,
    AuditEntry,
    AuditHead,
    ConversationRef,
    Disagreement,
    Discussion,
    Invitation,
    OutboxMessage,
    SentMessage,
)

# The agencies every generated discussion invites (CSC first: the chair represents it).
INVITED_KINDS = ("csc", "police", "health", "education", "paediatrics")
SERVICE_URL = "https://smba.trafficmanager.net/uk/"
CHAIR = "chair-0"


def directory(people_per_agency: int = 10) -> Directory:
    """Every agency kind, each with its own channel and `people_per_agency` people."""
    agencies, people = [], []
    n = 0
    for kind in AGENCY_KINDS:
        agency_people = []
        for j in range(people_per_agency):
            n += 1
            pid = "chair-0" if kind == "csc" and j == 0 else f"{kind}-{j}"
            agency_people.append(pid)
            people.append({
                "id": pid, "name": f"Bench Person {n}", "role": "Bench role", "agency": kind,
                "aad_object_id": str(uuid.UUID(int=0xBE0C0000_0000_4000_8000_000000000000 + n)),
                "teams_id": f"29:bench-{pid}", "can_chair": kind == "csc",
            })  # fmt: skip
        agencies.append({"id": kind, "name": f"Bench {kind}", "kind": kind,
                         "channel_id": f"19:bench-{kind}@thread.tacv2",
                         "lead": agency_people[-1], "duty_manager": agency_people[-1]})  # fmt: skip
    return parse_directory({"escalation_channel": "19:bench-escalations@thread.tacv2",
                            "agencies": agencies, "people": people}, "bench-directory", kinds=AGENCY_KINDS)  # fmt: skip


def directory_toml(d: Directory) -> str:
    """The directory as a file `sdbot serve` reads (SDBOT_DIRECTORY)."""

    def q(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"escalation_channel = {q(d.escalation_channel)}", ""]
    for a in d.agencies:
        lines += ["[[agencies]]", f"id = {q(a.id)}", f"name = {q(a.name)}", f"kind = {q(a.kind)}",
                  f"channel_id = {q(a.channel_id)}", f"lead = {q(a.lead)}", f"duty_manager = {q(a.duty_manager)}", ""]  # fmt: skip
    for p in d.people:
        lines += ["[[people]]", f"id = {q(p.id)}", f"name = {q(p.name)}", f"role = {q(p.role)}",
                  f"agency = {q(p.agency)}", f"aad_object_id = {q(p.aad_object_id)}",
                  f"teams_id = {q(p.teams_id)}", f"can_chair = {q(p.can_chair)}", ""]  # fmt: skip
    return "\n".join(lines)


@dataclass
class Generated:
    """What was written: counts, and the pending invitations a benchmark can press Accept on."""

    discussions: int = 0
    open: int = 0
    pending: list[tuple[str, str]] = field(default_factory=list)  # (invitation id, agency id)


def _id(kind: int, n: int) -> str:
    return str(uuid.UUID(int=(kind << 96) + n))


async def generate(
    factory: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    total: int,
    open_count: int,
    start: int = 0,
    history: bool = True,
    due_every: int = 1000,
    open_due_every: int = 100,
    service_url: str = SERVICE_URL,
    batch: int = 2000,
) -> Generated:
    """Add `total` discussions (numbered from `start`), `open_count` of them open.

    Of every `due_every` closed discussions, the first has a record not circulated in time,
    the second an overdue action, the third a disagreement past its stage; of every
    `open_due_every` open ones, the first was invited three hours ago (reminders and pings
    due). A large `due_every`/`open_due_every` keeps what is due the same at any size.
    `history=False` writes closed discussions without their outbox rows and sent messages
    (faster; the scheduler never reads those). `service_url`: where the messages were posted
    (edits of them go there)."""
    out = Generated()
    chair_key = f"conv:a:personal-29:bench-{CHAIR}"
    async with factory() as session, session.begin():
        if start == 0:
            await session.execute(insert(ConversationRef), [{
                "key": chair_key, "conversation_id": f"a:personal-29:bench-{CHAIR}", "conversation_type": "personal",
                "service_url": service_url, "updated_at": now}])  # fmt: skip
    for lo in range(start, start + total, batch):
        hi = min(lo + batch, start + total)
        rows: dict[Any, list[dict[str, Any]]] = {m: [] for m in (Discussion, Invitation, OutboxMessage, SentMessage,
                                                                  AuditEntry, Action, Disagreement)}  # fmt: skip
        for n in range(lo, hi):
            is_open = (n - start) < open_count
            k = (n - start) if is_open else (n - start - open_count)  # index among the open / the closed
            did = _id(1, n)
            referral = now - (timedelta(hours=2) if is_open else timedelta(days=2 + n % 3000, hours=n % 24))
            d: dict[str, Any] = {
                "id": did, "case_ref": f"BENCH-{n:07d}", "kind": "initial", "status": "invited" if is_open else "closed",
                "profile": "pan-sussex", "referral_received_at": referral, "concerns": ["significant-harm"], "flags": [],
                "action_at": None, "convene_by": referral + timedelta(days=3), "convene_by_rule": "SX 6.6: within 3 working days",
                "convene_by_note": None, "scheduled_for": referral + timedelta(days=1 + n % 2, hours=n % 5),
                "duration_minutes": 60, "format": "teams", "chair_person_id": CHAIR, "chair_conversation_key": chair_key,
                "meeting_url": "https://teams.microsoft.com/l/meetup-join/bench", "meeting_event_id": None,
                "meeting_note": None, "meeting_pending": False, "meeting_lease_until": None,
                "roster_message_key": f"roster:{did}:1", "created_by_conversation": None, "created_at": referral,
                "invited_at": referral + timedelta(minutes=5), "started_at": None, "closed_at": None,
                "circulate_by": None, "circulation_approved_at": None, "circulated_at": None, "icpc_by": None,
                "s47_initiated": False, "initiating_discussion_id": None, "agenda_step": 0, "agenda": {},
                "next_review_at": None, "review_of": None,
            }  # fmt: skip
            # Open ones were invited 20 minutes ago (before the 60-minute reminder), but 1 in 100
            # three hours ago: its unanswered agencies are due a reminder and their leads a ping.
            sent_at = now - (timedelta(hours=3) if is_open and k % open_due_every == 0 else timedelta(minutes=20))
            if is_open:
                d["invited_at"] = sent_at
            else:
                held = d["scheduled_for"]
                d.update(started_at=held, closed_at=held + timedelta(hours=1), circulate_by=held + timedelta(days=1),
                         circulation_approved_at=held + timedelta(hours=2), circulated_at=held + timedelta(hours=2))  # fmt: skip
                if k % due_every == 0:  # a record never circulated: overdue
                    d.update(circulation_approved_at=None, circulated_at=None)
                if k % due_every == 3:  # a looked-after child: the next review is weeks away
                    d["next_review_at"] = now + timedelta(days=20)
            rows[Discussion].append(d)
            rows[AuditEntry].append({"action": "convene", "actor_aad_object_id": None, "actor_name": "bench",
                                     "discussion_id": did, "case_ref": d["case_ref"], "at": referral, "detail": {}})  # fmt: skip
            if d["status"] == "invited" or history:
                rows[OutboxMessage].append(_sent_row(did, f"roster:{did}:1", {"kind": "conversation",
                                           "conversation_id": f"a:personal-29:bench-{CHAIR}"}, f"conv:a:personal-29:bench-{CHAIR}",
                                           d["invited_at"], "roster", n))  # fmt: skip
            for position, kind in enumerate(INVITED_KINDS):
                iid = _id(2, n * 10 + position)
                accepted = kind == "csc" or not is_open or (n + position) % 2 == 0
                rows[Invitation].append({
                    "id": iid, "discussion_id": did, "position": position, "agency_id": kind, "agency_kind": kind,
                    "required": kind in ("csc", "police", "health"), "reason": "Bench: statutory partner",
                    "source": "SX 6.6", "status": "accepted" if accepted else "pending",
                    "person_id": CHAIR if kind == "csc" else (f"{kind}-0" if accepted else None),
                    "delegated_to_person_id": None, "answer_reason": None, "late": False,
                    "responded_at": sent_at + timedelta(minutes=10) if accepted else None, "sent_at": sent_at,
                    "reminded_at": None,
                })  # fmt: skip
                if kind != "csc" and (is_open or history):
                    channel = f"19:bench-{kind}@thread.tacv2"
                    rows[OutboxMessage].append(_sent_row(did, f"invite:{iid}:channel", {"kind": "channel", "channel_id": channel},
                                                         f"channel:{channel}", sent_at, "invitation", n * 10 + position))  # fmt: skip
                if is_open and not accepted:
                    out.pending.append((iid, kind))
            if not is_open:
                action_id = _id(3, n)
                due = d["closed_at"] + timedelta(days=7)
                status = "done"
                if k % due_every == 1:  # an action overdue and not marked done
                    due, status = now - timedelta(days=1), "open"
                elif k % 100 == 50:  # an open action due in a fortnight
                    due, status = now + timedelta(days=14), "open"
                rows[Action].append({"id": action_id, "discussion_id": did, "what": "Bench: visit the child",
                                     "owner_person_id": "police-1", "owner_name": "Bench Person", "agency_id": "police",
                                     "due": due, "purpose": "Bench", "status": status,
                                     "done_at": None if status == "open" else due - timedelta(days=1),
                                     "reminded_at": None, "created_at": d["closed_at"]})  # fmt: skip
                if k % due_every == 2:  # a disagreement unresolved past its stage
                    rows[Disagreement].append({"id": _id(4, n), "discussion_id": did, "raised_by_person_id": "police-1",
                                               "raised_by_name": "Bench Person", "agency_id": "police", "about": "Bench",
                                               "stage_index": 0, "resolve_by": now - timedelta(hours=1),
                                               "resolved_at": None, "resolution": None, "created_at": d["closed_at"]})  # fmt: skip
        async with factory() as session, session.begin():
            for model, values in rows.items():
                if values:
                    if model is AuditEntry:
                        await _chain(session, values)
                    await session.execute(insert(model), values)
                    if model is OutboxMessage:
                        await session.execute(insert(SentMessage), [
                            {"key": r["message_key"], "conversation_id": r["conversation_id"],
                             "activity_id": r["activity_id"], "service_url": service_url, "at": r["sent_at"]}
                            for r in values])  # fmt: skip
        out.discussions += hi - lo
    out.open = min(open_count, total)
    return out


async def _chain(session: Any, values: list[dict[str, Any]]) -> None:
    """Bulk rows join the audit chain like any other entry (`sdbot audit verify` holds)."""
    head = await session.get(AuditHead, HEAD_ID)
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
    for v in values:
        seq += 1
        v.update(seq=seq, prev_hash=prev)
        v["hash"] = prev = entry_hash(prev, AuditEntry(**v))  # a transient object: only hashed
    if head is None:
        session.add(AuditHead(id=HEAD_ID, seq=seq, hash=prev))
    else:
        head.seq, head.hash = seq, prev


def _sent_row(discussion_id: str, key: str, target: dict[str, Any], order_key: str, at: datetime,
              purpose: str, n: int) -> dict[str, Any]:  # fmt: skip
    activity_id = str(1700000000000 + n)
    conversation_id = target.get("conversation_id") or f"{target.get('channel_id')};messageid={activity_id}"
    return {"created_at": at, "discussion_id": discussion_id, "purpose": purpose, "target": target, "order_key": order_key,
            "op": "send", "message_key": key, "payload": {"type": "message", "text": "bench"}, "status": "sent",
            "attempts": 1, "next_attempt_at": at, "lease_owner": None, "lease_until": None, "last_error": None,
            "sent_at": at, "conversation_id": conversation_id, "activity_id": activity_id}  # fmt: skip
