"""The seed reports' published tables, given back by ``pathway report`` from imported participants.

``tests/data/seed_tables/`` holds synthetic participants (written by ``make_seed_data.py`` there)
for three of the seed reports in ``/work/shared/seeds/``. Each file is imported with
``pathway import`` into a fresh SQLite database, through the workflow's own rules, and the report
commands must give back the tables as the seed prints them, cell by cell. The expected tables below
are copied from the seeds, in the seeds' own row order, as (kvinna, man) pairs where the seed splits
by gender.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, Cli

DATA = REPO / "tests" / "data" / "seed_tables"
GENERATOR = DATA / "make_seed_data.py"
FILES = ["utrikesfodda_2009_2010.jsonl", "utrikesfodda_table_3.jsonl", "ljusnarsberg_2007.jsonl",
         "kraft_outcomes.jsonl"]


def imported(tmp_path_factory: pytest.TempPathFactory, name: str, now: str) -> Cli:
    """A fresh database on the shipped workflows with one seed file imported; the clock at ``now``."""
    home = tmp_path_factory.mktemp(name.removesuffix(".jsonl"))
    cli = Cli(home, home / "pathway.db", REPO / "workflows", now=now)
    result = cli("import", str(DATA / name))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("imported "), result.stdout
    return cli


def report(cli: Cli, *args: str) -> dict:
    result = cli("report", *args, "--format", "json")
    assert result.code == 0, result.stderr
    body = result.json()
    assert isinstance(body, dict)
    return body


def cells(body: dict) -> dict[tuple[str, ...], int]:
    """The report's rows as {(dimension values…): count}."""
    return {tuple(row[d] for d in body["dimensions"]): row["count"] for row in body["rows"]}


def assert_by_gender(body: dict, published: dict[str, tuple[int, int]]) -> None:
    """Every (row, kvinna/man) cell of ``published``; every other cell of the report is 0."""
    got = cells(body)
    for code, (women, men) in published.items():
        assert (got.get((code, "female")), got.get((code, "male"))) == (women, men), code
    listed = {(code, gender) for code in published for gender in ("female", "male")}
    stray = {key: count for key, count in got.items() if key not in listed and count}
    assert not stray, f"counts outside the published table: {stray}"
    assert body["total"] == sum(w + m for w, m in published.values())


# -- Utrikesfödda (seed 001) ------------------------------------------------------------------------

# seed 001: Tabell 1. Antal deltagare per åldersgrupp och kön, feb 2009 – dec 2010
UTRIKESFODDA_TABLE_1 = {
    "18-24": (0, 0),
    "25-29": (1, 2),
    "30-39": (29, 24),
    "40-49": (24, 32),
    "50-59": (7, 17),
    "60-": (0, 0),
}  # Summa 61 + 75 = 136

# seed 001: Tabell 2. Antal deltagare utifrån orsak vid avslut och kön, feb 2009 – dec 2010
UTRIKESFODDA_TABLE_2 = {
    "moved_abroad": (0, 3),            # Flyttat utomlands
    "moved_within_sweden": (3, 1),     # Flyttat inom landet
    "other_target_group": (6, 6),      # Flyttad till annan målgrupp
    "work": (10, 16),                  # Arbete
    "studies": (4, 4),                 # Studier
    "parental_benefit": (1, 0),        # Föräldrapenning
    "unemployment_insurance": (0, 1),  # A-kassa
    "other": (2, 2),                   # Annat
}  # Summa 26 + 33 = 59

UTRIKESFODDA_PERIOD = ["--from", "2009-02-01", "--to", "2010-12-31"]


