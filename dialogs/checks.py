"""The scheduler's due checks (issue 5 fills this in): each finds candidates, then raises."""

from __future__ import annotations

from types import ModuleType

ALL: list[ModuleType] = []
