"""The clinical rules stay free of Django: checked in a fresh interpreter."""

import subprocess
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "src" / "cephalog" / "domain"


def test_it_imports_every_domain_module_without_django() -> None:
    modules = sorted(p.stem for p in DOMAIN.glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module('cephalog.domain.' + m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'ninja', 'polars', 'numpy'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_it_bans_django_imports_in_the_domain_by_lint_rule() -> None:
    config = (DOMAIN / "ruff.toml").read_text()
    assert '"django".msg' in config
