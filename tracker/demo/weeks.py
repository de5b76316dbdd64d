"""The demo plays two weeks, so that its digests show every section.

Last week: the tracker followed four of the six replayed sources (the EU
portal and NFOŚiGW come this week). When that crawl is done, the demo moves
everything it recorded seven days back (calls first and last seen, crawl
runs, alerts): the one thing the demo fakes, so that this week's digest sees
those calls as known already.

This week: all six sources, with two differences from last week's pages:

- `data/this_week/sites/` holds second versions of replayed pages, served
  instead of the first ones: NCBR's search API, second page, where the Seal
  of Excellence and HYDROSTRATEG deadlines moved ("changed" calls);
- one page has dates that follow the calendar (RELATIVE_DATES): on NCBR's
  search API, first page, three calls are moved, each as a block, so that
  one of its dates falls a fixed number of days after this week's Monday.
  Fixed dates cannot keep a call "closing soon" for more than a few days.
  Both crawls of a demo run see the same dates, so they are no change.

A second `grants demo` on the same database plays this week only, and so
finds nothing new. The replayed data's other dates run out in January 2028;
refresh them then.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.demo.replay import SITES_DIR
from tracker.models import Alert, Call, CrawlRun

THIS_WEEK_DIR = Path(__file__).parent / "data" / "this_week" / "sites"
LAST_WEEK_SOURCES = ("pl_ncbr", "pl_parp", "pl_ncn", "pl_fe_lubelskie")
WEEK = timedelta(days=7)

DATED_PAGE = (
    "www.gov.pl/api/data/competition-search__type-NCBR_language-pl_page-0_size-50"
)
# Call path -> (the date that anchors it, days after this week's Monday).
RELATIVE_DATES = {
    # Ścieżka SMART, biotechnology and health (SMEs): closing soon
    "/web/ncbr/feng010101-ip01-00127": ("applicationsEndDate", 10),
    # BIOSTRATEG V (universities): closing soon
    "/web/ncbr/v-konkurs-biostrateg": ("applicationsEndDate", 11),
    # AGROSTRATEG III (universities, SMEs): forthcoming
    "/web/ncbr/iii-konkurs-agrostrateg": ("applicationsStartDate", 21),
}
_ISO_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})(?=T\d{2}:\d{2})")


def this_monday(now: datetime, timezone: str) -> date:
    """Monday of the week `now` falls in, on a wall clock in `timezone`."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return today - timedelta(days=today.weekday())


@contextmanager
def replayed_sites(monday: date, this_week: bool) -> Iterator[Path]:
    """A copy of the replayed sites as they stand in the week of `monday`."""
    with TemporaryDirectory(prefix="grants-demo-sites-") as folder:
        root = Path(folder) / "sites"
        shutil.copytree(SITES_DIR, root)
        if this_week:
            shutil.copytree(THIS_WEEK_DIR, root, dirs_exist_ok=True)
        page = root / DATED_PAGE
        page.write_text(
            follow_calendar(page.read_text(encoding="utf-8"), monday),
            encoding="utf-8",
        )
        yield root


def follow_calendar(page: str, monday: date) -> str:
    """NCBR's search API page with RELATIVE_DATES applied."""
    data = json.loads(page)
    data["content"] = [_shifted(call, monday) for call in data["content"]]
    return json.dumps(data, ensure_ascii=False, indent=2)


def _shifted(call: dict, monday: date) -> dict:
    if call.get("path") not in RELATIVE_DATES:
        return call
    anchor, days = RELATIVE_DATES[call["path"]]
    delta = monday + timedelta(days=days) - date.fromisoformat(call[anchor][:10])

    def shift(match: re.Match[str]) -> str:
        return (date.fromisoformat(match[1]) + delta).isoformat()

    # Every date moves alike, those inside the "dates" string included, so the
    # call keeps its own shape: announced, opened, closed in the same rhythm.
    return json.loads(_ISO_DAY.sub(shift, json.dumps(call, ensure_ascii=False)))


# What a crawl stamps with the time it ran.
_STAMPED = {
    Call: ("first_seen_at", "last_seen_at", "updated_at"),
    CrawlRun: ("started_at", "finished_at"),
    Alert: ("raised_at", "notified_at", "resolved_at"),
}


def move_back_a_week(session: Session) -> None:
    """Make what the first crawl recorded look a week old (see the docstring).

    Row by row in Python: date arithmetic in SQL differs between SQLite and
    PostgreSQL, and a demo database holds a few dozen rows.
    """
    for model, columns in _STAMPED.items():
        for row in session.scalars(select(model)):
            for column in columns:
                if (value := getattr(row, column)) is not None:
                    setattr(row, column, value - WEEK)
