"""What Django's request log would write, after the console handler's secret masking."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from cephalog.ops.logs import MaskSecrets


@contextmanager
def masked_request_log(masking: logging.Filter | None = None) -> Iterator[list[str]]:
    """The messages `django.request` logs at WARNING and above while the block runs, each
    passed through `masking` (the project's MaskSecrets unless given) as the console
    handler passes them."""
    masking = masking or MaskSecrets()
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if masking.filter(record):
                records.append(record.getMessage())

    keep = Keep()
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.WARNING)
    request_log.addHandler(keep)
    try:
        yield records
    finally:
        request_log.removeHandler(keep)
        request_log.setLevel(level)
