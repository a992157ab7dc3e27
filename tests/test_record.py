"""The record is the product: a fully recorded case, walked through the real route, reads the same
in the circulated card, `sdbot export --format md|html|pdf`, and holds every agenda answer in agenda
order, in words and local time, with person-typed text escaped for each medium."""

from __future__ import annotations

import json
import re
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
from pypdf import PdfReader

from bot.export import export_case
from cards.record import CARD_BUDGET, Entry, Part, RecordDoc, Section, record_cards
from dialogs.record_pdf import render_pdf
from procedure import AGENDA
from tests.conftest import Bot
from tests.support import activities
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to, titles, verb_data
from tests.test_discussion_flow import next_step

LONDON = ZoneInfo("Europe/London")
REF = "CR-3001"
# Typed by people: must show literally everywhere (not as a link, a heading, bold, or HTML).
TRICKY = "**not bold** [a link](https://evil.example) <b>tag</b> # heading"

ANSWERS: dict[str, dict[str, str]] = {
    "reason": {"reason": "Unexplained bruising reported by the school nurse.", "action_taken": "Child kept at school until 17:00."},
    "voice-of-child": {"voice": "Child said she is scared of shouting at home. " + TRICKY,
                       "seen_alone": "Thursday after school, by Sam Social"},
    "other-children": {"children": "Younger brother (4) at the same address; nursery to be told."},
    "risk": {"level": "high", "immediate": "Child to stay with grandmother tonight by agreement.",
             "discharge": ""},
    "interviews": {"interviews": "Mother interviewed by police and social worker on Friday."},
    "interpreter": {"needs": "Family speaks Polish at home.", "interpreter": "Łucja Wiśniewska (Polish interpreter)"},
    "family": {"shared": "Mother told of the enquiry by Sam Social today at 17:00; not the police investigation."},
    "legal": {"legal": "consider", "why": "Pattern of injuries: legal planning meeting advised."},
    "contingency": {"contingency": "If mother removes the child, police to attend and CSC to seek an EPO.",
                    "next_review": "03/06/2026 10:00"},
}  # fmt: skip

NO_CODES = re.compile(r"\b(True|False|None|s47|stage 0|agency_kind)\b|\d{4}-\d{2}-\d{2}T\d{2}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-")


async def fully_recorded(bot: Bot, case_ref: str = REF) -> str:
    """Convene (medical, school), invite; police, health, paediatrics and education accept;
    education then withdraws late; start; answer every agenda step; information, a resolved
    disagreement; close. Returns the discussion id."""
    bot.clock.set(datetime(2026, 5, 20, 9, 0, tzinfo=LONDON))
    await bot.say("chris", f"convene {case_ref} concerns serious-injury flags medical, school at today 15:00")
    await bot.drain()
    data = verb_data(sent_to(bot, CHRIS_CHAT)[-1].activity, "send_invitations")
    did = data["discussion_id"]
    await bot.click("chris", "send_invitations", data, CHRIS_CHAT)
    await bot.drain()
    for prefix, who in (("19:police-sd@thread.tacv2;messageid=", "pat"), ("19:health-sd@thread.tacv2;messageid=", "hana"),
                        (activities.personal_conversation("29:pia"), "pia"), (activities.personal_conversation("29:ed"), "ed")):
        thread = [m for m in sent_to(bot, prefix) if case_ref in card_json(m.activity)][-1]
        status, _ = await bot.click(who, "accept", verb_data(thread.activity, "accept"), thread.conversation_id)
        assert status == 200
    bot.clock.set(datetime(2026, 5, 20, 14, 0, tzinfo=LONDON))  # an hour before the start: late
    ed_chat = [m for m in sent_to(bot, activities.personal_conversation("29:ed")) if case_ref in card_json(m.activity)][-1]
    status, _ = await bot.click("ed", "withdraw", {**verb_data(ed_chat.activity, "accept"), "withdraw_reason": "Head teacher off sick"},
                                ed_chat.conversation_id)  # fmt: skip
    assert status == 200
    bot.clock.set(datetime(2026, 5, 20, 15, 0, tzinfo=LONDON))
    await bot.say("chris", f"start {case_ref}")
    await bot.drain()
    status, _ = await bot.click("hana", "info_add", {"discussion_id": did, "info": "Two previous A&E attendances.\nBoth for falls."})
    assert status == 200
    status, _ = await bot.click("pat", "info_add", {"discussion_id": did, "info": "Father known for domestic abuse (2024). " + TRICKY})
    assert status == 200
    await bot.click("pat", "disagree", {"discussion_id": did, "about": "Police consider a single-agency S47 enough."})
    await bot.drain()
    [g] = [m for m in sent_to(bot, CHRIS_CHAT) if "professional disagreement" in card_json(m.activity)]
    await bot.click("chris", "resolve_disagreement", {**verb_data(g.activity, "resolve_disagreement"),
                                                      "resolution": "Agreed a joint enquiry after discussion."}, CHRIS_CHAT)  # fmt: skip
    for step in AGENDA:
        if step.key == "attendance":
            await next_step(bot, did, "attendance", {"others": "Sam Social, Social Worker, CSC",
                                                     "apologies": "Ed Educator: head teacher off sick"})
        elif step.key == "information":
            await next_step(bot, did, "information", {"summary": "Agencies agree the injuries are unexplained."})
        elif step.key == "decisions":
            await next_step(bot, did, "decisions", {
                "decision:s47": "joint", "rationale:s47": "Injuries unexplained; police to investigate jointly.",
                "decision:family-assessment": "yes", "rationale:family-assessment": "Needs of the younger brother unknown.",
                "decision:criminal-investigation": "yes", "rationale:criminal-investigation": "Possible assault.",
                "decision:abe-interview": "no", "rationale:abe-interview": "Child too distressed today; review Friday.",
            })  # fmt: skip
        elif step.key == "medical":
            await next_step(bot, did, "medical", {"decision:medical": "needed", "rationale:medical": "Bruising of differing ages."})
        elif step.key == "actions":
            status, body = await bot.click("chris", "agenda_add_action", {"discussion_id": did, "step": "actions",
                "what": "Child seen alone by the social worker", "owner": "sam", "due": "tomorrow 12:00",
                "purpose": "Hear the child's wishes and feelings"}, CHRIS_CHAT)  # fmt: skip
            assert status == 200
            await next_step(bot, did, "actions")
        else:
            await next_step(bot, did, step.key, ANSWERS.get(step.key, {}))
    await bot.say("chris", f"close {case_ref}")
    await bot.drain()
    return did


