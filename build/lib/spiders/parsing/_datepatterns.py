"""The regexes of the date parser, one named alternative per written form.

They match the output of `_text.normalize`: lower case, diacritics folded,
single ASCII spaces, every dash as "-". Each alternative of `DATE_RE` has a
builder in `_datescan`; the time patterns read a clock time next to a date.
"""

from __future__ import annotations

import re

from spiders.parsing._months import (
    HALF_PATTERN,
    MONTH_FIRST_PATTERN,
    MONTH_PATTERN,
    QUARTER_PATTERN,
    ROMAN_MONTH_PATTERN,
)

_M, _MF = MONTH_PATTERN, MONTH_FIRST_PATTERN
_Y = r"(?<!\d)\d{4}(?!\d)"  # a year is exactly four digits
_ORD = r"(?:st|nd|rd|th)?"  # "17th June"
_KW = r"(?:kw(?![a-z])\.?|kwartal[a-z]*|quarter|qtr\.?)"  # "kw.", "kwartale"
_HALF = r"(?:polow[a-z]*|polrocz[a-z]*|half)"  # "połowa", "półroczu"
_OF_YEAR = r"(?:of\ |roku\ |r\.\ ?)?"  # "I kw. r. 2026", "third quarter of 2026"

DATE_RE = re.compile(
    rf"""
    (?P<iso>(?<![\d.])(?P<iso_y>\d{{4}})-(?P<iso_m>\d{{1,2}})-(?P<iso_d>\d{{1,2}})(?!\d)
        (?:t(?P<iso_t>\d{{1,2}}:\d{{2}}(?::\d{{2}})?)(?:\.\d+)?
           (?P<iso_off>z|[+-]\d{{2}}:?\d{{2}})?)?)
   |(?P<ymd>(?<![\d.])(?P<ymd_y>\d{{4}})(?P<ymd_s>[./])(?P<ymd_m>\d{{1,2}})
        (?P=ymd_s)(?P<ymd_d>\d{{1,2}})(?!\d))
   |(?P<dmy>(?<![\d.])(?P<dmy_d>\d{{1,2}})(?P<dmy_s>[.-])(?P<dmy_m>\d{{1,2}})
        (?P=dmy_s)(?P<dmy_y>{_Y}))
   |(?P<slash>(?<![\d/])(?P<sl_a>\d{{1,2}})/(?P<sl_b>\d{{1,2}})/(?P<sl_y>{_Y}))
   |(?P<dname>(?<![\d.])(?P<dn_d>\d{{1,2}}){_ORD}\.?\ ?(?:of\ )?(?P<dn_m>{_M})
        (?:\ ?,?\ ?(?P<dn_y>{_Y}))?)
   |(?P<droman>(?<![\d.])(?P<dr_d>\d{{1,2}})[.\ ]\ ?(?P<dr_m>{ROMAN_MONTH_PATTERN})
        [.\ ]\ ?(?P<dr_y>{_Y}))
   |(?P<mdy>(?<![a-z])(?P<md_m>{_MF})\ (?P<md_d>\d{{1,2}}){_ORD}(?!\d)
        \ ?,?\ ?(?P<md_y>{_Y}))
   |(?P<quarter>(?<![a-z0-9])(?P<q_a>{QUARTER_PATTERN})
        (?:\ ?[/-]\ ?(?P<q_b>{QUARTER_PATTERN}))?\ ?{_KW}\ ?{_OF_YEAR}(?P<q_y>{_Y}))
   |(?P<qshort>(?<![a-z0-9])q(?P<qs_a>[1-4])(?:\ ?[/-]\ ?q?(?P<qs_b>[1-4]))?
        \ ?{_OF_YEAR}(?P<qs_y>{_Y}))
   |(?P<half>(?<![a-z0-9])(?:(?P<h_n>{HALF_PATTERN})\ ?{_HALF}|h(?P<h_h>[12]))
        \ ?{_OF_YEAR}(?P<h_y>{_Y}))
   |(?P<mname>(?<![a-z])(?P<mn_a>{_MF})(?:\ ?[/-]\ ?(?P<mn_b>{_M}))?
        \ ?(?:of\ |roku\ )?(?P<mn_y>{_Y}))
   |(?P<mnum>(?<![\d.])(?P<mu_m>\d{{1,2}})\.(?P<mu_y>{_Y})(?!\.\d))
    """,
    re.VERBOSE | re.ASCII,
)

# A clock time: "15:00", "15:00:00", "16.00", "16", "4 p.m.", "4:30pm". It must
# not run into a date: "2.10" in "2.09.2024 - 2.10.2024" is no time.
_CLOCK = (
    r"(?P<h>\d{1,2})(?:(?P<sep>[:.])(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?(?!\d)"
    r"(?![.:/]\d)\ ?(?P<ampm>[ap]\.?\ ?m\.?(?![a-z]))?"
)
# "godz." announces a time, so an hour alone will do ("do godz. 16");
# "at"/"o" need minutes or a.m./p.m. ("at 4 p.m.", "o 16:00").
_HOUR_WORD = r"(?P<word>godz(?:in[a-z]*|\.)?|hours?)"
_AT_WORD = r"(?P<at>at|by|before|until|o)"
_ANNOUNCED = rf"(?:(?:(?:do|o|at|by|until|before)\ )?{_HOUR_WORD}\ ?|{_AT_WORD}\ )"
# "do godz. 16:00 dnia 31.03.2025": that time belongs to the date that follows.
_NOT_BEFORE_DAY = r"(?!\ ?,?\ ?(?:dnia|w\ dniu|dn\.|on)(?![a-z]))"

# Right after the date: "r. do godziny 14:00", ", at 4 p.m.", " - 15:15", " 23:59".
_YEAR_WORD = r"(?:\ ?(?:r\.|roku(?![a-z])|r(?![a-z])))?"  # "2025 r.", "2025 roku"
TIME_NEAR = re.compile(
    rf"\A{_YEAR_WORD}\ ?[,;(]?\ ?(?:-\ )?{_ANNOUNCED}?{_CLOCK}{_NOT_BEFORE_DAY}",
    re.ASCII,
)
# A few words on: "r. (zamknięcie naboru o godz. 15:00)"; never across a digit,
# and never across "do"/"od" (that time belongs to the other end of a range).
TIME_FAR = re.compile(
    rf"\A(?P<gap>[^\d]{{0,60}}?)(?<![a-z])(?:(?:do|o|at)\ )?{_HOUR_WORD}\ ?{_CLOCK}"
    rf"{_NOT_BEFORE_DAY}",
    re.ASCII,
)
FAR_GAP_FORBIDDEN = re.compile(r"(?<![a-z])(?:do|od|to|from|until)(?![a-z])")
# Just before the date: "do godz. 15:00 dnia 31.05.2024", "at 4 p.m. on 17 June".
TIME_BEFORE = re.compile(
    rf"{_ANNOUNCED}{_CLOCK}\ ?,?\ ?(?:w\ dniu\ |dnia\ |dn\.\ ?|on\ )?\Z", re.ASCII
)
