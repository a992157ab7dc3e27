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
