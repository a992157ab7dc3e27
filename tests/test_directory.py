"""The directory file: the example loads; a wrong file is refused naming the entry and field."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from procedure import AGENCY_KINDS
from storage.db import create_engine, session_factory, transaction
from storage.directory import (
    EXAMPLE_DIRECTORY,
    DirectoryError,
    load_directory,
    parse_directory,
    sync_directory,
)
from storage.models import Agency, Person


def example() -> dict:
    return tomllib.loads(EXAMPLE_DIRECTORY.read_text())


def test_example_directory_has_every_agency_kind_and_fictional_people() -> None:
    d = load_directory(kinds=AGENCY_KINDS)
    assert {a.kind for a in d.agencies} == set(AGENCY_KINDS)
    assert all(p.email is None or p.email.endswith("@example.org") for p in d.people)
    assert any(p.can_chair for p in d.people)
    assert d.escalation_channel


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["agencies"][1].update(kind="foster-carer"), ["agency 'police'", "'kind'", "foster carers must not attend"]),
        (lambda d: d["agencies"][1].update(kind="wizards"), ["agency 'police'", "'kind'", "csc, police"]),
        (lambda d: d["agencies"][1].pop("name"), ["agency 'police'", "'name' is missing"]),
        (lambda d: d["agencies"][1].update(lead="nobody"), ["agency 'police'", "'lead'", "nobody"]),
        (lambda d: d["people"][0].update(agency="mars"), ["person 'chris'", "'agency'", "mars"]),
        (lambda d: d["people"][0].update(aad_object_id="not-a-guid"), ["person 'chris'", "'aad_object_id'"]),
        (lambda d: d["people"][0].update(can_chair="yes"), ["person 'chris'", "'can_chair'"]),
        (lambda d: d["people"][0].update(colour="red"), ["person 'chris'", "colour"]),
        (lambda d: d["people"].append(dict(d["people"][0])), ["chris", "more than once"]),
        (lambda d: d.pop("agencies"), ["at least one [[agencies]]"]),
    ],
)
def test_a_wrong_directory_names_the_entry_and_field(mutate, expected) -> None:  # type: ignore[no-untyped-def]
    data = example()
    mutate(data)
    with pytest.raises(DirectoryError) as e:
        parse_directory(data, "directory.toml", kinds=AGENCY_KINDS)
    for part in expected:
        assert part in str(e.value)


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "d.toml"
    bad.write_text("[[agencies]\nid=")
    with pytest.raises(DirectoryError, match="not valid TOML"):
        load_directory(bad, kinds=AGENCY_KINDS)
    with pytest.raises(DirectoryError, match="not found"):
        load_directory(tmp_path / "missing.toml", kinds=AGENCY_KINDS)


async def test_sync_keeps_the_database_in_step_with_the_file(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = session_factory(engine)
    try:
        async with transaction(factory) as session:
            await sync_directory(session, load_directory(kinds=AGENCY_KINDS))
        data = example()
        data["people"] = [p for p in data["people"] if p["id"] != "olly"]
        data["agencies"][1]["name"] = "Police (renamed)"
        async with transaction(factory) as session:
            await sync_directory(session, parse_directory(data, kinds=AGENCY_KINDS))
        async with factory() as session:
            police = await session.get(Agency, "police")
            olly = await session.get(Person, "olly")
            active = (await session.scalars(select(Person).where(Person.active.is_(True)))).all()
        assert police is not None and police.name == "Police (renamed)"
        assert olly is not None and not olly.active and olly.aad_object_id is None
        assert len(active) == len(data["people"])
    finally:
        await engine.dispose()
