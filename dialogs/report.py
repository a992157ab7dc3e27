"""Learning and assurance report: timeliness, attendance and late withdrawals per agency,
escalations and disagreements, over the discussions sent in a period (README "Learning and
assurance reports" defines each figure).

Counts come from aggregate SQL (`storage/reports.py`); the working-day arithmetic (medians)
is here, with the procedure's calendar. The same data is given as JSON (`sdbot report`),
Markdown, a self-contained HTML page with charts, and a Teams card (`report`, in
`dialogs/report_teams.py`). Kept free of the Teams side so `sdbot report` imports little.
"""

from __future__ import annotations

import html
import re
import statistics
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs import parse
from dialogs.parse import InputError
from dialogs.services import Services
from procedure import AGENCY_KINDS, ESCALATION_KINDS, WorkingDayCalendar
from procedure.times import fmt_when
from storage import reports as figures
from storage.reports import Month

DEFAULT_MONTHS = 3
MAX_DAYS = 3653  # 10 years: one CASE branch per month, so a period has a bound


@dataclass(frozen=True)
class Period:
    """Local calendar days, both included."""

    first: date
    last: date


def months_before(day: date, n: int) -> date:
    """The same day of the month n months earlier (or that month's last day)."""
    month0 = day.month - 1 - n
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def period_from(text_from: str | None, text_to: str | None, now: datetime, tz: str) -> Period:
    """UK-style dates (the procedure's parser); by default the last 3 months up to today."""
    last = parse.when(text_to, now, tz, "to").date() if text_to else now.astimezone(ZoneInfo(tz)).date()
    first = parse.when(text_from, now, tz, "from").date() if text_from else months_before(last, DEFAULT_MONTHS)
    if first > last:
        raise InputError(f"The period starts ({fmt_when(first, 'input')}) after it ends ({fmt_when(last, 'input')}).", field="from")
    if (last - first).days > MAX_DAYS:
        raise InputError("The period is longer than 10 years: give a shorter one.", field="from")
    return Period(first, last)


def _bounds(period: Period, services: Services) -> tuple[datetime, datetime]:
    start = datetime.combine(period.first, time(0), tzinfo=services.tz)
    end = datetime.combine(period.last + timedelta(days=1), time(0), tzinfo=services.tz)
    return start, end


def _months(period: Period, services: Services) -> list[Month]:
    start, end = _bounds(period, services)
    months: list[Month] = []
    first = period.first.replace(day=1)
    while first <= period.last:
        following = (first + timedelta(days=32)).replace(day=1)
        month_start = max(start, datetime.combine(first, time(0), tzinfo=services.tz))
        month_end = min(end, datetime.combine(following, time(0), tzinfo=services.tz))
        months.append(Month(f"{first.year}-{first.month:02d}", month_start, month_end))
        first = following
    return months


def median_working_days(pairs: list[tuple[datetime, datetime]], calendar: WorkingDayCalendar) -> float | None:
    """Median of working days from the referral's day to the discussion's day (0 = the same
    day; counted as the deadlines are: working days after the referral's local day).

    Many discussions share a pair of days: each distinct pair is counted once."""
    if not pairs:
        return None
    days: Counter[tuple[date, date]] = Counter((calendar.local_date(a), calendar.local_date(b)) for a, b in pairs)
    counted: Counter[int] = Counter()
    for (first, last), n in days.items():
        counted[_working_days(calendar, first, last)] += n
    return float(statistics.median(counted.elements()))


def _working_days(calendar: WorkingDayCalendar, first: date, last: date) -> int:
    zone = calendar.tz
    return calendar.working_days_between(datetime.combine(first, time(12), zone), datetime.combine(last, time(12), zone))


