"""Cards for the discussion itself: the attendees' meeting card, the chair's agenda steps and
an action for its owner (the record's cards are in cards/record.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cards.common import card, execute, show_card, text
from cards.format import escape_markdown, fmt_when
from cards.verbs import Verb
from procedure.states import ActionStatus


class MeetingState(StrEnum):
    """What a meeting card says about the discussion: one of these, never two."""

    WAITING = "waiting"  # not started
    STARTED = "started"
    CLOSED = "closed"


@dataclass(frozen=True)
class MeetingView:
    discussion_id: str
    case_ref: str
    agency_name: str
    scheduled_for: datetime | None
    meeting_url: str | None
    chair_name: str
    state: MeetingState
    may_report_csc_absent: bool  # police and health (SX 6.6 'Inquorate Strategy Discussion')
    difference_statement: str
    csc_absent_reported: bool = False
    started_at: datetime | None = None
    closed_at: datetime | None = None


def _clock(dt: datetime) -> str:
    return fmt_when(dt, "clock")


def meeting_state_line(view: MeetingView) -> str:
    """One state, never two: 'Starts ...' before the chair starts, then 'Started ... by the
    chair', then 'Closed ...'."""
    if view.state == MeetingState.CLOSED:
        return f"Closed {fmt_when(view.closed_at)}" if view.closed_at else "Closed"
    if view.state == MeetingState.STARTED:
        when = view.started_at
        if when is None:
            return "Started by the chair"
        same_day = view.scheduled_for is not None and view.scheduled_for.date() == when.date()
        return f"Started {_clock(when) if same_day else fmt_when(when)} by the chair"
    if view.scheduled_for is None:
        return "Start time not set: waiting for the chair"
    return f"Starts {fmt_when(view.scheduled_for)}"


def meeting_card(view: MeetingView) -> dict[str, Any]:
    data = {"discussion_id": view.discussion_id}
    open_ = view.state != MeetingState.CLOSED
    body: list[dict[str, Any]] = [
        text(f"Strategy discussion {view.case_ref}", size="Large", weight="Bolder"),
        text(meeting_state_line(view), weight="Bolder", color="Good" if view.state == MeetingState.STARTED else "Default"),
        {"type": "FactSet", "facts": [
            {"title": "Chair", "value": view.chair_name},
            {"title": "Your agency", "value": view.agency_name},
        ]},
        {"type": "Container", "style": "emphasis", "items": [
            text("Professional Difference Statement", weight="Bolder"),
            text(view.difference_statement, isSubtle=True, size="Small"),
        ]},
        text("Add what your agency knows, or register a professional disagreement, below. "
              "Do not post case details in the channel." if open_ else
             "The discussion is closed: the chair circulates the record.", isSubtle=True),
    ]  # fmt: skip
    if view.meeting_url and open_:
        body.insert(2, text(f"[Join the Teams meeting]({view.meeting_url})"))
    if view.csc_absent_reported:
        body.append({"type": "Container", "style": "attention", "items": [
            text("CSC absence reported: the CSC duty manager has been told.", weight="Bolder")]})  # fmt: skip
    actions: list[dict[str, Any]] = []
    if view.may_report_csc_absent and view.state == "waiting" and not view.csc_absent_reported:
        actions.append(execute("CSC not present", Verb.CSC_NOT_PRESENT, data, style="destructive"))
    if open_:
        actions.append(show_card("Add information", [
            {"type": "Input.Text", "id": "info", "label": "What your agency knows (history, other areas if the family moved)",
             "isMultiline": True, "isRequired": True, "errorMessage": "Write the information to share.", "maxLength": 4000},
        ], execute("Share with the chair", Verb.INFO_ADD, data)))  # fmt: skip
    actions.append(show_card("Raise a disagreement", [
        {"type": "Input.Text", "id": "about", "label": "What do you disagree with, and why?", "isMultiline": True,
         "isRequired": True, "errorMessage": "Say what the disagreement is about.", "maxLength": 2000},
    ], execute("Register disagreement", Verb.DISAGREE, data)))  # fmt: skip
    return card(body, actions)


@dataclass(frozen=True)
class FieldView:
    key: str
    label: str
    kind: str  # text | multiline | choice | multichoice | toggle | date
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    value: str = ""
    error: str | None = None


