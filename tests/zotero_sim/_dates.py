"""Date parsing and formatting from zotero/utilities ``date.js`` (en-US, as translation-server).

``strToDate`` decides what every export writes for a date (BibTeX ``year``/``month``, RIS
``PY``/``DA``, BibLaTeX ``date``, CSL ``date-parts``); ``formatDate`` is what CSL-JSON and
BibTeX ``month`` imports store. Ported from ``Zotero.Date.strToDate``/``formatDate``/
``strToISO`` with the en-US month table of ``dateFormats.json``.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from ._js import LETTER, WS, B, lpad

MONTHS_SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]  # fmt: skip
MONTHS_LONG = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]  # fmt: skip
_MONTH_NAMES = [m.lower() for m in MONTHS_SHORT] + [m.lower() for m in MONTHS_LONG]

# date.js _slashRe / _yearRe / _monthRe / _dayRe, with JS's ASCII \b.
_SLASH = re.compile(
    r"^(.*?)" + B + r"([0-9]{1,4})(?:([\-/.\u5e74])([0-9]{1,2}))?(?:([\-/.\u6708])([0-9]{1,4}))?"
    r"((?:" + B + r"|[^0-9]).*?)$",
    re.DOTALL,
)
_YEAR = re.compile(
    r"^(.*?)" + B + r"((?:circa |around |about |c\.? ?)?[0-9]{1,4}"
    r"(?: ?B\.? ?C\.?(?: ?E\.?)?| ?C\.? ?E\.?| ?A\.? ?D\.?)|[0-9]{3,4})" + B + r"(.*?)$",
    re.IGNORECASE | re.DOTALL,
)
_MONTH = re.compile(
    r"(.*)(?:^|[^" + LETTER + r"])(" + "|".join(_MONTH_NAMES) + r")[^ ]*(?: (.*)$|$)",
    re.IGNORECASE | re.DOTALL,
)
_DAY = re.compile(B + r"([0-9]{1,2})" + B + r"(.*)", re.IGNORECASE | re.DOTALL)


def _trim_internal(s: str) -> str:
    return re.sub(WS + "+", " ", s).strip(" ")


def _insert_order(order: str, part: str, where: dict[str, Any]) -> str:
    if not order:
        return part
    before, after = where.get("before"), where.get("after")
    if before is True:
        return part + order
    if after is True:
        return order + part
    if before:
        return order.replace(before, part + before, 1) if before in order else order
    if after:
        return order.replace(after, after + part, 1) if after in order else order + part
    return order + part


def str_to_date(string: str) -> dict[str, Any]:
    """``Zotero.Date.strToDate``: year (str), month (0-based int), day (int), part, order."""
    date: dict[str, Any] = {"order": ""}
    string = _trim_internal(str(string))
    if not string:
        return date
    parts: list[dict[str, Any]] = []
    m = _SLASH.match(string)
    if (
        m
        and ((not m[5] or not m[3]) or m[3] == m[5] or (m[3] == "\u5e74" and m[5] == "\u6708"))
        and ((m[2] and m[4] and m[6]) or (not m[1] and not m[7]))
    ):
        if len(m[2]) in (3, 4) or m[3] == "\u5e74":
            date["year"], date["month"], date["day"] = m[2], m[4], m[6]
            date["order"] += ("y" if m[2] else "") + ("m" if m[4] else "") + ("d" if m[6] else "")
        elif m[2] and not m[4] and m[6]:
            date["month"], date["year"] = m[2], m[6]
            date["order"] += "my"
        else:  # en-US: middle endian
            date["month"], date["day"] = m[2], m[4]
            date["order"] += ("m" if m[2] else "") + ("d" if m[4] else "")
            date["year"] = m[6]
            if m[6] is not None:
                date["order"] += "y"
        long_year = bool(date.get("year")) and len(str(date["year"])) > 2
        if date.get("year"):
            date["year"] = int(date["year"])
        if date.get("day"):
            date["day"] = int(date["day"])
        if date.get("month"):
            date["month"] = int(date["month"])
            if date["month"] > 12:
                date["day"], date["month"] = date["month"], date.get("day")
                order = date["order"]
                date["order"] = (
                    order.replace("m", "D", 1).replace("d", "M", 1).replace("D", "d", 1)
                    .replace("M", "m", 1)
                )  # fmt: skip
        if (not date.get("month") or date["month"] <= 12) and (
            not date.get("day") or date["day"] <= 31
        ):
            if date.get("year") and date["year"] < 100 and not long_year:
                year = datetime.date.today().year
                two = year % 100
                century = year - two
                date["year"] = (
                    century + date["year"]
                    if date["year"] <= two
                    else (century - 100 + date["year"])
                )
            if date.get("month"):
                date["month"] -= 1
            else:
                date.pop("month", None)
            parts.append({"part": m[1], "before": True})
            parts.append({"part": m[7]})
        else:
            date = {"order": ""}
            parts.append({"part": string})
    else:
        parts.append({"part": string})
    for key in ("year", "day"):
        if key in date and date[key] is None:
            del date[key]

    if not date.get("year"):
        for i, p in enumerate(parts):
            ym = _YEAR.match(p["part"] or "")
            if ym:
                date["year"] = ym[2]
                date["order"] = _insert_order(date["order"], "y", p)
                parts[i : i + 1] = [{"part": ym[1], "before": True}, {"part": ym[3]}]
                break
    if "month" not in date:
        for i, p in enumerate(parts):
            mm = _MONTH.match(p["part"] or "")
            if mm:
                date["month"] = _MONTH_NAMES.index(mm[2].lower()) % 12
                date["order"] = _insert_order(date["order"], "m", p)
                parts[i : i + 1] = [{"part": mm[1], "before": "m"}, {"part": mm[3], "after": "m"}]
                break
    if not date.get("day"):
        for i, p in enumerate(parts):
            dm = _DAY.search(p["part"] or "")
            if dm and int(dm[1]) <= 31:
                date["day"] = int(dm[1])
                date["order"] = _insert_order(date["order"], "d", p)
                if dm.start() > 0:
                    part = p["part"][: dm.start()]
                    if dm[2]:
                        part += " " + dm[2]
                else:
                    part = dm[2]
                parts[i : i + 1] = [{"part": part}]
                break
    joined = "".join((p["part"] or "") + " " for p in parts)
    joined = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", joined)
    if joined:
        date["part"] = joined
    if date.get("year") or date.get("year") == 0:
        date["year"] = str(date["year"])
    return date


def format_date(date: dict[str, Any]) -> str:
    """``Zotero.Date.formatDate`` (long form): ``March 15, 2024``, ``March 2024``, ``2024``."""
    s = ""
    if date.get("part"):
        s += date["part"] + " "
    month = date.get("month")
    if month is not None and 0 <= month < 12:
        s += MONTHS_LONG[month]
        s += " " + str(date["day"]) + ", " if date.get("day") else " "
    if date.get("year"):
        s += str(date["year"])
    return s


def str_to_iso(s: str) -> str | bool:
    """``Zotero.Date.strToISO``: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; False without a year."""
    date = str_to_date(s)
    if date.get("year"):
        out = lpad(date["year"], "0", 4)
        if isinstance(date.get("month"), int):
            out += "-" + lpad(date["month"] + 1, "0", 2)
            if date.get("day"):
                out += "-" + lpad(date["day"], "0", 2)
        return out
    return False


SQL_DATE = re.compile(r"^-?[0-9]{4}-(0[1-9]|10|11|12)-(0[1-9]|[1-2][0-9]|30|31)$")
SQL_DATETIME = re.compile(
    r"^-?[0-9]{4}-(0[1-9]|10|11|12)-(0[1-9]|[1-2][0-9]|30|31) "
    r"([0-1][0-9]|[2][0-3]):([0-5][0-9]):([0-5][0-9])$"
)
