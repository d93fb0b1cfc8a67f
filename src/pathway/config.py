"""Settings, read from the environment (``PATHWAY_*``) and overridden by global CLI options."""

from __future__ import annotations

import getpass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///pathway.db"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (e.g. some containers)
        return "unknown"


class Settings(BaseSettings):
    """Where the data lives, where the workflows are, who acts and when."""

    model_config = SettingsConfigDict(env_prefix="PATHWAY_", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL")
    workflows: Path = Field(Path("workflows"), description="folder of workflow YAML files")
    actor: str = Field(default_factory=_os_user, description="who is acting, recorded on events")
    now: str | None = Field(None, description="fixed clock for this run (ISO date-time)")
    log_level: str = "warning"
