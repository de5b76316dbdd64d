"""`grants parse`: a saved page through a spider callback to JSON lines."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scrapy.http import HtmlResponse, Request, TextResponse

from spiders.items import FundingCall
from tests.conftest import FIXTURES, ROOT
from tracker.cli import cli
from tracker.cli.parse import _print_calls, make_response, run_callback

PAGE_1 = FIXTURES / "eu_ft_portal" / "page_1.json"
NOW = "2026-09-01T00:00:00+00:00"
STATUSES = {"forthcoming", "open", "closed"}


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["parse", *args], catch_exceptions=False)


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def _assert_iso_with_offset(value: str) -> None:
    assert datetime.fromisoformat(value).utcoffset() is not None, value


def test_parse_prints_one_json_call_per_line() -> None:
    result = _invoke("eu_ft_portal", str(PAGE_1), "--now", NOW)
    assert result.exit_code == 0, result.output
    calls = _lines(result.stdout)
    assert len(calls) == 8
    assert calls[0]["source_id"] == "HORIZON-HLTH-2026-01-DISEASE-07"
    assert calls[0]["budget_amount"] == "25000000"
    for call in calls:
        assert call["status"] in STATUSES
        if call["opening_date"]:
            _assert_iso_with_offset(call["opening_date"])
        for deadline in call["deadlines"]:
            _assert_iso_with_offset(deadline["at"])
    stale = next(
        c for c in calls if c["source_id"] == "HORIZON-CL6-2024-FARM2FORK-01-11"
    )
    assert (stale["source_status"], stale["status"]) == ("open", "closed")
    assert "ignored 1 request" in result.stderr


def test_parse_keeps_non_ascii_text(tmp_path: Path) -> None:
    page = json.loads(PAGE_1.read_text("utf-8"))
    page["results"] = [page["results"][0]]  # the German copy only
    path = tmp_path / "de.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    result = _invoke("eu_ft_portal", str(path))
    assert "nächsten" in result.stdout


def test_parse_with_tags() -> None:
    result = _invoke("eu_ft_portal", str(PAGE_1), "--tags", "--now", NOW)
    assert result.exit_code == 0, result.output
    calls = {c["source_id"]: c for c in _lines(result.stdout)}
    for call in calls.values():
        assert 0 <= call["relevance"] <= 1
        for tag in call["tags"]:
            assert set(tag) == {"tag", "origin", "evidence"}
    health = {t["tag"]: t for t in calls["HORIZON-HLTH-2026-01-DISEASE-07"]["tags"]}
    assert health["health"]["origin"] == "source"
    assert health["health"]["evidence"] == "programme: HORIZON-HLTH-2026-01-DISEASE-07"
    cbe = {t["tag"] for t in calls["HORIZON-JU-CBE-2026-IAFlag-02"]["tags"]}
    assert {"bioeconomy", "biotech"} <= cbe


def test_parse_tags_put_the_domains_first_then_subtopics_and_facets() -> None:
    result = _invoke("eu_ft_portal", str(PAGE_1), "--tags", "--now", NOW)
    call = next(
        c
        for c in _lines(result.stdout)
        if c["source_id"] == "HORIZON-HLTH-2026-01-DISEASE-07"
    )
    names = [t["tag"] for t in call["tags"]]
    assert names[:2] == ["health", "pharma"]  # the domain tags by their names
    assert "pharma/vaccines" in names
    assert {"geo:eu", "origin:eu", "instrument:grant"} <= set(names)
    assert names.index("pharma/vaccines") < names.index("geo:eu")
    assert call["relevance"] >= 0.9  # programme code plus a second domain


def test_parse_without_tags_prints_no_tags() -> None:
    result = _invoke("eu_ft_portal", str(PAGE_1), "--now", NOW)
    assert all("tags" not in c and "relevance" not in c for c in _lines(result.stdout))


def test_unknown_slug_fails_clearly() -> None:
    result = _invoke("no_such_spider", str(PAGE_1))
    assert result.exit_code != 0
    assert "unknown spider 'no_such_spider'" in result.stderr
    assert "eu_ft_portal" in result.stderr  # the known ones are listed


def test_missing_file_fails_clearly(tmp_path: Path) -> None:
    result = _invoke("eu_ft_portal", str(tmp_path / "missing.json"))
    assert result.exit_code != 0
    assert "does not exist" in result.stderr


def test_unknown_callback_fails_clearly() -> None:
    result = _invoke("eu_ft_portal", str(PAGE_1), "--callback", "parse_nothing")
    assert result.exit_code != 0
    assert "no callback 'parse_nothing'" in result.stderr


def test_a_failing_callback_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text('{"unexpected": true}', encoding="utf-8")
    result = _invoke("eu_ft_portal", str(path))
    assert result.exit_code == 1
    assert "eu_ft_portal.parse failed" in result.stderr
    assert "results" in result.stderr


def test_parse_runs_as_a_program(shared_fixtures: Path) -> None:
    capture = shared_fixtures / "eu_ft_portal" / "search_page.json"
    done = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "parse", "eu_ft_portal", str(capture)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    calls = _lines(done.stdout)
    assert len(calls) == 8
    assert all(c["status"] in STATUSES for c in calls)
    assert "budget_cut" in done.stderr  # problems are logged as warnings


def test_unknown_slug_exits_non_zero_as_a_program() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "parse", "nope", str(PAGE_1)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "unknown spider 'nope'" in done.stderr


# --- building blocks ---------------------------------------------------------------


def test_make_response_picks_the_response_type(tmp_path: Path) -> None:
    html = tmp_path / "page.html"
    html.write_text("<html><body><a href='/x'>x</a></body></html>", encoding="utf-8")
    response = make_response(html, "https://example.org/list", {"page": 2})
    assert isinstance(response, HtmlResponse)
    assert response.urljoin("/x") == "https://example.org/x"
    assert response.meta == {"page": 2}
    saved = tmp_path / "api-dump"  # no suffix: sniffed
    saved.write_text('{"results": []}', encoding="utf-8")
    sniffed = make_response(saved, "https://example.org/api")
    assert type(sniffed) is TextResponse
    assert sniffed.json() == {"results": []}


def test_run_callback_accepts_every_callback_shape() -> None:
    response = TextResponse("https://example.org", body=b"{}", encoding="utf-8")
    request = Request("https://example.org/next")

    def plain(_: TextResponse) -> Any:
        yield request

    async def agen(_: TextResponse) -> Any:
        yield request
        yield 1

    async def coroutine(_: TextResponse) -> list[int]:
        return [1, 2]

    assert run_callback(plain, response) == [request]
    assert run_callback(agen, response) == [request, 1]
    assert run_callback(coroutine, response) == [1, 2]
    assert run_callback(lambda _: None, response) == []


def test_invalid_calls_are_dropped_with_a_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = FundingCall("s", "X-1", "A call", "/relative", "EC", "en")
    good = FundingCall("s", "X-2", "A call", "https://example.org/x-2", "EC", "en")
    _print_calls([bad, good], tags=False, now=None)
    out, err = capsys.readouterr()
    assert [c["source_id"] for c in _lines(out)] == ["X-2"]
    assert "dropped 'X-1': url is not absolute" in err
