"""``pathway serve`` and the web sign-in commands under ``pathway user``, through the real CLI."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import Cli, Result, run_in_process

PASSWORD = "correct horse battery"


def run(cli: Cli, *args: str, user: str = "root", stdin: str | None = None) -> Result:
    env = cli.env()
    env.pop("PATHWAY_ACTOR")
    env["PATHWAY_USER"] = user
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        return run_in_process(list(args), env, cli.home)
    finally:
        sys.stdin = saved


@pytest.fixture
def team(cli: Cli) -> Cli:
    """An admin (root) and a caseworker (anna) registered."""
    assert run(cli, "user", "add", "root", "--name", "Root", "--agency", "coordination", "--admin").code == 0
    assert run(cli, "user", "add", "anna", "--name", "Anna Berg", "--agency", "soc", "--role", "caseworker",
               "--workflow", "small").code == 0
    return cli


def test_set_password_is_admin_only_and_stores_a_hash(team: Cli) -> None:
    """An admin sets a password from stdin (Argon2 hash stored); a caseworker is refused with exit 3."""
    done = run(team, "user", "set-password", "anna", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.code == 0, done.stderr
    assert "password set for anna" in done.stdout
    import sqlite3

    with sqlite3.connect(team.db_path) as conn:
        (stored,) = conn.execute("SELECT hash FROM user_passwords").fetchone()
    assert stored.startswith("$argon2id$")
    refused = run(team, "user", "set-password", "root", "--password-stdin", user="anna", stdin=PASSWORD + "\n")
    assert refused.code == 3 and "permission user.manage" in refused.stderr
    short = run(team, "user", "set-password", "anna", "--password-stdin", stdin="short\n")
    assert short.code == 2 and "at least 12 characters" in short.stderr


def test_tokens_are_shown_once_listed_without_the_secret_and_revoked(team: Cli) -> None:
    """token create prints the token once; list never shows it; revoke marks it revoked; end-sessions answers."""
    created = run(team, "user", "token", "create", "anna", "--name", "statistik", "--format", "json")
    assert created.code == 0, created.stderr
    token = created.json()["token"]  # type: ignore[index]
    listed = run(team, "user", "token", "list", "anna", "--format", "json")
    assert token not in listed.stdout and listed.json()[0]["name"] == "statistik"  # type: ignore[index]
    assert run(team, "user", "token", "revoke", str(created.json()["id"])).code == 0  # type: ignore[index]
    assert run(team, "user", "token", "list", "anna", "--format", "json").json()[0]["revoked"]  # type: ignore[index]
    assert run(team, "user", "token", "revoke", "99").code == 2
    ended = run(team, "user", "end-sessions", "anna")
    assert ended.code == 0 and "0 sessions of anna ended" in ended.stdout


def test_user_sso_links_and_unlinks_a_claim_value(team: Cli) -> None:
    """user sso links anna to her e-mail address (stored on the user), --clear unlinks; both or neither
    of SUBJECT and --clear, a caseworker, a value another user holds: refused, nothing changed."""
    import sqlite3

    linked = run(team, "user", "sso", "anna", "anna.berg@kommun.se")
    assert linked.code == 0, linked.stderr
    assert "anna signs in through single sign-on as anna.berg@kommun.se" in linked.stdout
    with sqlite3.connect(team.db_path) as conn:
        assert conn.execute("SELECT sso_subject FROM users WHERE login = 'anna'").fetchone() == ("anna.berg@kommun.se",)
    taken = run(team, "user", "sso", "root", "anna.berg@kommun.se")
    assert taken.code == 2 and "already signs in anna" in taken.stderr
    assert run(team, "user", "sso", "anna").code == 2
    assert run(team, "user", "sso", "anna", "x@y.se", "--clear").code == 2
    refused = run(team, "user", "sso", "anna", "a@b.se", user="anna")
    assert refused.code == 3 and "permission user.manage" in refused.stderr
    cleared = run(team, "user", "sso", "anna", "--clear")
    assert cleared.code == 0 and "no longer linked to anna.berg@kommun.se" in cleared.stdout
    with sqlite3.connect(team.db_path) as conn:
        assert conn.execute("SELECT sso_subject FROM users WHERE login = 'anna'").fetchone() == (None,)


def test_serve_refuses_an_incomplete_single_sign_on_setting(team: Cli) -> None:
    """oidc_issuer without a client id and secret stops 'pathway serve' before it listens, naming both."""
    env = team.env()
    env["PATHWAY_OIDC_ISSUER"] = "https://login.kommun.se"
    refused = run_in_process(["serve", "--port", "1"], env, team.home)
    assert refused.code == 2, refused.stderr
    assert "oidc_client_id and oidc_client_secret" in refused.stderr and "Traceback" not in refused.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_on_localhost_and_a_user_can_sign_in(team: Cli) -> None:
    """`pathway serve` (a real process, two workers) serves the login page and a session over HTTP."""
    run(team, "user", "set-password", "anna", "--password-stdin", stdin=PASSWORD + "\n")
    port = _free_port()
    env = {**team.env(), "PATHWAY_WEB_SECURE_COOKIES": "false", "PATHWAY_USER": "root"}
    env.pop("PATHWAY_NOW")  # sessions run on the real clock
    proc = subprocess.Popen([sys.executable, "-m", "pathway", "serve", "--port", str(port), "--workers", "2"],
                            cwd=team.home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"server did not start: {proc.stderr.read() if proc.stderr else ''}") from None
                time.sleep(0.2)
        assert page.status_code == 200 and "Logga in" in page.text
        import re

        token = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        with httpx.Client(base_url=base, cookies=page.cookies) as client:
            signed = client.post("/login", data={"login": "anna", "password": PASSWORD, "_csrf": token})
            assert signed.status_code == 303
            for _ in range(4):  # any worker knows the session: it is in the database
                assert client.get("/today").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert os.environ.get("PATHWAY_WEB_SECURE_COOKIES") is None
