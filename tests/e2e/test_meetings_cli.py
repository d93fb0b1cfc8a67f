"""`pathway meeting …` and `pathway group …` on the shipped workflows: each command once as a subprocess,
the rest in-process, with real exit codes and output."""

from __future__ import annotations

from tests.e2e.conftest import Cli, Result, run_in_process

KRAFT = ["--attr", "referring_agency=soc", "--attr", "income_source=social_assistance",
         "--attr", "stable_social_situation=true", "--attr", "no_ongoing_substance_abuse=true",
         "--attr", "stable_housing=true", "--attr", "swedish_without_interpreter=true"]


def test_meeting_record_no_show_and_list_as_subprocesses(shipped_cli: Cli) -> None:
    """A Flen first meeting: refused without a record, recorded with all three parties, then fired; a no-show
    notified. meeting record, no-show and list each run once in a fresh interpreter, the rest in-process."""
    cli = shipped_cli

    def fresh(*args: str, now: str) -> Result:
        cli.subprocess = True
        try:
            return cli(*args, now=now)
        finally:
            cli.subprocess = False

    assert cli("participant", "enrol", "flen_tripartite", "--ref", "FL-1", "--attr", "application_date=2026-03-02",
               now="2026-03-02T09:00").code == 0
    assert cli("consent", "give", "FL-1", "--agencies", "soc,af,labour_unit", now="2026-03-02T09:05").code == 0
    refused = cli("participant", "fire", "FL-1", "hold_first_meeting", now="2026-03-05T10:00")
    assert refused.code == 1 and "needs a meeting record" in refused.stderr
    partial = fresh("meeting", "record", "FL-1", "--type", "first_meeting", "--attendee", "caseworker:kim",
                    "--attendee", "af:anna", "--consent-confirmed", now="2026-03-05T10:00")
    assert partial.code == 0, partial.stderr
    still = cli("participant", "fire", "FL-1", "hold_first_meeting", now="2026-03-05T10:05")
    assert still.code == 1 and "does not name labour_market_consultant" in still.stderr
    notes = cli.home / "notes.txt"
    notes.write_text("Klienten vill prova lager.\n", encoding="utf-8")
    full = cli("meeting", "record", "FL-1", "--type", "first_meeting", "--attendee", "caseworker:kim",
               "--attendee", "af:anna", "--attendee", "labour_unit:ali", "--led-by", "kim", "--absent", "fk:inte inbjuden",
               "--consent-confirmed", "--decision", "Praktik på AUC", "--signed-by-participant",
               "--notes-file", str(notes), "--format", "json", now="2026-03-05T10:10")
    assert full.code == 0, full.stderr
    record = full.json()
    assert record["consent_confirmed_for"] == ["af", "labour_unit", "soc"]  # type: ignore[index]
    assert record["preparation_minutes"] == 15 and record["notes"] == "Klienten vill prova lager."  # type: ignore[index]
    assert cli("participant", "fire", "FL-1", "hold_first_meeting", now="2026-03-05T10:15").code == 0
    shown = fresh("meeting", "no-show", "FL-1", "--type", "individual", "--agency", "af", now="2026-03-09T09:30")
    assert shown.code == 0 and shown.stdout.strip() == "no-show recorded; notifying labour_unit, soc"
    listed = fresh("meeting", "list", "FL-1", "--format", "json", now="2026-03-09T10:00")
    assert listed.code == 0
    assert [(m["type"], m["no_show"]) for m in listed.json()] == [  # type: ignore[union-attr]
        ("first_meeting", False), ("first_meeting", False), ("individual", True)]
    bad = cli("meeting", "record", "FL-1", "--type", "individual", "--attendee", "nobody:x")
    assert bad.code == 2 and bad.stderr.startswith("error: invalid --attendee 'nobody:x'")


