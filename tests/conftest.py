import os

import pytest

os.environ.setdefault("CEPHALOG_TESTING", "1")

from tests.personas import Cast, make_cast


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()
