"""Domain tests: plain Python, no Django, no database.

They run with `pytest tests/domain -p no:django`: nothing here needs
DJANGO_SETTINGS_MODULE or a database.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    # pyproject.toml sets the DJANGO_SETTINGS_MODULE ini key for pytest-django; with
    # `-p no:django` nothing declares it and pytest's unknown-key warning (an error
    # under filterwarnings = error) would stop the run. Declaring it is harmless.
    if "DJANGO_SETTINGS_MODULE" not in parser._inidict:
        parser.addini("DJANGO_SETTINGS_MODULE", "Django settings (used by pytest-django)")
