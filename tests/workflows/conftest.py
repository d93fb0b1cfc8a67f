"""Fixtures of the shipped-workflow walks: each walk starts on a copy of a SQLite file migrated once per
session (``sqlite_template``, tests/integration/conftest.py) instead of migrating a fresh file itself,
a fifth of a walk's time; what migrating an empty file gives is the integration tests' subject."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pathway.files import PRIVATE_FILE
from tests.integration.conftest import sqlite_template  # noqa: F401  (the session's migrated file)


@pytest.fixture
def walk_database(tmp_path: Path, sqlite_template: Path) -> Path:  # noqa: F811
    """A migrated SQLite file of this test's own (mode 0600, as pathway makes it)."""
    path = tmp_path / "walk.db"
    shutil.copyfile(sqlite_template, path)
    os.chmod(path, PRIVATE_FILE)
    return path
