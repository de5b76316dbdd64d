"""Every amount form seen on the Polish sources (research notes §11), in a table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spiders.parsing import AmountParseError, Money, find_amount, parse_amount


def pln(amount: str) -> Money:
    return Money(Decimal(amount), "PLN")


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


AMOUNTS: list[tuple[str, Money]] = [
    ("350 000 000 zł", pln("350000000")),
    ("350\u00a0000\u00a0000 zł", pln("350000000")),
    ("350\u202f000\u202f000\u00a0zł", pln("350000000")),
    ("350&nbsp;000&nbsp;000&nbsp;zł", pln("350000000")),
    ("100 mln zł", pln("100000000")),
    ("1,5 mld zł", pln("1500000000")),
    ("400 000 PLN", pln("400000")),
    ("66 000 zł", pln("66000")),
    ("66 000 ZŁ", pln("66000")),
    ("66 000 zl", pln("66000")),
    ("66 000 złotych", pln("66000")),
    ("120 000 000,00 zł", pln("120000000")),
    ("2 500 000,50 zł", pln("2500000.50")),
    ("1.950.000,00 zł", pln("1950000")),
    ("EUR 5 000 000", eur("5000000")),
    ("1 950 000 euro", eur("1950000")),
    ("€ 2.5 million", eur("2500000")),
    ("€2.5m", eur("2500000")),
    ("EUR 1,500,000", eur("1500000")),
    ("5 mln EUR", eur("5000000")),
    ("30 mln zł", pln("30000000")),
    ("170 mln zł", pln("170000000")),
    ("2,5 mln zł", pln("2500000")),
    ("1,250 mln zł", pln("1250000")),
    ("50 tys. zł", pln("50000")),
    ("PLN 400 000", pln("400000")),
    ("USD 10,000", Money(Decimal(10000), "USD")),
    # a budget field with no currency takes the default
    ("400 000", pln("400000")),
    ("350000000", pln("350000000")),
    ("350000000.00", pln("350000000")),
    ("400 000.", pln("400000")),
    ("EUR 5 000 000 (ok. 21 mln zł)", eur("5000000")),
    ("Alokacja: 400 000 000,00", pln("400000000")),
    ("Maksymalne dofinansowanie: 400 000 PLN", pln("400000")),
    ("do 85% wydatków, nie więcej niż 2 mln zł", pln("2000000")),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_parse_amount(text: str, expected: Money) -> None:
    assert parse_amount(text) == expected


def test_default_currency() -> None:
    assert parse_amount("5 000 000", default_currency="EUR") == eur("5000000")
    assert parse_amount("5 000 000 zł", default_currency="EUR") == pln("5000000")


@pytest.mark.parametrize(
    "text",
    [
        "nie ma określonej alokacji",
        "Nie ma określonej alokacji.",
        "w trakcie ustalania",
        "brak",
        "do ustalenia",
        "",
        "-",
    ],
)
def test_parse_amount_says_no_amount(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "100% kosztów kwalifikowanych",
        "do 85% wydatków",
        "85 %",
        "50 proc. kosztów",
        "abc",
        "zł",
        "3 m-cy",  # months, not millions
        "Nabór nr 6/2023",  # numbers in prose are not amounts without a currency
        "pkt 5 regulaminu",
    ],
)
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(AmountParseError):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Budżet konkursu wynosi 170 mln zł.", pln("170000000")),
        ("Maksymalne dofinansowanie: 400 000 PLN", pln("400000")),
        ("Kwota przeznaczona na dofinansowanie: 120 000 000,00 zł.", pln("120000000")),
        ("The budget is € 2.5 million in 2026.", eur("2500000")),
        ("W 2025 r. na nabór przeznaczono 30 mln zł", pln("30000000")),
        ("od 50 000 zł do 2 mln zł", pln("50000")),
        ("100% kosztów kwalifikowanych", None),
        ("do 85% wydatków", None),
        ("Wnioski do 15.03.2025, w ciągu 30 dni", None),
        ("", None),
    ],
)
def test_find_amount(text: str, expected: Money | None) -> None:
    assert find_amount(text) == expected
