"""Budget of an EU portal topic from the call-wide `budgetOverview` JSON string."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from spiders.sources._eu_ft_fields import _first

# One complete budget entry inside a cut budgetOverview string.
_BUDGET_ENTRY = re.compile(
    r'\{"action":"(?P<action>[^"]*)",(?P<fields>[^{}\[\]]*)'
    r'"budgetYearMap":(?P<years>\{[^{}]*\})'
)
_NUMBER_FIELD = re.compile(r'"(expectedGrants|maxContribution)":(\d+)')


def _budget_entries(raw: str) -> tuple[list[dict[str, Any]], bool]:
    """All action entries of the call's budget, and whether the string was cut."""
    try:
        table = json.loads(raw)["budgetTopicActionMap"]
        entries = [e for es in table.values() if isinstance(es, list) for e in es]
        return [e for e in entries if isinstance(e, dict)], False
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    # Salvage the entries that survived whole, the topic's own one if lucky.
    salvaged = []
    for match in _BUDGET_ENTRY.finditer(raw):
        numbers = {k: int(v) for k, v in _NUMBER_FIELD.findall(match["fields"])}
        try:
            years = json.loads(match["years"])
        except ValueError:
            continue
        salvaged.append({"action": match["action"], **numbers, "budgetYearMap": years})
    return salvaged, True


def _entry_amount(entry: Mapping[str, Any]) -> Decimal:
    years = entry.get("budgetYearMap") or {}
    return sum((Decimal(str(v)) for v in years.values()), Decimal(0))


def _is_call_wide(entry: Mapping[str, Any], entries: list[dict[str, Any]]) -> bool:
    # The same year map on other actions is a call-wide figure, unless the topic's
    # own grant count times its maximum grant could account for it (equal budgets
    # of sibling topics are common and genuine).
    years = entry.get("budgetYearMap")
    shared = {e.get("action") for e in entries if e.get("budgetYearMap") == years}
    if len(shared - {entry.get("action")}) == 0:
        return False
    grants, ceiling = entry.get("expectedGrants"), entry.get("maxContribution")
    if not isinstance(grants, int | float) or not isinstance(ceiling, int | float):
        return True
    return _entry_amount(entry) > Decimal(str(grants)) * Decimal(str(ceiling))


def _parse_budget(
    meta: Mapping[str, Any], identifier: str, problems: list[str]
) -> Decimal | None:
    """The topic's budget: its own entries in the call-wide budgetOverview."""
    raw = _first(meta, "budgetOverview")
    if raw is None:
        return None
    entries, cut = _budget_entries(raw)
    # "<id> - " so that topic -01 does not also collect -010.
    prefix = f"{identifier} - "
    own = [e for e in entries if str(e.get("action", "")).startswith(prefix)]
    if cut:
        outcome = (
            "the topic's entry was salvaged" if own else "the topic's entry is lost"
        )
        problems.append(
            f"budget_cut: budgetOverview is cut or malformed JSON ({len(raw)} chars); "
            + outcome
        )
    elif not own:
        problems.append(f"budget_missing: no budgetOverview entry for {identifier}")
    if not own:
        return None
    try:
        amounts = [_entry_amount(e) for e in own]
    except (InvalidOperation, AttributeError):
        problems.append(f"budget_malformed: unreadable amounts for {identifier}")
        return None
    if not any(e.get("budgetYearMap") for e in own):
        return None  # the entry exists but states no amount (EIC Accelerator)
    if any(_is_call_wide(e, entries) for e in own):
        problems.append(
            f"budget_call_wide: {sum(amounts)} is repeated over several actions of "
            "the call; not the topic's own budget"
        )
        return None
    return sum(amounts, Decimal(0))
