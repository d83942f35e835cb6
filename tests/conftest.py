"""Shared fixtures. `shared_data` locates ../shared/data (skip when absent; fail when CI=true)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` from the project root: skipped when absent, except under CI=true where it must exist."""
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    message = f"../shared/data not found: expected at {SHARED_DATA}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: the shared data must be present)")
    pytest.skip(message)
