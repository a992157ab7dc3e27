"""Every card the product can send, in every state, from fictional data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import cards
from cards.meeting import (
    ActionView,
    AgendaView,
    FieldView,
    MeetingView,
    RecordView,
    action_card,
    agenda_card,
    meeting_card,
    record_card,
)
from dialogs.router import COMMANDS
from procedure import CONCERNS, FLAGS, PROFESSIONAL_DIFFERENCE_STATEMENT

L = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=L)
DEADLINE = datetime(2026, 11, 23, 23, 59, tzinfo=L)
INVITEES = [
    cards.InviteeLine("police", "Police (MASH)", "Police", "statutory partner: the police", True, "new thread in Police (MASH)'s Teams channel"),
    cards.InviteeLine("paediatrics", "Community Paediatrics", "Paediatrician", "significant medical implications", True, "personal chat with Dr Pia Paed"),
    cards.InviteeLine("", "Education setting (not in the directory)", "Education setting", "the child attends a school", False, "no Teams contact: the chair must invite by phone"),
]


def summary(**overrides: Any) -> cards.ConveneSummary:
    values: dict[str, Any] = dict(
        discussion_id="d-1", case_ref="CR-1234", kind="initial", referral_at=NOW - timedelta(minutes=20),
        concerns=[CONCERNS["serious-injury"]], flags=[FLAGS["medical"], FLAGS["school"]], convene_by=DEADLINE,
        convene_by_rule="same day as the referral: serious physical injury (SX 6.6 Timing)", convene_by_note=None,
        now=NOW, scheduled_for=NOW + timedelta(hours=6), format_label="Teams meeting", invitees=INVITEES,
        planning_notes=["Plan an interpreter or intermediary (SX 6.6)."], meeting_url=None,
        meeting_note="The chair will add the Teams meeting link.", invitations_sent=False,
    )  # fmt: skip
    values.update(overrides)
    return cards.ConveneSummary(**values)


def invitation(**overrides: Any) -> cards.InvitationView:
    values: dict[str, Any] = dict(
        invitation_id="i-1", discussion_id="d-1", case_ref="CR-1234", kind="initial", agency_name="Police (MASH)",
        reason="statutory partner: the police", required=True, scheduled_for=NOW + timedelta(hours=6),
        format_label="Teams meeting", meeting_url="https://teams.example.test/l/meetup-join/x", meeting_note=None,
        chair_name="Chris Chair", status="pending", responder_name=None, responded_at=None, late=False,
        delegated_to_name=None, colleagues=[("pat", "Pat Lead"), ("olly", "Olly Officer")], now=NOW,
    )  # fmt: skip
    values.update(overrides)
    return cards.InvitationView(**values)


def roster(quorate: bool) -> cards.RosterView:
    rows = [
        cards.RosterRow("Children's Social Care", "Children's social care", True, "accepted", "Chris Chair", NOW, False, None),
        cards.RosterRow("Police (MASH)", "Police", True, "withdrawn" if not quorate else "accepted", "Olly Officer", NOW, not quorate,
                        "Called to an incident" if not quorate else None),
        cards.RosterRow("Health Safeguarding Team", "Health", True, "accepted", "Hana Health", NOW, False, None),
        cards.RosterRow("Education", "Education setting", False, "pending", None, None, False, None),
    ]  # fmt: skip
    escalations = [] if quorate else [cards.EscalationLine("Late withdrawal (SX 6.6)", NOW, ["Ina Inspector"], "Police (MASH)")]
    return cards.RosterView("d-1", "CR-1234", "Invitations sent", DEADLINE, "same day (SX 6.6)", NOW, NOW + timedelta(hours=6),
                            rows, quorate, [] if quorate else ["the police"], escalations, None, NOW)  # fmt: skip


def fields() -> list[FieldView]:
    return [
        FieldView("reason", "Reason", "multiline", True, value="x"),
        FieldView("note", "Note", "text"),
        FieldView("level", "Level of risk", "choice", True, (("low", "Low"), ("high", "High")), "low"),
        FieldView("who", "Who", "multichoice", False, (("a", "A"), ("b", "B"))),
        FieldView("present:1", "Pat Lead: present", "toggle", value="true"),
        FieldView("due", "By when", "date", error="I could not read 'blursday'"),
    ]


def all_cards() -> dict[str, dict[str, Any]]:
    mentions = [("29:ina", "Ina Inspector")]
    record = dict(discussion_id="d-1", case_ref="CR-1234", held_at=NOW, decisions=[("s47", "S47 joint", "Unexplained injuries")],
                  actions=[("See the child alone", "Sam Social", NOW + timedelta(days=1))], disagreements=["Pat Lead: single agency"],
                  circulate_by=NOW + timedelta(days=1), icpc_by=NOW + timedelta(days=21), recipients=["Pat Lead", "Dr Gina GP"])  # fmt: skip
    agenda = dict(discussion_id="d-1", case_ref="CR-1234", step_count=15, step_key="risk", title="Risk", prompt="Level of risk",
                  source="GM Roles", fields=fields())  # fmt: skip
    return {
        "help": cards.help_card(COMMANDS),
        "error": cards.error_card("I could not read that", "'wings' is not a flag code.", list(FLAGS)),
        "error-plain": cards.error_card("Only a chair can do that", "Ask your team manager."),
        **{f"notice-{style}": cards.notice_card("Title", ["line one", "line two"], style)
           for style in ("default", "good", "warning", "attention", "emphasis")},
        "summary-draft": cards.convene_summary(summary()),
        "summary-no-time": cards.convene_summary(summary(scheduled_for=None)),
        "summary-after-deadline": cards.convene_summary(summary(scheduled_for=DEADLINE + timedelta(days=1))),
        "summary-sent": cards.convene_summary(summary(invitations_sent=True, meeting_url="https://teams.example.test/l/x")),
        "summary-review-complex": cards.convene_summary(summary(kind="review", convene_by_note="Complex abuse: as soon as practicable")),
        "summary-overdue": cards.convene_summary(summary(now=DEADLINE + timedelta(hours=1))),
        "form-empty": cards.convene_form(cards.ConveneFormView({}, {}, list(CONCERNS.items()), list(FLAGS.items()),
                                                               [("teams", "Teams meeting"), ("phone", "Telephone")])),
        "form-errors": cards.convene_form(cards.ConveneFormView({"case_ref": "CR-1", "at": "blursday"}, {"at": "could not read"},
                                                                list(CONCERNS.items()), list(FLAGS.items()), [("teams", "Teams")])),
        "invitation-pending": cards.invitation(invitation()),
        "invitation-pending-no-colleagues": cards.invitation(invitation(colleagues=[], meeting_url=None, meeting_note="Link to follow")),
        "invitation-accepted": cards.invitation(invitation(status="accepted", responder_name="Pat Lead", responded_at=NOW)),
        "invitation-declined": cards.invitation(invitation(status="declined", responder_name="Pat Lead", responded_at=NOW, answer_reason="Court")),
        "invitation-withdrawn-late": cards.invitation(invitation(status="withdrawn", late=True, responder_name="Olly Officer",
                                                                responded_at=NOW, answer_reason="Incident")),
        "invitation-delegated": cards.invitation(invitation(status="delegated", delegated_to_name="Olly Officer")),
        "roster-quorate": cards.roster(roster(True)),
        "roster-inquorate": cards.roster(roster(False)),
        "escalation": cards.escalation_card(cards.EscalationView("Late withdrawal (SX 6.6)", "CR-1234", "Police withdrew late.",
                                                                 "Send a replacement.", mentions, NOW)),
        "meeting-police": meeting_card(MeetingView("d-1", "CR-1234", "Police (MASH)", NOW, "https://teams.example.test/l/x",
                                                   "Chris Chair", False, True, PROFESSIONAL_DIFFERENCE_STATEMENT)),
        "meeting-started": meeting_card(MeetingView("d-1", "CR-1234", "Education", NOW, None, "Chris Chair", True, False,
                                                    PROFESSIONAL_DIFFERENCE_STATEMENT)),
        "meeting-csc-absent": meeting_card(MeetingView("d-1", "CR-1234", "Health", NOW, None, "Chris Chair", False, True,
                                                       PROFESSIONAL_DIFFERENCE_STATEMENT, csc_absent_reported=True)),
        "agenda-first": agenda_card(AgendaView(step_index=0, **agenda)),
        "agenda-middle-error": agenda_card(AgendaView(step_index=6, error="Every decision needs its rationale.", notes=["s47: joint"],
                                                      extra_actions=[("Add action", "agenda_add_action")], **agenda)),
        "agenda-last": agenda_card(AgendaView(step_index=14, last=True, **agenda)),
        "action-open": action_card(ActionView("a-1", "CR-1234", "See the child alone", "Sam Social", "CSC", NOW, "Wishes", "open")),
        "action-done": action_card(ActionView("a-1", "CR-1234", "See the child alone", "Sam Social", "CSC", NOW, "Wishes", "done", NOW)),
        **disagreement_cards(),
        "record-approvable": record_card(RecordView(circulated_at=None, approvable=True, **record)),
        "record-circulated": record_card(RecordView(circulated_at=NOW, approvable=False, **record)),
    }  # fmt: skip


def disagreement_cards() -> dict[str, dict[str, Any]]:
    from dialogs.meeting import disagreement_card
    from dialogs.services import Services
    from procedure import load_profile
    from storage.models import Disagreement

    services = Services.build(load_profile())
    row = Disagreement(id="g-1", discussion_id="d-1", raised_by_name="Pat Lead", about="S47 threshold not met",
                       stage_index=0, resolve_by=NOW + timedelta(days=7))  # fmt: skip
    done = Disagreement(id="g-2", discussion_id="d-1", raised_by_name="Pat Lead", about="S47 threshold not met",
                        stage_index=1, resolve_by=NOW, resolved_at=NOW, resolution="Agreed")  # fmt: skip
    return {"disagreement-open": disagreement_card("CR-1234", row, None, services),
            "disagreement-resolved": disagreement_card("CR-1234", done, None, services)}


def activities() -> dict[str, dict[str, Any]]:
    return {"mention": cards.mention_message("<at>Ina Inspector</at> escalation for CR-1234", [("29:ina", "Ina Inspector")])}
