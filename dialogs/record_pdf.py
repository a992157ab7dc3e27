"""The record as a printable PDF (A4): the case reference and "Confidential" at the top of every
page, "Page 2 of 5" at the bottom, rendered from the same `RecordDoc` as the cards and exports.

reportlab is pure Python. Fonts: DejaVu Sans from the machine (Debian's fonts-dejavu-core) or
from inside matplotlib (nearly every script a name is written in), else Bitstream Vera, which ships inside reportlab
(Latin-1 and a little more). With Vera, a character it cannot draw is printed without its accent
(ş as s) or, failing that, as "?", and the PDF says so: the JSON export keeps the exact text.

Rendering is CPU work: callers run `render_pdf` in a thread (asyncio.to_thread).
"""

from __future__ import annotations

import importlib.util
import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from cards.record import RecordDoc

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_TEAL = "#006978"
_RED = "#a00000"


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    italic: str
    covered: frozenset[int] | None  # code points the font draws; None: all we need


@lru_cache(maxsize=2)
def _fonts(allow_system: bool = True) -> _Fonts:
    import reportlab
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    candidates: list[tuple[str, Path, Path, Path, str | None]] = []  # (name, regular, bold, italic, check)
    if allow_system:
        candidates.append(("RecordDejaVu", _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf",
                           _DEJAVU / "DejaVuSans-Oblique.ttf", None))  # fmt: skip
    # The same DejaVu Sans ships inside matplotlib (a dependency, for the reports' charts): found
    # by path, without importing matplotlib.
    spec = importlib.util.find_spec("matplotlib")
    if allow_system and spec is not None and spec.origin:
        mpl = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
        candidates.append(("RecordDejaVuMpl", mpl / "DejaVuSans.ttf", mpl / "DejaVuSans-Bold.ttf",
                           mpl / "DejaVuSans-Oblique.ttf", None))  # fmt: skip
    bundled = Path(reportlab.__file__).parent / "fonts"
    candidates.append(("RecordVera", bundled / "Vera.ttf", bundled / "VeraBd.ttf", bundled / "VeraIt.ttf", "check"))
    for name, regular, bold, italic, check in candidates:
        if not (regular.is_file() and bold.is_file() and italic.is_file()):
            continue
        face = TTFont(name, str(regular))
        pdfmetrics.registerFont(face)
        pdfmetrics.registerFont(TTFont(f"{name}-Bold", str(bold)))
        pdfmetrics.registerFont(TTFont(f"{name}-Italic", str(italic)))
        addMapping(name, 0, 0, name)
        addMapping(name, 1, 0, f"{name}-Bold")
        addMapping(name, 0, 1, f"{name}-Italic")
        addMapping(name, 1, 1, f"{name}-Bold")
        covered = frozenset(face.face.charToGlyph) if check else None
        return _Fonts(name, f"{name}-Bold", f"{name}-Italic", covered)
    # reportlab's standard fonts: WinAnsi (cp1252) only.
    return _Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique",
                  frozenset(ord(c) for c in bytes(range(32, 256)).decode("cp1252", "ignore")))  # fmt: skip


