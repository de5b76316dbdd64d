"""Parsers for the dates and amounts that Polish funding sources publish."""

from spiders.parsing.dates import (
    DateParseError,
    FuzzyDate,
    find_dates,
    is_undetermined,
    parse_date,
    parse_range,
)
from spiders.parsing.money import AmountParseError, Money, find_amount, parse_amount

__all__ = [
    "AmountParseError",
    "DateParseError",
    "FuzzyDate",
    "Money",
    "find_amount",
    "find_dates",
    "is_undetermined",
    "parse_amount",
    "parse_date",
    "parse_range",
]