def test_group_commands_as_subprocesses(shipped_cli: Cli) -> None:
    """create, add, session, show, list, remove and move, each once in a fresh interpreter."""
    cli = shipped_cli
    for ref in ("LU-1", "LU-2", "LU-3"):
        assert cli("participant", "enrol", "kraft", "--ref", ref, *KRAFT, now="2026-03-02T09:00").code == 0
        assert cli("participant", "fire", ref, "assess", now="2026-03-03T09:00").code == 0
        assert cli("participant", "fire", ref, "include", now="2026-03-04T09:00").code == 0
    cli.subprocess = True
    created = cli("group", "create", "--workflow", "kraft", "--step", "motivation", "--name", "Motivation vår 2026",
                  "--capacity", "3", now="2026-03-05T09:00")
    assert created.code == 0 and created.stdout.strip() == "1"
    assert cli("group", "add", "1", "LU-1", "LU-2", "LU-3", now="2026-03-05T09:00").stdout.strip() == \
        "added to group 1: 1, 2, 3"
    session = cli("group", "session", "1", "--absent", "LU-2:vård av sjukt barn", now="2026-03-09T13:00")
    assert session.stdout.strip() == "session 1 (3 h): 2 attended, 1 absent"
    shown = cli("group", "show", "1", "--format", "json", now="2026-03-09T14:00")
    assert [(m["attended"], m["absent"]) for m in shown.json()["members"]] == [(1, 0), (0, 1), (1, 0)]  # type: ignore[index]
    assert "Motivation vår 2026" in cli("group", "list").stdout
    assert cli("group", "remove", "1", "LU-3", now="2026-03-10T09:00").code == 0
    moved = cli("group", "move", "1", "activate", now="2026-05-04T09:00")
    assert moved.code == 0 and moved.stdout.splitlines() == ["1: motivation → activation", "2: motivation → activation"]
    cli.subprocess = False
    full = cli("group", "create", "--workflow", "orebro_sprak", "--step", "language_group", "--name", "G",
               "--capacity", "9")
    assert full.code == 2 and "at most 8 (group_size)" in full.stderr


def test_group_show_says_what_is_withheld(shipped_cli: Cli) -> None:
    """In-process: a soc caseworker sees 'withheld' attendance of a member who gave no consent, with a note on
    stderr naming the agency and why; the JSON carries each member's withheld notes."""
    cli = shipped_cli

    def as_(user: str, *args: str, now: str = "2026-03-09T14:00") -> Result:
        env = cli.env(now)
        env.pop("PATHWAY_ACTOR")
        env["PATHWAY_USER"] = user
        return run_in_process(list(args), env, cli.home)

    assert as_("root", "user", "add", "root", "--name", "Rut", "--agency", "coordination", "--admin").code == 0
    for login, agency, role in (("gil", "labour_unit", "group_leader"), ("sofia", "soc", "caseworker")):
        assert as_("root", "user", "add", login, "--name", login, "--agency", agency, "--role", role,
                   "--workflow", "kraft").code == 0
    for ref in ("LU-1", "LU-2"):
        assert as_("sofia", "participant", "enrol", "kraft", "--ref", ref, *KRAFT, now="2026-03-02T09:00").code == 0
        assert as_("sofia", "participant", "fire", ref, "assess", now="2026-03-02T09:01").code == 0
        assert as_("sofia", "participant", "fire", ref, "include", now="2026-03-02T09:02").code == 0
    assert as_("sofia", "consent", "give", "LU-1", "--agencies", "soc,labour_unit", now="2026-03-02T09:03").code == 0
    assert as_("gil", "group", "create", "--workflow", "kraft", "--step", "motivation", "--name", "M",
               now="2026-03-02T10:00").code == 0
    assert as_("gil", "group", "add", "1", "LU-1", "LU-2", now="2026-03-02T10:01").code == 0
    assert as_("gil", "group", "session", "1", "--absent", "LU-2:vård av sjukt barn", now="2026-03-09T13:00").code == 0
    shown = as_("sofia", "group", "show", "1")
    assert shown.code == 0, shown.stderr
    assert "vård av sjukt barn" not in shown.stdout
    assert "note: participant 2: 1 entry recorded by the labour unit is not shown: no consent to share with soc" \
        in shown.stderr
    data = as_("sofia", "group", "show", "1", "--format", "json").json()
    assert [(m["attended"], m["absent"], m["withheld"] != []) for m in data["members"]] == [(1, 0, False), (0, 0, True)]
    assert "vård av sjukt barn" in as_("gil", "group", "show", "1").stdout
