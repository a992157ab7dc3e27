"""Quorum and late withdrawals (PROCEDURE section 4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from procedure.codes import HEALTH, HEALTH_KINDS, INPATIENT_KINDS, MEDICAL_EXPERTISE
from procedure.profile import Profile

_WORDS = {"csc": "children's social care", "police": "the police", "health": "health"}


@dataclass(frozen=True)
class Quorum:
    quorate: bool
    missing: list[str]


def quorum(confirmed_kinds: Iterable[str], flags: Iterable[str], profile: Profile) -> Quorum:
    """Quorate when CSC, police and health have each confirmed, and, for the medical flags,
    a paediatrician or a health professional with the right expertise (SX 6.6, GM)."""
    kinds = set(confirmed_kinds)
    missing = []
    for kind in profile.statutory_kinds:
        met = bool(kinds & HEALTH_KINDS) if kind == HEALTH else kind in kinds
        if not met:
            missing.append(_WORDS[kind])
    flags = set(flags)
    if "medical" in flags and not kinds & MEDICAL_EXPERTISE:
        missing.append("a paediatrician or health professional with the right expertise")
    if "inpatient" in flags and not kinds & INPATIENT_KINDS:
        missing.append("a senior ward nurse or the medical consultant (in-patient)")
    return Quorum(not missing, missing)


def is_late_withdrawal(withdrawn_at: datetime, starts_at: datetime | None, profile: Profile) -> bool:
    """Late when within the profile's window before the start, or after it (did not turn up)."""
    if starts_at is None:
        return False
    return withdrawn_at >= starts_at - timedelta(hours=profile.late_withdrawal_hours)
