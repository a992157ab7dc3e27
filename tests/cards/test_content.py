"""What each card says and does: the contract's buttons with their verbs and data, the
deadline and its rule, warnings, errors, real @mentions, and nothing that names a child."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import cards
from cards.convene import CASE_REF_REGEX, FORM_FIELDS
from tests.cards import samples
from tests.cards.samples import DEADLINE, NOW, RULE, activities, all_cards

CARDS = all_cards()
ROOT = Path(__file__).resolve().parent.parent.parent


def walk(node: Any, prefix: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith(prefix):
            found.append(node)
        for value in node.values():
            found += walk(value, prefix)
    elif isinstance(node, list):
        for value in node:
            found += walk(value, prefix)
    return found


def texts(card: dict[str, Any]) -> str:
    """Everything a person reads on the card (text blocks, facts), one line each."""
    lines = [t["text"] for t in walk(card, "TextBlock")]
    lines += [f"{f['title']}: {f['value']}" for fs in walk(card, "FactSet") for f in fs["facts"]]
    return "\n".join(lines)


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's own buttons (not those inside a ShowCard)."""
    return list(card.get("actions", []))


def titles(card: dict[str, Any]) -> list[str]:
    return [b["title"] for b in buttons(card)]


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    [found] = [b for b in buttons(card) if b["title"] == title]
    return found


def containers(card: dict[str, Any], style: str) -> str:
    return "\n".join(texts({"body": c["items"]}) for c in walk(card, "Container") if c.get("style") == style)


# -- convene summary ---------------------------------------------------------------------------

def test_summary_asks_the_chair_to_send_the_invitations() -> None:
    card = CARDS["summary-draft"]
    assert titles(card) == ["Send invitations"]
    assert button(card, "Send invitations") == {"type": "Action.Execute", "title": "Send invitations", "verb": "send_invitations",
                                                "data": {"discussion_id": "d-1"}, "style": "positive"}  # fmt: skip
    words = texts(card)
    assert "Strategy discussion: CR-1234" in words
    assert "Hold by Mon 23 Nov 2026, 23:59 (14 h 59 min left)" in words
    assert f"Rule: {RULE}" in words
    assert "Proposed start: Mon 23 Nov 2026, 15:00 (Teams meeting)" in words
    assert "Next:" in words and "Send invitations" in words
    for line in samples.INVITEES:
        assert line.agency_name in words and line.reason in words and line.reach in words and line.kind_label in words
    assert "required" in words and "as needed" in words
    assert "Plan an interpreter or intermediary" in words
    assert "Referral received: Mon 23 Nov 2026, 08:40" in words


def test_summary_warns_in_red_when_the_start_is_after_the_deadline() -> None:
    red = containers(CARDS["summary-after-deadline"], "attention")
    assert "Proposed start Tue 24 Nov 2026, 23:59 is AFTER the deadline (Mon 23 Nov 2026, 23:59)" in red
    assert "AFTER" not in texts(CARDS["summary-draft"])


def test_summary_without_a_start_asks_for_one() -> None:
    card = CARDS["summary-no-time"]
    assert "No start time yet." in containers(card, "warning")
    [at] = [i for i in walk(card, "Input.") if i["id"] == "at"]
    assert at["isRequired"] and at["errorMessage"] and at["label"]
    assert titles(card) == ["Send invitations"]
    assert not [i for i in walk(CARDS["summary-draft"], "Input.")]


def test_summary_shows_an_overdue_deadline_and_the_rules_note() -> None:
    assert "Hold by Mon 23 Nov 2026, 23:59 (overdue by 1 h)" in containers(CARDS["summary-overdue"], "attention")
    assert "Complex abuse: as soon as practicable" in texts(CARDS["summary-review-complex"])
    assert "Review strategy discussion: CR-1234" in texts(CARDS["summary-review-complex"])


def test_summary_after_sending_has_no_button() -> None:
    card = CARDS["summary-sent"]
    assert not buttons(card) and not walk(card, "Action.")
    assert "Invitations sent" in containers(card, "good")
    assert "[Join the Teams meeting](https://teams.example.test/l/x)" in texts(card)


# -- convene form ------------------------------------------------------------------------------

