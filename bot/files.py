"""Files `sdbot` writes: owner-only, whatever the shell's umask (they hold case records).

A module of its own so commands that write a file import nothing else of the bot.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, content: str | bytes) -> None:
    """Write `content` to a file only its owner can read (0600), replacing any older file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a file that already existed
    if isinstance(content, bytes):
        with os.fdopen(fd, "wb") as f:
            f.write(content)
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
