"""`sdbot export CASE_REF`: the record on stdout, as JSON, Markdown or HTML."""

from __future__ import annotations

import json
import sys
from zoneinfo import ZoneInfo

from bot.settings import Settings
from dialogs.export import case_record, to_html, to_markdown
from storage.db import create_engine, session_factory


async def export_case(settings: Settings, case_ref: str, fmt: str) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            record = await case_record(session, case_ref.strip(), ZoneInfo(settings.timezone))
    finally:
        await engine.dispose()
    if record is None:
        print(f"sdbot export: no discussion for case reference {case_ref!r}", file=sys.stderr)
        return 1
    if fmt == "json":
        print(json.dumps(record, indent=2, ensure_ascii=False))
    elif fmt == "md":
        print(to_markdown(record))
    else:
        print(to_html(record))
    return 0
