"""`participant enrol --personnummer / --anonymous` through the real CLI, on a temporary SQLite database."""

from __future__ import annotations

import sqlite3

import pytest

from pathway.domain.identity import luhn_check_digit
from tests.e2e.conftest import Cli, Result
from tests.keys import TEST_KEYS


def valid(birth: str, serial: str) -> str:
    """A valid 10-digit number YYMMDDNNNC, its check digit computed (no real person is meant)."""
    return birth + serial + str(luhn_check_digit(birth + serial))


#: A man born 15 June 1979 (10 digits with '-'), and the same number as stored (12 digits).
MAN = valid("790615", "237")
MAN_TYPED = f"{MAN[:6]}-{MAN[6:]}"
MAN_12 = "19" + MAN
#: Tolvan Tolvansson, the well-known test identity: 19121212-1212, aged 100+ ('+' in the 10-digit form).
TOLVAN_TYPED = "121212+1212"


def enrol(cli: Cli, *args: str, now: str | None = None) -> Result:
    return cli("participant", "enrol", "small", *args, now=now)


def rows(cli: Cli, table: str) -> list[tuple]:
    with sqlite3.connect(cli.db_path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


def all_rows_but_identities(cli: Cli) -> str:
    with sqlite3.connect(cli.db_path) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if t not in ("identities", "sqlite_sequence")]
        return "\n".join(str(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables)


def whole_database(cli: Cli) -> dict[str, list[tuple]]:
    """Every row of every table, identities included, to prove a refusal wrote nothing."""
    snapshot = cli.snapshot()
    snapshot["identities"] = rows(cli, "identities")
    return snapshot


def assert_refused(result: Result, code: int, *says: str) -> None:
    assert result.code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for text in says:
        assert text in lines[0]


def test_enrol_with_a_personnummer_keeps_it_apart(cli: Cli) -> None:
    """The number goes to the identities table only; show, history and list (all formats) never print it."""
    result = enrol(cli, "--ref", "LU-1", "--personnummer", MAN_TYPED)
    assert result.code == 0, result.stderr
    pid = result.stdout.strip()
    with sqlite3.connect(cli.db_path) as conn:
        stored = conn.execute("SELECT participant_id, kind, personnummer_enc FROM identities").fetchall()
    assert [(r[0], r[1], TEST_KEYS.decrypt(r[2])) for r in stored] == [(int(pid), "personnummer", MAN_12)]
    assert MAN_12[2:8] not in str(stored)  # kept encrypted

    shown = cli("participant", "show", pid, "--format", "json").json()
    assert shown["attributes"] == {"gender": "male", "birth_date": "1979-06-15"}  # type: ignore[index]
    assert cli("participant", "fire", pid, "exit", "--data", "reason=work").code == 0
    outputs = [cli("participant", command, *extra, "--format", fmt).stdout
               for command, extra in (("show", [pid]), ("history", [pid]), ("list", []))
               for fmt in ("table", "json", "csv")]
    for text in [*outputs, all_rows_but_identities(cli)]:
        assert MAN[-4:] not in text and MAN_12 not in text and MAN not in text


def test_ten_digits_with_plus_and_twelve_digits_are_the_same_person(cli: Cli) -> None:
    """121212+1212 is Tolvan, born 1912; 19121212-1212 is refused while that enrolment is open (exit 1)."""
    first = enrol(cli, "--personnummer", TOLVAN_TYPED, "--format", "json")
    assert first.code == 0, first.stderr
    assert first.json() == {"id": 1}
    assert cli("participant", "show", "1", "--format", "json").json()["attributes"] == {  # type: ignore[index]
        "gender": "male", "birth_date": "1912-12-12"}
    before = whole_database(cli)
    again = enrol(cli, "--personnummer", "19121212-1212")
    assert_refused(again, 1, "already enrolled in workflow 'small' as participant 1", "exit them")
    assert "1212" not in again.stderr
    assert whole_database(cli) == before


def test_enrolling_again_after_exit_is_allowed(cli: Cli) -> None:
    """Once the first enrolment has exited, the same person can start again."""
    assert enrol(cli, "--personnummer", MAN_TYPED).code == 0
    assert cli("participant", "fire", "1", "exit", "--data", "reason=moved").code == 0
    again = enrol(cli, "--personnummer", MAN, now="2026-04-01T09:00")
    assert again.code == 0, again.stderr
    assert again.stdout.strip() == "2"
    with sqlite3.connect(cli.db_path) as conn:
        stored = conn.execute("SELECT participant_id, personnummer_enc FROM identities ORDER BY 1").fetchall()
    assert [(r[0], TEST_KEYS.decrypt(r[1])) for r in stored] == [(1, MAN_12), (2, MAN_12)]


@pytest.mark.parametrize(("args", "says"), [
    (["--personnummer", MAN[:9] + str((int(MAN[9]) + 3) % 10)], "invalid --personnummer: the check digit (the last digit) is wrong"),
    (["--personnummer", "7906151234567"], "invalid --personnummer: it has 13 digits"),
    (["--personnummer", "791315-2374"], "invalid --personnummer: month 13 does not exist"),
    (["--personnummer", "abc"], "invalid --personnummer: it may hold only digits"),
    (["--anonymous", "--personnummer", MAN_TYPED], "--anonymous and --personnummer exclude each other"),
    (["--anonymous", "--attr", "birth_date=1979-06-15"], "carries only gender and the start year; leave out --attr birth_date=…"),
    (["--personnummer", MAN_TYPED, "--attr", "gender=female"], "--attr gender=female contradicts --personnummer"),
    (["--ref", MAN_TYPED], "--ref looks like a personal identity number"),
    (["--ref", MAN_TYPED], "leave it out of the text; '--personnummer -' asks for it without showing it as you type"),
])
def test_bad_identity_input_is_one_line_exit_2_and_writes_nothing(cli: Cli, args: list[str], says: str) -> None:
    """Invalid number, both options, attributes with --anonymous, a contradiction, a number as ref: exit 2."""
    assert enrol(cli, "--ref", "LU-0").code == 0
    before = whole_database(cli)
    result = enrol(cli, *args)
    assert_refused(result, 2, says)
    assert MAN[-4:] not in result.stderr.replace("--attr", "")
    assert whole_database(cli) == before


def test_anonymous_enrolment_records_gender_and_start_year_only(cli: Cli) -> None:
    """--anonymous with a ref and gender: kind anonymous, no number, nothing else recorded."""
    result = enrol(cli, "--anonymous", "--ref", "ANON-7", "--attr", "gender=female", "--format", "json")
    assert result.code == 0, result.stderr
    pid = result.json()["id"]  # type: ignore[index]
    assert [(r[0], r[1], r[3]) for r in rows(cli, "identities")] == [(pid, "anonymous", None)]
    shown = cli("participant", "show", str(pid), "--format", "json").json()
    assert shown["attributes"] == {"gender": "female"}  # type: ignore[index]
    assert shown["ref"] == "ANON-7" and shown["enrolled_at"].startswith("2026-")  # type: ignore[index]


def test_enrol_help_names_the_identity_options(cli: Cli) -> None:
    """`participant enrol --help` documents --personnummer and --anonymous."""
    result = cli("participant", "enrol", "--help")
    assert result.code == 0
    assert "--personnummer" in result.stdout and "--anonymous" in result.stdout
