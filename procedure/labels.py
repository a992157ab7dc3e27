"""The words a record uses for the codes the bot stores (PROCEDURE section 6: the record is read
by people, at the conference and in the child's file, so it says things in words, not codes)."""

from __future__ import annotations

from procedure.agenda import DECISION_TOPICS

# Decision topic -> (title, {outcome code: how the record says it}).
DECISION_WORDS: dict[str, tuple[str, dict[str, str]]] = {
    "family-assessment": ("Family Assessment", {"yes": "To be carried out", "no": "Not to be carried out"}),
    "s47": ("Section 47 enquiry", {"none": "None", "single": "Single-agency (children's social care)",
                                   "joint": "Joint with the police"}),
    "criminal-investigation": ("Criminal investigation", {"yes": "To be carried out", "no": "None"}),
    "abe-interview": ("ABE (Achieving Best Evidence) interview", {"yes": "To be held", "no": "Not to be held"}),
    "medical": ("Medical assessment", {"needed": "Needed", "not-needed": "Not needed"}),
}  # fmt: skip

FORMAT_WORDS: dict[str, str] = {"teams": "Teams meeting", "phone": "Telephone", "in-person": "In person"}

KIND_WORDS: dict[str, str] = {"initial": "Initial strategy discussion", "review": "Review strategy discussion"}

STATUS_WORDS: dict[str, str] = {
    "draft": "Convened, invitations not sent",
    "inviting": "Invitations sent",
    "invited": "Invitations sent",
    "in_progress": "In progress",
    "closed": "Closed",
    "cancelled": "Cancelled",
}

ANSWER_WORDS: dict[str, str] = {
    "pending": "No answer",
    "accepted": "Accepted",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "delegated": "Delegated",
}

ESCALATION_WORDS: dict[str, str] = {
    "late_withdrawal": "Late withdrawal",
    "inquorate": "Not quorate before the start",
    "csc_absent": "Children's social care absent",
    "deadline_at_risk": "Convene-by deadline at risk",
    "overdue_action": "Action overdue",
    "disagreement": "Professional disagreement not resolved in time",
    "circulation_overdue": "Record not circulated in time",
    "no_response": "No answer to an invitation",
}


def decision_words(topic: str, outcome: str) -> tuple[str, str]:
    """('Section 47 enquiry', 'Joint with the police'); unknown codes fall back to the agenda's
    own choice labels, then to the code with its hyphens made spaces."""
    title, outcomes = DECISION_WORDS.get(topic, (topic.replace("-", " ").capitalize(), {}))
    if outcome in outcomes:
        return title, outcomes[outcome]
    return title, dict(DECISION_TOPICS.get(topic, ())).get(outcome, outcome.replace("-", " "))


def words(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return table.get(code, code.replace("_", " ").replace("-", " "))
