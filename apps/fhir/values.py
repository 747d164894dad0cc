"""FHIR search values (token, reference, string, date, `near`), parsed or refused with a 400 naming the parameter."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from .responses import FhirError

ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")
MAX_STRING_LENGTH = 200
# UCUM units `near` takes, as miles per unit; a distance without units is in kilometers (FHIR's default).
MILES_PER_UNIT = {"mi": 1.0, "[mi_i]": 1.0, "[mi_us]": 1.0000020, "km": 0.621371192, "m": 0.000621371192}
DEFAULT_UNITS = "km"
DATE_PREFIXES = {"eq": None, "gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
DATE_PATTERN = re.compile(r"(?P<prefix>eq|gt|ge|lt|le)?(?P<date>\d{4}-\d{2}-\d{2})(?P<time>T.+)?")


def invalid(parameter: str, message: str) -> FhirError:
    return FhirError(400, "invalid", f"Parameter `{parameter}`: {message}", expression=parameter)


def string(parameter: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise invalid(parameter, "give a value (it is empty).")
    if len(text) > MAX_STRING_LENGTH or "\x00" in text:
        raise invalid(parameter, f"give at most {MAX_STRING_LENGTH} characters, without NUL.")
    return text


def token(parameter: str, value: str, *, system: str | None = None) -> str:
    """`code`, `|code` or `system|code`; a system other than `system` is refused."""
    given_system, bar, code = value.rpartition("|") if "|" in value else ("", "", value)
    if bar and given_system and given_system != system:
        expected = f"the only system is {system}" if system else "give the code alone"
        raise invalid(parameter, f"unknown system {given_system}: {expected}.")
    return string(parameter, code)


def boolean(parameter: str, value: str) -> bool:
    code = token(parameter, value)
    if code not in ("true", "false"):
        raise invalid(parameter, "use true or false.")
    return code == "true"


def reference(parameter: str, value: str, resource_type: str) -> str:
    """`id`, `Type/id` or an absolute URL ending in `Type/id`: the id."""
    parts = value.strip().rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] != resource_type:
        raise invalid(parameter, f"refer to a {resource_type} (`{resource_type}/<id>`), not {parts[-2]}.")
    if len(parts) > 2 and not re.match(r"https?://", value.strip()):
        raise invalid(parameter, f"refer to a {resource_type} as `{resource_type}/<id>`.")
    resource_id = parts[-1]
    if not ID_PATTERN.fullmatch(resource_id):
        raise invalid(parameter, f"{resource_id!r} is not a resource id.")
    return resource_id


def date_comparison(parameter: str, value: str) -> list[tuple[str, datetime.datetime]]:
    """A FHIR date (a day or an instant) with an optional prefix: the (lookup, instant) conditions it means."""
    found = DATE_PATTERN.fullmatch(value.strip())
    if not found:
        raise invalid(parameter, "give a date (2026-01-31) or an instant (2026-01-31T12:00:00Z), with an optional "
                                 "prefix eq, gt, ge, lt or le.")  # fmt: skip
    try:
        if found["time"]:
            start = datetime.datetime.fromisoformat(found["date"] + found["time"].replace("Z", "+00:00"))
            if timezone.is_naive(start):
                raise invalid(parameter, "an instant needs its time zone (Z or +hh:mm).")
            end = start + datetime.timedelta(seconds=1)
        else:
            day = datetime.date.fromisoformat(found["date"])
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
            end = start + datetime.timedelta(days=1)
    except ValueError:
        raise invalid(parameter, f"{value!r} is not a valid date.") from None
    prefix = found["prefix"] or "eq"
    return {
        "eq": [("gte", start), ("lt", end)],
        "gt": [("gte", end)],
        "ge": [("gte", start)],
        "lt": [("lt", start)],
        "le": [("lt", end)],
    }[prefix]


def count(parameter: str, value: str, *, maximum: int) -> int:
    if not value.isascii() or not value.isdigit():
        raise invalid(parameter, "give a whole number of 0 or more.")
    return min(int(value), maximum)


def near(parameter: str, value: str) -> tuple[float, float, Decimal | None]:
    """`latitude|longitude|distance|units`: (latitude, longitude, miles or None for the default distance)."""
    parts = value.split("|")
    if not 2 <= len(parts) <= 4:
        raise invalid(parameter, "give latitude|longitude|distance|units, for example 40.75|-73.99|25|[mi_i].")
    try:
        latitude, longitude = float(Decimal(parts[0])), float(Decimal(parts[1]))
    except (InvalidOperation, ValueError):
        raise invalid(parameter, "latitude and longitude are decimal degrees, for example 40.75|-73.99.") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise invalid(parameter, "latitude is from -90 to 90 and longitude from -180 to 180.")
    distance = parts[2].strip() if len(parts) > 2 else ""
    units = (parts[3].strip() if len(parts) > 3 else "") or DEFAULT_UNITS
    if units not in MILES_PER_UNIT:
        raise invalid(parameter, f"unknown units {units!r}: use {', '.join(MILES_PER_UNIT)}.")
    if not distance:
        return latitude, longitude, None
    try:
        amount = Decimal(distance)
    except InvalidOperation:
        raise invalid(parameter, f"{distance!r} is not a distance.") from None
    if not amount.is_finite() or amount <= 0:
        raise invalid(parameter, "the distance is a positive number.")
    return latitude, longitude, amount * Decimal(str(MILES_PER_UNIT[units]))
