"""The fault drill's rule for what a treatment session may hold after concurrent writes
(scripts/faults.py `may_hold`): the drill must not call a legitimate order of commits a
lost write, nor let a real one pass."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "faults.py"


@pytest.fixture(scope="module")
def faults() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cephalog_faults_drill", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_write_still_in_flight_when_the_acknowledged_one_was_sent_may_land_last(
    faults: ModuleType,
) -> None:
    """Two writers: a full set sent first (seq 1) and answered last (seq 4), a partial set
    sent second (seq 2) and acknowledged (seq 3). The full set may have committed after the
    partial one: the drill failed a CI run calling that a lost write."""
    Attempt = faults.Attempt
    attempts = [
        Attempt(sent=1, done=4, variant="full", acked=False),
        Attempt(sent=2, done=3, variant="partial", acked=True),
    ]
    assert faults.may_hold(attempts) == {"full", "partial"}
    # acknowledged as well: the same
    attempts[0] = Attempt(sent=1, done=4, variant="full", acked=True)
    assert faults.may_hold(attempts) == {"full", "partial"}


def test_a_write_answered_before_the_acknowledged_one_was_sent_cannot_land_last(
    faults: ModuleType,
) -> None:
    Attempt = faults.Attempt
    attempts = [
        Attempt(sent=1, done=2, variant="full", acked=False),
        Attempt(sent=3, done=4, variant="partial", acked=True),
    ]
    assert faults.may_hold(attempts) == {"partial"}
    # and every acknowledgement counts: a later attempt answered before a second ack
    attempts += [
        Attempt(sent=5, done=6, variant="full", acked=False),
        Attempt(sent=7, done=8, variant="partial", acked=True),
    ]
    assert faults.may_hold(attempts) == {"partial"}


def test_without_an_acknowledgement_anything_attempted_or_nothing(faults: ModuleType) -> None:
    Attempt = faults.Attempt
    attempts = [Attempt(sent=1, done=2, variant="full", acked=False)]
    assert faults.may_hold(attempts) == {"full", "partial", "none"}
