#!/usr/bin/env python3
"""Modules over 400 lines and functions over 60 lines in src/ (issue 20.4).

    .venv/bin/python scripts/code_size.py [ROOT] [--modules N] [--functions N]

Prints both lists, largest first, then the two counts and the largest function.
Migrations are left out: they are generated, not read.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path


def _functions(tree: ast.AST) -> list[tuple[str, int, int]]:
    """(qualified name, first line, length) of every function, methods included."""
    found: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                length = (child.end_lineno or child.lineno) - first + 1
                found.append((prefix + child.name, child.lineno, length))
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="src")
    parser.add_argument("--modules", type=int, default=400, help="module line limit")
    parser.add_argument("--functions", type=int, default=60, help="function line limit")
    args = parser.parse_args()

    big_modules: list[tuple[int, str]] = []
    big_functions: list[tuple[int, str]] = []
    for path in sorted(Path(args.root).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > args.modules:
            big_modules.append((lines, str(path)))
        for name, lineno, length in _functions(ast.parse(text, str(path))):
            if length > args.functions:
                big_functions.append((length, f"{path}:{lineno} {name}"))

    print(f"Modules over {args.modules} lines:")
    for lines, where in sorted(big_modules, reverse=True):
        print(f"  {lines:5d}  {where}")
    print(f"Functions over {args.functions} lines:")
    for length, where in sorted(big_functions, reverse=True):
        print(f"  {length:5d}  {where}")
    print(
        f"{len(big_modules)} modules over {args.modules} lines, "
        f"{len(big_functions)} functions over {args.functions} lines"
        + (f", largest {max(big_functions)[0]}" if big_functions else "")
    )


if __name__ == "__main__":
    main()
