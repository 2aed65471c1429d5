from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("CEPHALOG_TESTING", "1")

if TYPE_CHECKING:
    from tests.personas import Cast


@pytest.fixture
def cast(db: None) -> Cast:
    # Imported here so the domain suite also runs without Django (`-p no:django`).
    from tests.personas import make_cast

    return make_cast()
