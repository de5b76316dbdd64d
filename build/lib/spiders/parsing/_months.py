"""Month and quarter names as the sources write them (already diacritic-folded)."""

from __future__ import annotations

# Polish: nominative, genitive ("15 marca"), locative ("w marcu") and the
# three-letter abbreviations of the NCN sidebar ("31 lip").
_POLISH: dict[int, tuple[str, ...]] = {
    1: ("styczen", "stycznia", "styczniu", "sty"),
    2: ("luty", "lutego", "lutym", "lut"),
    3: ("marzec", "marca", "marcu", "mar"),
    4: ("kwiecien", "kwietnia", "kwietniu", "kwi"),
    5: ("maj", "maja", "maju"),
    6: ("czerwiec", "czerwca", "czerwcu", "cze"),
    7: ("lipiec", "lipca", "lipcu", "lip"),
    8: ("sierpien", "sierpnia", "sierpniu", "sie"),
    9: ("wrzesien", "wrzesnia", "wrzesniu", "wrz"),
    10: ("pazdziernik", "pazdziernika", "pazdzierniku", "paz"),
    11: ("listopad", "listopada", "listopadzie", "lis"),
    12: ("grudzien", "grudnia", "grudniu", "gru"),
}
_ENGLISH: dict[int, tuple[str, ...]] = {
    1: ("january", "jan"),
    2: ("february", "feb"),
    3: ("march", "mar"),
    4: ("april", "apr"),
    5: ("may",),
    6: ("june", "jun"),
    7: ("july", "jul"),
    8: ("august", "aug"),
    9: ("september", "sept", "sep"),
    10: ("october", "oct"),
    11: ("november", "nov"),
    12: ("december", "dec"),
}

# One table for both languages: no name means different months in the two
# (only "mar" is shared, and it is March in both), and English pages of Polish
# funders quote Polish dates and vice versa.
MONTHS: dict[str, int] = {
    name: number
    for table in (_POLISH, _ENGLISH)
    for number, names in table.items()
    for name in names
}

# Longest first, so that "marca" wins over "mar"; a name must end at a word
# boundary ("marka" is no month), an abbreviation may carry a dot.
MONTH_PATTERN = (
    "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")(?![a-z])\.?"
)

# Before a year or a day ("sie 2026", "Sep 16, 2025") a name must not be a
# common word: "sie" is the folded "się" ("rozpocznie się 2026-03-01").
_NOT_FIRST = {"sie"}
MONTH_FIRST_PATTERN = (
    "(?:"
    + "|".join(sorted(set(MONTHS) - _NOT_FIRST, key=len, reverse=True))
    + r")(?![a-z])\.?"
)

ROMAN_MONTHS: dict[str, int] = {
    numeral: number
    for number, numeral in enumerate(
        ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"),
        start=1,
    )
}
ROMAN_MONTH_PATTERN = (
    "(?:" + "|".join(sorted(ROMAN_MONTHS, key=len, reverse=True)) + r")(?![a-z])"
)

QUARTERS: dict[str, int] = {
    "i": 1, "ii": 2, "iii": 3, "iv": 4,
    "1": 1, "2": 2, "3": 3, "4": 4,
    "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
    "first": 1, "second": 2, "third": 3, "fourth": 4,
}  # fmt: skip
QUARTER_PATTERN = (
    "(?:" + "|".join(sorted(QUARTERS, key=len, reverse=True)) + r")(?![a-z0-9])"
)

# Halves of a year: "I połowa 2026", "II półrocze", "first half of 2026", "H1".
HALVES: dict[str, int] = {
    "i": 1, "ii": 2, "1": 1, "2": 2, "1st": 1, "2nd": 2, "first": 1, "second": 2,
}  # fmt: skip
HALF_PATTERN = (
    "(?:" + "|".join(sorted(HALVES, key=len, reverse=True)) + r")(?![a-z0-9])"
)
