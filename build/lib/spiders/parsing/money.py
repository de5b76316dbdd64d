"""Money amounts as Polish (and English) funding sources write them.

"350 000 000 zł", "1,5 mld zł", "120 000 000,00 zł", "EUR 5 000 000",
"€ 2.5 million": thousands are separated by spaces (any kind, after
normalisation), dots or commas; decimals by a comma (Polish) or a dot (English).
A percentage ("do 85% wydatków") is never money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from spiders.parsing._text import normalize

__all__ = ["AmountParseError", "Money", "find_amount", "parse_amount"]


class AmountParseError(ValueError):
    """The text holds no amount of money we can read."""


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217: "PLN", "EUR"


# Currency words (normalised: "zł" -> "zl") and their ISO codes.
_CURRENCIES: dict[str, str] = {
    "zlotych": "PLN", "zlote": "PLN", "zloty": "PLN", "zl": "PLN", "pln": "PLN",
    "euro": "EUR", "eur": "EUR", "€": "EUR",
    "usd": "USD", "$": "USD", "dolarow": "USD", "dollars": "USD",
    "chf": "CHF", "gbp": "GBP", "£": "GBP",
}  # fmt: skip
# Multiplier words: "tys.", "mln", "mld", "million", "bn", ...
_MULTIPLIERS: dict[str, int] = {
    "tys": 10**3, "tysiecy": 10**3, "tysiace": 10**3, "thousand": 10**3, "k": 10**3,
    "mln": 10**6, "milion": 10**6, "miliony": 10**6, "milionow": 10**6,
    "million": 10**6, "millions": 10**6, "m": 10**6,
    "mld": 10**9, "miliard": 10**9, "miliardy": 10**9, "miliardow": 10**9,
    "billion": 10**9, "billions": 10**9, "bn": 10**9,
}  # fmt: skip


def _alternation(words: dict[str, object]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_CUR = rf"(?:{_alternation(_CURRENCIES)})(?![a-z])"
_AMOUNT_RE = re.compile(
    rf"""
    (?:(?P<pre>{_CUR})\ ?)?
    (?<![\d.,])(?P<number>
        \d{{1,3}}(?P<group>[ .,])\d{{3}}(?!\d)(?:(?P=group)\d{{3}}(?!\d))*(?:[.,]\d+)?
       |\d+(?:[.,]\d+)?)
    (?![\d])
    (?:\ ?(?P<mult>{_alternation(_MULTIPLIERS)})(?![a-z0-9])\.?)?
    (?P<percent>\ ?(?:%|proc|procent))?
    (?:\ ?(?P<post>{_CUR}))?
    """,
    re.VERBOSE | re.ASCII,
)
# The text says there is no amount (yet): not an error, no money.
_NO_AMOUNT = re.compile(
    r"(?<![a-z])(?:nie ma okreslonej|brak\w*|w trakcie ustal\w*|do ustalenia|"
    r"nie okreslon\w*|nie dotyczy|nie ustalon\w*|not (?:yet )?(?:known|set|specified)|"
    r"tb[acd]|n/a|unknown|none)(?![a-z])"
)
# "m" and "k" are money multipliers only next to a currency ("€2.5m").
_LETTER_MULTIPLIERS = {"m", "k"}
# A budget field holding only a number, perhaps after a label: "Alokacja: 400 000".
_BARE_FIELD = re.compile(r"\A(?:[^\d:]*:\ ?)?\Z")
# Amounts beyond this many digits are misread numbers (and beyond Decimal's
# default 28-digit precision).
_MAX_DIGITS = 20


def _to_decimal(number: str, group: str | None, has_mult: bool) -> Decimal:
    """'120 000 000,00' -> 120000000.00, '1.950.000' -> 1950000, '1,5' -> 1.5."""
    if not group:
        return Decimal(number.replace(",", "."))
    if group == " ":
        return Decimal(number.replace(" ", "").replace(",", "."))
    other = "," if group == "." else "."
    # "1,250 mln zł" is one and a quarter million, not 1250 million: before a
    # multiplier a lone separator is the decimal one.
    if has_mult and number.count(group) == 1 and other not in number:
        return Decimal(number.replace(group, "."))
    return Decimal(number.replace(group, "").replace(other, "."))


def _money(
    m: re.Match[str], default_currency: str, need_currency: bool
) -> Money | None:
    """The amount in one match; None for percentages and bare numbers in prose."""
    if m["percent"]:
        return None
    code = m["post"] or m["pre"]
    if code is None and (need_currency or m["mult"] in _LETTER_MULTIPLIERS):
        return None  # "30 dni" is no money, nor "3 m" without a currency
    digits = sum(ch.isdigit() for ch in m["number"])
    if digits > _MAX_DIGITS:
        return None
    try:
        amount = _to_decimal(m["number"], m["group"], m["mult"] is not None)
    except InvalidOperation:
        return None
    if m["mult"]:
        amount *= _MULTIPLIERS[m["mult"]]
    if amount == amount.to_integral_value():
        amount = amount.quantize(Decimal(1))
    currency = _CURRENCIES[code] if code else default_currency
    return Money(amount, currency)


def _first(text: str, default_currency: str) -> Money | None:
    """The first amount with a currency."""
    for m in _AMOUNT_RE.finditer(text):
        money = _money(m, default_currency, need_currency=True)
        if money is not None:
            return money
    return None


def _bare(text: str, default_currency: str) -> Money | None:
    """A field that is just a number (after an optional label) is an amount."""
    m = _AMOUNT_RE.search(text)
    if (
        m is None
        or text[m.end() :].strip(" .")
        or not _BARE_FIELD.match(text[: m.start()])
    ):
        return None
    return _money(m, default_currency, need_currency=False)


def find_amount(text: str, *, default_currency: str = "PLN") -> Money | None:
    """The first amount with a currency in running prose; None if there is none.
    Never raises. Bare numbers are not money here ("w ciągu 30 dni")."""
    return _first(normalize(text), default_currency)


def parse_amount(text: str, *, default_currency: str = "PLN") -> Money | None:
    """The amount in a budget field. A field holding only a number ("400 000",
    "Alokacja: 400 000") takes `default_currency`; elsewhere a currency is needed.

    None when the field says there is no amount ("nie ma określonej alokacji",
    "w trakcie ustalania", "brak", empty or "-"); AmountParseError when the text
    holds no amount at all (a percentage is not one).
    """
    norm = normalize(text)
    money = _first(norm, default_currency) or _bare(norm, default_currency)
    if money is not None:
        return money
    if not norm.strip(" .,:;-_*()") or _NO_AMOUNT.search(norm):
        return None
    raise AmountParseError(f"no amount in {text!r}")
