"""Files the bot saves to a person's OneDrive after they chose Allow (Teams' file consent flow):
the record's PDF (`record_files`) and the learning and assurance report (`report_teams`). The
outbox worker asks here what to upload for a row, and what to do once it is uploaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs import record_files, report_teams
from dialogs.services import Services


def is_report(payload: dict[str, Any]) -> bool:
    return payload.get("kind") == report_teams.FILE_KIND


async def content(session: AsyncSession, services: Services, payload: dict[str, Any], now: datetime) -> bytes | None:
    """The file's bytes, made fresh; None if what it was made from is gone."""
    if is_report(payload):
        return await report_teams.report_for_upload(session, services, payload, now)
    return await record_files.pdf_for_upload(session, services, payload)


async def uploaded(session: AsyncSession, target: dict[str, Any], payload: dict[str, Any], now: datetime) -> None:
    if is_report(payload):
        await report_teams.report_uploaded(session, target, payload, now)
    else:
        await record_files.pdf_uploaded(session, target, payload, now)
