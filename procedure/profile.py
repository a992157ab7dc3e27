"""Procedure profiles: a local authority's settings of the rules, as TOML data.

A profile changes numbers and choices, never the shape of the rules: the code reads every
local variation from here. Shipped: `pan-sussex` (default) and `greater-manchester`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from procedure.codes import AGENCY_KINDS, CSC, HEALTH, POLICE

PROFILES_DIR = Path(__file__).parent / "profiles"
DEFAULT_PROFILE = "pan-sussex"
REGIONS = ("england-and-wales", "scotland", "northern-ireland")


class ProfileError(ValueError):
    """A wrong profile. The message names the file and the key."""


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    source: str
    region: str
    timezone: str
    end_of_day: time
    closures: tuple[date, ...]
    default_convene_wd: int
    immediate_action_wd: int
    s47_before_sd_hours: int
    circulate_within_wd: int
    icpc_within_wd: int
    looked_after_review_days: int
    statutory_kinds: tuple[str, ...]
    chair_and_social_worker_both_required: bool
    late_withdrawal_hours: int
    deadline_at_risk_hours: int
    inquorate_warning_hours: int
    csc_absent_minutes: int
    rsvp_reminder_minutes: int
    rsvp_escalate_minutes: int
    action_reminder_hours: int
    disagreement_stage_wd: int
    disagreement_stages: tuple[str, ...]
    retention_years: int
    # The duty managers' daily digest of cases at risk, on working days at this local time.
    digest_time: time = time(8, 30)
    # Agency kinds whose people receive the record besides the chair and the invited agencies
    # (SX 6.6 Recording: "including the GP"). Without the key: nobody else.
    record_also_to: tuple[str, ...] = ()


def _positive_int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise TypeError("must be a whole number of 0 or more")
    return v


def _text(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise TypeError("must be a non-empty string")
    return v.strip()


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError("must be true or false")
    return v


def _clock(v: Any) -> time:
    if isinstance(v, time):
        return v
    try:
        hours, minutes = str(v).split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError) as e:
        raise TypeError("must be a time of day like \"23:59\"") from e


def _dates(v: Any) -> tuple[date, ...]:
    if not isinstance(v, list):
        raise TypeError("must be a list of dates like [2026-12-24]")
    out = []
    for item in v:
        if isinstance(item, date):
            out.append(item)
        else:
            try:
                out.append(date.fromisoformat(str(item)))
            except ValueError as e:
                raise TypeError(f"has {item!r}, which is not a date (YYYY-MM-DD)") from e
    return tuple(out)


def _region(v: Any) -> str:
    if v not in REGIONS:
        raise TypeError(f"must be one of {', '.join(REGIONS)}")
    return str(v)


def _zone(v: Any) -> str:
    try:
        ZoneInfo(_text(v))
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise TypeError("must be an IANA time zone such as Europe/London") from e
    return str(v)


def _texts(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not v or not all(isinstance(x, str) and x for x in v):
        raise TypeError("must be a non-empty list of strings")
    return tuple(v)


_STATUTORY_CHOICES = {CSC, POLICE, HEALTH}


def _agency_kinds(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise TypeError("must be a list of agency kinds, e.g. [\"gp\"]")
    unknown = [x for x in v if x not in AGENCY_KINDS]
    if unknown:
        raise TypeError(f"names {unknown}; agency kinds are {', '.join(AGENCY_KINDS)}")
    return tuple(dict.fromkeys(v))


def _statutory(v: Any) -> tuple[str, ...]:
    kinds = _texts(v)
    unknown = set(kinds) - _STATUTORY_CHOICES
    if unknown:
        raise TypeError(f"names {sorted(unknown)}; statutory partners are csc, police, health")
    return kinds


# section.key -> (field, reader)
_SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "profile": {"name": ("name", _text), "title": ("title", _text), "source": ("source", _text)},
    "calendar": {"region": ("region", _region), "timezone": ("timezone", _zone),
                 "end_of_day": ("end_of_day", _clock), "closures": ("closures", _dates)},
    "deadlines": {k: (k, _positive_int) for k in (
        "default_convene_wd", "immediate_action_wd", "s47_before_sd_hours", "circulate_within_wd",
        "icpc_within_wd", "looked_after_review_days")},
    "attendance": {"statutory_kinds": ("statutory_kinds", _statutory),
                   "chair_and_social_worker_both_required": ("chair_and_social_worker_both_required", _bool),
                   "late_withdrawal_hours": ("late_withdrawal_hours", _positive_int)},
    "escalation": {**{k: (k, _positive_int) for k in (
        "deadline_at_risk_hours", "inquorate_warning_hours", "csc_absent_minutes", "rsvp_reminder_minutes",
        "rsvp_escalate_minutes", "action_reminder_hours", "disagreement_stage_wd")},
        "disagreement_stages": ("disagreement_stages", _texts)},
    "retention": {"years": ("retention_years", _positive_int)},
    "digest": {"time": ("digest_time", _clock)},
    "record": {"also_to": ("record_also_to", _agency_kinds)},
}  # fmt: skip
_OPTIONAL = {"digest_time", "record_also_to"}  # keys with a default in Profile


def profile_from_mapping(data: dict[str, Any], origin: str = "<mapping>") -> Profile:
    values: dict[str, Any] = {}
    for section, content in data.items():
        if section not in _SCHEMA:
            raise ProfileError(f"profile {origin}: unknown section [{section}]; known: {', '.join(_SCHEMA)}")
        if not isinstance(content, dict):
            raise ProfileError(f"profile {origin}: [{section}] must be a table")
        for key, value in content.items():
            if key not in _SCHEMA[section]:
                raise ProfileError(f"profile {origin}: unknown key '{section}.{key}'; known: {', '.join(_SCHEMA[section])}")
            name, reader = _SCHEMA[section][key]
            try:
                values[name] = reader(value)
            except TypeError as e:
                raise ProfileError(f"profile {origin}: key '{section}.{key}' {e}, got {value!r}") from e
    missing = [f"{s}.{k}" for s, keys in _SCHEMA.items() for k, (name, _) in keys.items()
               if name not in values and name not in _OPTIONAL]
    if missing:
        raise ProfileError(f"profile {origin}: missing key(s) {', '.join(missing)}")
    if values["rsvp_escalate_minutes"] < values["rsvp_reminder_minutes"]:
        raise ProfileError(f"profile {origin}: key 'escalation.rsvp_escalate_minutes' must not be before the reminder")
    for key in ("default_convene_wd", "circulate_within_wd", "icpc_within_wd", "disagreement_stage_wd"):
        if values[key] == 0:
            raise ProfileError(f"profile {origin}: key '{key}' must be at least 1")
    return Profile(**values)


def load_profile(name_or_path: str | None = None) -> Profile:
    """A shipped profile by name, or a TOML file by path. Errors name the file and the key."""
    ref = (name_or_path or DEFAULT_PROFILE).strip()
    path = Path(ref) if ref.endswith(".toml") or "/" in ref else PROFILES_DIR / f"{ref}.toml"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.toml")))
        raise ProfileError(f"profile '{ref}' not found: use one of {shipped}, or a path to a .toml file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"profile {path.name}: not valid TOML: {e}") from e
    return profile_from_mapping(data, path.name)
