"""One call, one row: the same call from several sources is merged, explainably."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from spiders.items import Deadline
from tests.factories import NOW, funding_call
from tracker.identity import linked_calls, normalise, official_number
from tracker.storage import ensure_source, upsert_call

DEADLINE = [Deadline(datetime(2027, 3, 31, 14, tzinfo=UTC))]


def _store(session: Session, slug: str, catch_all: bool = False, **fields):
    source = ensure_source(session, slug, slug, "x", None, catch_all)
    values = {"deadlines": DEADLINE, "funder": "PARP", **fields}
    return upsert_call(session, source, funding_call(source=slug, **values), NOW)


def test_same_call_number_merges_into_the_operators_copy(db_session: Session) -> None:
    number = "FENG.01.01-IP.01-001/23"
    operator = _store(db_session, "pl_parp", source_id="smart", call_identifier=number)
    portal = _store(
        db_session,
        "pl_fe_portal",
        catch_all=True,
        source_id="/nabory/smart/",
        title="Ścieżka SMART (portal)",
        call_identifier=f"Nabór nr {number.lower()}",
    )
    assert portal.merged == f"same call number {number} as pl_parp: smart"
    assert portal.call.merged_into is operator.call
    assert operator.call.merged_into is None
    assert linked_calls(portal.call) == [operator.call, portal.call]


def test_aggregator_seen_first_yields_to_the_operator(db_session: Session) -> None:
    number = "FENG.02.09-IP.01-001/26"
    portal = _store(
        db_session,
        "pl_fe_portal",
        catch_all=True,
        source_id="p",
        call_identifier=number,
    )
    operator = _store(db_session, "pl_ncbr", source_id="o", call_identifier=number)
    assert portal.call.merged_into is operator.call
    assert operator.call.merged_into is None
    assert "yields to the operator" in (portal.call.merge_reason or "")


def test_same_funder_title_and_deadline_merge(db_session: Session) -> None:
    _store(db_session, "pl_parp", source_id="a", title="Bony na innowacje dla MŚP")
    twin = _store(
        db_session,
        "pl_fe_portal",
        source_id="b",
        title="BONY na innowacje – dla MŚP",
        funder="parp",
    )
    assert twin.merged is not None
    assert twin.merged.startswith("same funder, title and final deadline 2027-03-31")


@pytest.mark.parametrize(
    "difference",
    [
        {"title": "Bony na innowacje 2"},
        {"funder": "NCBR"},
        {"deadlines": [Deadline(datetime(2027, 4, 30, 14, tzinfo=UTC))]},
    ],
)
def test_different_calls_stay_apart(db_session: Session, difference) -> None:
    _store(db_session, "pl_parp", source_id="a", title="Bony na innowacje")
    other = _store(
        db_session,
        "pl_fe_portal",
        source_id="b",
        **{"title": "Bony na innowacje", **difference},
    )
    assert other.merged is None
    assert other.call.merged_into is None


def test_eu_topics_of_one_call_are_not_merged(db_session: Session) -> None:
    # Topics share their parent callIdentifier; it is not an official number.
    first = _store(
        db_session, "eu_ft_portal", source_id="T-01", call_identifier="HORIZON-CL6-2026"
    )
    second = _store(
        db_session,
        "eu_other",
        source_id="T-02",
        title="Another topic",
        call_identifier="HORIZON-CL6-2026",
    )
    assert (first.merged, second.merged) == (None, None)


def test_calls_of_one_source_never_merge(db_session: Session) -> None:
    _store(db_session, "pl_parp", source_id="a")
    again = _store(db_session, "pl_parp", source_id="b")
    assert again.merged is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Nabór nr FENG.01.01-IP.01-001/23", "FENG.01.01-IP.01-001/23"),
        ("felu.06.03-iz.00-001/24", "FELU.06.03-IZ.00-001/24"),
        ("Konkurs nr RPLU.01.02.00-IP.01-06-002/20", "RPLU.01.02.00-IP.01-06-002/20"),
        ("ABM/2022/1", "ABM/2022/1"),
        (
            "26/NC/UR/1.12/2026/EfektywnośćEnergetyczna",
            "26/NC/UR/1.12/2026/EFEKTYWNOŚĆENERGETYCZNA",
        ),
        ("HORIZON-CL6-2026-04", None),
        (None, None),
    ],
)
def test_official_numbers(text: str | None, number: str | None) -> None:
    assert official_number(text) == number


def test_normalise_ignores_case_accents_and_punctuation() -> None:
    assert normalise("Ścieżka SMART – Projekty (B+R)") == normalise(
        "sciezka smart projekty b r"
    )
