"""The record of a strategy discussion as one pure data structure, and its Adaptive Cards.

`RecordDoc` is what the card, the Markdown, the HTML and the PDF all render from, so they never
disagree (PROCEDURE section 6). Everything in it is plain text already in words and local time;
each medium escapes it for itself. A record too large for one Teams message (about 28 KB) is
split into continuation cards ("Record CR-1 (2 of 3)"), never cut.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cards.common import Element, card, execute, text
from cards.format import escape_markdown
from cards.verbs import Verb

CONFIDENTIAL = "A professionals' meeting: not to be shared without the chair's permission (SX 6.6)."


@dataclass(frozen=True)
class Entry:
    """One thing recorded: a label in bold (a question, a person, a decision), the answer in
    words, and labelled details under it (e.g. the rationale of a decision)."""

    label: str
    text: str = ""
    details: tuple[tuple[str, str], ...] = ()
    flag: str = ""  # a word that must stand out, e.g. "Late"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    entries: tuple[Entry, ...] = ()
    empty: str = "Nothing recorded."


@dataclass(frozen=True)
class Part:
    """One discussion of the case: a heading, its facts, its sections in agenda order."""

    title: str
    facts: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class RecordDoc:
    case_ref: str
    parts: tuple[Part, ...]
    confidential: str = CONFIDENTIAL
    produced: str = ""  # "Produced Wed 2 Dec 2026, 10:00"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        return f"Strategy discussion record: {self.case_ref}"


# Cards ----------------------------------------------------------------------------------------

# Teams refuses a message over about 28 KB; the card sits inside an activity with some overhead,
# and the bot's JSON escapes non-ASCII characters (up to 6 bytes each), so measure that way.
CARD_BUDGET = 24_000
_CHUNK = 1_500  # characters of one TextBlock, so that no single block can exceed the budget


def escape_inline(value: str) -> str:
    """A heading or label we wrote, inside a line: Markdown's active characters escaped, but not
    a leading "7." (a step number, never a list here, and a backslash would show in plain text)."""
    return "".join("\\" + c if c in "\\`*_[]~<>#|" else c for c in value.replace("\n", " "))


def _size(elements: list[Element]) -> int:
    return len(json.dumps(elements))


def _md(value: str) -> str:
    # Teams needs a blank line for a line break inside a TextBlock.
    return "\n\n".join(escape_markdown(line) for line in value.splitlines() if line.strip())


def _chunks(value: str) -> list[str]:
    if len(value) <= _CHUNK:
        return [value]
    out: list[str] = []
    rest = value
    while len(rest) > _CHUNK:
        cut = max(rest.rfind("\n", 0, _CHUNK), rest.rfind(" ", 0, _CHUNK))
        cut = cut if cut > _CHUNK // 2 else _CHUNK
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*out, rest] if rest else out


def _entry_blocks(entry: Entry) -> list[list[Element]]:
    """An entry as one or more blocks; a very long answer continues in further blocks."""
    label = f"**{escape_inline(entry.label)}**" if entry.label else ""
    if entry.flag:
        label = f"{label} ({escape_markdown(entry.flag).upper()})" if label else escape_markdown(entry.flag).upper()
    pieces = _chunks(entry.text) if entry.text else [""]
    blocks: list[list[Element]] = []
    for n, piece in enumerate(pieces):
        items: list[Element] = []
        if n == 0 and label:
            items.append(text(label, spacing="Small", **({"color": "Attention"} if entry.flag else {})))
        if piece:
            items.append(text(_md(piece), spacing="None" if items else "Small"))
        blocks.append(items)
    if entry.details:
        facts = [{"title": k, "value": _md(v) or "-"} for k, v in entry.details if len(v) <= _CHUNK]
        if facts:
            blocks[-1].append({"type": "FactSet", "spacing": "None", "facts": facts})
        for k, v in entry.details:  # a long detail (e.g. a rationale) reads as its own paragraphs
            if len(v) > _CHUNK:
                first, *more = _chunks(v)
                blocks.append([text(f"_{escape_markdown(k)}_", spacing="None"), text(_md(first), spacing="None")])
                blocks.extend([text(_md(piece), spacing="None")] for piece in more)
    return [b for b in blocks if b]


def _blocks(doc: RecordDoc) -> list[list[Element]]:
    """The record as blocks that are never split across cards, in reading order."""
    blocks: list[list[Element]] = []
    for part in doc.parts:
        blocks.append([text(part.title, size="Medium", weight="Bolder", separator=True, spacing="Large"),
                       {"type": "FactSet", "facts": [{"title": k, "value": _md(v) or "-"} for k, v in part.facts]}])  # fmt: skip
        for section in part.sections:
            heading = text(escape_inline(section.title), weight="Bolder", color="Accent", spacing="Medium")
            entries = [b for e in section.entries for b in _entry_blocks(e)]
            if not entries:
                blocks.append([heading, text(escape_markdown(section.empty), isSubtle=True, spacing="None")])
                continue
            blocks.append([heading, *entries[0]])  # a heading never ends a card alone
            blocks.extend(entries[1:])
    for note in doc.notes:
        blocks.append([text(escape_markdown(note), isSubtle=True, size="Small")])
    return blocks


def _header(doc: RecordDoc, n: int, total: int) -> list[Element]:
    title = f"Record {doc.case_ref}" + (f" ({n} of {total})" if total > 1 else "")
    items = [text(escape_markdown(title), size="Large", weight="Bolder"),
             text("**CONFIDENTIAL.** " + escape_markdown(doc.confidential), color="Attention",
                  size="Small", spacing="None")]  # fmt: skip
    if n > 1:
        items.append(text(f"Continued from card {n - 1} of {total}.", isSubtle=True, size="Small", spacing="None"))
    return items


@dataclass(frozen=True)
class RecordButton:
    title: str
    verb: Verb
    data: dict[str, Any]
    style: str | None = None


def record_cards(doc: RecordDoc, buttons: list[RecordButton] | None = None,
                 footer: list[str] | None = None, budget: int = CARD_BUDGET) -> list[Element]:  # fmt: skip
    """The record as one card, or as several when it is too large for one Teams message.
    Buttons and the footer (e.g. who it goes to) are on the last card."""
    tail = [text(escape_markdown(line), isSubtle=True, size="Small") for line in footer or []]
    actions = [execute(b.title, b.verb, b.data, b.style) for b in buttons or []]
    reserve = _size(_header(doc, 99, 99)) + _size(tail) + _size(actions) + 600
    pages: list[list[Element]] = [[]]
    for block in _blocks(doc):
        if pages[-1] and _size(pages[-1]) + _size(block) + reserve > budget:
            pages.append([])
        pages[-1].extend(block)
    total = len(pages)
    out = []
    for n, page in enumerate(pages, 1):
        last = n == total
        out.append(card(_header(doc, n, total) + page + (tail if last else []), actions if last else None))
    return out


# Files (Teams' file consent flow for bots, personal chats only) --------------------------------

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


def file_consent_attachment(name: str, description: str, size_in_bytes: int, context: dict[str, Any]) -> Element:
    """Asks the person to let the bot save a file to their OneDrive; their Allow or Decline comes
    back as a `fileConsent/invoke` carrying `context`."""
    return {"contentType": FILE_CONSENT, "name": name,
            "content": {"description": description, "sizeInBytes": size_in_bytes,
                        "acceptContext": context, "declineContext": context}}  # fmt: skip


def file_info_attachment(name: str, content_url: str, unique_id: str, file_type: str) -> Element:
    """The uploaded file, shown in the chat as a file the person can open."""
    return {"contentType": FILE_INFO, "name": name, "contentUrl": content_url,
            "content": {"uniqueId": unique_id, "fileType": file_type}}  # fmt: skip
