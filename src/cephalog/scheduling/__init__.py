"""The personalised treatment calendar: appointments materialised from the domain plan
(cephalog.domain.schedule), iCalendar feeds behind secret URLs, and emailed reminders."""