async def build_report(session: AsyncSession, services: Services, period: Period, now: datetime) -> dict[str, Any]:
    start, end = _bounds(period, services)
    months = _months(period, services)
    totals = await figures.totals(session, start, end, now)
    by_month = await figures.timeliness_by_month(session, months, now)
    by_rule = await figures.timeliness_by_rule(session, start, end, now)
    pairs = await figures.referral_and_start_times(session, start, end)
    by_agency = await _by_agency(session, start, end)
    escalations = await figures.escalations_by_kind(session, start, end)
    stages = await figures.disagreements_by_stage(session, start, end)
    follow = await figures.follow_ups(session, start, end, now)
    names = services.profile.disagreement_stages
    disagreements = {name: 0 for name in names}
    for index, n in sorted(stages.items()):
        name = names[min(index, len(names) - 1)] if names else f"stage {index + 1}"
        disagreements[name] = disagreements.get(name, 0) + n
    empty_month = {"discussions": 0, "held_by_deadline": 0, "held_late": 0, "not_held": 0, "not_yet_due": 0}
    return {
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat()},
        "generated_at": services.local(now).isoformat(timespec="seconds"),
        "discussions": totals["discussions"],
        "held": totals["held"],
        "timeliness": {
            "held_by_deadline": totals["held_by_deadline"],
            "held_late": totals["held_late"],
            "not_held": totals["not_held"],
            "not_yet_due": totals["not_yet_due"],
            "by_rule": [{"rule": r["rule"], "held_by_deadline": r["held_by_deadline"], "held_late": r["held_late"],
                         "not_held": r["not_held"]} for r in by_rule],  # fmt: skip
            "by_month": [{"month": m.label, **by_month.get(m.label, empty_month)} for m in months],
        },
        "median_working_days_referral_to_discussion": median_working_days(pairs, services.calendar),
        "quorate_at_start": totals["quorate_at_start"],
        "inquorate_at_start": totals["inquorate_at_start"],
        "circulated_within_1wd": totals["circulated_within_1wd"],
        "circulation": {
            "closed": totals["closed"],
            "within_1wd": totals["circulated_within_1wd"],
            "late": totals["circulated_late"],
            "not_circulated": totals["not_circulated"],
            "not_yet_due": totals["circulation_not_yet_due"],
        },
        # Held on or before icpc_by, as the chair recorded it (`icpc CASE_REF held WHEN`).
        "icpc_within_15wd": totals["icpc_held_within"],
        "icpc": {"required": totals["icpc_required"], "held_within_15wd": totals["icpc_held_within"],
                 "held_late": totals["icpc_held_late"], "not_held": totals["icpc_not_held"],
                 "not_yet_due": totals["icpc_not_yet_due"]},  # fmt: skip
        "by_agency": by_agency,
        "escalations": {**{kind: 0 for kind in ESCALATION_KINDS}, **escalations},
        "disagreements": disagreements,
        "follow_up": [
            {"case_ref": f["case_ref"],
             "why": [w for w in RULE_WORDS if f[w]],
             "convene_by": services.local(f["convene_by"]).isoformat(timespec="minutes"),
             "started_at": services.local(f["started_at"]).isoformat(timespec="minutes") if f["started_at"] else None}
            for f in follow
        ],  # fmt: skip
    }


async def _by_agency(session: AsyncSession, start: datetime, end: datetime) -> list[dict[str, Any]]:
    invited = await figures.invitations_by_agency(session, start, end)
    attended = await figures.attended_by_agency(session, start, end)
    ids = sorted({r["agency"] for r in invited if r["agency"]} | {a for a in attended if a})
    directory = await figures.agencies(session, ids)
    counts = ("invited", "accepted", "declined", "withdrawn", "late_withdrawals", "no_answer")
    rows: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for agency_id in ids:
        name, kind = directory.get(agency_id, (agency_id, ""))
        rows[(agency_id, None)] = {"agency": agency_id, "name": name, "kind": kind, **{c: 0 for c in counts},
                                   "attended": attended.get(agency_id, 0)}  # fmt: skip
    for r in invited:
        if r["agency"]:
            row = rows[(r["agency"], None)]
        else:  # the procedure asked for a kind the directory has no agency for (invited by phone)
            label = AGENCY_KINDS.get(r["kind"], r["kind"])
            row = rows.setdefault((None, r["kind"]), {
                "agency": None, "name": f"{label} (no agency in the directory)", "kind": r["kind"],
                **{c: 0 for c in counts}, "attended": 0})  # fmt: skip
        for c in counts:
            row[c] += r[c]
    return sorted(rows.values(), key=lambda r: (r["agency"] is None, r["agency"] or "", r["kind"] or ""))


