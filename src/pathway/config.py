"""Settings, read from the environment (``PATHWAY_*``) and overridden by global CLI options."""

from __future__ import annotations

import difflib
import getpass
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from pathway.errors import SettingsInvalid

if TYPE_CHECKING:
    from pathway.store.identity_crypto import IdentityKeys

DEFAULT_DATABASE_URL = "sqlite:///pathway.db"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (e.g. some containers)
        return "unknown"


#: The settings file read from the working directory (or the file named by PATHWAY_SETTINGS_FILE).
SETTINGS_FILE = "pathway.toml"


def settings_file() -> Path:
    """The settings file this process reads (it need not exist)."""
    return Path(os.environ.get("PATHWAY_SETTINGS_FILE", SETTINGS_FILE))


class CheckedTomlSource(TomlConfigSettingsSource):
    """``pathway.toml``, refusing what the settings do not know (file, line and the closest valid
    key) and a malformed file (one line, with TOML's own line and column), never a traceback."""

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        import tomllib  # only where a settings file is read: most commands run without one

        path = Path(str(file_path))
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as err:
            raise SettingsInvalid(f"{path}: cannot read the settings file: {err}") from None
        except tomllib.TOMLDecodeError as err:
            raise SettingsInvalid(f"{path}: not valid TOML: {err}") from None
        known = sorted(Settings.model_fields)
        for key in data:
            if key not in Settings.model_fields:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise SettingsInvalid(f"{path}:{_line_of(text, key)}: unknown setting '{key}'; {hint}"
                                      f"valid settings: {', '.join(known)}")
        return data


def _line_of(text: str, key: str) -> int:
    """The line a top-level key (or a ``[table]`` of that name) is set on; 1 if not found."""
    pattern = re.compile(rf"^\s*(\[\s*)?[\"']?{re.escape(key)}[\"']?\s*(=|\]|\.)")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 1


class Settings(BaseSettings):
    """Where the data lives, where the workflows are, who acts and when, where notifications go.

    Precedence: command-line options, then ``PATHWAY_*`` environment variables, then the settings
    file (``pathway.toml``: the same names in lower case, e.g. ``notify_webhook = "https://…"``).
    """

    model_config = SettingsConfigDict(env_prefix="PATHWAY_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, CheckedTomlSource(settings_cls, toml_file=settings_file()))

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL")
    workflows: Path = Field(Path("workflows"), description="folder of workflow YAML files")
    actor: str = Field(default_factory=_os_user, description="who is acting, recorded on events (single-user "
                       "mode); once users are registered, an admin's 'on behalf of' name")
    user: str | None = Field(None, description="the registered login acting (default: the OS user); for "
                             "service accounts such as the scheduler")
    now: str | None = Field(None, description="fixed clock for this run (ISO date-time)")
    purpose: str | None = Field(None, description="why participants' data is read: written to the access log with each read")
    log_level: str | None = Field(None, description="debug, info, warning, error (default: warning; info for the scheduler)")
    notify_outbox: Path | None = Field(None, description="JSON-lines file each reminder and escalation is appended to")
    notify_webhook: str | None = Field(None, description="URL each reminder and escalation is POSTed to as JSON")
    notify_webhook_timeout: float = Field(5.0, gt=0, description="seconds a webhook may take to answer (each read and write) before the call counts as failed")
    notify_webhook_connect_timeout: float = Field(3.0, gt=0, description="seconds to reach the webhook's server before the call counts as failed")
    identity_key: SecretStr | None = Field(None, description="key encrypting personal identity numbers at rest ('pathway identity new-key' makes one)")
    identity_old_keys: SecretStr | None = Field(None, description="earlier identity keys, comma-separated, still read until 'pathway identity rotate-key' has run")
    # `pathway serve` (the web app and HTTP API)
    web_secure_cookies: bool = Field(True, description="send session cookies only over HTTPS; false only for http://localhost")
    web_session_idle_minutes: int = Field(30, gt=0, description="a web session ends after this many minutes without a request")
    web_session_max_hours: int = Field(10, gt=0, description="a web session ends this many hours after login, however active")
    web_login_max_failures: int = Field(5, gt=0, description="failed logins for one user before each further try waits")
    web_login_lockout_seconds: int = Field(60, gt=0, description="the first wait after too many failed logins; doubles with each further failure (at most 1 hour)")

    # single sign-on (OpenID Connect) for `pathway serve`: off unless oidc_issuer is set
    oidc_issuer: str | None = Field(None, description="the identity provider's issuer URL (its /.well-known/openid-configuration is read); setting it turns single sign-on on")
    oidc_client_id: str | None = Field(None, description="the client id pathway is registered with at the identity provider")
    oidc_client_secret: SecretStr | None = Field(None, description="the client secret (better in the environment: PATHWAY_OIDC_CLIENT_SECRET)")
    oidc_claim: str = Field("email", description="the ID token claim whose value names the pathway user: a user's sso subject ('pathway user sso') or else their login (e.g. email, preferred_username, sub)")
    oidc_scopes: str = Field("openid email profile", description="scopes asked for, space-separated; must include openid")
    oidc_label: str = Field("organisationens inloggning", description="what the login page's button names: 'Logga in med <label>'")
    oidc_redirect_url: str | None = Field(None, description="the callback address registered at the provider, e.g. https://pathway.example.se/login/sso/callback (default: this server's own address)")

    retention_years: int = Field(5, ge=1, description="gallring: personal data is removed this many whole years after a person's last entry ('pathway retention run')")

    def identity_keys(self) -> IdentityKeys | None:
        """The identity keys, or None when ``identity_key`` is not set (checked when first needed)."""
        from pathway.store.identity_crypto import IdentityKeys

        current = self.identity_key.get_secret_value() if self.identity_key else None
        old = self.identity_old_keys.get_secret_value() if self.identity_old_keys else None
        return IdentityKeys.from_settings(current, old)
