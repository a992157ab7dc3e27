"""Who is invited, and why (PROCEDURE section 3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from procedure.codes import CSC
from procedure.profile import Profile


@dataclass(frozen=True)
class Requirement:
    kind: str
    reason: str
    source: str
    required: bool
    flag: str | None = None


# (trigger code, kind, reason, source, required). Concern codes and flag codes share this table.
_CONDITIONAL: tuple[tuple[str, str, str, str, bool], ...] = (
    ("medical", "paediatrics", "significant medical implications: a paediatrician must be included or consulted", "SX 6.6 Participants", True),
    ("hospital", "hospital-consultant", "the child receives hospital or child-development services (incl. CAMHS): the responsible medical consultant", "SX 6.6 Participants; GM", False),
    ("inpatient", "ward-nurse", "the child is an in-patient: a senior ward nurse or the medical consultant is essential", "SX 6.6 Participants", True),
    ("sexual-abuse", "sarc", "sexual abuse is alleged: the Sexual Assault Referral Centre", "SX 6.6 Participants", False),
    ("recent-sexual-abuse", "sarc", "recent sexual abuse is alleged: the Sexual Assault Referral Centre (forensic evidence)", "SX 6.6 Participants", True),
    ("school", "education", "the child attends a nursery or school: the education setting", "SX 6.6 Participants; GM", False),
    ("referrer", "referrer", "the referral came from another agency: the referring agency", "SX 6.6 Participants; GM", False),
    ("other-health", "health", "other health services are involved with the child or family", "SX 6.6 Participants; GM", True),
    ("adult-domestic-abuse", "adult-services", "domestic abuse in the household: the relevant adult services professional", "SX 6.6 Participants", False),
    ("adult-substance-misuse", "adult-services", "substance misuse by an adult in the household: the relevant adult services professional", "SX 6.6 Participants", False),
    ("adult-mental-illness", "adult-services", "mental illness of an adult in the household: the relevant adult services professional", "SX 6.6 Participants", False),
    ("regulated-setting", "registration-authority", "a regulated setting is involved: its registered owner and the registration authority (e.g. Ofsted)", "SX 6.6 Participants", False),
    ("complex-abuse", "specialist", "complex abuse or neglect: a professional with expertise in that form of abuse", "SX 6.6 Participants", True),
    ("legal", "legal", "legal action is likely: the local authority solicitor (optional)", "SX 6.6 Participants", False),
    ("fostered", "supervising-social-worker", "the child is fostered: the supervising social worker represents the foster carers, who must not attend", "SX 6.6 Participants", True),
    ("position-of-trust", "lado", "an allegation against someone in a position of trust: the LADO", "other areas (LADO procedures)", True),
    ("other-la", "other-la", "the child lives in another local authority: that authority's children's social care", "other areas", True),
)  # fmt: skip

_STATUTORY = {
    "csc": "statutory partner: children's social care (the social worker, with the manager chairing)",
    "police": "statutory partner: the police",
    "health": "statutory partner: health",
}


def invitees(concerns: Iterable[str], flags: Iterable[str], profile: Profile) -> list[Requirement]:
    """The statutory minimum first, then each conditional invitee, one per kind, with every
    reason that calls for it."""
    triggers = [*concerns, *flags]
    out: dict[str, Requirement] = {}
    for kind in profile.statutory_kinds:
        source = "SX 6.6 Participants; GM"
        reason = _STATUTORY[kind]
        if kind == "csc" and profile.chair_and_social_worker_both_required:
            reason = "statutory partner: children's social care, the social worker and the social work manager (GM)"
        out[kind] = Requirement(kind, reason, source, True)
    for trigger in triggers:
        for code, kind, reason, source, required in _CONDITIONAL:
            if code != trigger:
                continue
            if kind in out:
                old = out[kind]
                if reason not in old.reason:
                    out[kind] = Requirement(kind, f"{old.reason}; {reason}", old.source, old.required or required, old.flag or code)
            else:
                out[kind] = Requirement(kind, reason, source, required, code)
    return list(out.values())


def convening_confirms(kind: str, profile: Profile) -> bool:
    """The chair is the CSC manager (SX 6.6 Participants): convening confirms CSC's attendance.
    Where the profile needs the social worker too (GM), CSC is invited and answers like the rest."""
    return kind == CSC and not profile.chair_and_social_worker_both_required


def planning_notes(flags: Iterable[str]) -> list[str]:
    """Things to plan that are not an agency to invite."""
    notes = []
    flags = set(flags)
    if "interpreter" in flags:
        notes.append("Plan an interpreter or intermediary (race, ethnicity, disability, language) and record who (SX 6.6).")
    if "looked-after" in flags:
        notes.append("Looked-after child: plan review discussions at regular intervals while allegations continue (SX 6.6).")
    if "fostered" in flags:
        notes.append("Foster carers must not attend; their views come through the supervising social worker (SX 6.6).")
    return notes


def may_invite(kind_or_role: str) -> tuple[bool, str]:
    if "foster" in kind_or_role.lower() and "supervising" not in kind_or_role.lower():
        return False, ("Foster carers must not attend strategy discussions; their views and professional "
                       "judgements are represented by the supervising social worker (SX 6.6 Participants).")  # fmt: skip
    return True, ""