def test_form_fields_and_button() -> None:
    card = CARDS["form-empty"]
    fields = {i["id"]: i for i in walk(card, "Input.")}
    assert tuple(fields) == FORM_FIELDS
    assert fields["case_ref"]["isRequired"] and fields["case_ref"]["regex"] == CASE_REF_REGEX
    assert fields["concerns"]["isMultiSelect"] and fields["flags"]["isMultiSelect"]
    assert fields["concerns"]["value"] == "significant-harm" and fields["format"]["value"] == "teams"
    assert [c["value"] for c in fields["format"]["choices"]] == ["teams", "phone", "in-person"]
    assert "today 09:30" in fields["referral"]["placeholder"]
    assert buttons(card) == [{"type": "Action.Execute", "title": "Convene", "verb": "convene_form", "data": {}, "style": "positive"}]
    assert not containers(card, "attention")


def test_form_case_reference_pattern_matches_the_servers() -> None:
    from dialogs.parse import CASE_REF

    assert CASE_REF.pattern == CASE_REF_REGEX
    assert all(re.match(CASE_REF_REGEX, ref) for ref in ("CR-1234", "2026/00123", "LA_77.3"))
    assert not any(re.match(CASE_REF_REGEX, ref) for ref in ("Jane Smith", "", "-12", "CR 1234"))


def test_form_shows_each_error_under_its_field_and_keeps_the_values() -> None:
    body = CARDS["form-every-error"]["body"]
    for key in FORM_FIELDS:
        [index] = [n for n, e in enumerate(body) if e.get("id") == key]
        following = body[index + 1]
        assert following["type"] == "TextBlock" and following["color"] == "Attention" and f"problem with {key}" in following["text"]
    assert "'x' is not a concern code" in texts(CARDS["form-every-error"])
    top = containers(CARDS["form-every-error"], "attention")
    assert "Nothing was saved" in top and "other: something else" in top
    fields = {i["id"]: i for i in walk(CARDS["form-every-error"], "Input.")}
    assert fields["case_ref"]["value"] == "CR 1" and fields["flags"]["value"] == "medical,school"
    assert fields["format"]["value"] == "phone" and "value" not in fields["concerns"]  # cleared stays cleared
    assert {i["id"]: i.get("value") for i in walk(CARDS["form-errors"], "Input.")}["at"] == "blursday"


# -- invitation --------------------------------------------------------------------------------

