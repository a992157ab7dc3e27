"""`sdbot export CASE_REF`: the record on stdout, as JSON, Markdown or HTML.

The record leaves the system here, so the export is audited (who: the operating-system user;
which case; which format; stdout or a file) in the same transaction that reads it, before
anything is printed or written.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.settings import Settings
from dialogs.export import case_record, to_html, to_markdown
from storage import queries
from storage.db import create_engine, session_factory, transaction


def write_private(path: Path, content: str) -> None:
    """Write `content` to a file only its owner can read (0600), replacing any older file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a file that already existed
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)


async def export_case(settings: Settings, case_ref: str, fmt: str, out: Path | None = None) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            record = await case_record(session, case_ref.strip(), ZoneInfo(settings.timezone))
            if record is not None:
                latest = await queries.latest_discussion(session, case_ref.strip())
                os_user = getpass.getuser()
                await queries.audit(session, "export", actor_aad=None, actor_name=f"sdbot export ({os_user})",
                                    discussion=latest, os_user=os_user, format=fmt,
                                    destination="stdout" if out is None else "file",
                                    discussions=len(record["discussions"]))  # fmt: skip
    finally:
        await engine.dispose()
    if record is None:
        print(f"sdbot export: no discussion for case reference {case_ref!r}", file=sys.stderr)
        return 1
    if fmt == "json":
        text = json.dumps(record, indent=2, ensure_ascii=False)
    elif fmt == "md":
        text = to_markdown(record)
    else:
        text = to_html(record)
    if out is None:
        print(text)
    else:
        write_private(out, text + "\n")
        print(f"wrote {out} (readable by its owner only)")
    return 0