# Formats ------------------------------------------------------------------------------------

RULE_WORDS = {"held_late": "held late", "not_held": "not held", "not_circulated": "record not circulated",
              "circulated_late": "record circulated late", "icpc_late": "ICPC held late",
              "icpc_not_held": "ICPC not held by its deadline"}  # fmt: skip


def _pct(n: int, of: int) -> str:
    return f"{round(100 * n / of)}%" if of else "-"


def headline(report: dict[str, Any]) -> list[tuple[str, str]]:
    t, n = report["timeliness"], report["discussions"]
    due = t["held_by_deadline"] + t["held_late"] + t["not_held"]
    median = report["median_working_days_referral_to_discussion"]
    closed = report["circulation"]["closed"]
    late_withdrawals = sum(a["late_withdrawals"] for a in report["by_agency"])
    icpc = report["icpc"]
    icpc_due = icpc["held_within_15wd"] + icpc["held_late"] + icpc["not_held"]
    return [
        ("Discussions sent", str(n)),
        ("Held by the convene-by deadline", f"{t['held_by_deadline']} of {due} due ({_pct(t['held_by_deadline'], due)})"),
        ("Held late", str(t["held_late"])),
        ("Not held (deadline passed)", str(t["not_held"])),
        ("Not yet due", str(t["not_yet_due"])),
        ("Median working days, referral to discussion", "-" if median is None else f"{median:g}"),
        ("Quorate at the start", f"{report['quorate_at_start']} of {report['held']} held"),
        ("Record circulated within 1 working day", f"{report['circulated_within_1wd']} of {closed} closed"),
        ("ICPC held within 15 working days", f"{icpc['held_within_15wd']} of {icpc_due} due"
         + (f" ({icpc['held_late']} late, {icpc['not_held']} not held)" if icpc["held_late"] or icpc["not_held"] else "")),
        ("Late withdrawals", str(late_withdrawals)),
        ("Escalations", str(sum(report["escalations"].values()))),
        ("Professional disagreements", str(sum(report["disagreements"].values()))),
    ]


def _tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table: the same in Markdown and HTML."""
    t = report["timeliness"]
    escalation_rows = [[ESCALATION_KINDS.get(k, k), str(v)] for k, v in report["escalations"].items()]
    return [
        ("Headline figures", ["figure", "value"], [[k, v] for k, v in headline(report)]),
        ("Timeliness by month (month invitations were sent)",
         ["month", "discussions", "held by deadline", "held late", "not held", "not yet due"],
         [[m["month"], str(m["discussions"]), str(m["held_by_deadline"]), str(m["held_late"]), str(m["not_held"]),
           str(m["not_yet_due"])] for m in t["by_month"]]),
        ("Timeliness by convene-by rule", ["rule", "held by deadline", "held late", "not held"],
         [[r["rule"], str(r["held_by_deadline"]), str(r["held_late"]), str(r["not_held"])] for r in t["by_rule"]]),
        ("Attendance and late withdrawals by agency",
         ["agency", "kind", "invited", "accepted", "declined", "withdrawn", "late withdrawals", "no answer", "attended"],
         [[a["name"], AGENCY_KINDS.get(a["kind"], a["kind"] or ""), str(a["invited"]), str(a["accepted"]),
           str(a["declined"]), str(a["withdrawn"]), str(a["late_withdrawals"]), str(a["no_answer"]), str(a["attended"])]
          for a in report["by_agency"]]),
        ("Escalations by kind", ["kind", "count"], escalation_rows),
        ("Professional disagreements by stage reached", ["stage", "count"],
         [[k, str(v)] for k, v in report["disagreements"].items()]),
        ("Records", ["figure", "count"], [
            ["closed", str(report["circulation"]["closed"])],
            ["circulated within 1 working day", str(report["circulation"]["within_1wd"])],
            ["circulated late", str(report["circulation"]["late"])],
            ["not circulated (deadline passed)", str(report["circulation"]["not_circulated"])],
            ["ICPC needed (S47 initiated)", str(report["icpc"]["required"])],
            ["ICPC held within 15 working days", str(report["icpc"]["held_within_15wd"])],
            ["ICPC held late", str(report["icpc"]["held_late"])],
            ["ICPC not held (deadline passed)", str(report["icpc"]["not_held"])],
            ["ICPC not yet due", str(report["icpc"]["not_yet_due"])],
        ]),
        ("To follow up (case references only)", ["case", "why", "convene by", "started"],
         [[f["case_ref"], ", ".join(RULE_WORDS[w] for w in f["why"]), _shown(f["convene_by"]), _shown(f["started_at"]) if f["started_at"] else "-"]
          for f in report["follow_up"]]),
    ]  # fmt: skip


def _shown(iso: str) -> str:
    """A time the report's JSON keeps as ISO 8601 (local, with its offset), as people read it."""
    return fmt_when(datetime.fromisoformat(iso))