def show_card(card: dict[str, Any], title: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    action = button(card, title)
    assert action["type"] == "Action.ShowCard"
    inner = action["card"]
    [submit] = inner["actions"]
    return walk(inner["body"], "Input."), submit


def test_pending_invitation_offers_accept_decline_delegate() -> None:
    card = CARDS["invitation-pending"]
    data = {"invitation_id": "i-1"}
    assert titles(card) == ["Accept", "Decline", "Delegate"]
    accept = button(card, "Accept")
    assert (accept["type"], accept["verb"], accept["data"]) == ("Action.Execute", "accept", data)
    [reason], submit = show_card(card, "Decline")
    assert (reason["type"], reason["id"], reason["isRequired"]) == ("Input.Text", "decline_reason", True)
    assert reason["label"] and reason["errorMessage"]
    assert (submit["type"], submit["verb"], submit["data"]) == ("Action.Execute", "decline", data)
    [choice], submit = show_card(card, "Delegate")
    assert (choice["type"], choice["id"], choice["isRequired"]) == ("Input.ChoiceSet", "delegate_to", True)
    assert [(c["value"], c["title"]) for c in choice["choices"]] == [("pat", "Pat Lead"), ("olly", "Olly Officer")]
    assert (submit["type"], submit["verb"], submit["data"]) == ("Action.Execute", "delegate", data)
    words = texts(card)
    for fact in ("When: Mon 23 Nov 2026, 15:00", "Format: Teams meeting", "Chair: Chris Chair", "Your agency: Police (MASH) (required)"):
        assert fact in words
    assert "statutory partner: the police" in words and "What we ask:" in words
    assert "Please answer now: the discussion starts in 6 h." in containers(card, "warning")
    assert "Withdraw" not in json.dumps(card)


def test_invitation_variants_while_pending() -> None:
    assert titles(CARDS["invitation-pending-no-colleagues"]) == ["Accept", "Decline"]  # nobody to delegate to
    assert "Link to follow" in texts(CARDS["invitation-pending-no-colleagues"])
    no_time = texts(CARDS["invitation-pending-no-time"])
    assert "When: not set" in no_time and "the chair will confirm the time" in no_time and "(as needed)" in no_time
    assert "Review strategy discussion: CR-1234" in no_time


def test_accepted_invitation_offers_withdraw_with_the_late_warning() -> None:
    card = CARDS["invitation-accepted"]
    assert titles(card) == ["Withdraw"]
    assert "✅ Accepted" in containers(card, "good") and "By Pat Lead, Mon 23 Nov 2026, 09:00." in containers(card, "good")
    [reason], submit = show_card(card, "Withdraw")
    assert (reason["id"], reason["isRequired"]) == ("withdraw_reason", True) and reason["label"] and reason["errorMessage"]
    assert (submit["type"], submit["verb"], submit["data"]) == ("Action.Execute", "withdraw", {"invitation_id": "i-1"})
    warning = texts(card)
    assert "late withdrawal" in warning and "escalated to your agency lead" in warning
    assert "within 24 hours of the start" in texts(CARDS["invitation-accepted-window"])


@pytest.mark.parametrize(("name", "label", "who", "reason", "late"), [
    ("invitation-declined", "❌ Declined", "Pat Lead", "Court", False),
    ("invitation-declined-late", "❌ Declined (late)", "Pat Lead", "Court", True),
    ("invitation-withdrawn", "⚠️ Withdrawn", "Pat Lead", "Rota change", False),
    ("invitation-withdrawn-late", "⚠️ Withdrawn (late)", "Olly Officer", "Incident", True),
])  # fmt: skip
def test_declined_and_withdrawn_show_who_when_why(name: str, label: str, who: str, reason: str, late: bool) -> None:
    card = CARDS[name]
    red = containers(card, "attention")
    assert red.splitlines()[0] == label
    assert f"By {who}, Mon 23 Nov 2026, 09:00." in red and f"Reason: {reason}" in red
    assert ("agency lead have been told" in red) is late
    assert titles(card) == ["Accept"] and button(card, "Accept")["verb"] == "accept"  # a change of mind


def test_a_channel_copy_keeps_the_free_text_reason_out() -> None:
    card = CARDS["invitation-withdrawn-late-channel"]
    assert "Incident" not in json.dumps(card)
    red = containers(card, "attention")
    assert "⚠️ Withdrawn (late)" in red and "A reason was given to the chair." in red and "By Olly Officer" in red


def test_delegated_invitation_names_the_delegate_and_keeps_the_buttons() -> None:
    card = CARDS["invitation-delegated"]
    assert "Delegated to Olly Officer, who should answer below." in texts(card)
    assert titles(card) == ["Accept", "Decline", "Delegate"]


# -- roster and escalations --------------------------------------------------------------------

def test_roster_lines_quorum_time_left_and_refresh() -> None:
    card = CARDS["roster-inquorate"]
    lines = {}
    for row in walk(card, "ColumnSet"):
        left, right = row["columns"]
        lines[left["items"][0]["text"]] = right["items"][0]["text"]
    assert lines == {
        "**Children's Social Care**": "✅ Accepted",
        "**Police (MASH)**": "⚠️ Withdrawn (late)",
        "**Health Safeguarding Team**": "✅ Accepted",
        "**Education** (as needed)": "⏳ Awaiting reply",
        "**Adult Services** (as needed)": "❌ Declined",
        "**Community Paediatrics**": "➡️ Delegated, awaiting reply",
    }
    red = containers(card, "attention")
    assert "INQUORATE" in red and "Missing: the police" in red
    words = texts(card)
    assert "Hold by Mon 23 Nov 2026, 23:59 (14 h 59 min left)" in words and f"Rule: {RULE}" in words
    assert "Starts Mon 23 Nov 2026, 15:00 (starts in 6 h)" in words
    assert "Olly Officer, Mon 23 Nov 2026, 09:00: Called to an incident" in words
    assert "🔔 Mon 23 Nov 2026, 09:00 · Police (MASH): Late withdrawal (SX 6.6). Told: Ina Inspector" in words
    assert "Inquorate before the start. Told: nobody reachable" in words
    assert buttons(card) == [{"type": "Action.Execute", "title": "Refresh", "verb": "status", "data": {"discussion_id": "d-1"}}]
    assert "QUORATE" in containers(CARDS["roster-quorate"], "good")
    assert not containers(CARDS["roster-quorate"], "attention") and "Escalations" not in texts(CARDS["roster-quorate"])


def test_roster_says_the_chairs_next_step_and_when_an_agency_answered_without_a_person() -> None:
    """Found looking at the Playground: the roster gave no next step, and a row the chair
    answered for (no person of the agency) said nothing about when."""
    assert "**Next:** chase the missing agencies (an answer by phone or e-mail: **Record answer**); then type " \
           "**start CR-1234** when the discussion begins." in texts(cards.roster(samples.roster(False, state="invited")))
    assert "**Next:** type **start CR-1234** when the discussion begins." in texts(cards.roster(samples.roster(True, state="invited")))
    unreached = dataclasses.replace(samples.roster(False).rows[3], delivery="failed", contact="Ed Educator on 01632 960023")
    words = texts(cards.roster(samples.roster(False, state="invited", rows=[unreached])))
    assert "**Next:** phone the agencies not reached and press **Record answer** with what they say" in words
    quorate_unreached = samples.roster(True, state="invited", rows=[*samples.roster(True).rows, unreached])
    assert "**Next:** type **start CR-1234** when the discussion begins. Agencies not reached: phone them if you need " \
           "them, then **Record answer**." in texts(cards.roster(quorate_unreached))
    assert "type **close CR-1234**" in texts(cards.roster(samples.roster(True, state="in_progress")))
    assert "Next:" not in texts(cards.roster(samples.roster(True)))  # no state: not the chair's copy
    assert "Next:" not in texts(cards.roster(samples.roster(True, state="closed")))
    for_agency = dataclasses.replace(samples.roster(True).rows[1], person_name=None)
    assert "Answered Mon 23 Nov 2026, 09:00" in texts(cards.roster(samples.roster(True, rows=[for_agency])))


def test_roster_overdue_and_without_a_start() -> None:
    words = texts(CARDS["roster-overdue-no-time"])
    assert "(overdue by 1 h 5 min)" in words and "Start time not set" in words
    assert "No agencies invited yet." in texts(CARDS["roster-empty"])


def test_escalation_card_mentions_are_real() -> None:
    for name, people in (("escalation", ["Ina Inspector"]), ("escalation-two-no-time", ["Ina Inspector", "Dee Duty"])):
        card = CARDS[name]
        entities = card["msteams"]["entities"]
        assert [e["mentioned"]["name"] for e in entities] == people
        shown = texts(card)
        for e in entities:
            assert e["type"] == "mention" and e["text"] == f"<at>{e['mentioned']['name']}</at>" and e["text"] in shown
            assert e["mentioned"]["id"].startswith("29:")
    words = texts(CARDS["escalation"])
    assert "Case CR-1234 · Mon 23 Nov 2026, 09:00" in words and "What to do:** Send a replacement." in words
    assert "Late withdrawal (SX 6.6)" in containers(CARDS["escalation"], "attention")


def test_mention_message_is_a_teams_activity_with_mention_entities() -> None:
    message = activities()["mention"]
    assert message == {"type": "message", "text": "<at>Ina Inspector</at> escalation for CR-1234",
                       "entities": [{"type": "mention", "text": "<at>Ina Inspector</at>",
                                     "mentioned": {"id": "29:ina", "name": "Ina Inspector"}}]}  # fmt: skip
    untagged = activities()["mention-untagged"]
    assert untagged["text"] == "<at>Ina Inspector</at> <at>Dee Duty</at> escalation for CR-1234"
    assert all(e["text"] in untagged["text"] for e in untagged["entities"]) and len(untagged["entities"]) == 2


# -- common cards ------------------------------------------------------------------------------

def test_error_card_says_what_and_lists_the_choices() -> None:
    card = CARDS["error"]
    red = containers(card, "attention")
    assert "⚠️ I could not read that" in red and "'wings' is not a flag code." in red
    assert all(f"- {code}" in red for code in ("medical", "position-of-trust", "other-la"))
    assert not walk(card, "Action.") and not walk(card, "Input.")
    assert "Valid choices" not in texts(CARDS["error-plain"])


def test_notice_help_and_attachment() -> None:
    assert containers(CARDS["notice-good"], "good").splitlines() == ["Title", "line one", "line two"]
    assert [c["style"] for c in walk(CARDS["notice-no-such-style"], "Container")] == ["default"]
    words = texts(CARDS["help"])
    for command in ("convene CASE_REF", "status CASE_REF", "start CASE_REF", "close CASE_REF", "review CASE_REF", "help"):
        assert command in words
    card = CARDS["help"]
    assert cards.attachment(card) == {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}


# -- across every card -------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CARDS))
def test_buttons_carry_a_verb_and_ids_and_inputs_are_labelled(name: str) -> None:
    for action in walk(CARDS[name], "Action."):
        assert action["type"] in ("Action.Execute", "Action.ShowCard"), action  # never Action.Submit
        if action["type"] == "Action.Execute":
            assert action.get("verb") and isinstance(action.get("data"), dict), action
            if action["verb"] not in ("convene_form", "report_file"):  # about no one thing (report_file: a period)
                assert any(k.endswith("_id") for k in action["data"]), action
    for element in walk(CARDS[name], "Input."):
        assert element.get("label") or element["type"] == "Input.Toggle", element
        if element.get("isRequired"):
            assert element.get("label") and element.get("errorMessage"), element


def test_the_contract_buttons() -> None:
    assert "Send invitations" in titles(CARDS["summary-draft"]) and "Send invitations" not in titles(CARDS["summary-sent"])
    assert titles(CARDS["invitation-pending"]) == ["Accept", "Decline", "Delegate"]
    assert titles(CARDS["invitation-accepted"]) == ["Withdraw"]
    assert "CSC not present" in titles(CARDS["meeting-police"]) and "CSC not present" not in titles(CARDS["meeting-started"])
    assert "Approve circulation" in titles(CARDS["record-approvable"]) and "Approve circulation" not in titles(CARDS["record-circulated"])
    assert "Mark done" in titles(CARDS["action-open"]) and "Mark done" not in titles(CARDS["action-done"])


# -- confidentiality ---------------------------------------------------------------------------

# The only names a card carries are professionals' and agencies'. A field for anything that
# identifies a child (or any new *_name) must be argued for here first.
PROFESSIONAL_NAMES = {"agency_name", "chair_name", "responder_name", "delegated_to_name", "person_name", "owner_name"}
IDENTIFYING = re.compile(r"child|forename|surname|first_name|last_name|full_name|dob|birth|address|postcode|nhs|family|parent|subject")


def test_views_have_no_field_that_could_carry_a_childs_name() -> None:
    import cards.meeting
    import cards.record

    views = {cls for module in (cards.views, cards.meeting, cards.record) for cls in vars(module).values()
             if dataclasses.is_dataclass(cls)}  # fmt: skip
    assert len(views) >= 16
    for view in views:
        for f in dataclasses.fields(view):
            assert not IDENTIFYING.search(f.name), f"{view.__name__}.{f.name}"
            if "name" in f.name:
                assert f.name in PROFESSIONAL_NAMES, f"{view.__name__}.{f.name}: whose name is this?"
    assert tuple(i["id"] for i in walk(CARDS["form-empty"], "Input.")) == FORM_FIELDS  # nothing asks for a name


def test_cards_are_pure_and_import_nothing_of_ours() -> None:
    allowed = {"__future__", "dataclasses", "datetime", "typing", "collections", "cards", "enum",
               "json"}  # json: a record card measures its own size (Teams' 28 KB limit)
    allowed_modules = {"procedure.states"}  # the states' StrEnums: a leaf that imports nothing
    for path in (ROOT / "cards").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []  # fmt: skip
            for name in names:
                # procedure.times: the one formatter of times people read (stdlib only, a leaf).
                assert name.split(".")[0] in allowed or name in allowed_modules or name == "procedure.times", \
                    f"{path.name} imports {name}"


def test_building_a_card_twice_gives_equal_independent_dicts() -> None:
    view = samples.summary(now=NOW + timedelta(minutes=1), convene_by=DEADLINE)
    first, second = cards.convene_summary(view), cards.convene_summary(view)
    assert first == second
    first["body"].clear()
    assert second["body"] and cards.convene_summary(view) == second


def test_the_meeting_card_tells_one_state() -> None:
    """Before the start only 'Starts ...'; after the chair's start 'Started HH:MM by the chair';
    after close 'Closed' and no Add information (issue #10)."""
    waiting, started, closed = (texts(CARDS[n]) for n in ("meeting-police", "meeting-started", "meeting-closed"))
    assert "Starts Mon 23 Nov 2026, 09:00" in waiting and "Started" not in waiting and "Closed" not in waiting
    assert "Started 09:02 by the chair" in started and "Starts" not in started
    assert "Closed Mon 23 Nov 2026, 10:00" in closed and "Start" not in closed
    assert "Add information" not in titles(CARDS["meeting-closed"]) and "CSC not present" not in titles(CARDS["meeting-closed"])
