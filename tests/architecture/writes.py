"""Find model writes in source files, by reading them (no import, no database).

A model write is a call of `.save()` or `.delete()`, a call of `bulk_create`, `bulk_update`,
`get_or_create` or `update_or_create`, or a `.create()`/`.update()` called on a manager or
queryset (a chain through `.objects`, a queryset method, or a related manager's `.create`).
Dicts and sets have `.update()` too: an `.update()` counts only on a manager or queryset.
A rough static guess, tuned on cephalog's code: raw SQL is not seen, and a queryset passed
in as an argument is seen only when its name was assigned one in the same module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ALWAYS = {"bulk_create", "bulk_update", "get_or_create", "update_or_create", "save", "delete"}
ON_QUERYSETS = {"create", "update", "delete"}
QUERYSET_METHODS = {
    "objects",
    "all",
    "filter",
    "exclude",
    "select_for_update",
    "select_related",
    "prefetch_related",
    "order_by",
    "only",
    "defer",
    "using",
    "annotate",
    "distinct",
}
#: `.save()`/`.delete()` on these are not model writes (the cache, sessions, files, forms
#: of no model are named here when they occur).
NOT_MODELS = {"cache", "session", "storage", "default_storage", "zf", "zip", "wb", "image"}


@dataclass(frozen=True, order=True)
class Write:
    path: str
    line: int
    call: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: .{self.call}()"


def _chain(node: ast.expr) -> list[str]:
    """`Model.objects.filter(x=1).update` -> ["Model", "objects", "filter", "update"]."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            break
        else:
            break
    return names[::-1]


def _querysets(tree: ast.AST) -> set[str]:
    """Names assigned a manager or queryset (`mine = Reminder.objects.filter(...)`), so
    `mine.update(...)` counts; a rough, module-wide guess (names are not scoped)."""
    names: set[str] = set()
    assigns = [
        (node.targets[0].id, _chain(node.value))
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
    ]
    for _ in range(3):  # `a = X.objects.all()`, `b = a.filter(...)`, `c = b.exclude(...)`
        for target, chain in assigns:
            if chain and (QUERYSET_METHODS & set(chain[1:]) or chain[0] in names):
                names.add(target)
    return names


def _is_write(call: ast.Call, querysets: set[str]) -> str | None:
    if not isinstance(call.func, ast.Attribute):
        return None
    name = call.func.attr
    receiver = _chain(call.func.value)
    if not receiver or receiver[-1] in NOT_MODELS or receiver[0] in NOT_MODELS:
        return None
    if receiver == ["super"]:
        return None  # a model's own save()/delete() calling its parent's
    if name in {"bulk_create", "bulk_update", "get_or_create", "update_or_create"}:
        return name
    if name == "save":
        return name
    if name == "create":
        # `Model.objects.create`, `patient.sessions.create` (a related manager): not
        # `something.create` on a module or a class of no model (see `NOT_MODELS`).
        return name if len(receiver) >= 2 else None
    if name in ON_QUERYSETS and (QUERYSET_METHODS & set(receiver[1:]) or receiver[0] in querysets):
        return name
    if name == "delete" and not call.args and not call.keywords:
        return name  # `instance.delete()`
    return None


def writes_in(path: Path, root: Path) -> list[Write]:
    tree = ast.parse(path.read_text(), filename=str(path))
    rel = path.relative_to(root).as_posix()
    querysets = _querysets(tree)
    return sorted(
        Write(rel, node.lineno, call)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (call := _is_write(node, querysets)) is not None
    )
