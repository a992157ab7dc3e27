"""Reading what a chair types: `convene CASE_REF [referral WHEN] [concerns ...] ...`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from procedure import CONCERNS, FLAGS, DateParseError, UnknownCode, parse_codes, parse_when

CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{1,39}$")
KEYWORDS = ("referral", "concerns", "flags", "action", "at", "format")
FORMATS = {"teams": "Teams meeting", "phone": "Telephone", "in-person": "In person"}


class InputError(ValueError):
    """Bad input, said so a person can fix it: what was wrong, and the valid choices."""

    def __init__(self, message: str, choices: list[str] | None = None, field: str | None = None):
        super().__init__(message)
        self.choices = choices or []
        self.field = field


@dataclass
class ConveneRequest:
    case_ref: str
    referral_at: datetime
    concerns: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    action_at: datetime | None = None
    at: datetime | None = None
    format: str = "teams"


def case_ref(text: str) -> str:
    ref = text.strip()
    if not CASE_REF.match(ref):
        raise InputError(
            f"'{ref[:40]}' is not a case reference. Use the record number from the case system "
            "(letters, digits and - / _ ., e.g. CR-1234) — never the child's name.",
            field="case_ref",
        )
    return ref.upper()


def when(text: str, now: datetime, tz: str, what: str, prefer: str = "future") -> datetime:
    try:
        return parse_when(text, now, tz, prefer)
    except DateParseError as e:
        raise InputError(f"{what}: {e}", field=what) from e


def codes(text: str, kind: str) -> list[str]:
    try:
        return parse_codes(text, kind)
    except UnknownCode as e:
        raise InputError(str(e), choices=list(e.choices), field=kind) from e


def split_keywords(text: str) -> tuple[list[str], dict[str, str]]:
    """Words before the first keyword, and each keyword's text up to the next keyword."""
    head: list[str] = []
    parts: dict[str, list[str]] = {}
    current: str | None = None
    for word in text.split():
        lowered = word.lower()
        if lowered in KEYWORDS:
            if lowered in parts:
                raise InputError(f"'{lowered}' is given twice.", choices=list(KEYWORDS))
            current = lowered
            parts[current] = []
        elif current is None:
            head.append(word)
        else:
            parts[current].append(word)
    return head, {k: " ".join(v).strip() for k, v in parts.items()}


def convene(text: str, now: datetime, tz: str) -> ConveneRequest:
    head, parts = split_keywords(text)
    if not head:
        raise InputError("Start with the case reference: convene CASE_REF ...", field="case_ref")
    if len(head) > 1:
        raise InputError(
            f"I don't understand '{' '.join(head[1:])[:60]}'. After the case reference use these words:",
            choices=[f"{k} ..." for k in KEYWORDS],
        )
    for key, value in parts.items():
        if not value:
            raise InputError(f"'{key}' needs a value after it.", choices=list(KEYWORDS), field=key)
    request = ConveneRequest(case_ref=case_ref(head[0]), referral_at=now)
    if "referral" in parts:
        request.referral_at = when(parts["referral"], now, tz, "referral")
        if request.referral_at > now:
            raise InputError("referral: the referral time is in the future.", field="referral")
    if "concerns" in parts:
        request.concerns = codes(parts["concerns"], "concern")
    if "flags" in parts:
        request.flags = codes(parts["flags"], "flag")
    if "action" in parts:
        request.action_at = when(parts["action"], now, tz, "action")
    if "at" in parts:
        request.at = when(parts["at"], now, tz, "at")
    check_times(request, now)
    if "format" in parts:
        fmt = parts["format"].lower()
        if fmt not in FORMATS:
            raise InputError(f"format: '{fmt[:20]}' is not a format.", choices=list(FORMATS), field="format")
        request.format = fmt
    if not request.concerns:
        request.concerns = ["significant-harm"]
    return request


def check_times(request: ConveneRequest, now: datetime) -> None:
    """Times that cannot be right: action taken in the future, a start already past."""
    from datetime import timedelta

    if request.action_at is not None and request.action_at > now + timedelta(minutes=5):
        raise InputError("action: the protective action time is in the future.", field="action")
    if request.at is not None and request.at < now - timedelta(minutes=5):
        raise InputError("at: the proposed start is in the past.", field="at")


def concern_choices() -> list[tuple[str, str]]:
    return list(CONCERNS.items())


def flag_choices() -> list[tuple[str, str]]:
    return list(FLAGS.items())
