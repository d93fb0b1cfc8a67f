"""pathway.toml is checked: unknown keys and malformed files are one located error; no silent empty database."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathway.bootstrap import bootstrap, refuse_accidental_database
from pathway.config import Settings
from pathway.errors import NoDatabaseHere, SettingsInvalid


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory with no PATHWAY_* variables set."""
    for name in [n for n in __import__("os").environ if n.startswith("PATHWAY_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_known_keys_are_read_from_the_file(folder: Path) -> None:
    """Every documented key is accepted and read."""
    (folder / "pathway.toml").write_text('notify_webhook = "http://x/y"\nnotify_webhook_connect_timeout = 1.5\n')
    settings = Settings()
    assert settings.notify_webhook == "http://x/y" and settings.notify_webhook_connect_timeout == 1.5


def test_unknown_key_names_file_line_and_the_closest_valid_key(folder: Path) -> None:
    """A misspelt key is refused with FILE:LINE and a 'did you mean'."""
    (folder / "pathway.toml").write_text('database_url = "sqlite:///x.db"\n\n  notify_webhok = "http://x"\n')
    with pytest.raises(SettingsInvalid) as caught:
        Settings()
    assert caught.value.message.startswith("pathway.toml:3: unknown setting 'notify_webhok'; did you mean 'notify_webhook'?")
    assert caught.value.exit_code == 2


def test_unknown_table_is_refused_at_its_line(folder: Path) -> None:
    """A [table] is no setting either: refused at the table's line."""
    (folder / "pathway.toml").write_text('actor = "anna"\n[notify]\nwebhook = "x"\n')
    with pytest.raises(SettingsInvalid, match=r"^pathway.toml:2: unknown setting 'notify'"):
        Settings()


def test_malformed_file_is_one_line(folder: Path) -> None:
    """Broken TOML: one line with the file and TOML's own line and column."""
    (folder / "pathway.toml").write_text('actor = "anna\n')
    with pytest.raises(SettingsInvalid) as caught:
        Settings()
    assert caught.value.message.startswith("pathway.toml: not valid TOML: ") and "line 1" in caught.value.message
    assert "\n" not in caught.value.message


def test_settings_file_named_by_the_environment(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATHWAY_SETTINGS_FILE names the file checked (and in the error)."""
    other = folder / "etc.toml"
    other.write_text("colour = 1\n")
    monkeypatch.setenv("PATHWAY_SETTINGS_FILE", str(other))
    with pytest.raises(SettingsInvalid, match=rf"^{other}:1: unknown setting 'colour'"):
        Settings()


def test_no_fresh_database_in_a_folder_without_workflows_or_settings(folder: Path) -> None:
    """No database file, no workflows folder, no pathway.toml: refused, and no file is created."""
    with pytest.raises(NoDatabaseHere, match="pathway db init"):
        bootstrap(Settings())
    assert not (folder / "pathway.db").exists()


def test_a_database_is_created_where_the_folder_is_a_pathway_folder(folder: Path) -> None:
    """With a workflows folder, or a settings file, or an existing database, nothing is refused."""
    (folder / "workflows").mkdir()
    refuse_accidental_database(Settings())
    (folder / "workflows").rmdir()
    (folder / "pathway.toml").write_text('actor = "anna"\n')
    refuse_accidental_database(Settings())
    (folder / "pathway.toml").unlink()
    (folder / "pathway.db").write_bytes(b"")
    refuse_accidental_database(Settings())
    refuse_accidental_database(Settings(database_url="postgresql+psycopg://u@h/db"))
