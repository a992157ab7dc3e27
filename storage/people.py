"""The directory (agencies and people) as this process last read it from the database.

Every card, check and press names agencies and people: reading them row by row cost a third
of a press's SQL statements. The directory changes only when an instance starts with a new
directory file (`sync_directory`), so each process keeps a snapshot of both tables: refreshed
at once after its own sync, and every `REFRESH_SECONDS` in case another instance synced (a
few hundred rows, two statements). The rows are transient copies, never attached to a
session: read them, never change them (change the directory file instead).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agency, Person

REFRESH_SECONDS = 60.0


@dataclass
class Snapshot:
    agencies: dict[str, Agency]
    people: dict[str, Person]
    loaded_at: float
    by_aad: dict[str, Person] = field(default_factory=dict)
    by_agency: dict[str, list[Person]] = field(default_factory=dict)
    by_kind: dict[str, list[Agency]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for p in sorted(self.people.values(), key=lambda p: (p.name, p.id)):
            if not p.active:
                continue
            if p.aad_object_id:
                self.by_aad[p.aad_object_id.lower()] = p
            self.by_agency.setdefault(p.agency_id, []).append(p)
        for a in sorted(self.agencies.values(), key=lambda a: a.id):
            if a.active:
                self.by_kind.setdefault(a.kind, []).append(a)


_snapshots: weakref.WeakKeyDictionary[Any, Snapshot] = weakref.WeakKeyDictionary()


def _key(session: AsyncSession) -> Any:
    bind = session.bind
    return bind.sync_engine if bind is not None and hasattr(bind, "sync_engine") else bind


def _copy(model: type[Any], row: Any) -> Any:
    return model(**dict(row._mapping))


async def snapshot(session: AsyncSession) -> Snapshot:
    key = _key(session)
    snap = _snapshots.get(key) if key is not None else None
    if snap is not None and time.monotonic() - snap.loaded_at < REFRESH_SECONDS:
        return snap
    # Core rows, not ORM entities: the copies belong to no session (and cannot be flushed).
    agencies = {r.id: _copy(Agency, r) for r in (await session.execute(select(*Agency.__table__.c))).all()}
    people = {r.id: _copy(Person, r) for r in (await session.execute(select(*Person.__table__.c))).all()}
    snap = Snapshot(agencies=agencies, people=people, loaded_at=time.monotonic())
    if key is not None:
        _snapshots[key] = snap
    return snap


def forget(session: AsyncSession) -> None:
    """After the directory changed (sync): the next read loads it again."""
    key = _key(session)
    if key is not None:
        _snapshots.pop(key, None)
