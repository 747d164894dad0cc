"""Command-line argument types the management commands share."""


def positive_int(value: str) -> int:
    """argparse `type=` for a count such as --batch-size: a whole number of 1 or more."""
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number
