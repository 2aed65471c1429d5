"""Every model write is in an actions module (issue 20.2; docs/adr/0012-layers.md).

Writes belong in `actions.py`, a `*_actions.py` module or an `actions/` package of the
app, or an `*_actions/` package (atomic, validated, audited there), in migrations, or in the backup/restore code.
`ALLOWED` lists what remains elsewhere, each with its reason; an entry that no longer
writes fails too, so the list only shrinks. Runs in `make check` (no database).
"""

from __future__ import annotations

from pathlib import Path

from tests.architecture.writes import Write, writes_in

SRC = Path(__file__).resolve().parents[2] / "src"

#: Files outside actions modules that still write, and why. Add none without a reason.
ALLOWED: dict[str, str] = {
    # The shared write layer itself: `save_validated` is what actions call to save.
    "cephalog/core/writes.py": "the validate-save-audit helper every action uses",
    # The shared job helper: claim, retry and finish a job's row (outbox, reminders, export).
    "cephalog/core/jobs.py": "the claim-retry-finish helper the background jobs' actions use",
    # The Django admin (superusers only) saves through ModelAdmin.save_model, audited there.
    "cephalog/accounts/admin_site.py": "the Django admin's own save, audited in save_model",
}


def is_write_module(path: Path) -> bool:
    parts = path.relative_to(SRC).parts
    name = path.name
    return (
        "migrations" in parts
        or any(part == "actions" or part.endswith("_actions") for part in parts[:-1])
        or name == "actions.py"
        or name.endswith("_actions.py")
        or "backup" in name
        or "restore" in name
    )


def stray_writes() -> dict[str, list[Write]]:
    found: dict[str, list[Write]] = {}
    for path in sorted((SRC / "cephalog").rglob("*.py")):
        if is_write_module(path):
            continue
        writes = writes_in(path, SRC)
        if writes:
            found[writes[0].path] = writes
    return found


def covers(entry: str, path: str) -> bool:
    """An ALLOWED entry names the file, or the package it is in (with a trailing slash)."""
    return path == entry or (entry.endswith("/") and path.startswith(entry))


def allowed(path: str) -> bool:
    return any(covers(entry, path) for entry in ALLOWED)


def test_every_model_write_is_in_an_actions_module() -> None:
    stray = {path: w for path, w in stray_writes().items() if not allowed(path)}
    lines = [str(write) for writes in stray.values() for write in writes]
    assert not lines, "model writes outside actions modules:\n" + "\n".join(lines)


def test_every_allowed_file_still_writes() -> None:
    """An entry whose writes moved into actions is taken off the list."""
    writing = set(stray_writes())
    gone = sorted(e for e in ALLOWED if not any(covers(e, path) for path in writing))
    assert not gone, f"no longer writes, remove from ALLOWED: {gone}"


def test_it_finds_the_writes_of_a_module(tmp_path: Path) -> None:
    """The finder sees each kind of write and none of the look-alikes."""
    module = tmp_path / "cephalog" / "app" / "views.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "def view(request, patient, form, data):\n"
        "    entry.save()\n"  # 2
        "    Entry.objects.create(day=1)\n"  # 3
        "    patient.sessions.create(day=1)\n"  # 4
        "    Entry.objects.filter(day=1).update(day=2)\n"  # 5
        "    Entry.objects.filter(day=1).delete()\n"  # 6
        "    Entry.objects.bulk_create([])\n"  # 7
        "    Entry.objects.get_or_create(day=1)\n"  # 8
        "    Entry.objects.update_or_create(day=1)\n"  # 9
        "    mine = Entry.objects.filter(day=1)\n"
        "    mine.update(day=3)\n"  # 11
        "    entry.delete()\n"  # 12
        "    data.update({'a': 1})\n"  # a dict: not a write
        "    cache.delete('key')\n"  # the cache: not a write
        "    super().save()\n"  # a model's own save(): not a stray write
        "    words = {1}; words.update({2})\n"  # a set: not a write
    )
    assert [(w.line, w.call) for w in writes_in(module, tmp_path)] == [
        (2, "save"),
        (3, "create"),
        (4, "create"),
        (5, "update"),
        (6, "delete"),
        (7, "bulk_create"),
        (8, "get_or_create"),
        (9, "update_or_create"),
        (11, "update"),
        (12, "delete"),
    ]