@dataclass(frozen=True)
class AgendaView:
    discussion_id: str
    case_ref: str
    step_index: int  # 0-based
    step_count: int
    step_key: str
    title: str
    prompt: str
    source: str
    fields: list[FieldView]
    notes: list[str] = field(default_factory=list)  # what is recorded so far on this step
    error: str | None = None
    last: bool = False
    extra_actions: list[tuple[str, Verb]] = field(default_factory=list)  # (title, verb) submitted with the inputs
    notice: str | None = None  # something the chair should know (e.g. names not found, information shared)


def _input(f: FieldView) -> list[dict[str, Any]]:
    base: dict[str, Any] = {"id": f.key, "label": f.label}
    if f.required:
        base.update(isRequired=True, errorMessage=f"{f.label}: required.")
    if f.kind in ("text", "multiline", "date"):
        element = {"type": "Input.Text", **base, "value": f.value, "isMultiline": f.kind == "multiline",
                   "maxLength": 4000}  # fmt: skip
        if f.kind == "date":
            element["placeholder"] = "e.g. tomorrow 5pm, 24/12/2026 10:00"
    elif f.kind in ("choice", "multichoice"):
        element = {"type": "Input.ChoiceSet", **base, "value": f.value, "isMultiSelect": f.kind == "multichoice",
                   "style": "compact", "choices": [{"title": t, "value": v} for v, t in f.choices]}  # fmt: skip
    elif f.kind == "toggle":
        element = {"type": "Input.Toggle", "id": f.key, "title": f.label, "value": "true" if f.value == "true" else "false",
                   "valueOn": "true", "valueOff": "false"}  # fmt: skip
    else:
        raise ValueError(f"unknown field kind {f.kind!r}")
    items = [element]
    if f.error:
        items.append(text(f.error, color="Attention", size="Small"))
    return items


def agenda_card(view: AgendaView) -> dict[str, Any]:
    n, total = view.step_index + 1, view.step_count
    data = {"discussion_id": view.discussion_id, "step": view.step_key}
    done = "●" * n + "○" * (total - n)
    body: list[dict[str, Any]] = [
        text(f"{view.case_ref} · step {n} of {total}", isSubtle=True, size="Small"),
        text(done, size="Small", color="Accent"),
        text(view.title, size="Large", weight="Bolder"),
        text(view.prompt),
        text(f"Source: {view.source}", isSubtle=True, size="Small"),
    ]
    if view.error:
        body.append({"type": "Container", "style": "attention", "items": [text(view.error, weight="Bolder")]})
    if view.notice:
        body.append({"type": "Container", "style": "warning", "items": [text(escape_markdown(view.notice), size="Small")]})
    if view.notes:
        body.append({"type": "Container", "style": "emphasis", "items": [text("Recorded so far", weight="Bolder")]
                     + [text(f"• {escape_markdown(line)}", size="Small") for line in view.notes]})  # fmt: skip
    for f in view.fields:
        body.extend(_input(f))
    actions = [execute(title, verb, data) for title, verb in view.extra_actions]
    if view.step_index > 0:
        actions.append(execute("Back", Verb.AGENDA_BACK, data))
    actions.append(execute("Finish agenda" if view.last else "Save and next", Verb.AGENDA_NEXT, data, style="positive"))
    return card(body, actions)


@dataclass(frozen=True)
class ActionView:
    action_id: str
    case_ref: str
    what: str
    owner_name: str
    agency_name: str
    due: datetime
    purpose: str
    status: ActionStatus
    done_at: datetime | None = None


def action_card(view: ActionView) -> dict[str, Any]:
    body = [
        text(f"Action for you: {view.case_ref}", size="Large", weight="Bolder"),
        text(escape_markdown(view.what), weight="Bolder"),
        {"type": "FactSet", "facts": [
            {"title": "Owner", "value": f"{view.owner_name} ({view.agency_name})"},
            {"title": "Due", "value": fmt_when(view.due)},
            *([{"title": "Purpose", "value": escape_markdown(view.purpose)}] if view.purpose else []),
            {"title": "Status", "value": "Done " + fmt_when(view.done_at) if view.status == ActionStatus.DONE else "Open"},
        ]},
    ]  # fmt: skip
    actions = [] if view.status == ActionStatus.DONE else [execute("Mark done", Verb.ACTION_DONE, {"action_id": view.action_id}, "positive")]
    return card(body, actions)
