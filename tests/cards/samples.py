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
    action_card,
    agenda_card,
    meeting_card,
)
from cards.record import (
    Entry,
    Part,
    RecordButton,
    RecordDoc,
    Section,
    record_cards,
)
from cards.report import ReportCardView, report_card
from cards.verbs import Verb
from dialogs.router import COMMANDS
from procedure import CONCERNS, FLAGS, PROFESSIONAL_DIFFERENCE_STATEMENT

L = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=L)  # Monday
DEADLINE = datetime(2026, 11, 23, 23, 59, tzinfo=L)
RULE = "same day as the referral: serious physical injury (SX 6.6 Timing)"
FORMATS = [("teams", "Teams meeting"), ("phone", "Telephone"), ("in-person", "In person")]
INVITEES = [
    cards.InviteeLine("police", "Police (MASH)", "Police", "statutory partner: the police", True, "new thread in Police (MASH)'s Teams channel"),
    cards.InviteeLine("paediatrics", "Community Paediatrics", "Paediatrician", "significant medical implications", True, "personal chat with Dr Pia Paed"),
    cards.InviteeLine("", "Education setting (not in the directory)", "Education setting", "the child attends a school", False, "no Teams contact: the chair must invite by phone"),
]  # fmt: skip


def summary(**overrides: Any) -> cards.ConveneSummary:
    values: dict[str, Any] = dict(
        discussion_id="d-1", case_ref="CR-1234", kind="initial", referral_at=NOW - timedelta(minutes=20),
        concerns=[CONCERNS["serious-injury"]], flags=[FLAGS["medical"], FLAGS["school"]], convene_by=DEADLINE,
        convene_by_rule=RULE, convene_by_note=None,
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


def roster(quorate: bool, **overrides: Any) -> cards.RosterView:
    rows = [
        cards.RosterRow("Children's Social Care", "Children's social care", True, "accepted", "Chris Chair", NOW, False, None),
        cards.RosterRow("Police (MASH)", "Police", True, "withdrawn" if not quorate else "accepted", "Olly Officer", NOW, not quorate,
                        "Called to an incident" if not quorate else None),
        cards.RosterRow("Health Safeguarding Team", "Health", True, "accepted", "Hana Health", NOW, False, None),
        cards.RosterRow("Education", "Education setting", False, "pending", None, None, False, None),
        cards.RosterRow("Adult Services", "Adult services", False, "declined", "Ada Adult", NOW, False, "On leave"),
        cards.RosterRow("Community Paediatrics", "Paediatrician", True, "delegated", "Dr Pia Paed", None, False, None),
    ]  # fmt: skip
    escalations = [] if quorate else [cards.EscalationLine("Late withdrawal (SX 6.6)", NOW, ["Ina Inspector"], "Police (MASH)"),
                                      cards.EscalationLine("Inquorate before the start", NOW, [], None)]  # fmt: skip
    values: dict[str, Any] = dict(
        discussion_id="d-1", case_ref="CR-1234", status="Invitations sent", convene_by=DEADLINE, convene_by_rule=RULE,
        now=NOW, scheduled_for=NOW + timedelta(hours=6), rows=rows, quorate=quorate,
        missing=[] if quorate else ["the police"], escalations=escalations, meeting_url=None, updated_at=NOW,
    )  # fmt: skip
    values.update(overrides)
    return cards.RosterView(**values)


def fields() -> list[FieldView]:
    return [
        FieldView("reason", "Reason", "multiline", True, value="x"),
        FieldView("note", "Note", "text"),
        FieldView("level", "Level of risk", "choice", True, (("low", "Low"), ("high", "High")), "low"),
        FieldView("who", "Who", "multichoice", False, (("a", "A"), ("b", "B"))),
        FieldView("present:1", "Pat Lead: present", "toggle", value="true"),
        FieldView("due", "By when", "date", error="I could not read 'blursday'"),
    ]


def form(values: dict[str, str], errors: dict[str, str]) -> cards.ConveneFormView:
    return cards.ConveneFormView(values, errors, list(CONCERNS.items()), list(FLAGS.items()), FORMATS)


# Every agency kind invited at once, with long reasons: the largest summary a chair can get.
MANY = [cards.InviteeLine(f"agency-{n}", f"Agency number {n} with a long name", "Specialist", "x" * 300, n % 2 == 0,
                          "personal chat with " + ", ".join(f"Person {k}" for k in range(8))) for n in range(20)]  # fmt: skip


def convene_cards() -> dict[str, dict[str, Any]]:
    all_errors = {key: f"problem with {key}" for key in ("case_ref", "referral", "concerns", "flags", "action", "at", "format")}
    return {
        "summary-draft": cards.convene_summary(summary()),
        "summary-no-time": cards.convene_summary(summary(scheduled_for=None)),
        "summary-after-deadline": cards.convene_summary(summary(scheduled_for=DEADLINE + timedelta(days=1))),
        "summary-sent": cards.convene_summary(summary(invitations_sent=True, meeting_url="https://teams.example.test/l/x")),
        "summary-review-complex": cards.convene_summary(summary(kind="review", convene_by_note="Complex abuse: as soon as practicable")),
        "summary-overdue": cards.convene_summary(summary(now=DEADLINE + timedelta(hours=1))),
        "summary-nothing-flagged": cards.convene_summary(summary(concerns=[], flags=[], invitees=[], planning_notes=[], meeting_note=None)),
        "summary-largest": cards.convene_summary(summary(invitees=MANY, flags=list(FLAGS.values()), concerns=list(CONCERNS.values()),
                                                         planning_notes=["y" * 200] * 5)),
        "form-empty": cards.convene_form(form({}, {})),
        "form-errors": cards.convene_form(form({"case_ref": "CR-1", "at": "blursday"}, {"at": "could not read"})),
        "form-every-error": cards.convene_form(form({"case_ref": "CR 1", "concerns": "", "flags": "medical,school", "format": "phone"},
                                                    {**all_errors, "concern": "'x' is not a concern code", "other": "something else"})),
    }  # fmt: skip


RECORD_FORM = cards.RecordAnswerForm("d-1", [("i-1", "Education"), ("i-2", "Police (MASH)")], "i-1")


def invitation_cards() -> dict[str, dict[str, Any]]:
    answered = dict(responder_name="Pat Lead", responded_at=NOW, private_copy=True)
    return {
        "invitation-pending": cards.invitation(invitation()),
        "invitation-pending-no-colleagues": cards.invitation(invitation(colleagues=[], meeting_url=None, meeting_note="Link to follow")),
        "invitation-pending-no-time": cards.invitation(invitation(scheduled_for=None, kind="review", required=False)),
        "invitation-accepted": cards.invitation(invitation(status="accepted", **answered)),
        "invitation-accepted-window": cards.invitation(invitation(status="accepted", late_window_hours=24, **answered)),
        "invitation-declined": cards.invitation(invitation(status="declined", answer_reason="Court", **answered)),
        "invitation-declined-late": cards.invitation(invitation(status="declined", late=True, answer_reason="Court", **answered)),
        "invitation-withdrawn": cards.invitation(invitation(status="withdrawn", answer_reason="Rota change", **answered)),
        "invitation-withdrawn-late": cards.invitation(invitation(status="withdrawn", late=True, responder_name="Olly Officer",
                                                                responded_at=NOW, answer_reason="Incident", private_copy=True)),
        "invitation-withdrawn-late-channel": cards.invitation(invitation(status="withdrawn", late=True, responder_name="Olly Officer",
                                                                        responded_at=NOW, answer_reason="Incident")),
        "invitation-delegated": cards.invitation(invitation(status="delegated", delegated_to_name="Olly Officer")),
        "invitation-answer-by": cards.invitation(invitation(answer_by=NOW + timedelta(minutes=45))),
        "invitation-tentative": cards.invitation(invitation(status="tentative", answer_by=NOW + timedelta(minutes=45))),
    }  # fmt: skip


def roster_cards() -> dict[str, dict[str, Any]]:
    mentions = [("29:ina", "Ina Inspector"), ("29:dee", "Dee Duty")]
    return {
        "roster-quorate": cards.roster(roster(True)),
        "roster-inquorate": cards.roster(roster(False)),
        "roster-overdue-no-time": cards.roster(roster(False, now=DEADLINE + timedelta(minutes=65), scheduled_for=None, missing=[],
                                                      meeting_url="https://teams.example.test/l/x")),
        "roster-empty": cards.roster(roster(False, rows=[], escalations=[])),
        "roster-delivery": cards.roster(roster(False, not_delivered=1, record_form=RECORD_FORM, rows=[
            cards.RosterRow("Education", "Education setting", False, "pending", None, None, False, None,
                            delivery="failed", contact="Ed Educator (DSL) on 01632 960005"),
            cards.RosterRow("GP Practices", "GP", False, "pending", None, None, False, None, delivery="retrying",
                            contact="Dr Gina GP (GP Safeguarding Lead) on 01632 960006"),
            cards.RosterRow("Police (MASH)", "Police", True, "accepted", "Chris Chair", NOW, False, None,
                            delivery="delivered", recorded_by="Chris Chair", source="chair"),
            cards.RosterRow("Health", "Health", True, "tentative", None, NOW, False, None, source="calendar"),
        ])),
        "delivery-notice": cards.delivery_notice("CR-1234: the invitation to Education is delayed",
                                                 ["Teams answered 503.", "Phone Ed Educator on 01632 960005."],
                                                 "warning", RECORD_FORM),
        "cases": cards.cases_card(cards.CasesView("Your open discussions", "Newest first", [
            cards.CaseLine("CR-1234", "invited", "starts 15:00 on Mon 23 Nov", ["confirmation from the police"],
                           ["inquorate"]),
            cards.CaseLine("CR-77", "draft", "hold by 23:59 on Wed 25 Nov", ["invitations not sent"]),
        ], "You have no open discussions.", more=True)),
        "cases-empty": cards.cases_card(cards.CasesView("Cases at risk", "Police", [], "No case is at risk.")),
        "escalation": cards.escalation_card(cards.EscalationView("Late withdrawal (SX 6.6)", "CR-1234", "Police withdrew late.",
                                                                 "Send a replacement.", mentions[:1], NOW)),
        "escalation-two-no-time": cards.escalation_card(cards.EscalationView("CSC absent", "CR-1234", "CSC is not present.",
                                                                             "Send a CSC manager now.", mentions)),
    }  # fmt: skip


def common_cards() -> dict[str, dict[str, Any]]:
    return {
        "help": cards.help_card(COMMANDS),
        # A 1x1 PNG stands for the chart (the real one is drawn by dialogs/charts.py).
        "report": report_card(ReportCardView(
            "Strategy discussions: learning and assurance, 01/09/2026 to 30/11/2026",
            [("Discussions sent", "12"), ("Held by the convene-by deadline", "9 of 11 due (82%)")],
            "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
            "sdbot report --format html --out report.html", {"from": "2026-09-01", "to": "2026-11-30"})),
        "error": cards.error_card("I could not read that", "'wings' is not a flag code.", list(FLAGS)),
        "error-plain": cards.error_card("Only a chair can do that", "Ask your team manager."),
        **{f"notice-{style}": cards.notice_card("Title", ["line one", "", "line two"], style)
           for style in ("default", "good", "warning", "attention", "emphasis", "no-such-style")},
    }  # fmt: skip


def meeting_cards() -> dict[str, dict[str, Any]]:
    doc = RecordDoc("CR-1234", (Part("Initial strategy discussion, Mon 23 Nov 2026, 09:00",
                                     (("Case reference", "CR-1234"), ("Held", "Mon 23 Nov 2026, 09:00")),
                                     (Section("decisions", "8. Decisions", (Entry("Section 47 enquiry", "Joint with the police",
                                                                                  (("Rationale", "Unexplained injuries"),)),)),
                                      Section("other-children", "6. Other children"),
                                      Section("invitations", "Invitations", (Entry("Police (MASH)", "Withdrawn", flag="Late"),)))),))  # fmt: skip
    approve = RecordButton("Approve circulation", Verb.APPROVE_CIRCULATION, {"discussion_id": "d-1"}, "positive")
    download = RecordButton("Download PDF", Verb.RECORD_PDF, {"discussion_id": "d-1"})
    long_doc = RecordDoc("CR-1234", (Part("Initial strategy discussion", (("Case reference", "CR-1234"),),
                                          (Section("information", "4. Information", tuple(Entry(f"Agency {n}", "é" * 4000)
                                                                                          for n in range(12))),)),))  # fmt: skip
    agenda = dict(discussion_id="d-1", case_ref="CR-1234", step_count=15, step_key="risk", title="Risk", prompt="Level of risk",
                  source="GM Roles", fields=fields())  # fmt: skip
    return {
        "meeting-police": meeting_card(MeetingView("d-1", "CR-1234", "Police (MASH)", NOW, "https://teams.example.test/l/x",
                                                   "Chris Chair", "waiting", True, PROFESSIONAL_DIFFERENCE_STATEMENT)),
        "meeting-started": meeting_card(MeetingView("d-1", "CR-1234", "Education", NOW, None, "Chris Chair", "started", False,
                                                    PROFESSIONAL_DIFFERENCE_STATEMENT, started_at=NOW + timedelta(minutes=2))),
        "meeting-closed": meeting_card(MeetingView("d-1", "CR-1234", "Police (MASH)", NOW, None, "Chris Chair", "closed", True,
                                                   PROFESSIONAL_DIFFERENCE_STATEMENT, started_at=NOW, closed_at=NOW + timedelta(hours=1))),
        "meeting-csc-absent": meeting_card(MeetingView("d-1", "CR-1234", "Health", NOW, None, "Chris Chair", "waiting", True,
                                                       PROFESSIONAL_DIFFERENCE_STATEMENT, csc_absent_reported=True)),
        "agenda-first": agenda_card(AgendaView(step_index=0, **agenda)),
        "agenda-middle-error": agenda_card(AgendaView(step_index=6, error="Every decision needs its rationale.", notes=["s47: joint"],
                                                      extra_actions=[("Add action", Verb.AGENDA_ADD_ACTION)], **agenda)),
        "agenda-last": agenda_card(AgendaView(step_index=14, last=True, **agenda)),
        "agenda-notice": agenda_card(AgendaView(step_index=1, notice="Not found in the directory: Zed Guest.", **agenda)),
        "action-open": action_card(ActionView("a-1", "CR-1234", "See the child alone", "Sam Social", "CSC", NOW, "Wishes", "open")),
        "action-done": action_card(ActionView("a-1", "CR-1234", "See the child alone", "Sam Social", "CSC", NOW, "Wishes", "done", NOW)),
        **disagreement_cards(),
        "record-approvable": record_cards(doc, [approve, download], ["Goes to: Pat Lead, Dr Gina GP"])[0],
        "record-circulated": record_cards(doc, [download], ["Circulated to: Pat Lead, Dr Gina GP"])[0],
        "record-no-download": record_cards(doc, [], ["Circulated to: Pat Lead"])[0],
        **{f"record-split-{n}": c for n, c in enumerate(record_cards(long_doc, [approve, download]), 1)},
    }  # fmt: skip


def channel_cards() -> dict[str, dict[str, Any]]:
    """The cards of `cards.channel` messages (the only ones a channel receives)."""
    answered = dict(responder_name="Pat Lead", responded_at=NOW, answer_reason="Court", private_copy=True)
    messages = {
        "channel-invitation-withdrawn": cards.channel_invitation(invitation(status="withdrawn", late=True, **answered)),
        "channel-invitation-pending": cards.channel_invitation(invitation()),
        "channel-action": cards.channel_action(ActionView("a-1", "CR-1234", "See the child alone", "Sam Social", "CSC", NOW,
                                                          "Wishes", "open")),
        "channel-escalation": cards.channel_escalation(cards.EscalationView("CSC absent", "CR-1234", "CSC is not present.",
                                                                            "Send a CSC manager now.", [("29:dee", "Dee Duty")], NOW)),
        "channel-help": cards.channel_help(COMMANDS),
        "channel-digest": cards.channel_digest(cards.DigestView("Daily digest Tue 24 Nov: 2 case(s) at risk",
                                                                [("inquorate", ["CR-1", "CR-2"]), ("csc absent", [])],
                                                                "Only the newest 50 are counted.", True)),
    }  # fmt: skip
    return {name: message.card for name, message in messages.items() if message.card is not None}


def all_cards() -> dict[str, dict[str, Any]]:
    return {**common_cards(), **convene_cards(), **invitation_cards(), **roster_cards(), **meeting_cards(),
            **channel_cards()}  # fmt: skip


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
    return {
        "mention": cards.mention_message("<at>Ina Inspector</at> escalation for CR-1234", [("29:ina", "Ina Inspector")]),
        "mention-untagged": cards.mention_message("escalation for CR-1234", [("29:ina", "Ina Inspector"), ("29:dee", "Dee Duty")]),
    }
