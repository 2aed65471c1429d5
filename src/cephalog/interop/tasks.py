"""Background work for interop, on Django's task framework (`cephalog worker` runs it).

Thin wrappers: the logic is in cephalog.interop.bulk.
"""

from __future__ import annotations

from django.tasks import task

from cephalog.interop import bulk


@task()
def run_bulk_export_task(export_id: int) -> str:
    """Write one clinic's bulk export (enqueued by bulk.start_bulk_export on commit)."""
    return bulk.run_bulk_export(export_id)
