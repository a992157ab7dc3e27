"""Walks a chair's day through Microsoft 365 Agents Playground in headless Chromium and saves one
cropped PNG per card (docs/screenshots/README.md says what each shows).

Start the bot (make run, on a fresh var/sdbot.db) and the Playground (make playground) first, then:
    .venv/bin/python scripts/screenshots.py [PLAYGROUND_URL] [OUT_DIR]
Needs Debian's chromium (/usr/bin/chromium; Playwright never downloads a browser here) and, for
the status emoji, the fonts-noto-color-emoji package. Only fictional people and case references.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sqlite3
import sys
import urllib.request
from pathlib import Path

from playwright.async_api import Locator, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
URL = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:56150"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
DB = Path("var/sdbot.db")  # the database `make run` serves (for the personal-chat invitation)
CASE = os.environ.get("SHOT_CASE", "CR-7001")  # fictional; another one to rerun on the same database
BOT = "http://127.0.0.1:3978/api/messages"
TENANT = "11111111-2222-4333-8444-555555555555"  # .m365agentsplayground.yml
PIA = {"id": "29:pia", "name": "Dr Pia Paed", "aadObjectId": "00000000-0000-4000-8000-000000000009"}  # fictional
_ids = itertools.count(1)
RENDERER = Path("tests/node/node_modules/adaptivecards/dist/adaptivecards.min.js").resolve()  # make node
CARD = ".ac-preview-panel"  # one rendered card message in the Playground (chats and channel posts)


async def say(page: Page, text: str, wait: int = 3500) -> None:
    box = page.locator('[data-lexical-editor="true"]').first
    await box.click()
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")
    await page.wait_for_timeout(wait)


def last_card(page: Page, containing: str | None = None) -> Locator:
    cards = page.locator(CARD, has_text=containing) if containing else page.locator(CARD)
    return cards.last


async def shot(card: Locator, name: str) -> None:
    await card.scroll_into_view_if_needed()
    await card.screenshot(path=str(OUT / f"{name}.png"))
    print("saved", name)


async def shot_tail(page: Page, name: str, height: int = 520) -> None:
    """The end of the conversation, above the compose box (for what is not one card)."""
    compose = await page.locator('[data-lexical-editor="true"]').first.bounding_box()
    assert compose is not None
    clip = {"x": compose["x"] - 90, "y": compose["y"] - 24 - height, "width": compose["width"] + 120, "height": height}
    await page.screenshot(path=str(OUT / f"{name}.png"), clip=clip)
    print("saved", name)


async def press(card: Locator, title: str, wait: int = 3500) -> None:
    await card.get_by_role("button", name=title, exact=True).last.click()
    await card.page.wait_for_timeout(wait)


async def open_chat(page: Page, name: str) -> None:
    await page.get_by_text(name).first.click()
    await page.wait_for_timeout(2500)


async def fill(card: Locator, label: str, value: str) -> None:
    await card.get_by_label(label, exact=False).last.fill(value)


async def choose(card: Locator, label: str, option: str) -> None:
    """A compact choice set: the Playground renders a Fluent combobox, not a <select>."""
    page = card.page
    await card.get_by_role("combobox", name=label).last.click()
    try:
        await page.get_by_role("option", name=option, exact=True).first.click(timeout=3000)
    except PlaywrightTimeout:
        # The Playground's combobox can keep the choices of the card it edited in place (an
        # earlier step's): leaving the chat and coming back renders the card afresh.
        await page.keyboard.press("Escape")
        await open_chat(page, "Police Strategy Discussions")
        await open_chat(page, "Personal Chat")
        await card.get_by_role("combobox", name=label).last.click()
        await page.get_by_role("option", name=option, exact=True).first.click()
    await page.wait_for_timeout(300)


def query(sql: str, *args: str) -> list[tuple]:
    with sqlite3.connect(DB) as db:
        return db.execute(sql, args).fetchall()


async def press_as(person: dict[str, str], verb: str, data: dict[str, str]) -> None:
    """A card press by someone whose personal chat the Playground cannot show (it shows only the
    current user's): the same Teams-shaped invoke, posted to the bot's route, answered through
    the Playground's connector."""
    activity = {
        "type": "invoke", "name": "adaptiveCard/action", "id": f"shot-{next(_ids)}", "channelId": "msteams",
        "serviceUrl": URL.rstrip("/") + "/_connector", "from": person, "locale": "en-GB",
        "conversation": {"id": f"a:personal-{person['id']}", "conversationType": "personal", "tenantId": TENANT},
        "recipient": {"id": "28:sdbot-playground", "name": "Strategy Discussions"},
        "channelData": {"tenant": {"id": TENANT}},
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
    }  # fmt: skip
    request = urllib.request.Request(BOT, json.dumps(activity).encode(), {"Content-Type": "application/json"})
    with await asyncio.to_thread(urllib.request.urlopen, request, timeout=10) as answer:
        assert answer.status == 200, answer.status


async def chair_day(page: Page) -> None:
    await open_chat(page, "Personal Chat")
    await say(page, "help")
    await shot(last_card(page), "01-help")

    await say(page, f"convene {CASE} referral today 08:40 concerns serious-injury flags medical, school at today 23:00")
    await shot(last_card(page, "Send invitations"), "02-convene-summary")
    await press(last_card(page, "Send invitations"), "Send invitations", 7000)
    await shot(last_card(page, f"Roster: {CASE}"), "03-roster-sent")
    notice = last_card(page, "the invitation to Health Safeguarding Team")
    try:  # the worker tells the chair after its first failed attempt (the Playground answers 500)
        await notice.wait_for(timeout=30000)
        await shot(notice, "04-delivery-notice")
    except PlaywrightTimeout:  # an earlier run's failures still retrying on this database
        print("no delivery notice yet: run on a fresh var/sdbot.db")

    # The police channel: the invitation as a new thread; the chair may answer for an agency.
    await open_chat(page, "Police Strategy Discussions")
    invitation = last_card(page, f"Strategy discussion: {CASE}")
    await shot(invitation, "05-invitation-channel")
    await press(invitation, "Decline", 800)
    await fill(invitation, "Why can't your agency attend?", "No officer free tonight (fictional).")
    await shot(invitation, "06-invitation-decline-form")
    await press(invitation, "Send decline")
    await shot(last_card(page, f"Strategy discussion: {CASE}"), "07-invitation-declined")
    await press(last_card(page, f"Strategy discussion: {CASE}"), "Accept")
    invitation = last_card(page, f"Strategy discussion: {CASE}")
    await press(invitation, "Withdraw", 800)
    await fill(invitation, "Why must your agency withdraw?", "Officer called to an emergency (fictional).")
    await shot(invitation, "08-invitation-accepted-withdraw-form")
    await press(invitation, "Confirm withdrawal")
    await shot(last_card(page, f"Strategy discussion: {CASE}"), "09-invitation-withdrawn")
    await press(last_card(page, f"Strategy discussion: {CASE}"), "Accept")
    await shot(last_card(page, f"Strategy discussion: {CASE}"), "10-invitation-accepted")

    # Back to the chair: the roster edited in place; a health answer given by phone.
    await open_chat(page, "Personal Chat")
    roster = last_card(page, f"Roster: {CASE}")
    await shot(roster, "11-roster-updated")
    await press(roster, "Record answer", 800)
    await choose(roster, "Agency", "Health Safeguarding Team")
    await roster.get_by_text("Accepted", exact=True).last.click()
    await fill(roster, "Note (who you spoke to, how)", "Hugo Health by phone, 14:05 (fictional).")
    await shot(roster, "12-roster-record-answer")
    await press(roster, "Save answer", 5000)
    await shot(last_card(page, f"Roster: {CASE}"), "13-roster-quorate")

    # Dr Pia Paed accepts in her personal chat (rendered below from what the bot sent her).
    (invitation_id,) = query("SELECT i.id FROM invitations i JOIN discussions d ON d.id = i.discussion_id "
                             "WHERE d.case_ref = ? AND i.agency_id = 'paediatrics'", CASE)[0]  # fmt: skip
    await press_as(PIA, "accept", {"invitation_id": invitation_id})
    await page.wait_for_timeout(4000)
    await say(page, f"status {CASE}")
    await shot(last_card(page), "14-status")

    await say(page, "cases", 4000)  # while this discussion is open
    await shot(last_card(page), "14b-cases")

    await say(page, f"start {CASE}", 6000)
    (discussion_id,) = query("SELECT id FROM discussions WHERE case_ref = ? ORDER BY created_at DESC", CASE)[0]
    await press_as(PIA, "info_add", {"discussion_id": discussion_id,
                                     "info": "Seen in clinic in March for a minor burn; no concerns then (fictional)."})
    await page.wait_for_timeout(3000)
    await agenda(page)

    await say(page, f"close {CASE}", 6000)
    await page.set_viewport_size({"width": 1400, "height": 4600})  # the record is one tall card
    await page.wait_for_timeout(1000)
    record = last_card(page, "Approve circulation")
    await shot(record, "25-record")
    await press(record, "Approve circulation", 5000)
    await shot(last_card(page, f"Record {CASE}"), "26-record-circulated")
    await press(last_card(page, "Download PDF"), "Download PDF", 5000)
    await shot_tail(page, "27-download-pdf")
    await page.set_viewport_size({"width": 1400, "height": 2400})
    await page.wait_for_timeout(1000)

    await say(page, "report", 6000)
    await shot(last_card(page), "28-report")
    await say(page, "convene CR-7002 flags wings")
    await shot(last_card(page), "29-error-unknown-code")


async def agenda(page: Page) -> None:
    """The chair's agenda card, one step at a time (edited in place)."""

    def step() -> Locator:
        return last_card(page, "Save and next").or_(last_card(page, "Finish agenda")).last

    async def next_step(name: str | None = None) -> None:
        if name:
            await page.wait_for_timeout(1000)  # the card edited in place settles
            await shot(step(), name)
        await press(step(), "Finish agenda" if await step().get_by_role("button", name="Finish agenda").count()
                    else "Save and next")

    await next_step("16-agenda-attendance")
    await next_step()  # the Playground draws step 2 half-styled: rendered from the outbox below
    await fill(step(), "Reason for the strategy discussion", "Injury to a 2-year-old reported by the nursery (fictional).")
    await next_step()
    await next_step("18-agenda-information")
    await fill(step(), "Voice of the child", "Too young to speak; observed with carer at home visit.")
    await next_step()
    await next_step()  # other children
    await choose(step(), "Level of risk", "High")
    await fill(step(), "Immediate safeguarding actions", "Child to stay with grandparent tonight (fictional).")
    await next_step("19-agenda-risk")
    await choose(step(), "Section 47 enquiry: decision", "S47 enquiry, joint with police")
    await fill(step(), "Section 47 enquiry: rationale", "Unexplained injury to a non-mobile child.")
    await next_step("20-agenda-decisions")
    await choose(step(), "Medical assessment: decision", "Medical assessment needed")
    await fill(step(), "Medical assessment: rationale", "Bruising needs a paediatric opinion.")
    await choose(step(), "Paediatrician or health professional consulted", "Dr Pia Paed, Consultant Community Paediatrician")
    await next_step("21-agenda-medical")
    await next_step()  # interviews
    await next_step()  # interpreter
    await fill(step(), "What will be shared with the family", "The S47 enquiry and the medical, by the social worker today.")
    await next_step()
    await choose(step(), "Legal action", "Not needed")
    await next_step()
    await fill(step(), "What is to be done", "Arrange the child protection medical")
    await choose(step(), "Who (person and agency)", "Dr Pia Paed (paediatrics)")
    await fill(step(), "By when", "tomorrow 12:00")
    await fill(step(), "For what purpose", "To assess the injury")
    await press(step(), "Add action")
    await next_step("22-agenda-actions")
    await fill(step(), "Contingency plan", "If the grandparent cannot care, police protection (fictional).")
    await fill(step(), "Next review", "tomorrow 16:00")
    await next_step("23-agenda-contingency")
    await shot(last_card(page, "agenda complete"), "24-agenda-finished")


async def personal_cards(browser) -> None:
    """The Playground shows only the current user's chats: render what the bot sent to Dr Pia
    Paed's personal chat (from the outbox: her invitation as first sent, her meeting card), and
    the agenda's step 2, which the Playground draws half-styled, with the official renderer."""
    rows = query("SELECT o.payload FROM outbox o WHERE o.case_ref = ? AND o.purpose = 'invitation' "
                 "AND o.target LIKE '%\"pia\"%' ORDER BY o.id", CASE)  # fmt: skip
    if rows:
        await render(browser, json.loads(rows[0][0]), "05b-invitation-personal")
    rows = query("SELECT o.payload FROM outbox o JOIN discussions d ON o.message_key = 'meeting:' || d.id || ':pia' "
                 "WHERE d.case_ref = ? AND o.op = 'send' ORDER BY o.id DESC", CASE)  # fmt: skip
    if rows:
        await render(browser, json.loads(rows[0][0]), "15-meeting-card")
    else:
        print("no meeting card for Dr Pia Paed in the outbox")
    rows = query("SELECT o.payload FROM outbox o JOIN discussions d ON d.id = o.discussion_id WHERE d.case_ref = ? "
                 "AND o.purpose = 'agenda' AND o.payload LIKE '%step 2 of%' ORDER BY o.id", CASE)  # fmt: skip
    if rows:
        await render(browser, json.loads(rows[0][0]), "17-agenda-difference-statement")


async def render(browser, activity: dict, name: str) -> None:
    content = activity["attachments"][0]["content"]
    page = await browser.new_page(viewport={"width": 560, "height": 1200})
    await page.set_content(
        "<html><body style='font-family:Segoe UI,sans-serif;background:#f5f5f5;padding:16px'>"
        "<div id='c' style='background:white;max-width:520px;border-radius:6px'></div></body></html>"
    )
    await page.add_script_tag(path=str(RENDERER))
    await page.evaluate(
        r"""card => { AdaptiveCards.AdaptiveCard.onProcessMarkdown = (md, result) => {
            // Bold and links only: what these cards use (Teams renders full markdown).
            result.outputHtml = md.replace(/[&<>]/g, ch => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[ch]))
              .replace(/[*][*](.+?)[*][*]/g, "<b>$1</b>").replace(/\[(.+?)\]\((.+?)\)/g, "<a href='$2'>$1</a>");
            result.didProcess = true; };
        const c = new AdaptiveCards.AdaptiveCard(); c.parse(card);
        document.getElementById('c').appendChild(c.render()); }""",
        content,
    )
    await shot(page.locator("#c"), name)
    await page.close()


async def main() -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 2400})
        await page.goto(URL, wait_until="networkidle")
        try:
            await chair_day(page)
        except Exception:
            await page.screenshot(path=str(OUT / "failed-here.png"), full_page=True)  # what the walk last saw
            raise
        await personal_cards(browser)
        await browser.close()


OUT.mkdir(parents=True, exist_ok=True)
asyncio.run(main())
