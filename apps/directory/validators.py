"""Validators for identifiers the directory stores."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

NPI_FORMAT_MESSAGE = "An NPI is exactly 10 digits."
NPI_CHECK_DIGIT_MESSAGE = "This NPI's check digit is wrong: please check each digit."

validate_taxonomy_code = RegexValidator(
    r"^[0-9]{3}[0-9A-Z]{6}X$",
    "A NUCC taxonomy code is 10 characters: 3 digits, 6 digits or capital letters, then X.",
)
validate_icd10_code = RegexValidator(
    r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$",
    "An ICD-10 code looks like C50.911: a letter, two characters, then an optional dot and up to four.",
)


def npi_check_digit(stem: str) -> str:
    """The check digit of a 9-digit NPI stem: Luhn with the 80840 card-issuer prefix, as CMS specifies."""
    total = 24  # the Luhn contribution of the 80840 prefix
    for position, char in enumerate(reversed(stem)):
        digit = int(char)
        if position % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def npi_check_digit_ok(npi: str) -> bool:
    return bool(re.fullmatch(r"\d{10}", npi or "")) and npi_check_digit(npi[:9]) == npi[9]


def npi_with_check_digit(first_nine: str) -> str:
    """Complete a 9-digit NPI stem with its check digit (used to build synthetic data)."""
    if not re.fullmatch(r"\d{9}", first_nine):
        raise ValueError(first_nine)
    return first_nine + npi_check_digit(first_nine)


def validate_npi(value: str) -> None:
    if not re.fullmatch(r"\d{10}", value or ""):
        raise ValidationError(NPI_FORMAT_MESSAGE, code="npi_format")
    if not npi_check_digit_ok(value):
        raise ValidationError(NPI_CHECK_DIGIT_MESSAGE, code="npi_check_digit")
