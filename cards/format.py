"""How times read on a card: UK style, in the datetime's own zone."""

from __future__ import annotations

from datetime import datetime


def fmt_when(dt: datetime | None) -> str:
    if dt is None:
        return "not set"
    return f"{dt:%a} {dt.day} {dt:%b %Y}, {dt:%H:%M}"


def _span(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} d")
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return " ".join(parts)


def time_left(now: datetime, deadline: datetime) -> str:
    minutes = int((deadline - now).total_seconds() // 60)
    if minutes >= 0:
        return f"{_span(minutes)} left"
    return f"overdue by {_span(-minutes)}"