class _Cleaner:
    """Keeps text drawable in the chosen font, and remembers whether anything was lost."""

    _SPECIAL = {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ß": "ss", "ħ": "h", "Ħ": "H"}

    def __init__(self, covered: frozenset[int] | None):
        self.covered = covered
        self.replaced = False

    def __call__(self, value: str) -> str:
        value = unicodedata.normalize("NFC", value)
        if self.covered is None:
            return value
        out = []
        for ch in value:
            if ord(ch) in self.covered or ch in "\n\t":
                out.append(ch)
                continue
            plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            plain = plain if plain and all(ord(c) in self.covered for c in plain) else self._SPECIAL.get(ch, "")
            if plain and all(ord(c) in self.covered for c in plain):
                out.append(plain)
            else:
                out.append("?")
            self.replaced = True
        return "".join(out)


def render_pdf(doc: RecordDoc, *, allow_system_fonts: bool = True) -> bytes:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    fonts = _fonts(allow_system_fonts)
    clean = _Cleaner(fonts.covered)

    def para(value: str) -> str:
        return "<br/>".join(escape(clean(line.strip())) for line in value.splitlines() if line.strip())

    base = ParagraphStyle("base", fontName=fonts.regular, fontSize=9.5, leading=12.5, spaceAfter=2)
    styles = {
        "title": ParagraphStyle("title", base, fontName=fonts.bold, fontSize=17, leading=21, spaceAfter=4),
        "confidential": ParagraphStyle("confidential", base, textColor=HexColor(_RED), borderColor=HexColor(_RED),
                                       borderWidth=0.8, borderPadding=5, spaceBefore=4, spaceAfter=10),
        "produced": ParagraphStyle("produced", base, fontSize=8.5, textColor=HexColor("#555555")),
        "part": ParagraphStyle("part", base, fontName=fonts.bold, fontSize=13.5, leading=17, textColor=HexColor(_TEAL),
                               spaceBefore=10, spaceAfter=6, keepWithNext=1),
        "section": ParagraphStyle("section", base, fontName=fonts.bold, fontSize=11, leading=14,
                                  textColor=HexColor(_TEAL), spaceBefore=9, spaceAfter=3, keepWithNext=1),
        "entry": ParagraphStyle("entry", base, spaceBefore=3.5),
        "detail": ParagraphStyle("detail", base, fontSize=9, leading=11.5, leftIndent=14, spaceAfter=1),
        "empty": ParagraphStyle("empty", base, fontName=fonts.italic, textColor=HexColor("#666666")),
        "fact_label": ParagraphStyle("fact_label", base, fontName=fonts.bold, fontSize=9, textColor=HexColor("#333333")),
        "fact": ParagraphStyle("fact", base, fontSize=9),
    }  # fmt: skip

    story: list[Any] = [Paragraph(para(doc.title), styles["title"]),
                        Paragraph(f"<b>CONFIDENTIAL.</b> {para(doc.confidential)}", styles["confidential"])]  # fmt: skip
    if doc.produced:
        story.append(Paragraph(para(doc.produced), styles["produced"]))
    for n, part in enumerate(doc.parts):
        story.append(Paragraph(para(part.title), styles["part"]))
        rows = [[Paragraph(para(k), styles["fact_label"]), Paragraph(para(v) or "-", styles["fact"])] for k, v in part.facts]
        table = Table(rows, colWidths=[48 * mm, None], hAlign="LEFT")
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, HexColor("#cccccc")),
            ("BACKGROUND", (0, 0), (0, -1), HexColor("#f1f6f7")),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]))  # fmt: skip
        story.append(table)
        for section in part.sections:
            heading = Paragraph(para(section.title), styles["section"])
            if not section.entries:
                story.append(KeepTogether([heading, Paragraph(para(section.empty), styles["empty"])]))
                continue
            for i, e in enumerate(section.entries):
                flag = f" <font color='{_RED}'><b>({escape(clean(e.flag.upper()))})</b></font>" if e.flag else ""
                text = f": {para(e.text)}" if e.text else ""
                block = [Paragraph(f"<b>{para(e.label)}</b>{flag}{text}", styles["entry"])]
                block += [Paragraph(f"<i>{para(k)}:</i> {para(v)}", styles["detail"]) for k, v in e.details if v]
                if i == 0:  # a heading never ends a page alone
                    block.insert(0, heading)
                # Short entries stay whole on a page; a long one may flow over.
                if len(e.text) + sum(len(v) for _, v in e.details) < 1500:
                    story.append(KeepTogether(block))
                else:
                    story.append(KeepTogether(block[:2]))
                    story.extend(block[2:])
        if n < len(doc.parts) - 1:
            story.append(Spacer(1, 8 * mm))
    notes = list(doc.notes)
    if clean.replaced:
        notes.append("Some characters could not be printed in this font and are shown without accents or as '?'. "
                     "The JSON export (sdbot export --format json) holds the exact text.")  # fmt: skip
    for note in notes:
        story.append(Paragraph(para(note), styles["produced"]))

    header_ref = clean(f"Strategy discussion record: {doc.case_ref}")

    class NumberedCanvas(rl_canvas.Canvas):
        """Draws the header and footer once the page count is known ("Page 2 of 5")."""

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = A4
            self.saveState()
            self.setFont(fonts.bold, 9)
            self.setFillColor(HexColor("#333333"))
            self.drawString(18 * mm, height - 12 * mm, header_ref)
            self.setFillColor(HexColor(_RED))
            self.drawRightString(width - 18 * mm, height - 12 * mm, "CONFIDENTIAL")
            self.setStrokeColor(HexColor(_TEAL))
            self.setLineWidth(0.8)
            self.line(18 * mm, height - 14 * mm, width - 18 * mm, height - 14 * mm)
            self.setStrokeColor(HexColor("#999999"))
            self.setLineWidth(0.3)
            self.line(18 * mm, 15 * mm, width - 18 * mm, 15 * mm)
            self.setFillColor(HexColor("#555555"))
            self.setFont(fonts.regular, 7.5)
            self.drawString(18 * mm, 10.5 * mm, "Confidential: not to be shared without the chair's permission (SX 6.6).")
            self.setFont(fonts.bold, 8.5)
            self.setFillColor(HexColor("#333333"))
            self.drawRightString(width - 18 * mm, 10.5 * mm, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    out = io.BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=clean(doc.title), author="Strategy Discussions bot",
                            subject="Confidential strategy discussion record")  # fmt: skip
    pdf.build(story, canvasmaker=NumberedCanvas)
    return out.getvalue()
