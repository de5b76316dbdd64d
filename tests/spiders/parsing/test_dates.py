"""Every date form seen on the Polish sources (research notes §10), in a table."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from spiders.items import Deadline
from spiders.parsing import (
    DateParseError,
    FuzzyDate,
    find_dates,
    is_undetermined,
    parse_date,
    parse_range,
)
from tracker.vocab import DatePrecision

DAY, MONTH, QUARTER, DATETIME = (
    DatePrecision.DAY,
    DatePrecision.MONTH,
    DatePrecision.QUARTER,
    DatePrecision.DATETIME,
)
TODAY = date(2025, 3, 1)


def day(y: int, m: int, d: int, at: time | None = None) -> FuzzyDate:
    return FuzzyDate(date(y, m, d), date(y, m, d), DATETIME if at else DAY, at)


def span(first: date, last: date, precision: DatePrecision) -> FuzzyDate:
    return FuzzyDate(first, last, precision)


DATES: list[tuple[str, str, FuzzyDate]] = [
    # dd.mm.yyyy, with and without " r."
    ("15.03.2025 r.", "pl", day(2025, 3, 15)),
    ("15.03.2024", "pl", day(2024, 3, 15)),
    ("02.04.2024 r.", "pl", day(2024, 4, 2)),
    ("2.4.2024", "pl", day(2024, 4, 2)),
    ("15-03-2025", "pl", day(2025, 3, 15)),
    # Polish month names: genitive, nominative, abbreviated; any case, folded
    ("15 marca 2025 r.", "pl", day(2025, 3, 15)),
    ("15 marca 2019 r.", "pl", day(2019, 3, 15)),
    ("17 czerwca 2019 r.", "pl", day(2019, 6, 17)),
    ("14 stycznia 2026&nbsp;r.", "pl", day(2026, 1, 14)),
    ("14 stycznia 2026\u00a0r.", "pl", day(2026, 1, 14)),
    ("14\u00a0stycznia\u00a02026\u202fr.", "pl", day(2026, 1, 14)),
    ("16 WRZEŚNIA 2025", "pl", day(2025, 9, 16)),
    ("16 wrzesnia 2025", "pl", day(2025, 9, 16)),
    ("1 października 2025", "pl", day(2025, 10, 1)),
    ("1 pazdziernika 2025", "pl", day(2025, 10, 1)),
    ("1 Października 2025", "pl", day(2025, 10, 1)),
    ("5 lutego 2026", "pl", day(2026, 2, 5)),
    ("3 maja 2026", "pl", day(2026, 5, 3)),
    ("20 sierpnia 2026", "pl", day(2026, 8, 20)),
    ("11 listopada 2026", "pl", day(2026, 11, 11)),
    ("24 grudnia 2026", "pl", day(2026, 12, 24)),
    ("30 kwietnia 2026", "pl", day(2026, 4, 30)),
    ("31 lipca 2026", "pl", day(2026, 7, 31)),
    ("5 sty 2026", "pl", day(2026, 1, 5)),
    ("3 paź 2025", "pl", day(2025, 10, 3)),
    ("3 paź. 2025", "pl", day(2025, 10, 3)),
    ("15.III.2025 r.", "pl", day(2025, 3, 15)),
    ("czwartek, 15 marca 2018", "pl", day(2018, 3, 15)),
    ("Nr 6/2023 z dnia 6 marca 2023 roku", "pl", day(2023, 3, 6)),
    ("Start 31.08.2026", "pl", day(2026, 8, 31)),
    # times: with "godz.", ":" or ".", seconds, a separate span, Drupal's " - "
    ("do 16 września 2025 r. do godziny 14:00", "pl", day(2025, 9, 16, time(14))),
    ("do 15 czerwca 2022 do godz. 16.00", "pl", day(2022, 6, 15, time(16))),
    ("15 czerwca 2022 (do godz. 16:00)", "pl", day(2022, 6, 15, time(16))),
    ("15 czerwca 2022 r. godz. 12", "pl", day(2022, 6, 15, time(12))),
    ("30.06.2025 r. do godz. 24:00", "pl", day(2025, 6, 30, time(23, 59, 59))),
    (
        "do 28 kwietnia 2023 roku godz. 15:00:00 czasu lokalnego (Warszawa)",
        "pl",
        day(2023, 4, 28, time(15)),
    ),
    ("30.10.2026 23:59", "pl", day(2026, 10, 30, time(23, 59))),
    ("Koniec 30.10.2026 23:59", "pl", day(2026, 10, 30, time(23, 59))),
    ("śr., 15/03/2023 - 15:15", "pl", day(2023, 3, 15, time(15, 15))),
    ("Thu, 04/21/2022 - 14:36", "en", day(2022, 4, 21, time(14, 36))),
    ("do godz. 15:00 dnia 31.05.2024 r.", "pl", day(2024, 5, 31, time(15))),
    ("15 marca 2025 o godzinie 12:00", "pl", day(2025, 3, 15, time(12))),
    ("15 marca 2025, 16:00", "pl", day(2025, 3, 15, time(16))),
    ("15 marca 2025 o 16.00", "pl", day(2025, 3, 15, time(16))),
    ("15.03.2025 at 16", "en", day(2025, 3, 15)),  # "at 16" is no clear time
    ("15 sie 2026", "pl", day(2026, 8, 15)),
    ("Nabór rozpocznie się 2026-03-01", "pl", day(2026, 3, 1)),  # "sie" != August
    # ISO, dotted ISO, and the NCBR API's naive Warsaw timestamps
    ("2026-10-01", "pl", day(2026, 10, 1)),
    ("2026.12.01", "pl", day(2026, 12, 1)),
    ("2026-10-16T16:00:00", "pl", day(2026, 10, 16, time(16))),
    ("2026-10-16T14:00:00Z", "pl", day(2026, 10, 16, time(16))),
    ("2026-10-16 16:00:00", "pl", day(2026, 10, 16, time(16))),
    ("2024/06/17", "pl", day(2024, 6, 17)),
    ("2026-01-16T15:00:00+00:00", "pl", day(2026, 1, 16, time(16))),
    # English
    ("closes on 17 June 2024, at 4 p.m.", "en", day(2024, 6, 17, time(16))),
    ("16 September 2025", "en", day(2025, 9, 16)),
    ("September 16, 2025", "en", day(2025, 9, 16)),
    ("Sept. 16, 2025", "en", day(2025, 9, 16)),
    ("June 17th, 2024 at 12:00", "en", day(2024, 6, 17, time(12))),
    ("17 June 2024, 11:30 am", "en", day(2024, 6, 17, time(11, 30))),
    ("17 June 2024 at 12 p.m.", "en", day(2024, 6, 17, time(12))),
    ("17 June 2024 at 12 a.m.", "en", day(2024, 6, 17, time(0))),
    ("at 4 p.m. on 17 June 2024", "en", day(2024, 6, 17, time(16))),
    ("17th of June 2024", "en", day(2024, 6, 17)),
    ("Jun 17, 2024", "en", day(2024, 6, 17)),
    # months: numeric, named, spans
    ("05.2024", "pl", span(date(2024, 5, 1), date(2024, 5, 31), MONTH)),
    ("12.2026", "pl", span(date(2026, 12, 1), date(2026, 12, 31), MONTH)),
    ("listopad 2026 r.", "pl", span(date(2026, 11, 1), date(2026, 11, 30), MONTH)),
    ("Listopad 2026", "pl", span(date(2026, 11, 1), date(2026, 11, 30), MONTH)),
    ("w marcu 2026 r.", "pl", span(date(2026, 3, 1), date(2026, 3, 31), MONTH)),
    ("luty 2028", "pl", span(date(2028, 2, 1), date(2028, 2, 29), MONTH)),
    ("styczeń/luty 2027 r.", "pl", span(date(2027, 1, 1), date(2027, 2, 28), MONTH)),
    ("styczen - luty 2027", "pl", span(date(2027, 1, 1), date(2027, 2, 28), MONTH)),
    ("June 2026", "en", span(date(2026, 6, 1), date(2026, 6, 30), MONTH)),
    ("Sep 2026", "en", span(date(2026, 9, 1), date(2026, 9, 30), MONTH)),
    # quarters and halves: never a day
    ("IV kw. 2026 r.", "pl", span(date(2026, 10, 1), date(2026, 12, 31), QUARTER)),
    ("I kw. 2027 r.", "pl", span(date(2027, 1, 1), date(2027, 3, 31), QUARTER)),
    ("III/IV kwartał 2026", "pl", span(date(2026, 7, 1), date(2026, 12, 31), QUARTER)),
    ("w II kwartale 2026 r.", "pl", span(date(2026, 4, 1), date(2026, 6, 30), QUARTER)),
    ("Q3 2026", "en", span(date(2026, 7, 1), date(2026, 9, 30), QUARTER)),
    ("Q3/Q4 2026", "en", span(date(2026, 7, 1), date(2026, 12, 31), QUARTER)),
    ("third quarter of 2026", "en", span(date(2026, 7, 1), date(2026, 9, 30), QUARTER)),
    ("I połowa 2026 r.", "pl", span(date(2026, 1, 1), date(2026, 6, 30), QUARTER)),
    ("II półrocze 2026", "pl", span(date(2026, 7, 1), date(2026, 12, 31), QUARTER)),
    ("H2 2026", "en", span(date(2026, 7, 1), date(2026, 12, 31), QUARTER)),
    ("first half of 2026", "en", span(date(2026, 1, 1), date(2026, 6, 30), QUARTER)),
    # no year: the nearest such day not more than 183 days before `today`
    ("31 lip", "pl", day(2025, 7, 31)),
    ("15 sty", "pl", day(2025, 1, 15)),
]


@pytest.mark.parametrize(("text", "lang", "expected"), DATES)
def test_parse_date(text: str, lang: str, expected: FuzzyDate) -> None:
    assert parse_date(text, lang=lang, today=TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31.02.2025",
        "13.2025",
        "00.2025",
        "32.01.2025",
        "29.02.2025",
        "30 lutego 2025",
        "31 kwietnia 2026",
        "15/13/2023",
        "2026-13-01",
        "01.01.1066",
        "01.01.1989",
        "01.01.2101",
        "",
        "   ",
        "abc",
        "(do godz. 16:00)",
        "2026",
        "V kw. 2026",
        "1 2026",  # no half-year without "połowa"/"półrocze"
        "i 2026",
        "sie 2026",  # "się 2026", not August
        "Start 31.08.2026 Koniec 30.10.2026",
    ],
)
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_date(text, today=TODAY)


def test_slash_order_follows_the_language() -> None:
    assert parse_date("04/05/2022") == day(2022, 5, 4)
    assert parse_date("04/05/2022", lang="en") == day(2022, 4, 5)
    with pytest.raises(DateParseError):
        parse_date("04/21/2022", lang="pl")


def test_the_same_date_twice_is_one_date() -> None:
    assert parse_date("15.03.2025 (15 marca 2025 r.)") == day(2025, 3, 15)


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date(2025, 3, 1), "31 lip", date(2025, 7, 31)),
        (date(2025, 12, 1), "31 lip", date(2025, 7, 31)),  # 4 months ago: this year
        (date(2026, 3, 1), "31 lip", date(2026, 7, 31)),  # 7 months ago: next one
        (date(2025, 12, 1), "15 sty", date(2026, 1, 15)),
        (date(2025, 3, 1), "29 lut", date(2028, 2, 29)),
        (date(2025, 3, 1), "1 marca", date(2025, 3, 1)),
    ],
)
def test_missing_year_comes_from_today(today: date, text: str, expected: date) -> None:
    assert parse_date(text, today=today).first == expected


ABBREVIATIONS = [
    "sty",
    "lut",
    "mar",
    "kwi",
    "maj",
    "cze",
    "lip",
    "sie",
    "wrz",
    "paz",
    "lis",
    "gru",
]


def test_missing_year_defaults_to_today_in_warsaw() -> None:
    today = datetime.now(ZoneInfo("Europe/Warsaw")).date()
    text = f"{today.day} {ABBREVIATIONS[today.month - 1]}"
    assert parse_date(text).first == today


RANGES: list[tuple[str, str, FuzzyDate | None, FuzzyDate]] = [
    ("od 1 marca do 31 marca 2025", "pl", day(2025, 3, 1), day(2025, 3, 31)),
    (
        "od dnia 02.04.2024 r. (otwarcie naboru) do dnia 31.05.2024 r. "
        "(zamknięcie naboru)",
        "pl",
        day(2024, 4, 2),
        day(2024, 5, 31),
    ),
    (
        "od dnia 02.04.2024 r. (otwarcie naboru o godz. 00:00)\n"
        "do dnia 31.05.2024 r. (zamknięcie naboru o godz. 15:00)",
        "pl",
        day(2024, 4, 2, time(0)),
        day(2024, 5, 31, time(15)),
    ),
    (
        "od 30.03.2020 r. do 03.07.2020 r. do godziny 15:00:00",
        "pl",
        day(2020, 3, 30),
        day(2020, 7, 3, time(15)),
    ),
    ("2.09.2024 – 2.10.2024", "pl", day(2024, 9, 2), day(2024, 10, 2)),
    ("2.09.2024—2.10.2024", "pl", day(2024, 9, 2), day(2024, 10, 2)),
    ("01.02.2018 - 31.03.2018", "pl", day(2018, 2, 1), day(2018, 3, 31)),
    (
        "do 16 września 2025 r. do godziny 14:00",
        "pl",
        None,
        day(2025, 9, 16, time(14)),
    ),
    (
        "Nabór rozpocznie się 20 stycznia i potrwa do 17 lutego 2026 r.",
        "pl",
        day(2026, 1, 20),
        day(2026, 2, 17),
    ),
    ("od 20 grudnia do 15 stycznia 2026", "pl", day(2025, 12, 20), day(2026, 1, 15)),
    ("1-31 marca 2025", "pl", day(2025, 3, 1), day(2025, 3, 31)),
    ("od 1 do 31.03.2025 r.", "pl", day(2025, 3, 1), day(2025, 3, 31)),
    ("od 1.03 do 30.04.2025", "pl", day(2025, 3, 1), day(2025, 4, 30)),
    ("od 1.03.2025 do 31 marca", "pl", day(2025, 3, 1), day(2025, 3, 31)),
    ("od 1.12.2025 do 31 stycznia", "pl", day(2025, 12, 1), day(2026, 1, 31)),
    (
        "Nabór trwa od 1.03.2025 do 31.03.2025 (ogłoszenie z dnia 15.02.2025)",
        "pl",
        day(2025, 3, 1),
        day(2025, 3, 31),
    ),
    (
        "Ogłoszenie z 15.02.2025: nabór od 1.03.2025 do 31.03.2025",
        "pl",
        day(2025, 3, 1),
        day(2025, 3, 31),
    ),
    (
        "od 1.03.2025 godz. 10:00 do 31.03.2025 godz. 16:00",
        "pl",
        day(2025, 3, 1, time(10)),
        day(2025, 3, 31, time(16)),
    ),
    ("Termin składania wniosków: 15.03.2025", "pl", None, day(2025, 3, 15)),
    ("Runda 2 - 15.03.2025", "pl", None, day(2025, 3, 15)),  # 2 is no day
    ("Runda 2: 1-15.03.2025", "pl", day(2025, 3, 1), day(2025, 3, 15)),
    (
        "od 1.03.2025 do godz. 16:00 dnia 31.03.2025",
        "pl",
        day(2025, 3, 1),
        day(2025, 3, 31, time(16)),
    ),
    ("15.03.2024", "pl", None, day(2024, 3, 15)),
    (
        "od III kw. 2026 do IV kw. 2026",
        "pl",
        span(date(2026, 7, 1), date(2026, 9, 30), QUARTER),
        span(date(2026, 10, 1), date(2026, 12, 31), QUARTER),
    ),
    ("from 1 March to 30 April 2025", "en", day(2025, 3, 1), day(2025, 4, 30)),
    (
        "Thu, 04/21/2022 - 14:36 – Fri, 05/20/2022 - 16:00",
        "en",
        day(2022, 4, 21, time(14, 36)),
        day(2022, 5, 20, time(16)),
    ),
]


@pytest.mark.parametrize(("text", "lang", "start", "end"), RANGES)
def test_parse_range(
    text: str, lang: str, start: FuzzyDate | None, end: FuzzyDate
) -> None:
    assert parse_range(text, lang=lang, today=TODAY) == (start, end)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "w trakcie ustalania",
        "od 31.03.2025 do 01.03.2025",  # ends before it starts
        "od 1.01.2025 do 31.02.2025",
        "Start 31.08.2026",  # an opening is no deadline
        "od 1 marca 2025 r.",
        "Termin naboru: od 1.03.2025",
        "od 1.03.2025 do końca marca, godz. 15:00",
        "1.01.2025, 2.01.2025 i 3.01.2025",  # which two?
    ],
)
def test_parse_range_rejects(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_range(text, today=TODAY)


def test_find_dates_in_prose() -> None:
    text = (
        "Nabór wniosków trwa od 1 marca do 31 marca 2025 r. (do godz. 15:00). "
        "Wyniki w IV kw. 2025 r.; kolejna runda: 05.2026. Data 31.02.2025 nie istnieje."
    )
    assert find_dates(text, today=TODAY) == [
        day(2025, 3, 1),
        day(2025, 3, 31, time(15)),
        span(date(2025, 10, 1), date(2025, 12, 31), QUARTER),
        span(date(2026, 5, 1), date(2026, 5, 31), MONTH),
    ]


@pytest.mark.parametrize(
    "text", ["", "Brak terminu", "Nabór nr 6/2023", "FENG.01.01-IP.01-003/26", "16.00"]
)
def test_find_dates_finds_nothing(text: str) -> None:
    assert find_dates(text, today=TODAY) == []


def test_find_dates_keeps_programme_years_out() -> None:
    assert find_dates("FE dla Lubelskiego 2021-2027, 100 mln zł") == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "-",
        "—",
        "brak",
        "Brak danych",
        "w trakcie ustalania",
        "Termin: w trakcie ustalania",
        "do ustalenia",
        "TBA",
        "n/a",
        "Termin zostanie ogłoszony",
    ],
)
def test_is_undetermined(text: str) -> None:
    assert is_undetermined(text)


@pytest.mark.parametrize(
    "text",
    [
        "15.03.2025",
        "IV kw. 2026",
        "Nabór ciągły",
        "do ustalenia, planowany IV kw. 2026",
    ],
)
def test_is_not_undetermined(text: str) -> None:
    assert not is_undetermined(text)


WARSAW = ZoneInfo("Europe/Warsaw")


def test_a_day_without_time_lasts_the_whole_day() -> None:
    d = parse_date("15.03.2025")
    assert d.deadline() == datetime(2025, 3, 15, 23, 59, 59, tzinfo=WARSAW)
    assert d.opening() == datetime(2025, 3, 15, tzinfo=WARSAW)


def test_a_period_runs_from_its_first_to_its_last_day() -> None:
    q = parse_date("IV kw. 2026")
    assert q.opening() == datetime(2026, 10, 1, tzinfo=WARSAW)
    assert q.deadline() == datetime(2026, 12, 31, 23, 59, 59, tzinfo=WARSAW)


def test_deadline_keeps_the_given_time_and_daylight_saving() -> None:
    summer = parse_date("do 16 września 2025 r. do godziny 14:00").deadline()
    winter = parse_date("14.01.2026 godz. 14:00").deadline()
    assert summer.utcoffset() == timedelta(hours=2)
    assert winter.utcoffset() == timedelta(hours=1)
    assert summer == datetime(2025, 9, 16, 12, tzinfo=ZoneInfo("UTC"))


def test_to_deadline() -> None:
    deadline = parse_date("IV kw. 2026").to_deadline(label="Runda 1")
    assert deadline == Deadline(
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=WARSAW), "Runda 1", QUARTER
    )
    other = parse_date("15.03.2025 12:00").to_deadline(tz="Europe/London")
    assert other.at.utcoffset() == timedelta(0)
    assert other.precision is DATETIME


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends before"):
        FuzzyDate(date(2025, 2, 1), date(2025, 1, 1), DAY)
