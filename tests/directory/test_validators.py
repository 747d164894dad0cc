import pytest
from django.core.exceptions import ValidationError

from apps.directory.validators import (
    NPI_CHECK_DIGIT_MESSAGE,
    NPI_FORMAT_MESSAGE,
    npi_check_digit_ok,
    npi_with_check_digit,
    validate_npi,
)


@pytest.mark.parametrize("npi", ["1234567893", "1003000126", "1245319599", "1679576722"])
def test_valid_npis_pass(npi):
    assert npi_check_digit_ok(npi)
    validate_npi(npi)


@pytest.mark.parametrize(
    ("npi", "message"),
    [
        ("1234567890", NPI_CHECK_DIGIT_MESSAGE),
        ("1234567894", NPI_CHECK_DIGIT_MESSAGE),
        ("123456789", NPI_FORMAT_MESSAGE),
        ("12345678933", NPI_FORMAT_MESSAGE),
        ("12345A7893", NPI_FORMAT_MESSAGE),
        ("", NPI_FORMAT_MESSAGE),
    ],
    ids=["wrong-check-digit", "off-by-one", "nine-digits", "eleven-digits", "letter", "empty"],
)
def test_invalid_npis_fail_with_a_clear_message(npi, message):
    with pytest.raises(ValidationError) as error:
        validate_npi(npi)
    assert error.value.messages == [message]


def test_npi_with_check_digit_completes_a_stem():
    assert npi_with_check_digit("123456789") == "1234567893"
