"""The codes a chair types (CONTRACT section 4) and the agency kinds (CONTRACT section 3)."""

from __future__ import annotations

import re
from collections.abc import Iterable

CONCERNS: dict[str, str] = {
    "significant-harm": "Reasonable cause to suspect significant harm",
    "serious-injury": "Serious physical injury",
    "serious-neglect": "Serious neglect",
    "recent-sexual-abuse": "Allegation of recent sexual abuse (forensic evidence)",
    "sexual-abuse": "Sexual abuse alleged",
    "complex-abuse": "Complex (organised or multiple) abuse or neglect",
    "immediate-action": "Immediate protective action already taken",
}

FLAGS: dict[str, str] = {
    "medical": "Significant medical implications; paediatric examination done or possibly needed",
    "hospital": "Child receives hospital or child-development services (incl. CAMHS)",
    "inpatient": "Child is an in-patient",
    "school": "Child attends a nursery or school",
    "referrer": "Referral came from another agency",
    "other-health": "Other health services involved with the child or family",
    "adult-domestic-abuse": "Domestic abuse in the household",
    "adult-substance-misuse": "Substance misuse by a parent or adult in the household",
    "adult-mental-illness": "Mental illness of a parent or adult in the household",
    "regulated-setting": "A regulated setting is involved (e.g. nursery, children's home)",
    "legal": "Legal action likely",
    "fostered": "Child is fostered",
    "looked-after": "Child is looked after",
    "position-of-trust": "Allegation against someone in a position of trust",
    "interpreter": "Interpreter or intermediary needed",
    "other-la": "Child lives in another local authority",
}

# The kinds an agency may meet (CONTRACT section 3): the one list; the directory is checked
# against it. Foster carers are deliberately absent: they must not attend (SX 6.6); the
# supervising social worker represents them.
AGENCY_KINDS: dict[str, str] = {
    "csc": "Children's social care",
    "police": "Police",
    "health": "Health",
    "paediatrics": "Paediatrician",
    "hospital-consultant": "Responsible medical consultant",
    "ward-nurse": "Senior ward nurse",
    "sarc": "Sexual Assault Referral Centre",
    "education": "Education setting",
    "referrer": "Referring agency",
    "adult-services": "Adult services",
    "registration-authority": "Registered owner and registration authority",
    "lado": "LADO",
    "legal": "Local authority solicitor",
    "supervising-social-worker": "Supervising social worker",
    "specialist": "Specialist in complex abuse",
    "other-la": "Other local authority's CSC",
    "gp": "GP",
}

# The kinds the rules name. Code outside procedure/ uses these names, never the literals
# (tests/test_one_source.py).
CSC = "csc"  # children's social care: the chair's agency (SX 6.6 Participants, GM)
POLICE = "police"
HEALTH = "health"
# Any of these meets "health" among the statutory partners (SX 6.6 Participants: "health").
HEALTH_KINDS = frozenset({HEALTH, "paediatrics", "hospital-consultant", "ward-nurse"})
# "A paediatrician or health professional with the right expertise" for the medical flags
# (SX 6.6 Participants): the paediatrician, or the responsible medical consultant.
MEDICAL_EXPERTISE = frozenset({"paediatrics", "hospital-consultant"})
# The in-patient flag: "a senior ward nurse or the medical consultant (essential)" (SX 6.6).
INPATIENT_KINDS = frozenset({"ward-nurse", "hospital-consultant"})
# A medical is never decided by social care and police alone: "a paediatrician or a health
# professional with the relevant expertise" must be part of it (SX 6.6 Purpose); the health
# representative counts as such.
MEDICAL_DECISION_KINDS = MEDICAL_EXPERTISE | {HEALTH}
# "The police officer allocated to the SD escalates at once to the CSC Duty Manager" when CSC
# fails to attend (SX 6.6 Inquorate); health may report it too (DESIGN, decisions).
REPORTS_CSC_ABSENT = frozenset({POLICE, HEALTH})

_TABLES = {"concern": CONCERNS, "flag": FLAGS}


class UnknownCode(ValueError):
    """A code that is not one of the choices. The message names it and lists them."""

    def __init__(self, code: str, kind: str, choices: list[str]):
        self.code, self.kind, self.choices = code, kind, choices
        super().__init__(f"'{code}' is not a {kind} code. Choose from: {', '.join(choices)}.")


def parse_codes(value: str | Iterable[str], kind: str) -> list[str]:
    """'serious-injury, medical' or a list -> known codes, lower-cased, in order, no repeats."""
    table = _TABLES[kind]
    words = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value)
    codes: list[str] = []
    for word in words:
        code = str(word).strip().lower()
        if not code:
            continue
        if code not in table:
            raise UnknownCode(code[:40], kind, list(table))
        if code not in codes:
            codes.append(code)
    return codes
