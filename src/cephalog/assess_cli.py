"""`cephalog assess CASE.json [--policy POLICY] [--ruleset RULESET] [--days]` (spec 10, 11).

Reads a `cephalog.case/1` file (or stdin for `-`), prints the assessment as
JSON on stdout and returns 0. On bad input it prints one line per problem on
stderr, nothing on stdout, and returns 2.

This module must not import Django (directly or through `cephalog.cli`):
`cephalog.cli` calls `main(argv)` before any Django import so the command
starts fast. Keep imports to the standard library and `cephalog.domain`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from cephalog.domain.assess import POLICY_NAMES, assess
from cephalog.domain.case import CaseError, parse_case_text
from cephalog.domain.rulesets import DEFAULT_RULESET, RULESET_NAMES

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `cephalog assess`."""
    parser = _Parser(
        prog="cephalog assess",
        description="Assess a headache diary case file (cephalog.case/1) under a ruleset "
        f"({', '.join(RULESET_NAMES)}; default {DEFAULT_RULESET}) and print the assessment "
        "(cephalog.assessment/1) as JSON.",
    )
    parser.add_argument("case", metavar="CASE.json", help="the case file, or - to read stdin")
    parser.add_argument(
        "--policy",
        default="us-label",
        metavar="POLICY",
        help=f"eligibility and continuation policy: {', '.join(POLICY_NAMES)} (default: us-label)",
    )
    parser.add_argument(
        "--ruleset",
        default=DEFAULT_RULESET,
        metavar="RULESET",
        help=f"version of the clinical rules: {', '.join(RULESET_NAMES)} "
        f"(default: {DEFAULT_RULESET}; standard-1 reproduces earlier assessments)",
    )
    parser.add_argument("--days", action="store_true", help="add the classification of every day")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `cephalog assess` with `argv` (the arguments after `assess`); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except _UsageError as error:
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print(f"cephalog assess: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK

    if args.policy not in POLICY_NAMES:
        print(
            f"--policy: unknown policy {args.policy!r}; choose one of {', '.join(POLICY_NAMES)}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if args.ruleset not in RULESET_NAMES:
        print(
            f"--ruleset: unknown ruleset {args.ruleset!r}; choose one of {', '.join(RULESET_NAMES)}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    source = "<stdin>" if args.case == "-" else args.case
    try:
        data = sys.stdin.buffer.read() if args.case == "-" else Path(args.case).read_bytes()
    except OSError as error:
        print(f"{source}: cannot read the case file: {error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        case = parse_case_text(data)
    except CaseError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT

    assessment = assess(case, args.policy, include_days=args.days, ruleset=args.ruleset)
    sys.stdout.write(json.dumps(assessment.to_dict(), indent=2) + "\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
