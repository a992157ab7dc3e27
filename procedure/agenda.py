"""The chair's agenda (PROCEDURE section 5) as data, the decisions it records, and the rule
that a medical assessment is never decided by social care and police alone."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from procedure.codes import MEDICAL_DECISION_KINDS

# Verbatim from the Pan-Sussex procedures, 6.6 "Professional Difference at a Strategy Discussion".
PROFESSIONAL_DIFFERENCE_STATEMENT = (
    "It is acknowledged that when working in the arena of safeguarding, it is inevitable that from time "
    "to time there will be professional differences. This is a positive activity and a sign of good "
    "professional practice and effective multi-agency working. During this meeting practitioners, "
    "irrespective of their seniority are encouraged to say if they feel that decisions, practice or "
    "actions do not effectively ensure the safety or well-being of the child/children."
)


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str  # text | multiline | choice | multichoice | toggle | date
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AgendaStep:
    key: str
    number: int
    title: str
    prompt: str
    source: str
    fields: tuple[Field, ...]
    chair_only: bool = True


def _m(key: str, label: str, required: bool = False) -> Field:
    return Field(key, label, "multiline", required)


RISK_LEVELS = (("low", "Low"), ("medium", "Medium"), ("high", "High"), ("immediate", "Immediate danger"))

AGENDA: tuple[AgendaStep, ...] = tuple(
    AgendaStep(key, n, title, prompt, source, fields)
    for n, (key, title, prompt, source, fields) in enumerate((
        ("attendance", "Attendance", "Who is present (name, job role, agency); apologies and reasons.", "SX 6.6; GM Recording", ()),
        ("difference-statement", "Professional Difference Statement", "Read the statement out at the start.", "SX 6.6 Professional Difference", ()),
        ("reason", "Reason for the discussion", "Why this discussion, and any immediate action already taken.", "SX 6.6 Purpose",
         (_m("reason", "Reason for the strategy discussion", True), _m("action_taken", "Immediate action already taken"))),
        ("information", "Information from each agency", "Each agency shares what it knows, including history and other areas if the family moved.", "SX 6.6 Purpose; GM Roles",
         (_m("summary", "Chair's summary of the information shared"),)),
        ("voice-of-child", "Voice of the child", "Lived experience; any coercion? When will the lead social worker see the child alone, and how will wishes and feelings be learned?", "GM Roles; SX 6.6 Relevant matters",
         (_m("voice", "Voice of the child and lived experience", True), Field("seen_alone", "When the child will be seen alone", "text"))),
        ("other-children", "Other children", "Siblings, children in the same household or establishment, children in contact with alleged abusers.", "SX 6.6 Relevant matters",
         (_m("children", "Other children who may be affected and what is done for them"),)),
        ("risk", "Risk and immediate safeguarding", "Level of risk; immediate actions to safeguard the child; interim services; a safe discharge plan if the child is in hospital.", "GM Roles; SX 6.6 Purpose",
         (Field("level", "Level of risk", "choice", True, RISK_LEVELS), _m("immediate", "Immediate safeguarding actions", True), _m("discharge", "Safe discharge plan (if in hospital)"))),
        ("decisions", "Decisions", "Family Assessment; Section 47 enquiry (none, single-agency or joint with police); criminal investigation and ABE interview. Each decision needs its rationale.", "SX 6.6 Purpose", ()),
        ("medical", "Medical assessment", "Is a medical needed, and when? A decision to have a medical must not be made by the social worker and police alone: a paediatrician or health professional with the relevant expertise must be part of it. If no medical, record why.", "SX 6.6 Purpose", ()),
        ("interviews", "Interviews", "Who is interviewed, by whom, for what purpose, and when.", "SX 6.6 Relevant matters",
         (_m("interviews", "Interviews planned"),)),
        ("interpreter", "Race, ethnicity, disability; interpreter", "How these are taken into account; is an interpreter or intermediary needed? Record who.", "SX 6.6 Relevant matters",
         (_m("needs", "Needs and how they are met"), Field("interpreter", "Interpreter or intermediary (who)", "text"))),
        ("family", "What is shared with the family", "Unless sharing would put the child at greater risk or jeopardise a police investigation.", "SX 6.6 Purpose",
         (_m("shared", "What will be shared with the family, by whom and when", True),)),
        ("legal", "Legal action", "Is legal action needed?", "SX 6.6 Purpose",
         (Field("legal", "Legal action", "choice", True, (("no", "Not needed"), ("consider", "Legal planning meeting"), ("yes", "Legal action now"))), _m("why", "Why"))),
        ("actions", "SMART actions", "What, who (person and agency), by when, and for what purpose.", "SX 6.6 Purpose; GM Roles", ()),
        ("contingency", "Contingency plan and next review", "The contingency plan; when the discussion is reviewed; how completion of actions is reviewed.", "GM Recording",
         (_m("contingency", "Contingency plan", True), Field("next_review", "Next review (when: a date and time)", "date"))),
    ), start=1)
)  # fmt: skip

def input_id(step_number: int, key: str, round_: int | None = None) -> str:
    """The id of a step's input on its card: unique per step (and per round of a repeating
    form), because a client editing a card in place may keep an earlier card's input state
    (choices, typed text) under a repeated id (Agents Playground)."""
    return f"s{step_number}{'' if round_ is None else f'-{round_}'}.{key}"


_INPUT_ID = re.compile(r"^s(\d{1,2})(?:-\d{1,4})?\.(.+)$")


def step_values(step_number: int, data: Mapping[str, object]) -> dict[str, str]:
    """A submitted step's answers by field key: its own prefixed inputs; unprefixed keys only
    from cards sent before inputs were prefixed (nothing already on a chair's screen is lost)."""
    own: dict[str, str] = {}
    legacy: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(value, str) or key in ("discussion_id", "step"):
            continue
        match = _INPUT_ID.match(key)
        if match is None:
            legacy[key] = value.strip()[:4000]
        elif int(match.group(1)) == step_number:
            own[match.group(2)] = value.strip()[:4000]
    return own or legacy


DECISION_TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    "family-assessment": (("yes", "Family Assessment to be carried out"), ("no", "No Family Assessment")),
    "s47": (("none", "No Section 47 enquiry"), ("single", "S47 enquiry, single-agency"), ("joint", "S47 enquiry, joint with police")),
    "criminal-investigation": (("yes", "Criminal investigation"), ("no", "No criminal investigation")),
    "abe-interview": (("yes", "ABE interview to be held"), ("no", "No ABE interview")),
    "medical": (("needed", "Medical assessment needed"), ("not-needed", "No medical assessment (reason recorded)")),
}  # fmt: skip


def medical_decision_allowed(present_or_consulted_kinds: Iterable[str]) -> tuple[bool, str]:
    """SX 6.6 Purpose: someone of `MEDICAL_DECISION_KINDS` present or consulted."""
    kinds = set(present_or_consulted_kinds)
    if kinds & MEDICAL_DECISION_KINDS:
        return True, ""
    return False, (
        "A decision to have a medical must not be made by the social worker and police alone: a "
        "paediatrician or a health professional with the relevant expertise must be part of it (SX 6.6). "
        "Mark them present, or choose who was consulted."
    )


def s47_initiated(decisions: Mapping[str, str]) -> bool:
    """A Section 47 enquiry was initiated: single-agency or joint with the police (SX 6.6
    Purpose). It starts the ICPC clock (`icpc_by`)."""
    return decisions.get("s47") in ("single", "joint")