def record_messages(bot: Bot, conversation: str = CHRIS_CHAT) -> list[dict[str, Any]]:
    cards = [m.activity["attachments"][0]["content"] for m in sent_to(bot, conversation) if m.activity.get("attachments")]
    return [c for c in cards if c.get("body") and str(c["body"][0].get("text", "")).startswith("Record ")]


def card_text(card: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                out.append(node["text"])
            if node.get("type") == "FactSet":
                out.extend(f"{f['title']}: {f['value']}" for f in node["facts"])
            for key, value in node.items():
                if key != "actions":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(out)


def unescape_md(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


EXPECTED_WORDS = [
    # attendance, in words, with present/apologies
    "Pat Lead", "Detective Sergeant, Police (MASH): present", "Sam Social", "Apologies and reasons",
    "Read out at the start",
    "Unexplained bruising reported by the school nurse.", "Child kept at school until 17:00.",
    "Police (MASH): Pat Lead", "Father known for domestic abuse (2024).", "Health Safeguarding Team: Hana Health",
    "Two previous A&E attendances.", "Agencies agree the injuries are unexplained.",
    "Child said she is scared of shouting at home.", "Thursday after school, by Sam Social",
    "Younger brother (4) at the same address", "Level of risk", "High", "Child to stay with grandmother tonight",
    "Section 47 enquiry", "Joint with the police", "Injuries unexplained; police to investigate jointly.",
    "Family Assessment", "Criminal investigation", "ABE (Achieving Best Evidence) interview", "Not to be held",
    "Medical assessment", "Needed", "Bruising of differing ages.",
    "Mother interviewed by police and social worker on Friday.", "Family speaks Polish at home.",
    "Mother told of the enquiry by Sam Social", "Legal planning meeting", "Pattern of injuries",
    "Child seen alone by the social worker", "Sam Social, Children's Social Care (Front Door)",
    "Hear the child's wishes and feelings", "Thu 21 May 2026, 12:00",
    "If mother removes the child", "Next review by", "Wed 3 Jun 2026, 10:00",
    "Police consider a single-agency S47 enough.", "Agreed a joint enquiry after discussion.", "Practitioner (stage 1 of",
    "Education Safeguarding (schools)", "LATE", "Head teacher off sick", "Late withdrawal",
    "Circulate the record by", "Thu 21 May 2026", "Initial Child Protection Conference by", "Thu 11 Jun 2026",
    "Wed 20 May 2026, 15:00", "Serious physical injury", "Teams meeting", "Chris Chair, Team Manager (chair)",
]


def assert_reads_as_a_record(text: str, medium: str) -> None:
    missing = [w for w in EXPECTED_WORDS if w not in text]
    assert not missing, f"{medium} lacks {missing}"
    # Every agenda step's label, in agenda order, then what follows the agenda.
    positions = [text.find(f"{s.number}. {s.title}") for s in AGENDA]
    assert -1 not in positions and positions == sorted(positions), (medium, positions)
    tail = [text.find(t) for t in ("Professional disagreements", "Invitations and answers", "Escalations", "Deadlines that follow")]
    assert -1 not in tail and tail == sorted(tail) and tail[0] > positions[-1], (medium, tail)
    assert not NO_CODES.findall(text), f"{medium} shows codes, ISO times or ids: {NO_CODES.findall(text)[:5]}"


async def test_the_record_card_markdown_html_and_pdf_hold_every_answer_in_words(bot: Bot, tmp_path: Path) -> None:
    did = await fully_recorded(bot)
    record = record_messages(bot)
    assert record and "Approve circulation" in titles(record[-1]) and "Download PDF" in titles(record[-1])
    card_words = unescape_md(card_text({"body": [c["body"] for c in record]}))
    assert_reads_as_a_record(card_words, "card")
    assert did not in card_words
    # Escaped for Adaptive Card Markdown: what a person typed shows as typed.
    raw = json.dumps(record)
    assert "[a link](https" not in raw and "\\\\[a link\\\\](https" in raw
    assert "**not bold**" not in raw.replace("\\\\*", "")  # never bold-able

    settings = bot.settings
    for fmt in ("md", "html", "pdf"):
        out = tmp_path / f"{REF}.{fmt}"
        assert await export_case(settings, REF, fmt, str(out)) == 0
        assert out.stat().st_mode & 0o077 == 0  # readable by its owner only
    md = (tmp_path / f"{REF}.md").read_text()
    assert_reads_as_a_record(unescape_md(md), "markdown")
    assert "[a link](https" not in md and "**not bold**" not in md
    html_text = (tmp_path / f"{REF}.html").read_text()
    assert "<b>tag</b>" not in html_text and "&lt;b&gt;tag&lt;/b&gt;" in html_text
    from html import unescape

    assert_reads_as_a_record(unescape(re.sub(r"<[^>]+>", " ", html_text)).replace("  ", " "), "html")

    reader = PdfReader(BytesIO((tmp_path / f"{REF}.pdf").read_bytes()))
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert "CONFIDENTIAL" in page, n
        assert f"Strategy discussion record: {REF}" in page, n  # the case reference in the header
        assert f"Page {n} of {len(pages)}" in page, n
    pdf_words = re.sub(r"\s+", " ", "\n".join(pages))
    assert_reads_as_a_record(pdf_words, "pdf")
    assert "Łucja Wiśniewska" in pdf_words  # DejaVu draws Polish names as written

    # The Word document: the same record, the header and page numbers on every page.
    out = tmp_path / f"{REF}.docx"
    assert await export_case(settings, REF, "docx", str(out)) == 0
    word = docx.Document(str(out))
    body = [p.text for p in word.paragraphs] + [c.text for t in word.tables for r in t.rows for c in r.cells]
    assert_reads_as_a_record(re.sub(r"[ \t]+", " ", "\n".join(body)), "docx")
    assert "Łucja Wiśniewska" in "\n".join(body)
    header = word.sections[0].header.paragraphs[0].text
    assert f"Strategy discussion record: {REF}" in header and "CONFIDENTIAL" in header
    footer_xml = word.sections[0].footer.paragraphs[0]._p.xml
    assert "Page " in footer_xml and " PAGE " in footer_xml and " NUMPAGES " in footer_xml

    # The JSON keeps its contract shape.
    json_out = tmp_path / f"{REF}.json"
    assert await export_case(settings, REF, "json", str(json_out)) == 0
    [d] = json.loads(json_out.read_text())["discussions"]
    assert {"id", "kind", "review_of", "status", "convene_by", "convene_by_rule", "invitations", "escalations",
            "attendance", "decisions", "actions", "circulate_by", "circulated_at", "icpc_by", "chair", "quorate"} <= set(d)


async def test_pdf_or_docx_without_out_is_refused_and_unknown_case_exits_1(sqlite_bot: Bot, capsys: pytest.CaptureFixture[str]) -> None:
    for binary in ("pdf", "docx"):
        assert await export_case(sqlite_bot.settings, "CR-1", binary) == 2
        assert "--out" in capsys.readouterr().err
    assert await export_case(sqlite_bot.settings, "CR-NOPE", "md") == 1


async def test_a_review_names_the_discussion_it_reviews_by_date(sqlite_bot: Bot, tmp_path: Path) -> None:
    bot = sqlite_bot
    await fully_recorded(bot)
    bot.clock.set(datetime(2026, 5, 27, 9, 0, tzinfo=LONDON))
    await bot.say("chris", f"review {REF} at today 11:00")
    await bot.drain()
    rid = verb_data(sent_to(bot, CHRIS_CHAT)[-1].activity, "send_invitations")["discussion_id"]
    await bot.click("chris", "send_invitations", {"discussion_id": rid}, CHRIS_CHAT)
    bot.clock.set(datetime(2026, 5, 27, 11, 0, tzinfo=LONDON))
    await bot.say("chris", f"start {REF}")
    await next_step(bot, rid, "decisions", {"decision:s47": "joint", "rationale:s47": "Continue the joint enquiry."})
    await bot.say("chris", f"close {REF}")
    await bot.drain()
    review_card = unescape_md(card_text(record_messages(bot)[-1]))
    assert "Review of the discussion held Wed 20 May 2026, 15:00" in review_card
    assert rid not in review_card
    out = tmp_path / "case.md"
    assert await export_case(bot.settings, REF, "md", str(out)) == 0
    md = unescape_md(out.read_text())
    assert md.index("Initial strategy discussion, Wed 20 May 2026, 15:00") < md.index("Review strategy discussion, Wed 27 May 2026, 11:00")
    assert "Review of the discussion held Wed 20 May 2026, 15:00" in md


def big_doc(entries: int, size: int) -> RecordDoc:
    long = [Entry(f"Agency {n}: Person {n}", f"Paragraph {n}. " + ("ż" * (size - 20)) + f" END{n}") for n in range(entries)]
    return RecordDoc("CR-9", (Part("Initial strategy discussion, Wed 2 Dec 2026, 10:00", (("Case reference", "CR-9"),),
                                   (Section("information", "4. Information from each agency", tuple(long)),
                                    Section("risk", "7. Risk and immediate safeguarding"))),))  # fmt: skip


def test_a_record_too_large_for_one_card_continues_on_numbered_cards_and_loses_nothing() -> None:
    from cards.record import RecordButton
    from cards.verbs import Verb

    doc = big_doc(30, 4000)  # 30 answers of 4000 non-ASCII characters: far over 28 KB
    cards = record_cards(doc, [RecordButton("Approve circulation", Verb.APPROVE_CIRCULATION, {"discussion_id": "d"})], ["Goes to: X"])
    assert len(cards) > 3
    for n, c in enumerate(cards, 1):
        assert len(json.dumps({"type": "message", "attachments": [{"content": c}]})) < 28_000
        assert c["body"][0]["text"] == f"Record CR-9 ({n} of {len(cards)})"
        assert ("actions" in c) == (n == len(cards))  # the buttons on the last card only
    everything = card_text({"body": [c["body"] for c in cards]})
    for n in range(30):
        assert f"END{n}" in everything and f"Paragraph {n}." in everything
    assert everything.count("ż") == 30 * (4000 - 20)  # nothing cut
    assert "7. Risk and immediate safeguarding" in everything and "Goes to: X" in card_text(cards[-1])
    assert record_cards(big_doc(2, 100))[0]["body"][0]["text"] == "Record CR-9"  # small: one card, no numbering
    assert CARD_BUDGET < 28_000


async def test_a_long_record_is_circulated_as_continuation_cards(sqlite_bot: Bot) -> None:
    bot = sqlite_bot
    bot.clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=LONDON))
    await bot.say("chris", "convene CR-3002 concerns serious-injury flags school at today 15:00")
    await bot.drain()
    data = verb_data(sent_to(bot, CHRIS_CHAT)[-1].activity, "send_invitations")
    await bot.click("chris", "send_invitations", data, CHRIS_CHAT)
    await bot.drain()
    for prefix, who in (("19:police-sd@thread.tacv2;messageid=", "pat"), ("19:health-sd@thread.tacv2;messageid=", "hana")):
        thread = [m for m in sent_to(bot, prefix) if "CR-3002" in card_json(m.activity)][-1]
        await bot.click(who, "accept", verb_data(thread.activity, "accept"), thread.conversation_id)
    bot.clock.set(datetime(2026, 6, 1, 15, 0, tzinfo=LONDON))
    await bot.say("chris", "start CR-3002")
    await bot.drain()
    for n in range(8):
        status, _ = await bot.click("pat" if n % 2 else "hana", "info_add",
                                    {"discussion_id": data["discussion_id"], "info": f"Item {n}: " + "Noted. " * 560 + f" END{n}"})  # fmt: skip
        assert status == 200
    await next_step(bot, data["discussion_id"], "decisions", {"decision:s47": "none", "rationale:s47": "No grounds."})
    before = len(sent_to(bot, CHRIS_CHAT))
    await bot.say("chris", "close CR-3002")
    await bot.drain()
    cards = [m.activity["attachments"][0]["content"] for m in sent_to(bot, CHRIS_CHAT)[before:]]
    assert len(cards) >= 2
    assert all(len(json.dumps(m.activity)) < 28_000 for m in sent_to(bot, CHRIS_CHAT)[before:])
    assert [c["body"][0]["text"] for c in cards] == [f"Record CR-3002 ({n} of {len(cards)})" for n in range(1, len(cards) + 1)]
    text = card_text({"body": [c["body"] for c in cards]})
    assert all(f"END{n}" in text for n in range(8))
    # Approving circulation sends every card to every recipient, in personal chats.
    status, body = await bot.click("chris", "approve_circulation", {"discussion_id": data["discussion_id"]}, CHRIS_CHAT)
    assert status == 200 and body["value"]["body"][0]["text"] == f"Record CR-3002 ({len(cards)} of {len(cards)})"
    await bot.drain(timeout=60)  # Teams' per-conversation rate limits pace the copies
    pat = record_messages(bot, activities.personal_conversation("29:pat"))
    assert len([c for c in pat if "CR-3002" in c["body"][0]["text"]]) == len(cards)


