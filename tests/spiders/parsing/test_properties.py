"""Properties: the parsers fail only in their documented way, and round-trip."""

from __future__ import annotations

import os
from datetime import date, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from spiders.parsing import (
    AmountParseError,
    DateParseError,
    FuzzyDate,
    Money,
    find_amount,
    find_dates,
    is_undetermined,
    parse_amount,
    parse_date,
    parse_range,
)
from tracker.vocab import DatePrecision


def words(text: str) -> list[str]:
    return text.split()


GENITIVE = words(
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września "
    "października listopada grudnia"
)
NOMINATIVE = words(
    "styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień "
    "październik listopad grudzień"
)
ENGLISH = words(
    "January February March April May June July August September October "
    "November December"
)

# Pieces of the real forms, so that generated strings reach deep into the parsers.
FRAGMENTS = [
    *words("0 1 2 3 9 02 12 13 15 24 29 30 31 32 59 60 99 000 2020 2025 2026 2199"),
    *words("0000 9999 1900 10000 123456789012345678901234567890"),
    *GENITIVE,
    *NOMINATIVE,
    *ENGLISH,
    *words("sty lut paź paz lip sie wrz gru Sept. marcu lipcu listopadzie"),
    *words("I II III IV V Q Q3 kw. kw kwartał kwartale quarter połowa półrocze half"),
    *words("r. roku r od do dnia godz. godz godziny at o p.m. a.m. pm T Z +02:00"),
    *words("Start Koniec closes on from to until of th st , . : / - – — ( ) ; %"),
    *words("zł zl PLN EUR euro € $ USD mln mld tys. million bn m k proc."),
    *["w trakcie ustalania", "brak", "nie ma określonej alokacji", "n/a", "TBA"],
    *[" ", "  ", "\u00a0", "\u202f", "&nbsp;", "&amp;", "&#", "\n", "\t", "\u0301"],
]
soup = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join)
texts = st.one_of(st.text(), soup, st.tuples(soup, st.text(), soup).map("".join))
langs = st.sampled_from(["pl", "en", "de"])
todays = st.one_of(st.none(), st.dates())
# PARSING_FUZZ_EXAMPLES=50000 for a long hunt; 400 keeps the suite quick.
FUZZ = settings(
    max_examples=int(os.environ.get("PARSING_FUZZ_EXAMPLES", "400")), deadline=None
)


@FUZZ
@given(texts, langs, todays)
def test_parse_date_raises_only_date_parse_error(text, lang, today) -> None:
    try:
        result = parse_date(text, lang=lang, today=today)
    except DateParseError:
        return
    assert isinstance(result, FuzzyDate)
    # What parse_date reads, find_dates finds too.
    found = find_dates(text, lang=lang, today=today)
    assert found
    assert all(d == result for d in found)


@FUZZ
@given(texts, langs, todays)
def test_parse_range_raises_only_date_parse_error(text, lang, today) -> None:
    try:
        start, end = parse_range(text, lang=lang, today=today)
    except DateParseError:
        return
    assert isinstance(end, FuzzyDate)
    if start is not None:
        assert start.first <= end.last


@FUZZ
@given(texts, langs, todays)
def test_find_dates_and_is_undetermined_never_raise(text, lang, today) -> None:
    found = find_dates(text, lang=lang, today=today)
    assert all(isinstance(d, FuzzyDate) for d in found)
    assert isinstance(is_undetermined(text), bool)
    for d in found:
        assert_well_formed(d)


@FUZZ
@given(texts, st.sampled_from(["PLN", "EUR"]))
def test_parse_amount_raises_only_amount_parse_error(text, currency) -> None:
    try:
        result = parse_amount(text, default_currency=currency)
    except AmountParseError:
        return
    assert result is None or isinstance(result.amount, Decimal)


@FUZZ
@given(texts)
def test_find_amount_never_raises(text) -> None:
    result = find_amount(text)
    assert result is None or (isinstance(result, Money) and result.amount >= 0)


