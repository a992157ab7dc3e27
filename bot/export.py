"""`sdbot export CASE_REF`: the record as JSON (CONTRACT section 6), Markdown or HTML on stdout
or in a file, or as a printable PDF or a Word document in a file (binary never goes to a terminal).

The record leaves the system here, so the export is audited (who: the operating-system user;
which case; which format; stdout or a file) in the same transaction that reads it, before
anything is printed or written.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from pathlib import Path

from bot.files import write_private
from bot.settings import Settings
from dialogs.export import case_record
from dialogs.record_docx import render_docx
from dialogs.record_pdf import render_pdf
from dialogs.record_view import case_doc, to_html, to_markdown
from dialogs.services import Services
from procedure import load_profile
from storage import queries
from storage.db import create_engine, session_factory, transaction
from storage.models import utcnow

BINARY = ("pdf", "docx")
FORMATS = ("json", "md", "html", "pdf", "docx")


async def export_case(settings: Settings, case_ref: str, fmt: str, out: Path | str | None = None) -> int:
    if fmt in BINARY and not out:
        print(f"sdbot export: --format {fmt} writes a file: add --out FILE (e.g. --out {case_ref.strip()}.{fmt})",
              file=sys.stderr)  # fmt: skip
        return 2
    services = Services.build(load_profile(settings.profile or None), settings.timezone)
    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            record = doc = None
            if fmt == "json":
                record = await case_record(session, case_ref.strip(), services.tz)
                count = len(record["discussions"]) if record else 0
            else:
                doc = await case_doc(session, services, case_ref.strip(), utcnow())
                count = len(doc.parts) if doc else 0
            if count:
                latest = await queries.latest_discussion(session, case_ref.strip())
                os_user = getpass.getuser()
                await queries.audit(session, "export", actor_aad=None, actor_name=f"sdbot export ({os_user})",
                                    discussion=latest, os_user=os_user, format=fmt,
                                    destination="stdout" if out is None else "file", discussions=count)  # fmt: skip
    finally:
        await engine.dispose()
    if record is None and doc is None:
        print(f"sdbot export: no discussion for case reference {case_ref!r}", file=sys.stderr)
        return 1
    if doc is not None and fmt == "pdf":
        data: bytes | str = await asyncio.to_thread(render_pdf, doc)
    elif doc is not None and fmt == "docx":
        data = await asyncio.to_thread(render_docx, doc)
    elif doc is not None and fmt == "md":
        data = to_markdown(doc)
    elif doc is not None:
        data = to_html(doc)
    else:
        data = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        assert isinstance(data, str)
        sys.stdout.write(data if data.endswith("\n") else data + "\n")
    else:
        # A command-line tool, after the database work: a blocking write is fine here.
        await asyncio.to_thread(write_private, Path(out), data)
        print(f"wrote {out} (readable by its owner only)")
    return 0