@pytest.fixture(scope="module")
def utrikesfodda(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    # the evaluation is dated March 2011
    return imported(tmp_path_factory, "utrikesfodda_2009_2010.jsonl", now="2011-03-15T12:00")


def test_utrikesfodda_table_1_participants_by_age_band_and_gender(utrikesfodda: Cli) -> None:
    body = report(utrikesfodda, "participants", "--workflow", "utrikesfodda", "--by", "age_band,gender",
                  "--age-bands", "18,25,30,40,50,60", *UTRIKESFODDA_PERIOD)
    assert body["dimensions"] == ["age_band", "gender"]
    assert_by_gender(body, UTRIKESFODDA_TABLE_1)
    assert body["total"] == 136


def test_utrikesfodda_table_2_exits_by_reason_and_gender(utrikesfodda: Cli) -> None:
    body = report(utrikesfodda, "exits", "--workflow", "utrikesfodda", "--by", "reason,gender", *UTRIKESFODDA_PERIOD)
    assert body["dimensions"] == ["reason", "gender"]
    assert_by_gender(body, UTRIKESFODDA_TABLE_2)
    assert body["total"] == 59


# seed 001: Tabell 3. Deltagarnas kodifiering vid AF innan start i projektet samt efter avslut, januari 2011
# (Kod klartext: Före, jan-2011)
UTRIKESFODDA_TABLE_3 = {
    "af_11": (28, 12),                 # 11 Arbetssökande 100%
    "af_14": (0, 1),                   # 14 Arbetssökande med förhinder
    "af_22": (4, 4),                   # 22 Timanställning
    "af_33": (0, 2),                   # 33 Nystartsjobb
    "af_38": (1, 2),                   # 38 Utvecklingsanst./komjobb
    "af_42": (0, 1),                   # 42 Lönebidragsanställning
    "af_70": (3, 5),                   # 70 Jobb o utv.garantin fas 1-2
    "af_81": (1, 0),                   # 81 Arbetsmarknadsutbildning
    "af_83": (0, 1),                   # 83 Förberedande arb.marknadsutb.
    "job_guarantee_phase_3": (0, 1),   # Jobb o utv.garantin fas 3
    "not_registered": (1, 9),          # Ej aktuell
}  # Summa 38, 38


def test_utrikesfodda_table_3_employment_service_codes_before_and_in_january_2011(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Table 3 row by row: the code at start against the follow-up wave of January 2011."""
    cli = imported(tmp_path_factory, "utrikesfodda_table_3.jsonl", now="2011-03-15T12:00")
    body = report(cli, "before-after", "--workflow", "utrikesfodda", "--field", "af_code",
                  "--wave", "jan-2011=2011-01-31", *UTRIKESFODDA_PERIOD)
    assert body["measures"] == ["at_enrolment", "at_exit", "jan-2011"]
    got = {row["value"]: (row["at_enrolment"], row["jan-2011"]) for row in body["rows"]}
    assert got == UTRIKESFODDA_TABLE_3                             # every row, in the table's order
    assert [row["value"] for row in body["rows"]] == list(UTRIKESFODDA_TABLE_3)
    assert body["total"] == 38
    table = cli("report", "before-after", "--workflow", "utrikesfodda", "--field", "af_code",
                "--wave", "jan-2011=2011-01-31", *UTRIKESFODDA_PERIOD, "--format", "csv", "--min-cell", "0")
    assert "11 Arbetssökande 100 %,28," in table.stdout            # the code list's Swedish labels


def test_utrikesfodda_the_other_77_are_open_at_the_end_of_2010_and_some_leave_in_2011(utrikesfodda: Cli) -> None:
    with_open = cells(report(utrikesfodda, "exits", "--workflow", "utrikesfodda", "--by", "reason",
                             "--with-open", *UTRIKESFODDA_PERIOD))
    assert with_open[("open_at_period_end",)] == 136 - 59
    # exits after the period exist in the data, so the tables above prove the cut at 2010-12-31
    later = report(utrikesfodda, "exits", "--workflow", "utrikesfodda", "--by", "reason",
                   "--from", "2011-01-01", "--to", "2011-12-31")
    assert later["total"] > 0


# -- Ljusnarsberg (seed 002) -------------------------------------------------------------------------

# seed 002: Tabell 4. Antal deltagare i samverkans projekt under 2007 fördelat på kön, ålder,
# utbildning, hushållstyp, försörjning, aktiviteter
LJUSNARSBERG_TABLE_4 = {
    "gender": {  # Kön
        "female": (6, 0),  # Kvinna: 6 kvinnor
        "male": (0, 10),   # Man: 10 män
    },
    "age_band": {  # Ålder
        "18-24": (0, 3),
        "25-29": (1, 2),
        "30-34": (2, 2),
        "35-39": (1, 0),
        "40-44": (0, 0),
        "45-49": (0, 3),
        "50-54": (1, 0),
        "55-59": (1, 0),
        "60-64": (0, 0),
    },
    "education": {  # Utbildning
        "compulsory": (6, 5),             # Grundskola
        "upper_secondary_short": (0, 3),  # Gymnasium <3 år
        "upper_secondary": (0, 0),        # Gymnasium 3-4 år
        "higher": (0, 0),                 # Högskola
        "adult_education": (0, 2),        # Komvux
    },
    "household": {  # Hushållstyp
        "single_no_children": (1, 6),              # Ensamstående utan barn
        "single_with_children": (3, 0),            # Ensamstående med barn (0-19 år)
        "single_with_children_part_time": (0, 1),  # Ensamstående med barn veckovis
        "cohabiting_no_children": (0, 2),          # Sammanboende utan barn
        "cohabiting_with_children": (2, 1),        # Sammanboende med barn (0-19 år)
    },
    "income_source": {  # Försörjning
        "social_assistance": (2, 7),              # Försörjningsstöd
        "rehabilitation_benefit": (4, 2),         # Rehabiliteringsersättning
        "sickness_compensation_partial": (0, 1),  # Sjukersättning (delvis)
        "activity_compensation": (0, 0),          # Aktivitetsersättning
        "unemployment_insurance": (0, 0),         # A-kassa
    },
    "reason": {  # Aktiviteter (that the participants left the project for)
        "work": (0, 2),                  # Arbete
        "internship": (0, 0),            # Praktik
        "work_training": (3, 1),         # Arbetsträning-/Arbetsprövning
        "education": (0, 1),             # Utbildning: 1 man, (2.) arbetsmarknadsutbildning via AF
        "conversation_support": (0, 0),  # Samtalskontakt (Landstinget)
        "investigation": (0, 0),         # Utredning (Landstinget)
        "open_at_period_end": (2, 5),    # Fortsatt i projektet under 2008
        "own_request": (0, 1),           # Avslut i projektet på egen begäran
        "other": (1, 0),                 # Annat
    },
}

# seed 002: Tabell 2. Antal deltagare aktualiserade från respektive myndighet 2007
LJUSNARSBERG_TABLE_2 = {
    "fk": (2, 1),      # Försäkringskassan: 2 kvinnor, 1 man
    "af": (2, 2),      # Arbetsförmedlingen: 2 kvinnor, 2 män
    "soc": (2, 7),     # Socialförvaltningen: 2 kvinnor, 7 män
    "health": (0, 0),  # Vårdcentralen: -
}

LJUSNARSBERG_2007 = ["--from", "2007-01-01", "--to", "2007-12-31"]


@pytest.fixture(scope="module")
def ljusnarsberg(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    # the final report is dated September 2008
    return imported(tmp_path_factory, "ljusnarsberg_2007.jsonl", now="2008-09-30T12:00")


@pytest.mark.parametrize("variable", ["age_band", "education", "household", "income_source"])
def test_ljusnarsberg_table_4_participants_by_variable_and_gender(ljusnarsberg: Cli, variable: str) -> None:
    body = report(ljusnarsberg, "participants", "--workflow", "ljusnarsberg_rehab", "--by", f"{variable},gender",
                  "--age-bands", "18,25,30,35,40,45,50,55,60,65", *LJUSNARSBERG_2007)
    assert_by_gender(body, LJUSNARSBERG_TABLE_4[variable])
    assert body["total"] == 16


def test_ljusnarsberg_table_4_gender(ljusnarsberg: Cli) -> None:
    body = report(ljusnarsberg, "participants", "--workflow", "ljusnarsberg_rehab", "--by", "gender",
                  *LJUSNARSBERG_2007)
    got = cells(body)
    assert {gender: got[(gender,)] for gender in ("female", "male")} == \
        {gender: sum(counts) for gender, counts in LJUSNARSBERG_TABLE_4["gender"].items()}
    assert body["total"] == 16


def test_ljusnarsberg_table_4_activities_with_those_continuing_into_2008(ljusnarsberg: Cli) -> None:
    body = report(ljusnarsberg, "exits", "--workflow", "ljusnarsberg_rehab", "--by", "reason,gender", "--with-open",
                  *LJUSNARSBERG_2007)
    assert_by_gender(body, LJUSNARSBERG_TABLE_4["reason"])
    assert body["total"] == 16


def test_ljusnarsberg_table_2_referring_agency_by_gender(ljusnarsberg: Cli) -> None:
    body = report(ljusnarsberg, "participants", "--workflow", "ljusnarsberg_rehab", "--by", "referring_agency,gender",
                  *LJUSNARSBERG_2007)
    assert_by_gender(body, LJUSNARSBERG_TABLE_2)


# -- Kraft (seed 003) --------------------------------------------------------------------------------

# seed 003: the outcome table under "Utfallet för individerna summeras i nedan tabell"; columns
# Sjukvård, Insatser socialtjänsten, Arbete, Studier/gymn, Aktuell för eller har praktik genom
# arbetsenheten, Sysselsättning, Till Af som idag arbetsför, Avslutad, Deltar i program på Af.
# "1 ämne" (BB, Studier) counts as a cross. The table has 26 rows (no WW), the text says 25 persons.
KRAFT_COLUMNS = ["health_care", "social_services", "work", "studies", "labour_unit_placement", "occupation",
                 "to_af_able_to_work", "ended", "af_programme"]
KRAFT_OUTCOME_TABLE = {
    #      Sjukv Soc  Arb  Stud Arbenh Syss Af   Avsl Prog
    "AA": "X    X    .    .    .      .    .    .    .",
    "BB": "X    X    .    X    .      .    .    .    .",
    "CC": ".    .    .    X    .      .    .    X    .",
    "DD": ".    .    .    .    X      .    X    .    .",
    "EE": ".    .    .    .    X      .    .    .    .",
    "FF": "X    .    X    .    .      .    X    .    .",
    "GG": "X    .    .    .    X      .    .    .    .",
    "HH": "X    .    .    .    .      X    .    .    .",
    "II": "X    .    .    .    .      X    .    .    .",
    "JJ": ".    .    .    .    X      .    .    .    .",
    "KK": ".    X    .    .    X      .    X    .    .",
    "LL": "X    X    .    .    X      .    .    .    .",
    "MM": ".    .    .    .    .      .    .    X    .",
    "NN": ".    .    .    .    .      .    .    X    .",
    "OO": "X    .    .    .    X      .    .    .    .",
    "PP": "X    .    .    .    X      .    .    .    .",
    "QQ": ".    .    .    .    X      .    .    .    .",
    "RR": "X    X    .    .    X      .    .    .    .",
    "SS": ".    .    .    .    .      .    .    .    X",
    "TT": "X    .    .    .    X      .    .    .    .",
    "UU": ".    .    .    .    X      .    .    .    .",
    "VV": ".    X    .    .    X      .    .    .    .",
    "XX": ".    X    .    .    X      .    .    .    .",
    "YY": ".    .    .    .    X      .    .    .    .",
    "ZZ": "X    .    .    .    .      .    .    .    .",
    "ÅÅ": "X    X    .    .    .      .    .    .    .",
}
KRAFT_COLUMN_TOTALS = [13, 8, 1, 2, 15, 2, 3, 3, 1]  # the table's sum row


def crosses(row: str) -> set[str]:
    marks = row.split()
    assert len(marks) == len(KRAFT_COLUMNS)
    return {column for column, mark in zip(KRAFT_COLUMNS, marks, strict=True) if mark == "X"}


@pytest.fixture(scope="module")
def kraft(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    # the final report 2011–2013, written before the third year
    return imported(tmp_path_factory, "kraft_outcomes.jsonl", now="2013-06-28T12:00")


def test_kraft_outcome_table_counted_per_outcome(kraft: Cli) -> None:
    """The report counts Kraft's crosses per column; it lists no participant (funders get no record)."""
    body = report(kraft, "outcomes", "--workflow", "kraft")
    assert body["dimensions"] == ["outcome"]
    expected: Counter[str] = Counter()
    for row in KRAFT_OUTCOME_TABLE.values():
        expected.update(crosses(row))
    assert {r["outcome"]: r["count"] for r in body["rows"] if r["count"]} == dict(expected)
    assert body["total"] == 26
    assert all(set(r) == {"outcome", "count"} for r in body["rows"])


def test_kraft_outcome_table_sum_row(kraft: Cli) -> None:
    body = report(kraft, "outcomes", "--workflow", "kraft")
    totals: Counter[str] = Counter()
    for row in body["rows"]:
        totals[row["outcome"]] += row["count"]
    assert [totals[column] for column in KRAFT_COLUMNS] == KRAFT_COLUMN_TOTALS
    assert sum(totals.values()) == sum(KRAFT_COLUMN_TOTALS)  # no outcome outside the table's columns


# -- the generator ---------------------------------------------------------------------------------

def test_generator_output_is_up_to_date(tmp_path: Path) -> None:
    """Re-running make_seed_data.py (which also checks the published counts itself) gives the same bytes."""
    result = subprocess.run([sys.executable, str(GENERATOR), str(tmp_path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), \
            f"{name} is out of date: run python {GENERATOR.relative_to(REPO)}"