plausible_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@given(plausible_dates)
def test_dotted_dates_round_trip(d: date) -> None:
    expected = FuzzyDate(d, d, DatePrecision.DAY)
    assert parse_date(d.strftime("%d.%m.%Y")) == expected
    assert parse_date(f"{d.day}.{d.month}.{d.year} r.") == expected
    assert parse_date(d.isoformat()) == expected
    assert parse_date(d.strftime("%Y.%m.%d")) == expected


@given(plausible_dates, st.sampled_from([GENITIVE, ENGLISH]), st.booleans())
def test_named_dates_round_trip(d: date, names: list[str], upper: bool) -> None:
    text = f"{d.day} {names[d.month - 1]} {d.year} r."
    assert parse_date(text.upper() if upper else text) == FuzzyDate(
        d, d, DatePrecision.DAY
    )


@given(plausible_dates, st.integers(0, 23), st.integers(0, 59))
def test_times_round_trip(d: date, hour: int, minute: int) -> None:
    at = time(hour, minute)
    expected = FuzzyDate(d, d, DatePrecision.DATETIME, at)
    assert parse_date(f"{d:%d.%m.%Y} r. do godz. {hour}:{minute:02d}") == expected
    assert parse_date(f"{d:%d/%m/%Y} - {hour:02d}:{minute:02d}") == expected
    assert parse_date(f"{d:%m/%d/%Y} - {hour:02d}:{minute:02d}", lang="en") == expected


@given(plausible_dates, plausible_dates)
def test_ranges_round_trip(a: date, b: date) -> None:
    a, b = min(a, b), max(a, b)
    start, end = parse_range(f"od {a:%d.%m.%Y} r. do {b:%d.%m.%Y} r.")
    assert (start and start.first, end.first) == (a, b)


@given(plausible_dates, st.dates(date(1991, 1, 1), date(2090, 1, 1)))
def test_a_missing_year_is_the_first_not_half_a_year_past(d: date, today: date) -> None:
    text = f"{d.day} {GENITIVE[d.month - 1]}"
    found = parse_date(text, today=today).first
    floor = today - timedelta(days=183)
    assert (found.month, found.day) == (d.month, d.day)
    assert found >= floor
    if (d.month, d.day) != (2, 29):
        assert found.replace(year=found.year - 1) < floor


@given(st.integers(0, 10**15))
def test_amounts_round_trip(n: int) -> None:
    assert parse_amount(f"{n:,} zł".replace(",", " ")) == Money(Decimal(n), "PLN")
    assert parse_amount(f"{n:,} zł".replace(",", "\u00a0")) == Money(Decimal(n), "PLN")
    assert find_amount(f"Budżet: {n:,} PLN.".replace(",", "\u202f")) == Money(
        Decimal(n), "PLN"
    )


@given(st.integers(0, 10**12), st.integers(1, 99))
def test_amounts_with_grosze_round_trip(n: int, grosze: int) -> None:
    text = f"{n:,}".replace(",", "\u00a0") + f",{grosze:02d} zł"
    expected = Decimal(n) + Decimal(grosze) / 100
    assert parse_amount(text) == Money(expected, "PLN")


def assert_well_formed(d: FuzzyDate) -> None:
    deadline, opening = d.deadline(), d.opening()
    assert deadline >= opening
    assert deadline.tzinfo is not None
    assert str(deadline.tzinfo) == "Europe/Warsaw"
    assert deadline.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert (d.time is not None) == (d.precision is DatePrecision.DATETIME)
    assert d.to_deadline().at == deadline


precisions = st.sampled_from(list(DatePrecision))


@given(plausible_dates, st.integers(0, 400), st.none() | st.times())
def test_deadline_is_aware_and_not_before_opening(
    first: date, days: int, at: time | None
) -> None:
    last = min(first + timedelta(days=days), date(2100, 12, 31))
    precision = DatePrecision.DATETIME if at else DatePrecision.MONTH
    d = FuzzyDate(first, first if at else last, precision, at)
    assert_well_formed(d)
