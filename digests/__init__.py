"""Weekly email digests: build (query) → render (templates) → send (SMTP).

The pieces a caller needs:

- `digests.period.Period` / `current_period(now, timezone)`: ISO weeks.
- `digests.build.build_digest(session, member, period, now)`: what to show.
- `digests.render.render_digest(context, settings)`: the email.
- `digests.send.send_weekly_digests(sessions, settings, period, now)`: all members,
  at most one email per member and week.
- `digests.build.matching_calls(session, member, now)`: a member's whole list
  (their page and feeds).
- `digests.ics.build_calendar(items, ...)`: the deadlines as iCalendar (the
  attachment and the feed).
- `digests.reminders.send_reminders(sessions, settings, now)`: deadline reminders
  due today.
"""
