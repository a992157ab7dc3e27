"""Which case a unit of work touched, so rows that belong to no discussion (a stored invoke
response, a reply to `status`) can still be found and purged with the case.

Every discussion loaded into, or added to, a session is remembered in ``session.info``; the
outbox and the handled-activity record take the case reference from there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from storage.models import Discussion

_KEY = "sdbot_cases_touched"


def _remember(session: Session | None, discussion: Discussion) -> None:
    if session is not None and discussion.case_ref:
        session.info.setdefault(_KEY, set()).add(discussion.case_ref)


@event.listens_for(Discussion, "load")
def _on_load(discussion: Discussion, context: Any) -> None:
    _remember(context.session, discussion)


@event.listens_for(Session, "transient_to_pending")
def _on_add(session: Session, instance: object) -> None:
    if isinstance(instance, Discussion):
        _remember(session, instance)


def case_touched(session: Any) -> str | None:
    """The case this unit of work is about, when it touched exactly one.

    ``session`` is an AsyncSession or a Session. A flow handles one case per activity; the
    scheduler touches many in one pass, and then nothing is attributed by guesswork (its
    rows carry their discussion id instead).
    """
    sync = getattr(session, "sync_session", session)
    touched = sync.info.get(_KEY) or {}
    return next(iter(touched)) if len(touched) == 1 else None
