"""Secrets out of the logs (issue 18.6).

A calendar feed's address is its credential (`/calendar/<secret>.ics`,
`/calendar/clinic/<secret>.ics`), as are the set-password links
(`/accounts/reset/<uid>/<token>/`, `/accounts/invite/<uid>/<token>/`) and the link that
confirm a new email address (`/me/email/confirm/<token>/`, staff-typed;
`/accounts/email/<id>/<token>/`, asked for on the account page). Django logs paths
(404s of revoked feeds, the development server's request log), and gunicorn's access log
writes every request line: both go through `mask`.

- Django: the `MaskSecrets` filter on the console handler (settings.LOGGING).
- gunicorn: `--logger-class cephalog.ops.logs.GunicornLogger` (docs/production.md).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

_SECRETS = (
    (re.compile(r"(/calendar/(?:clinic/)?)[^/?#\s\"']+?(\.ics)"), r"\1[secret]\2"),
    (re.compile(r"(/accounts/(?:reset|invite|email)/)[^/?#\s\"']+/[^/?#\s\"']+"), r"\1[secret]"),
    (re.compile(r"(/me/email/confirm/)[^/?#\s\"']+"), r"\1[secret]"),
)


def mask(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class MaskSecrets(logging.Filter):
    """Rewrite a record whose message holds a secret address (the message is formatted
    here, once, so its arguments cannot carry the secret past the filter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class GunicornLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with the secret addresses masked in every access-log field."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {k: mask(v) if isinstance(v, str) else v for k, v in atoms.items()}
