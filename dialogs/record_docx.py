"""The record as a Word document (A4), for authorities whose case-management system takes .docx:
the case reference and "CONFIDENTIAL" in every page's header, "Page 2 of 5" in the footer,
rendered from the same `RecordDoc` as the cards, the exports and the PDF. Word draws every
script, so the text is kept exactly as typed (less control characters XML cannot hold).

CPU work: callers run `render_docx` in a thread (asyncio.to_thread).
"""

from __future__ import annotations

import io
import re
from typing import Any

from cards.record import RecordDoc

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEAL = (0x00, 0x69, 0x78)
_RED = (0xA0, 0x00, 0x00)


def _clean(value: str) -> str:
    return _CONTROL.sub("", value)


def _field(run: Any, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) in `run`: Word fills it in when it lays out the pages."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    begin, text, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(text)
    run._r.append(end)


def render_docx(doc: RecordDoc) -> bytes:
    from docx import Document
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Mm, Pt, RGBColor

    word = Document()
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin = section.bottom_margin = Mm(20)
    normal = word.styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(10)
    word.core_properties.title = _clean(doc.title)
    word.core_properties.subject = "Confidential strategy discussion record"
    word.core_properties.author = "Strategy Discussions bot"

    header = section.header.paragraphs[0]
    header.paragraph_format.tab_stops.add_tab_stop(Mm(174), WD_TAB_ALIGNMENT.RIGHT)
    run = header.add_run(_clean(f"Strategy discussion record: {doc.case_ref}") + "\t")
    run.bold = True
    run = header.add_run("CONFIDENTIAL")
    run.bold, run.font.color.rgb = True, RGBColor(*_RED)
    footer = section.footer.paragraphs[0]
    footer.paragraph_format.tab_stops.add_tab_stop(Mm(174), WD_TAB_ALIGNMENT.RIGHT)
    footer.add_run("Confidential: not to be shared without the chair's permission (SX 6.6).\t").font.size = Pt(8)
    for piece in ("Page ", "PAGE", " of ", "NUMPAGES"):
        run = footer.add_run()
        run.font.size, run.bold = Pt(8.5), True
        if piece.isupper():
            _field(run, piece)
        else:
            run.text = piece

    word.add_heading(_clean(doc.title), level=0)
    p = word.add_paragraph()
    run = p.add_run("CONFIDENTIAL. ")
    run.bold, run.font.color.rgb = True, RGBColor(*_RED)
    run = p.add_run(_clean(doc.confidential))
    run.font.color.rgb = RGBColor(*_RED)
    if doc.produced:
        word.add_paragraph(_clean(doc.produced)).runs[0].font.size = Pt(8.5)
    for part in doc.parts:
        heading = word.add_heading(_clean(part.title), level=1)
        heading.runs[0].font.color.rgb = RGBColor(*_TEAL)
        table = word.add_table(rows=0, cols=2)
        table.style = "Light List Accent 1"
        for key, value in part.facts:
            cells = table.add_row().cells
            cells[0].width, cells[1].width = Mm(48), Mm(126)
            cells[0].paragraphs[0].add_run(_clean(key)).bold = True
            _text(cells[1].paragraphs[0], value)
        for sec in part.sections:
            heading = word.add_heading(_clean(sec.title), level=2)
            heading.runs[0].font.color.rgb = RGBColor(*_TEAL)
            heading.paragraph_format.keep_with_next = True
            if not sec.entries:
                word.add_paragraph().add_run(_clean(sec.empty)).italic = True
            for e in sec.entries:
                p = word.add_paragraph()
                p.paragraph_format.space_after = Pt(1)
                p.add_run(_clean(e.label)).bold = True
                if e.flag:
                    run = p.add_run(f" ({_clean(e.flag).upper()})")
                    run.bold, run.font.color.rgb = True, RGBColor(*_RED)
                if e.text:
                    p.add_run(": ")
                    _text(p, e.text)
                for key, value in e.details:
                    if not value:
                        continue
                    d = word.add_paragraph()
                    d.paragraph_format.left_indent, d.paragraph_format.space_after = Mm(5), Pt(1)
                    d.add_run(f"{_clean(key)}: ").italic = True
                    _text(d, value)
    for note in doc.notes:
        word.add_paragraph(_clean(note))
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _text(paragraph: Any, value: str) -> None:
    """Each line the person typed on its own line (a line break, not a new paragraph)."""
    for n, line in enumerate(x.strip() for x in _clean(value).splitlines() if x.strip()):
        run = paragraph.add_run()
        if n:
            run.add_break()
        run.add_text(line)
