"""The directory file (CONTRACT section 3): agencies, people, who leads and who is on duty.

Loaded and validated at start-up, then kept in the database so flows can query it with the rest.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import people
from storage.models import Agency, Person

EXAMPLE_DIRECTORY = Path(__file__).resolve().parent.parent / "config" / "directory.example.toml"

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class DirectoryError(ValueError):
    """A wrong directory file. The message names the entry and the field."""


@dataclass(frozen=True)
class AgencyEntry:
    id: str
    name: str
    kind: str
    channel_id: str | None = None
    lead: str | None = None
    duty_manager: str | None = None
    email: str | None = None  # a shared mailbox: gets the calendar invitation for the agency
    phone: str | None = None  # who the chair calls when Teams cannot reach the agency


@dataclass(frozen=True)
class PersonEntry:
    id: str
    name: str
    agency: str
    role: str = ""
    aad_object_id: str | None = None
    teams_id: str | None = None
    email: str | None = None
    phone: str | None = None
    can_chair: bool = False


@dataclass(frozen=True)
class Directory:
    agencies: tuple[AgencyEntry, ...]
    people: tuple[PersonEntry, ...]
    escalation_channel: str | None = None
    origin: str = "<directory>"

    def person(self, person_id: str) -> PersonEntry | None:
        return next((p for p in self.people if p.id == person_id), None)


def _str(entry: str, data: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise DirectoryError(f"{entry}: field '{key}' is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise DirectoryError(f"{entry}: field '{key}' must be a non-empty string, got {value!r}")
    return value.strip()


_AGENCY_KEYS = {"id", "name", "kind", "channel_id", "lead", "duty_manager", "email", "phone"}
_PERSON_KEYS = {"id", "name", "role", "agency", "aad_object_id", "teams_id", "email", "phone", "can_chair"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,30}$")


def _email(entry: str, data: dict[str, Any]) -> str | None:
    value = _str(entry, data, "email", required=False)
    if value and not _EMAIL.match(value):
        raise DirectoryError(f"{entry}: field 'email' must be an e-mail address, got {value!r}")
    return value


def _phone(entry: str, data: dict[str, Any]) -> str | None:
    value = _str(entry, data, "phone", required=False)
    if value and not _PHONE.match(value):
        raise DirectoryError(f"{entry}: field 'phone' must be a telephone number (digits, spaces, + ( ) -), got {value!r}")
    return value


def parse_directory(data: dict[str, Any], origin: str = "<directory>", *, kinds: Collection[str]) -> Directory:
    """`kinds` are the agency kinds the procedure knows (`procedure.AGENCY_KINDS`, CONTRACT
    section 3): the rules are the one list, passed in because storage imports nothing of ours."""
    unknown = set(data) - {"escalation_channel", "agencies", "people"}
    if unknown:
        raise DirectoryError(f"{origin}: unknown top-level key(s) {sorted(unknown)}")
    escalation_channel = _str(origin, data, "escalation_channel", required=False)
    raw_agencies = data.get("agencies", [])
    raw_people = data.get("people", [])
    if not isinstance(raw_agencies, list) or not raw_agencies:
        raise DirectoryError(f"{origin}: needs at least one [[agencies]] entry")
    if not isinstance(raw_people, list):
        raise DirectoryError(f"{origin}: [[people]] must be a list of tables")

    agencies: list[AgencyEntry] = []
    for i, raw in enumerate(raw_agencies, 1):
        entry = f"{origin}: agencies[{i}]"
        if not isinstance(raw, dict):
            raise DirectoryError(f"{entry}: must be a table")
        entry = f"{origin}: agency '{raw.get('id', i)}'"
        extra = set(raw) - _AGENCY_KEYS
        if extra:
            raise DirectoryError(f"{entry}: unknown field(s) {sorted(extra)}")
        agency_id = _str(entry, raw, "id", required=True) or ""
        if not _ID.match(agency_id):
            raise DirectoryError(f"{entry}: field 'id' must be lower-case letters, digits, - _ .")
        kind = _str(entry, raw, "kind", required=True) or ""
        if kind not in kinds:
            hint = " (foster carers must not attend: invite the supervising social worker)" if "foster" in kind else ""
            raise DirectoryError(
                f"{entry}: field 'kind' is {kind!r}{hint}; choose one of {', '.join(kinds)}"
            )
        agencies.append(
            AgencyEntry(
                id=agency_id,
                name=_str(entry, raw, "name", required=True) or "",
                kind=kind,
                channel_id=_str(entry, raw, "channel_id", required=False),
                lead=_str(entry, raw, "lead", required=False),
                duty_manager=_str(entry, raw, "duty_manager", required=False),
                email=_email(entry, raw),
                phone=_phone(entry, raw),
            )
        )
    agency_ids = [a.id for a in agencies]
    dupes = {a for a in agency_ids if agency_ids.count(a) > 1}
    if dupes:
        raise DirectoryError(f"{origin}: agency id(s) {sorted(dupes)} appear more than once")

    people: list[PersonEntry] = []
    for i, raw in enumerate(raw_people, 1):
        if not isinstance(raw, dict):
            raise DirectoryError(f"{origin}: people[{i}]: must be a table")
        entry = f"{origin}: person '{raw.get('id', i)}'"
        extra = set(raw) - _PERSON_KEYS
        if extra:
            raise DirectoryError(f"{entry}: unknown field(s) {sorted(extra)}")
        person_id = _str(entry, raw, "id", required=True) or ""
        if not _ID.match(person_id):
            raise DirectoryError(f"{entry}: field 'id' must be lower-case letters, digits, - _ .")
        agency = _str(entry, raw, "agency", required=True) or ""
        if agency not in agency_ids:
            raise DirectoryError(f"{entry}: field 'agency' names unknown agency {agency!r}")
        aad = _str(entry, raw, "aad_object_id", required=False)
        if aad and not _GUID.match(aad):
            raise DirectoryError(f"{entry}: field 'aad_object_id' must be a GUID, got {aad!r}")
        teams_id = _str(entry, raw, "teams_id", required=False)
        can_chair = raw.get("can_chair", False)
        if not isinstance(can_chair, bool):
            raise DirectoryError(f"{entry}: field 'can_chair' must be true or false")
        people.append(
            PersonEntry(
                id=person_id,
                name=_str(entry, raw, "name", required=True) or "",
                role=_str(entry, raw, "role", required=False) or "",
                agency=agency,
                aad_object_id=aad.lower() if aad else None,
                teams_id=teams_id,
                email=_email(entry, raw),
                phone=_phone(entry, raw),
                can_chair=can_chair,
            )
        )
    person_ids = [p.id for p in people]
    dupes = {p for p in person_ids if person_ids.count(p) > 1}
    if dupes:
        raise DirectoryError(f"{origin}: person id(s) {sorted(dupes)} appear more than once")
    aads = [p.aad_object_id for p in people if p.aad_object_id]
    dupes = {a for a in aads if aads.count(a) > 1}
    if dupes:
        raise DirectoryError(f"{origin}: aad_object_id(s) {sorted(dupes)} belong to more than one person")
    for a in agencies:
        for key, ref in (("lead", a.lead), ("duty_manager", a.duty_manager)):
            if ref and ref not in person_ids:
                raise DirectoryError(f"{origin}: agency '{a.id}': field '{key}' names unknown person {ref!r}")
    return Directory(tuple(agencies), tuple(people), escalation_channel, origin)


def load_directory(path: str | Path | None = None, *, kinds: Collection[str]) -> Directory:
    file = Path(path) if path else EXAMPLE_DIRECTORY
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise DirectoryError(f"directory file not found: {file}") from e
    except tomllib.TOMLDecodeError as e:
        raise DirectoryError(f"{file.name}: not valid TOML: {e}") from e
    return parse_directory(data, file.name, kinds=kinds)


async def sync_directory(session: AsyncSession, directory: Directory) -> None:
    """Make the agencies and people tables match the file; entries removed become inactive."""
    existing_agencies = {a.id: a for a in (await session.scalars(select(Agency))).all()}
    for entry in directory.agencies:
        row = existing_agencies.pop(entry.id, None) or Agency(id=entry.id)
        row.name, row.kind, row.channel_id = entry.name, entry.kind, entry.channel_id
        row.lead_person_id, row.duty_manager_person_id = entry.lead, entry.duty_manager
        row.email, row.phone = entry.email, entry.phone
        row.active = True
        session.add(row)
    for row in existing_agencies.values():
        row.active = False
    existing_people = {p.id: p for p in (await session.scalars(select(Person))).all()}
    # Free aad ids of removed people first so the unique constraint holds during the update.
    for pid, removed in existing_people.items():
        if pid not in {p.id for p in directory.people}:
            removed.active, removed.aad_object_id = False, None
    await session.flush()
    for person_entry in directory.people:
        person = existing_people.get(person_entry.id) or Person(id=person_entry.id)
        person.name, person.role, person.agency_id = person_entry.name, person_entry.role, person_entry.agency
        person.aad_object_id, person.teams_id, person.email = person_entry.aad_object_id, person_entry.teams_id, person_entry.email
        person.phone = person_entry.phone
        person.can_chair, person.active = person_entry.can_chair, True
        session.add(person)
    await session.flush()
    people.forget(session)