def report_title(report: dict[str, Any]) -> str:
    p = report["period"]
    first, last = date.fromisoformat(p["from"]), date.fromisoformat(p["to"])
    return f"Strategy discussions: learning and assurance, {fmt_when(first, 'input')} to {fmt_when(last, 'input')}"


def to_markdown(report: dict[str, Any]) -> str:
    out = [f"# {report_title(report)}", "", f"Generated {_shown(report['generated_at'])}. Discussions whose invitations were sent "
           "in the period; definitions in the README, \"Learning and assurance reports\".", ""]  # fmt: skip
    for title, header, rows in _tables(report):
        out += [f"## {title}", ""]
        if not rows:
            out += ["None.", ""]
            continue
        out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        out.append("")
    return "\n".join(out)


CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #111; margin: 2rem; max-width: 72rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.chart { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; break-inside: avoid; page-break-inside: avoid; }
.chart figure { margin: 0; flex: 1 1 28rem; } .chart svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.85rem; } caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
th, td { border: 1px solid #999; padding: 0.2rem 0.5rem; text-align: left; } td.n { text-align: right; }
th { background: #eee; } .note { color: #444; font-size: 0.85rem; }
@media print { body { margin: 0; } h2 { break-after: avoid; } table, figure { break-inside: avoid; } }
"""


def _html_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    e = html.escape
    if not rows:
        return f"<p class='note'>{e(title)}: none.</p>"
    head = "".join(f"<th scope='col'>{e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td class='n'>{e(c)}</td>" if re.fullmatch(r"[\d.%-]+", c) else f"<td>{e(c)}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><caption>{e(title)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(report: dict[str, Any]) -> str:
    """One page, no external requests (charts are inline SVG), readable printed."""
    from dialogs import svg_charts as charts

    e = html.escape
    tables = {title: (header, rows) for title, header, rows in _tables(report)}
    month_title = "Timeliness by month (month invitations were sent)"
    agency_title = "Attendance and late withdrawals by agency"
    escalation_title = "Escalations by kind"
    agencies_with_invitations = [a for a in report["by_agency"] if a["invited"] or a["attended"]]
    charts_html = {
        month_title: charts.timeliness_by_month_svg(report["timeliness"]["by_month"]),
        agency_title: charts.agencies_svg(agencies_with_invitations) if agencies_with_invitations else "",
        escalation_title: charts.escalations_svg([(k.replace("_", " "), v) for k, v in report["escalations"].items()]),
    }
    body = [f"<h1>{e(report_title(report))}</h1>",
            f"<p class='note'>Generated {e(_shown(report['generated_at']))}. Discussions whose invitations were sent in the "
            "period; definitions in the README, “Learning and assurance reports”. Case references appear only "
            "where a manager needs to follow up.</p>"]  # fmt: skip
    for title, (header, rows) in tables.items():
        body.append(f"<section><h2>{e(title)}</h2>")
        if charts_html.get(title):
            body.append(f"<div class='chart'><figure>{charts_html[title]}<figcaption class='note'>{e(title)}: "
                        "the figures are in the table beside it.</figcaption></figure>"
                        f"{_html_table(title, header, rows)}</div>")  # fmt: skip
        else:
            body.append(_html_table(title, header, rows))
        body.append("</section>")
    return ("<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
            f"<title>{e(report_title(report))}</title><style>{CSS}</style></head><body>{''.join(body)}</body></html>")  # fmt: skip
