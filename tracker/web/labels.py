"""Words for the tracker's vocabularies as the desk shows them.

Domains, call statuses and applicant types are worded by the digests'
`Formatter` (the same words members read); these are the desk's own.
"""

from __future__ import annotations

from collections.abc import Callable

from digests.i18n import N_
from tracker.vocab import (
    AlertKind,
    DatePrecision,
    Instrument,
    Language,
    ReviewAction,
    ReviewState,
    TagOrigin,
)

LABELS: dict[str, dict[str, str]] = {
    "state": {
        ReviewState.PENDING: N_("to review"),
        ReviewState.APPROVED: N_("approved"),
        ReviewState.REJECTED: N_("not relevant"),
    },
    "action": {
        # Nouns: Polish verbs would need the coordinator's grammatical gender.
        ReviewAction.APPROVE: N_("approval"),
        ReviewAction.REJECT: N_("rejection as not relevant"),
        ReviewAction.TAG_ADD: N_("tag added"),
        ReviewAction.TAG_REMOVE: N_("tag removed"),
        ReviewAction.NOTE: N_("note changed"),
        ReviewAction.INTERNAL_DEADLINE: N_("internal deadline changed"),
        ReviewAction.PICK: N_("marked as coordinator's pick"),
        ReviewAction.UNPICK: N_("pick mark removed"),
        ReviewAction.CONFIRM_WITHDRAWN: N_("withdrawal confirmed"),
    },
    "origin": {
        TagOrigin.RULE: N_("rule"),
        TagOrigin.SOURCE: N_("source"),
        TagOrigin.COORDINATOR: N_("coordinator"),
    },
    "instrument": {
        Instrument.GRANT: N_("grant"),
        Instrument.CASCADE: N_("cascade funding"),
        Instrument.LOAN: N_("loan"),
        Instrument.VOUCHER: N_("voucher"),
        Instrument.PRIZE: N_("prize"),
        Instrument.FELLOWSHIP: N_("fellowship"),
        Instrument.TENDER: N_("tender"),
    },
    "language": {Language.PL: N_("Polish"), Language.EN: N_("English")},
    "precision": {
        DatePrecision.DATETIME: N_("date and time"),
        DatePrecision.DAY: N_("day"),
        DatePrecision.MONTH: N_("month only"),
        DatePrecision.QUARTER: N_("quarter only"),
    },
    "alert": {
        AlertKind.NO_CALLS: N_("no calls found"),
        AlertKind.DROP: N_("far fewer calls"),
        AlertKind.VALIDATION: N_("many invalid calls"),
        AlertKind.STALE: N_("no recent success"),
        AlertKind.FAILED: N_("last crawl failed"),
    },
}


class Labels:
    """`lbl("state", call.review_state)` in templates; unknown values as they are."""

    def __init__(self, gettext: Callable[[str], str]) -> None:
        self._gettext = gettext

    def __call__(self, kind: str, value: object) -> str:
        if value is None:
            return ""
        message = LABELS[kind].get(str(value))
        return self._gettext(message) if message else str(value)