def test_pdf_without_a_unicode_font_prints_accents_plainly_and_says_so() -> None:
    doc = RecordDoc("CR-7", (Part("Initial strategy discussion", (("Interpreter", "Łucja Wiśniewska, Ţepeş 王"),), ()),))
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(render_pdf(doc, allow_system_fonts=False))).pages)
    # Bitstream Vera (inside reportlab) draws Ł and ş, not ś or Ţ, and no Chinese.
    assert "Łucja Wisniewska, Tepeş ?" in text
    assert "could not be printed in this font" in text
    full = "\n".join(p.extract_text() for p in PdfReader(BytesIO(render_pdf(doc))).pages)
    assert "Wiśniewska, Ţepeş" in full


def test_typed_text_cannot_make_structure_in_any_medium() -> None:
    from dialogs.record_view import to_html, to_markdown

    typed = "ok\r# Heading\u2028- item\n1. first\n| a | b |\n<script>x</script> [link](https://evil.example)"
    doc = RecordDoc("CR-8", (Part("Initial strategy discussion", (("Case reference", "CR-8"),),
                                  (Section("reason", "3. Reason for the discussion", (Entry("Reason", typed, (("Why", typed),)),)),)),))  # fmt: skip
    md = to_markdown(doc)
    assert not any(line.lstrip().startswith(("# Heading", "- item", "1. first", "| a", "<script>")) for line in md.splitlines())
    assert "[link](" not in md and "\\[link\\](https://evil.example)" in md
    assert "<script>" not in to_html(doc) and "&lt;script&gt;" in to_html(doc)
    card = json.dumps(record_cards(doc))
    assert "[link](" not in card and "<script>" not in card
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(render_pdf(doc))).pages)
    assert "<script>x</script> [link](https://evil.example)" in text  # drawn as typed, not as markup


def test_pdf_on_a_machine_without_dejavu_uses_the_dejavu_inside_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    import dialogs.record_pdf as record_pdf

    monkeypatch.setattr(record_pdf, "_DEJAVU", Path("/nonexistent-fonts"))
    record_pdf._fonts.cache_clear()
    try:
        assert record_pdf._fonts(True).regular == "RecordDejaVuMpl"
        doc = RecordDoc("CR-7", (Part("Initial strategy discussion", (("Interpreter", "Łucja Wiśniewska, Ţepeş"),), ()),))
        text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(render_pdf(doc))).pages)
        assert "Wiśniewska, Ţepeş" in text and "could not be printed" not in text
    finally:
        record_pdf._fonts.cache_clear()
