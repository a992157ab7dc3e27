"""Every verb an `Action.Execute` button of ours sends (Teams hands it back in the
`adaptiveCard/action` invoke). The card builders take these members and `dialogs.router`
registers one flow per member, so a verb cannot be emitted without a handler
(tests/test_verbs.py). The values are on cards already posted in Teams: renaming a member is
free, changing a value orphans the buttons of every card already sent.
"""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    # Convening (the chair)
    CONVENE_FORM = "convene_form"
    SEND_INVITATIONS = "send_invitations"
    # The invitation card (the agency, a delegate, or the chair)
    ACCEPT = "accept"
    DECLINE = "decline"
    DELEGATE = "delegate"
    WITHDRAW = "withdraw"
    # The roster (the chair)
    RECORD_ANSWER = "record_answer"
    STATUS = "status"
    # The agenda card (the chair)
    AGENDA_BACK = "agenda_back"
    AGENDA_NEXT = "agenda_next"
    AGENDA_ADD_ACTION = "agenda_add_action"
    # Meeting cards (partners)
    INFO_ADD = "info_add"
    DISAGREE = "disagree"
    RESOLVE_DISAGREEMENT = "resolve_disagreement"
    CSC_NOT_PRESENT = "csc_not_present"
    # The record and its actions
    APPROVE_CIRCULATION = "approve_circulation"
    ACTION_DONE = "action_done"
    RECORD_PDF = "record_pdf"
    # The learning and assurance report (chairs and duty managers)
    REPORT_FILE = "report_file"
