"""Locale-aware wording of a digest: dates, money, labels, counts.

Templates receive one `Formatter` bound to the member's language and the
cluster's time zone (Europe/Warsaw), so every date in a digest is local
wall-clock time written in the reader's own conventions.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time, get_timezone_location
from babel.numbers import format_currency, format_decimal

from digests.build import CallItem, Deadline, DigestContext, FieldChange
from digests.i18n import N_, babel_locale, get_translations
from tracker.tagging.taxonomy import default_taxonomy
from tracker.vocab import CallStatus, DatePrecision, Language

# Spiders keep the source's words: "stage 2", "cut-off 3", "etap 1", "runda 2".
_NUMBERED_LABEL = re.compile(r"^(stage|cut-off|etap|runda) (\d+)$", re.IGNORECASE)

LABELS = {
    # Domains (member interests and call tags)
    "biotech": N_("biotechnology"),
    "health": N_("health"),
    "pharma": N_("pharmaceuticals"),
    "bioeconomy": N_("bioeconomy"),
    "agrifood": N_("agri-food"),
    "environment": N_("environment"),
    # Statuses
    CallStatus.OPEN.value: N_("open"),
    CallStatus.FORTHCOMING.value: N_("forthcoming"),
    CallStatus.CLOSED.value: N_("closed"),
    # Applicant types, as they appear in recorded changes
    "university": N_("universities"),
    "research_institute": N_("research institutes"),
    "sme": N_("SMEs"),
    "large_company": N_("large companies"),
    "ngo": N_("NGOs"),
    "public_body": N_("public bodies"),
    "individual_researcher": N_("individual researchers"),
    "consortium": N_("consortia"),
}
SECTION_TITLES = {
    "picks": N_("Coordinators' picks"),
    "new": N_("New this week"),
    "changed": N_("Changed"),
    "closing_soon": N_("Closing soon"),
    "forthcoming": N_("Forthcoming"),
    "other": N_("Other open calls"),
}
FIELD_LABELS = {
    "title": N_("Title"),
    "deadlines": N_("Deadline"),
    "status": N_("Status"),
    "budget": N_("Budget"),
    "opening_date": N_("Opening date"),
    "applicant_types": N_("Who can apply"),
}


class Formatter:
    """Formats digest values for one language; used by the templates as `fmt`."""

    def __init__(self, language: Language | str, timezone: str, now: datetime):
        self.language = Language(language)
        self.locale = babel_locale(language)
        self.tz = ZoneInfo(timezone)
        self.now = now
        translations = get_translations(language)
        self.gettext = translations.gettext
        self.ngettext = translations.ngettext

    def label(self, value: str) -> str:
        """A translated label for a vocabulary value or a sub-topic
        ("health/vaccines": the taxonomy's own label); others as they are."""
        if value in LABELS:
            return self.gettext(LABELS[value])
        entry = default_taxonomy().by_tag().get(value) if "/" in value else None
        if entry is None:
            return value
        text = entry.label_pl if self.language is Language.PL else entry.label_en
        # Labels are capitalised for menus; here they run inside a sentence.
        return text[:1].lower() + text[1:] if text[1:2].islower() else text

    def labels(self, values: tuple[str, ...] | list[str]) -> str:
        return ", ".join(self.label(v) for v in values)

    def reasons(self, tags: tuple[str, ...] | list[str]) -> str:
        """Why a call matched: "health (vaccines, diagnostics), pharmaceuticals".

        A sub-topic is shown after its domain, or alone if the member follows
        only the sub-topic.
        """
        groups: dict[str, list[str]] = {}
        for tag in tags:
            domain, _, sub = tag.partition("/")
            key = domain if domain in tags else tag
            groups.setdefault(key, [])
            if sub and key == domain:
                groups[key].append(self.label(tag))
        return ", ".join(
            f"{self.label(key)} ({', '.join(subs)})" if subs else self.label(key)
            for key, subs in groups.items()
        )

    def heading(self, section: str) -> str:
        return self.gettext(SECTION_TITLES[section])

    @staticmethod
    def link(url: str) -> str | None:
        """The call's URL if it is a web address (never a scraped `javascript:`)."""
        return url if url.lower().startswith(("https://", "http://")) else None

    def day(self, moment: datetime) -> str:
        return format_skeleton(
            _SKELETONS[DatePrecision.DAY], moment, tzinfo=self.tz, locale=self.locale
        )

    def day_time(self, moment: datetime) -> str:
        """Date and time; midnight alone means the source gave only a day."""
        local = moment.astimezone(self.tz)
        if (local.hour, local.minute) == (0, 0):
            return self.day(moment)
        clock = format_time(local, "short", locale=self.locale)
        joined = self.locale.datetime_formats["medium"]
        return joined.format(clock, self.day(moment))

    def zone_city(self) -> str:
        """The time zone's city in the reader's language ("Warsaw", "Warszawa")."""
        return get_timezone_location(self.tz, locale=self.locale, return_city=True)

    def deadline(self, deadline: Deadline | None) -> str:
        """A deadline at the precision the source gave, never more."""
        if deadline is None:
            return self.gettext("not given")
        skeleton = _SKELETONS.get(deadline.precision)
        if skeleton:
            text = format_skeleton(
                skeleton, deadline.at, tzinfo=self.tz, locale=self.locale
            )
        else:
            text = self.day_time(deadline.at)
        if not deadline.label:
            return text
        return f"{text} ({self.deadline_label(deadline.label)})"

    def deadline_label(self, label: str) -> str:
        """A numbered stage or round in the reader's words; other labels as given."""
        match = _NUMBERED_LABEL.match(label)
        if match is None:
            return label
        kind, number = match.groups()
        stage = kind.lower() in ("stage", "etap")
        message = N_("stage %(num)s") if stage else N_("cut-off %(num)s")
        return self.gettext(message) % {"num": number}

    def days_left(self, deadline: Deadline | None) -> str | None:
        """A countdown ("in 3 days") for near, exact deadlines; vague ones get none."""
        if deadline is None or deadline.precision not in _EXACT:
            return None
        days = (deadline.at.astimezone(self.tz).date() - self._today()).days
        if days > 14:
            return None
        if days <= 0:
            return self.gettext("today")
        if days == 1:
            return self.gettext("tomorrow")
        return self.ngettext("in %(num)d day", "in %(num)d days", days) % {"num": days}

    def money(self, amount: Decimal | None, currency: str | None) -> str | None:
        if amount is None:
            return None
        if not currency:
            return format_decimal(amount, locale=self.locale)
        pattern = self.locale.currency_formats["standard"]
        if amount == amount.to_integral_value():
            # Budgets are round sums; ",00" adds noise to every line.
            pattern = copy.copy(pattern)
            pattern.frac_prec = (0, 0)
        return format_currency(
            amount, currency, format=pattern, locale=self.locale, currency_digits=False
        )

    def status(self, item: CallItem) -> str:
        label = self.label(item.status.value)
        if item.status is CallStatus.FORTHCOMING and item.opening_date:
            return self.gettext("%(status)s, opens %(date)s") % {
                "status": label,
                "date": self.day(item.opening_date),
            }
        return label

    def change(self, change: FieldChange) -> tuple[str, str, str]:
        """(field label, old value, new value) spelled out for a reader."""
        name = change.field
        label = self.gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name
        old, new = change.old, change.new
        if name == "deadlines" and isinstance(old, list) and isinstance(new, list):
            gone = [v for v in old if v not in new]
            came = [v for v in new if v not in old]
            # One cut-off of three moved: show that one, not all three twice.
            # One only added or only dropped reads better in the full lists.
            if gone and came:
                old, new = gone, came
        return label, self._value(name, old), self._value(name, new)

    def summary(self, context: DigestContext) -> str:
        """The counts of the subject and preheader: "2 new calls, 1 closing soon"."""
        ngettext, parts = self.ngettext, []
        if n := len(context.picks) + context.more.get("picks", 0):
            parts.append(
                ngettext("%(num)d recommended call", "%(num)d recommended calls", n)
                % {"num": n}
            )
        if n := len(context.new) + context.more.get("new", 0):
            parts.append(
                ngettext("%(num)d new call", "%(num)d new calls", n) % {"num": n}
            )
        if n := len(context.changed) + context.more.get("changed", 0):
            parts.append(
                ngettext("%(num)d changed call", "%(num)d changed calls", n)
                % {"num": n}
            )
        if n := len(context.closing_soon) + context.more.get("closing_soon", 0):
            parts.append(
                ngettext("%(num)d call closing soon", "%(num)d calls closing soon", n)
                % {"num": n}
            )
        if not parts:
            n = context.call_count
            parts.append(
                ngettext("%(num)d current call", "%(num)d current calls", n)
                % {"num": n}
            )
        return ", ".join(parts)

    def preheader(self, context: DigestContext) -> str:
        """The line mail clients show after the subject."""
        return self.gettext("%(summary)s, for your interests: %(interests)s.") % {
            "summary": self.summary(context),
            "interests": self.labels(context.interests),
        }

    def _today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def _value(self, name: str, value: object) -> str:
        if value is None or value == []:
            return "—"
        if name in ("deadlines", "opening_date"):
            moments = value if isinstance(value, list) else [value]
            return ", ".join(self._moment(str(v)) for v in moments)
        if name == "budget":
            return self._budget(str(value))
        if isinstance(value, list):
            return self.labels([str(v) for v in value])
        # Statuses are vocabulary; titles and anything unknown are shown as given.
        return self.label(str(value)) if name == "status" else str(value)

    def _moment(self, value: str) -> str:
        # Versions are history written by other code; a bad value must not
        # stop a member's digest, so it is shown as stored.
        try:
            if len(value) == len("2026-12-15"):  # a bare date has no time zone
                day = date.fromisoformat(value)
                return format_skeleton(
                    _SKELETONS[DatePrecision.DAY], day, locale=self.locale
                )
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self.day_time(moment)

    def _budget(self, value: str) -> str:
        # Stored as "12000000.00 EUR" by tracker.storage.material_state.
        amount, _, currency = value.partition(" ")
        try:
            return self.money(Decimal(amount), currency or None) or value
        except InvalidOperation:
            return value


_EXACT = (DatePrecision.DATETIME, DatePrecision.DAY)
_SKELETONS = {
    DatePrecision.DAY: "yMMMMd",
    DatePrecision.MONTH: "yMMMM",
    DatePrecision.QUARTER: "yQQQ",
}
