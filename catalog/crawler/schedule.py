"""Crawler schedules as cron text, checked field by field.

Accepted forms: Glue's ``cron(Minutes Hours Day-of-month Month Day-of-week Year)`` (six
fields, ``?`` allowed in the day fields, ``L``/``W``/``#`` as Glue allows) and the
five-field Unix form ``Minutes Hours Day-of-month Month Day-of-week``. The crawler stores
the text; ``lake schedule`` runs it.
"""

from __future__ import annotations

import re

from catalog.errors import InvalidInputError

__all__ = ["normalize_schedule"]

_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"
# (field name, lowest, highest, extra tokens allowed)
_FIELDS = [
    ("minutes", 0, 59, ""),
    ("hours", 0, 23, ""),
    ("day-of-month", 1, 31, "?LW"),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, "?L#" + _DAYS),
    ("year", 1970, 2199, ""),
]


def _check_value(token: str, lo: int, hi: int, names: str, field: str, text: str) -> None:
    upper = token.upper()
    if names and re.fullmatch(rf"(?:{names})", upper):
        return
    digits = upper.rstrip("LW")
    if not digits.isdigit() or not lo <= int(digits) <= hi:
        raise InvalidInputError(f"{field} value {token!r} is not in {lo}-{hi}", field="schedule", value=text)


def _check_field(value: str, index: int, text: str) -> None:
    field, lo, hi, extra = _FIELDS[index]
    names = "|".join(n for n in extra.split("|") if len(n) == 3 and n.isalpha())
    if value == "*" or (value == "?" and "?" in extra):
        return
    if value in ("L", "W", "LW") and "L" in extra:
        return
    for part in value.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            raise InvalidInputError(f"{field} step {step!r} is not a number", field="schedule", value=text)
        if base == "*":
            continue
        if "#" in base and "#" in extra:
            day, _, nth = base.partition("#")
            _check_value(day, lo, hi, names, field, text)
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                raise InvalidInputError(f"{field} '#{nth}' must be 1-5", field="schedule", value=text)
            continue
        for bound in base.split("-", 1):
            _check_value(bound, lo, hi, names, field, text)


def normalize_schedule(text: str | None) -> str | None:
    """The schedule ``text`` checked and normalised (Glue form kept), or None when empty.

    Raises :class:`InvalidInputError` naming the offending field.
    """
    if text is None or not text.strip():
        return None
    raw = text.strip()
    match = re.fullmatch(r"cron\((.*)\)", raw, re.IGNORECASE)
    fields = (match.group(1) if match else raw).split()
    expected = 6 if match else 5
    if len(fields) != expected:
        raise InvalidInputError(
            f"expected {expected} fields{' inside cron(...)' if match else ''}, got {len(fields)} "
            "(Glue form: cron(Minutes Hours Day-of-month Month Day-of-week Year))",
            field="schedule",
            value=text,
        )
    for i, value in enumerate(fields):
        _check_field(value, i, text)
    if match and "?" not in (fields[2], fields[4]):
        raise InvalidInputError("Glue cron needs '?' in day-of-month or day-of-week", field="schedule", value=text)
    return f"cron({' '.join(fields)})" if match else " ".join(fields)
