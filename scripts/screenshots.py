"""Drives the bot through Microsoft 365 Agents Playground in headless Chromium and saves screenshots.

Start the bot (make run) and the Playground (make playground) first, then:
    .venv/bin/python scripts/screenshots.py [PLAYGROUND_URL] [OUT_DIR]
Needs Debian's chromium (/usr/bin/chromium); Playwright never downloads a browser here.
"""

import asyncio
import sys

from playwright.async_api import async_playwright

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
OUT = sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots"
URL = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:56150"


async def say(page, text, wait=3000):
    box = page.locator('[data-lexical-editor="true"]').first
    await box.click()
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")
    await page.wait_for_timeout(wait)


async def main():
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = await b.new_page(viewport={"width": 1400, "height": 1400})
        await page.goto(URL, wait_until="networkidle")
        await page.get_by_text("Personal Chat").first.click()
        await page.wait_for_timeout(1000)
        await say(page, "help")
        await page.screenshot(path=f"{OUT}/01-help.png")
        await say(page, "convene CR-9 flags wings")
        await page.screenshot(path=f"{OUT}/02-bad-flag.png")
        await say(
            page,
            "convene CR-1234 referral today 08:40 concerns serious-injury flags school at today 17:00",
        )
        await page.screenshot(path=f"{OUT}/03-summary.png")
        btn = page.get_by_role("button", name="Send invitations").last
        await btn.click()
        await page.wait_for_timeout(4000)
        await page.screenshot(path=f"{OUT}/04-sent-roster.png", full_page=True)
        await say(page, "convene")
        await page.screenshot(path=f"{OUT}/05-form.png", full_page=True)
        await page.get_by_text("Police Strategy Discussions").first.click()
        await page.wait_for_timeout(2000)
        await page.screenshot(path=f"{OUT}/06-police-channel.png")
        await b.close()


async def discussion():
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = await b.new_page(viewport={"width": 1400, "height": 1300})
        await page.goto(URL, wait_until="networkidle")
        await page.get_by_text("Personal Chat").first.click()
        await page.wait_for_timeout(1000)
        await say(
            page,
            "convene CR-2468 referral today 08:40 concerns serious-injury flags school at today 23:00",
        )
        await page.get_by_role("button", name="Send invitations").last.click()
        await page.wait_for_timeout(4000)
        await page.screenshot(path=f"{OUT}/10-summary-sent.png")
        await page.get_by_text("Police Strategy Discussions").first.click()
        await page.wait_for_timeout(2000)
        await page.get_by_role("button", name="Accept").last.click()
        await page.wait_for_timeout(3000)
        await page.screenshot(path=f"{OUT}/11-police-accepted.png")
        await page.get_by_text("Personal Chat").first.click()
        await page.wait_for_timeout(2000)
        await page.screenshot(path=f"{OUT}/12-roster-updated.png")
        await say(page, "start CR-2468", 4000)
        await page.screenshot(path=f"{OUT}/13-agenda-attendance.png")
        await page.get_by_role("button", name="Save and next").last.click()
        await page.wait_for_timeout(3000)
        await page.screenshot(path=f"{OUT}/14-agenda-statement.png")
        await b.close()


async def main_all() -> None:
    await main()
    await discussion()


asyncio.run(main_all())
