"""Synthetic participants that reproduce the published tables of three seed reports.

Run ``python tests/data/seed_tables/make_seed_data.py [OUT_DIR]`` to (re)write the three JSONL files
next to this script (``pathway import FILE`` format, one participant per line). Nothing is random:
the same script writes the same bytes, and ``tests/e2e/test_seed_tables.py`` checks that the files
are up to date and that ``pathway report`` gives back the published tables cell by cell.

Every participant walks its workflow's rules the way a caseworker would: the triggers in order,
attributes recorded (``set``) when they become known, consent given before the meetings that need
it, and the exit either by the pathway's own ending (``complete`` as the last event, where the
workflow takes that reason from that step: work and studies, a placement's outcome, the handover
to the employment service) or by the importer's ``exit`` (the early way out from any step).

Where each table comes from (``/work/shared/seeds/``):

* ``utrikesfodda_2009_2010.jsonl`` — seed 001 (Norrköping, "Utvärdering av
  metodutvecklingsprojektet Utrikesfödda", mars 2011), section *Statistik*:
  Tabell 1 "Antal deltagare per åldersgrupp och kön, feb 2009 – dec 2010" (136 participants) and
  Tabell 2 "Antal deltagare utifrån orsak vid avslut och kön, feb 2009 – dec 2010" (59 exits).
  The 77 who had not exited are still open on 2010-12-31; some of them exit in 2011, which the
  tables (cut at 2010-12-31) must not see. The comment under Tabell 1 gives the mean ages (women
  40, men 43); the ages below are chosen so that the means at enrolment round to those too.
  Every participant passes the workflow's eligibility (25–55 years at enrolment, born abroad,
  unemployed, social assistance), so the 50–59 band holds people aged 50–55.
* ``utrikesfodda_table_3.jsonl`` — the same report's Tabell 3 "Deltagarnas kodifiering vid AF innan
  start i projektet samt efter avslut, januari 2011": the 38 cases checked against the employment
  service's database, each with its category code at enrolment ("Före") and the code found in
  January 2011 recorded as a follow-up after the exit ("jan-2011"). All 38 had left by September 2010
  ("vissa deltagare slutade redan hösten 2009 medan några deltagare slutade i september 2010"). How
  the before and after codes pair up is not published; they are paired here in the table's order.
* ``ljusnarsberg_2007.jsonl`` — seed 002 (Ljusnarsberg, "Slutrapport för samverkansprojekt …",
  September 2008): Tabell 4 "Antal deltagare i samverkans projekt under 2007 fördelat på kön,
  ålder, utbildning, hushållstyp, försörjning, aktiviteter" (16 participants from the project
  start 2007-04-02, 7 "Fortsatt i projektet under 2008"), and Tabell 2 "Antal deltagare
  aktualiserade från respektive myndighet 2007" (the referring agency by gender). The table only
  gives each variable by gender; how the variables combine is chosen here (``LJUSNARSBERG_ROSTER``)
  and checked against every published count. The obstacles are Tabell 1's rows 1–16 (the
  participants mapped 2007-04-02 onwards, in order). The seven who continue into 2008 exit during
  2008 as the text under Tabell 5 tells: two from work trials, three to investigations, two to
  conversation support.
* ``kraft_outcomes.jsonl`` — seed 003 (Lund, "Slutrapport KRAFT 2011-2013"), the outcome table
  under "Utfallet för individerna summeras i nedan tabell" (26 rows AA … ZZ, ÅÅ; no WW): each
  participant exits with one of their crosses as ``reason`` and the others as ``outcomes``.
  Two yearly groups: AA–MM start in 2011, NN–ÅÅ in 2012.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# =================================================================================================
# The published tables, as printed (women, men) — kvinna, man.
# =================================================================================================

# Seed 001, Tabell 1. Antal deltagare per åldersgrupp och kön, feb 2009 – dec 2010.
UTRIKESFODDA_TABLE_1: dict[str, tuple[int, int]] = {
    "18-24": (0, 0),
    "25-29": (1, 2),
    "30-39": (29, 24),
    "40-49": (24, 32),
    "50-59": (7, 17),
    "60-": (0, 0),
}  # Summa 61, 75 = 136

# Seed 001, Tabell 2. Antal deltagare utifrån orsak vid avslut och kön, feb 2009 – dec 2010.
UTRIKESFODDA_TABLE_2: dict[str, tuple[int, int]] = {
    "moved_abroad": (0, 3),            # Flyttat utomlands
    "moved_within_sweden": (3, 1),     # Flyttat inom landet
    "other_target_group": (6, 6),      # Flyttad till annan målgrupp
    "work": (10, 16),                  # Arbete
    "studies": (4, 4),                 # Studier
    "parental_benefit": (1, 0),        # Föräldrapenning
    "unemployment_insurance": (0, 1),  # A-kassa
    "other": (2, 2),                   # Annat
}  # Summa 26, 33 = 59

# Seed 001, Tabell 3. Deltagarnas kodifiering vid AF innan start i projektet samt efter avslut,
# januari 2011: code → (Före, jan-2011), in the table's order (the last two rows carry no code).
UTRIKESFODDA_TABLE_3: dict[str, tuple[int, int]] = {
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

# Seed 001, comment under Tabell 1: "Medelåldern för kvinnor är 40 år och för män 43 år."
UTRIKESFODDA_MEAN_AGE = {"female": 40, "male": 43}

# Seed 002, Tabell 4 (2007), every variable by gender. "Fortsatt i projektet under 2008" is not an
# exit: those participants are open on 2007-12-31 (``open_at_period_end`` in the exits report).
LJUSNARSBERG_TABLE_4: dict[str, dict[str, tuple[int, int]]] = {
    "gender": {"female": (6, 0), "male": (0, 10)},
    "age_band": {
        "18-24": (0, 3), "25-29": (1, 2), "30-34": (2, 2), "35-39": (1, 0), "40-44": (0, 0),
        "45-49": (0, 3), "50-54": (1, 0), "55-59": (1, 0), "60-64": (0, 0),
    },
    "education": {
        "compulsory": (6, 5),             # Grundskola
        "upper_secondary_short": (0, 3),  # Gymnasium <3 år
        "upper_secondary": (0, 0),        # Gymnasium 3-4 år
        "higher": (0, 0),                 # Högskola
        "adult_education": (0, 2),        # Komvux
    },
    "household": {
        "single_no_children": (1, 6),              # Ensamstående utan barn
        "single_with_children": (3, 0),            # Ensamstående med barn (0-19 år)
        "single_with_children_part_time": (0, 1),  # Ensamstående med barn veckovis
        "cohabiting_no_children": (0, 2),          # Sammanboende utan barn
        "cohabiting_with_children": (2, 1),        # Sammanboende med barn (0-19 år)
    },
    "income_source": {
        "social_assistance": (2, 7),              # Försörjningsstöd
        "rehabilitation_benefit": (4, 2),         # Rehabiliteringsersättning
        "sickness_compensation_partial": (0, 1),  # Sjukersättning (delvis)
        "activity_compensation": (0, 0),          # Aktivitetsersättning
        "unemployment_insurance": (0, 0),         # A-kassa
    },
    "activity": {
        "work": (0, 2),                  # Arbete
        "internship": (0, 0),            # Praktik
        "work_training": (3, 1),         # Arbetsträning/Arbetsprövning
        "education": (0, 1),             # Utbildning: "1 man, (2.)" = arbetsmarknadsutbildning via AF
        "conversation_support": (0, 0),  # Samtalskontakt (Landstinget)
        "investigation": (0, 0),         # Utredning (Landstinget)
        "open_at_period_end": (2, 5),    # Fortsatt i projektet under 2008
        "own_request": (0, 1),           # Avslut i projektet på egen begäran
        "other": (1, 0),                 # Annat
    },
}

# Seed 002, Tabell 2. Antal deltagare aktualiserade från respektive myndighet 2007.
LJUSNARSBERG_TABLE_2: dict[str, tuple[int, int]] = {
    "fk": (2, 1),      # Försäkringskassan
    "af": (2, 2),      # Arbetsförmedlingen
    "soc": (2, 7),     # Socialförvaltningen
    "health": (0, 0),  # Vårdcentralen
}

# Seed 002, Tabell 1, rows 1–16 (psykiska besvär, fysiska besvär, kompetensbrist, dåligt
# självförtroende, bristande social kompetens): the participants mapped from 2007-04-02 on.
LJUSNARSBERG_OBSTACLES_1_16: list[tuple[str, ...]] = [
    ("physical_health", "competence_shortage", "low_self_confidence"),                                            # 1
    ("mental_health", "physical_health", "competence_shortage", "low_self_confidence"),                           # 2
    ("mental_health", "competence_shortage", "low_self_confidence", "lacking_social_competence"),                 # 3
    ("competence_shortage", "low_self_confidence"),                                                               # 4
    ("mental_health", "physical_health", "competence_shortage", "low_self_confidence"),                           # 5
    ("mental_health", "physical_health", "competence_shortage", "low_self_confidence", "lacking_social_competence"),  # 6
    ("competence_shortage", "low_self_confidence", "lacking_social_competence"),                                  # 7
    ("competence_shortage", "low_self_confidence"),                                                               # 8
    ("mental_health", "competence_shortage", "low_self_confidence", "lacking_social_competence"),                 # 9
    ("competence_shortage",),                                                                                     # 10
    ("mental_health", "physical_health", "competence_shortage", "low_self_confidence", "lacking_social_competence"),  # 11
    ("competence_shortage", "low_self_confidence", "lacking_social_competence"),                                  # 12
    ("mental_health", "competence_shortage", "lacking_social_competence"),                                        # 13
    ("mental_health", "competence_shortage", "low_self_confidence", "lacking_social_competence"),                 # 14
    ("mental_health", "physical_health", "competence_shortage", "low_self_confidence", "lacking_social_competence"),  # 15
    ("mental_health", "physical_health", "competence_shortage", "low_self_confidence", "lacking_social_competence"),  # 16
]

# Seed 003, the outcome table: the crosses of each individual, in the table's column order
# (Sjukvård, Insatser socialtjänsten, Arbete, Studier/gymn ("1 ämne" counts), Aktuell för eller har
# praktik genom arbetsenheten, Sysselsättning, Till Af som idag arbetsför, Avslutad, Deltar i
# program på Af).
KRAFT_COLUMNS = ["health_care", "social_services", "work", "studies", "labour_unit_placement",
                 "occupation", "to_af_able_to_work", "ended", "af_programme"]
KRAFT_OUTCOME_TABLE: dict[str, list[str]] = {
    "AA": ["health_care", "social_services"],
    "BB": ["health_care", "social_services", "studies"],
    "CC": ["studies", "ended"],
    "DD": ["labour_unit_placement", "to_af_able_to_work"],
    "EE": ["labour_unit_placement"],
    "FF": ["health_care", "work", "to_af_able_to_work"],
    "GG": ["health_care", "labour_unit_placement"],
    "HH": ["health_care", "occupation"],
    "II": ["health_care", "occupation"],
    "JJ": ["labour_unit_placement"],
    "KK": ["social_services", "labour_unit_placement", "to_af_able_to_work"],
    "LL": ["health_care", "social_services", "labour_unit_placement"],
    "MM": ["ended"],
    "NN": ["ended"],
    "OO": ["health_care", "labour_unit_placement"],
    "PP": ["health_care", "labour_unit_placement"],
    "QQ": ["labour_unit_placement"],
    "RR": ["health_care", "social_services", "labour_unit_placement"],
    "SS": ["af_programme"],
    "TT": ["health_care", "labour_unit_placement"],
    "UU": ["labour_unit_placement"],
    "VV": ["social_services", "labour_unit_placement"],
    "XX": ["social_services", "labour_unit_placement"],
    "YY": ["labour_unit_placement"],
    "ZZ": ["health_care"],
    "ÅÅ": ["health_care", "social_services"],
}
# The table's sum row.
KRAFT_COLUMN_TOTALS = [13, 8, 1, 2, 15, 2, 3, 3, 1]


# =================================================================================================
# Helpers
# =================================================================================================

GENDERS = ("female", "male")


def weekday(day: date) -> date:
    """The day itself, or the Monday after a weekend."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def birth_date_for(age: int, enrolled: date, salt: int) -> date:
    """A birth date that makes the person exactly ``age`` on ``enrolled`` (salt varies the day)."""
    born = enrolled.replace(year=enrolled.year - age - 1) + timedelta(days=1 + (salt * 37) % 360)
    assert age_on(born, enrolled) == age, (age, enrolled, born)
    return born


def spread(count: int, first: date, last: date) -> list[date]:
    """``count`` weekdays spread evenly from ``first`` to ``last``."""
    span = (last - first).days
    return [weekday(first + timedelta(days=round(i * span / max(count - 1, 1)))) for i in range(count)]


def interleave(counts: dict[str, int]) -> list[str]:
    """Codes repeated by their counts and spread evenly (largest remainder first), not in blocks."""
    total = sum(counts.values())
    placed: Counter[str] = Counter()
    out: list[str] = []
    for i in range(total):
        # the code furthest behind its even share goes next; ties by the order given
        code = max(counts, key=lambda c: (counts[c] * (i + 1) / total - placed[c], -list(counts).index(c)))
        placed[code] += 1
        out.append(code)
    assert Counter(out) == Counter({c: n for c, n in counts.items() if n})
    return out


def evenly_pick(items: list[Any], count: int) -> list[Any]:
    """``count`` of ``items`` spread evenly over the list (first and last included when possible)."""
    if count == 0:
        return []
    if count == 1:
        return [items[0]]
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


class Journey:
    """One participant's history as the importer takes it: enrolment, events, an optional exit."""

    def __init__(self, ref: str, workflow: str, enrolled: date, attributes: dict[str, Any]) -> None:
        self.ref, self.workflow, self.enrolled, self.attributes = ref, workflow, enrolled, attributes
        self.events: list[dict[str, Any]] = []
        self.exit: dict[str, Any] | None = None
        self.last = enrolled

    def _at(self, day: date) -> str:
        assert day >= self.last, (self.ref, day, self.last)
        self.last = day
        return day.isoformat()

    def fire(self, trigger: str, day: date, **data: Any) -> Journey:
        event: dict[str, Any] = {"trigger": trigger, "at": self._at(day)}
        if data:
            event["data"] = data
        self.events.append(event)
        return self

    def set(self, day: date, **attributes: Any) -> Journey:
        """Attributes recorded when they became known (not at enrolment)."""
        self.events.append({"set": attributes, "at": self._at(day)})
        return self

    def consent(self, day: date, agencies: list[str], scope: str, until: date) -> Journey:
        self.events.append({"consent": {"give": agencies, "scope": scope, "until": until.isoformat()},
                            "at": self._at(day)})
        return self

    def meeting(self, day: date, type_: str, attendees: list[str], consent_confirmed: bool = False) -> Journey:
        """The meeting record a meeting step's trigger needs (who took part; consent confirmed there)."""
        meeting: dict[str, Any] = {"type": type_, "attendees": attendees}
        if consent_confirmed:
            meeting["consent_confirmed"] = True
        self.events.append({"meeting": meeting, "at": self._at(day)})
        return self

    def leave(self, exit_day: date, reason: str, by: str = "exit", **extra: Any) -> Journey:
        """The exit: the importer's ``exit`` (the workflow's way out from every step), or ``by`` another
        trigger fired as the last event (``complete``: the pathway's own ending, where it allows the reason)."""
        if by == "exit":
            self.exit = {"at": self._at(exit_day), "reason": reason, **extra}
        else:
            self.fire(by, exit_day, reason=reason, **extra)
        return self

    def exit_reason_and_day(self) -> tuple[str, date] | None:
        """How and when the participant ended (by ``exit`` or by a last trigger carrying a reason)."""
        if self.exit is not None:
            return self.exit["reason"], date.fromisoformat(self.exit["at"])
        if self.events and "reason" in self.events[-1].get("data", {}):
            return self.events[-1]["data"]["reason"], date.fromisoformat(self.events[-1]["at"])
        return None

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ref": self.ref, "workflow": self.workflow, "enrolled_at": self.enrolled.isoformat(),
                               "attributes": self.attributes, "events": self.events}
        if self.exit is not None:
            out["exit"] = self.exit
        return out


def write_jsonl(path: Path, journeys: Iterable[Journey]) -> None:
    lines = [json.dumps(j.record(), ensure_ascii=False) for j in journeys]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


# =================================================================================================
# Utrikesfödda (seed 001)
# =================================================================================================

UF_FIRST_ENROLMENT = date(2009, 2, 2)    # "från starten i februari 2009"
UF_LAST_ENROLMENT = date(2010, 12, 6)
UF_PERIOD_END = date(2010, 12, 31)       # "fram till årsskiftet 2010/2011"
UF_LAST_EXIT_IN_PERIOD = date(2010, 12, 17)
#: who exits in the period is picked among those enrolled by this day (time for the pathway)
UF_EXIT_ENROLLED_BY = date(2010, 6, 15)
UF_OCCUPATIONS = ["Köksbiträde", "Lokalvårdare", "Undersköterska", "Barnskötare", "Lagerarbetare",
                  "Busschaufför", "Butiksbiträde", "Svetsare", "Personlig assistent", "Kock i storkök"]
UF_EDUCATION = ["Vård- och omsorgsutbildning, vuxenutbildningen", "Svenska som andraspråk, Komvux",
                "Arbetsmarknadsutbildning: truck och lager", "Yrkesförarutbildning buss"]
UF_HOUSEHOLDS = ["cohabiting_with_children", "single_no_children", "single_with_children",
                 "cohabiting_no_children", "cohabiting_with_children"]
UF_OTHER_TARGET_GROUP_FLAGS = [["weak_swedish"], ["substance_abuse"], ["physical_health"], ["weak_swedish", "mental_health"]]
UF_EDUCATION_LEVELS = ["compulsory", "none", "upper_secondary_short", "upper_secondary", "compulsory", "higher"]


def band_ages(band: str) -> list[int]:
    """The ages within a Table 1 band that the eligibility rule (25–55 at enrolment) allows."""
    low, _, high = band.partition("-")
    top = int(high) if high else 120
    return [a for a in range(int(low), top + 1) if 25 <= a <= 55]


def uf_ages(column: int, descending: bool) -> list[int]:
    """Ages for one gender: each band's count cycled through the band's allowed ages."""
    ages: list[int] = []
    for band, counts in UTRIKESFODDA_TABLE_1.items():
        allowed = band_ages(band)
        if descending:
            allowed = allowed[::-1]
        ages += [allowed[i % len(allowed)] for i in range(counts[column])]
    return ages


def uf_steps(j: Journey, start: date, pace: float, via_education: bool, until: date | None) -> str:
    """Walk a participant along the pathway from enrolment; stop before ``until``. Returns the step."""
    n = int(j.ref[-3:])
    plan: list[tuple[int, str, dict[str, Any]]] = [
        (7, "call_to_mapping", {}),
        (14, "set", {"available_to_labour_market": True}),   # the mapping interview's conclusion
        (14, "transfer_case", {}),
        (21, "consent", {}),
        (21, "hold_tripartite_meeting", {}),
        (22, "start_portfolio", {}),
        (50, "portfolio_done", {}),
        (71, "set", {"target_occupations": UF_OCCUPATIONS[n % len(UF_OCCUPATIONS)]}),
        (71, "occupations_chosen", {}),
    ]
    if via_education:
        plan += [(78, "assess_competence", {"more_competence_needed": True,
                                            "education": UF_EDUCATION[n % len(UF_EDUCATION)]}),
                 (190, "competence_done", {}),
                 (204, "set", {"application_documents_ready": True}),
                 (204, "seek_job_or_internship", {})]
    else:
        plan += [(78, "assess_competence", {"more_competence_needed": False}),
                 (92, "set", {"application_documents_ready": True}),
                 (92, "seek_job_or_internship", {})]
    step = "referral"
    after = {"call_to_mapping": "mapping_interview", "transfer_case": "case_transfer",
             "hold_tripartite_meeting": "tripartite_meeting", "start_portfolio": "competence_portfolio",
             "portfolio_done": "occupations", "occupations_chosen": "more_competence",
             "competence_done": "application", "seek_job_or_internship": "job_or_internship"}
    for offset, what, data in plan:
        day = weekday(start + timedelta(days=round(offset * pace)))
        if until is not None and day >= until:
            break
        if what == "consent":
            j.consent(day, ["soc", "af"], "Samverkan mellan ekonomiskt bistånd och Arbetsförmedlingen i projekt Utrikesfödda",
                      date(day.year + 2, 6, 30))
            continue
        if what == "set":
            j.set(day, **data)
            continue
        if what == "hold_tripartite_meeting":  # the meeting record names both parties and confirms consent
            j.meeting(day, "tripartite_meeting", ["project_caseworker:handlaggare", "af:arbetsformedlare"], True)
        j.fire(what, day, **data)
        if what == "assess_competence":
            step = "competence_building" if data["more_competence_needed"] else "application"
        else:
            step = after[what]
    return step


#: how far along the pathway each exit reason leaves: the last trigger fired before the exit
UF_EXIT_PATHS: dict[str, str] = {
    "moved_abroad": "start_portfolio",
    "moved_within_sweden": "occupations_chosen",
    "other_target_group": "call_to_mapping",   # not available to the labour market at the mapping interview
    "work": "seek_job_or_internship",
    "studies": "assess_competence",            # more competence needed: studies from competence building
    "parental_benefit": "start_portfolio",
    "unemployment_insurance": "portfolio_done",
    "other": "hold_tripartite_meeting",
}


def uf_exit_journey(j: Journey, reason: str, index: int) -> None:
    """Walk to the point where ``reason`` makes sense and exit there, within the period."""
    start = j.enrolled
    room = (UF_LAST_EXIT_IN_PERIOD - start).days
    via_education = reason == "studies" or (reason == "work" and index % 4 == 3)
    last_trigger = UF_EXIT_PATHS[reason]
    if via_education and reason == "work":
        last_trigger = "seek_job_or_internship"
    # the offset (in days, at pace 1) of the last trigger, then the exit some weeks later
    offsets = {"call_to_mapping": 7, "hold_tripartite_meeting": 21, "start_portfolio": 22, "portfolio_done": 50,
               "occupations_chosen": 71, "assess_competence": 78,
               "seek_job_or_internship": 204 if via_education else 92}
    linger = {"work": 60 + 15 * (index % 7), "studies": 100 + 10 * (index % 5)}.get(reason, 14 + 7 * (index % 4))
    needed = offsets[last_trigger] + linger
    pace = min(1.0 + 0.1 * (index % 4), room / needed)
    stop = weekday(start + timedelta(days=round(offsets[last_trigger] * pace))) + timedelta(days=1)
    step = uf_steps(j, start, pace, via_education, until=stop)
    exit_day = weekday(start + timedelta(days=round(needed * pace)))
    exit_day = min(exit_day, UF_LAST_EXIT_IN_PERIOD)
    if reason == "other_target_group":
        # the report's comment: weak Swedish, substance abuse, or sick-listed — not available to
        # the labour market, found at the mapping interview
        j.set(weekday(j.last + timedelta(days=3)), available_to_labour_market=False,
              warning_flags=UF_OTHER_TARGET_GROUP_FLAGS[index % len(UF_OTHER_TARGET_GROUP_FLAGS)])
        exit_day = max(exit_day, weekday(j.last + timedelta(days=7)))
    if reason == "parental_benefit":
        leave_day = weekday(j.last + timedelta(days=7))
        j.fire("leave_starts", leave_day, leave_type="parental_leave")
        exit_day = max(exit_day, weekday(leave_day + timedelta(days=14)))
    extra: dict[str, Any] = {}
    if reason == "work":
        extra["income_source_at_exit"] = "salary"
    elif reason == "unemployment_insurance":
        extra["income_source_at_exit"] = "unemployment_insurance"
    if reason in ("work", "studies"):  # the workflow's 'complete' takes these from these steps
        assert step in ("job_or_internship", "competence_building"), (j.ref, reason, step)
        j.leave(exit_day, reason, by="complete", **extra)
    else:
        j.leave(exit_day, reason, **extra)


def uf_late_exit(step: str, index: int) -> str:
    """A plausible 2011 exit for someone still open at the end of 2010, from where they are."""
    if step == "job_or_internship":
        return "work"
    if step == "competence_building":
        return "studies"
    return ["other_target_group", "moved_within_sweden", "other"][index % 3]


def utrikesfodda() -> list[Journey]:
    women, men = sum(c[0] for c in UTRIKESFODDA_TABLE_1.values()), sum(c[1] for c in UTRIKESFODDA_TABLE_1.values())
    genders = interleave({"female": women, "male": men})
    days = spread(len(genders), UF_FIRST_ENROLMENT, UF_LAST_ENROLMENT)
    # ages: women's bands cycled upwards, men's downwards, so the means come out at 40 and 43;
    # a fixed permutation (step 7) spreads them over the enrolment order
    ages = {"female": uf_ages(0, descending=False), "male": uf_ages(1, descending=True)}
    seen: Counter[str] = Counter()
    people: list[tuple[Journey, str]] = []
    for n, (gender, day) in enumerate(zip(genders, days, strict=True), start=1):
        k = seen[gender]
        seen[gender] += 1
        pool = ages[gender]
        age = pool[(k * 7) % len(pool)]
        attributes = {
            "gender": gender,
            "birth_date": birth_date_for(age, day, n).isoformat(),
            "education": UF_EDUCATION_LEVELS[n % len(UF_EDUCATION_LEVELS)],
            "household": UF_HOUSEHOLDS[n % len(UF_HOUSEHOLDS)],
            "income_source": "social_assistance",
            "referring_agency": "soc",
            "born_abroad": True,
            "unemployed": True,
            "long_term_assistance": n % 5 != 0,
        }
        people.append((Journey(f"UF-{day.year}-{n:03d}", "utrikesfodda", day, attributes), gender))

    # who exits in the period, and why: per gender, evenly among those enrolled early enough,
    # the reasons of Table 2 spread evenly over them
    exits: dict[str, str] = {}
    for column, gender in enumerate(GENDERS):
        candidates = [j.ref for j, g in people if g == gender and j.enrolled <= UF_EXIT_ENROLLED_BY]
        reasons = interleave({reason: counts[column] for reason, counts in UTRIKESFODDA_TABLE_2.items()})
        for ref, reason in zip(evenly_pick(candidates, len(reasons)), reasons, strict=True):
            exits[ref] = reason

    open_count = 0
    for index, (j, _) in enumerate(people):
        reason = exits.get(j.ref)
        if reason is not None:
            uf_exit_journey(j, reason, index)
            continue
        # still open on 2010-12-31: as far along as time allowed; every fifth leaves in early 2011
        open_count += 1
        pace = 1.0 + 0.15 * (index % 5)
        step = uf_steps(j, j.enrolled, pace, via_education=index % 3 == 0, until=UF_PERIOD_END)
        if open_count % 5 == 0:
            late = uf_late_exit(step, index)
            exit_day = weekday(max(j.last + timedelta(days=21), date(2011, 1, 10)) + timedelta(days=index % 40))
            j.leave(exit_day, late, by="complete" if late in ("work", "studies") else "exit")
    journeys = [j for j, _ in people]
    check_utrikesfodda(journeys)
    return journeys


#: the January 2011 follow-up of Table 3, recorded after every exit
UF_TABLE_3_FOLLOW_UP = date(2011, 1, 17)
#: codes after the project that mean a job of some kind: those participants left for work
UF_TABLE_3_WORK_CODES = {"af_22", "af_33", "af_38", "af_42"}


def utrikesfodda_table_3() -> list[Journey]:
    """Table 3's 38 checked cases: the code at enrolment, an exit by September 2010, and the code found
    in January 2011 recorded as the follow-up after the exit."""
    before = [code for code, (n, _) in UTRIKESFODDA_TABLE_3.items() for _ in range(n)]
    after = [code for code, (_, n) in UTRIKESFODDA_TABLE_3.items() for _ in range(n)]
    days = spread(len(before), UF_FIRST_ENROLMENT, date(2009, 9, 1))
    journeys = []
    others = ["other_target_group", "moved_within_sweden", "other", "unemployment_insurance", "moved_abroad"]
    for n, (start_code, follow_up, day) in enumerate(zip(before, after, days, strict=True), start=1):
        gender = GENDERS[n % 2]
        attributes = {
            "gender": gender, "birth_date": birth_date_for(30 + (n * 7) % 21, day, n).isoformat(),
            "education": UF_EDUCATION_LEVELS[n % len(UF_EDUCATION_LEVELS)],
            "household": UF_HOUSEHOLDS[n % len(UF_HOUSEHOLDS)], "income_source": "social_assistance",
            "referring_agency": "soc", "born_abroad": True, "unemployed": True, "long_term_assistance": True,
            "af_code": start_code,
        }
        j = Journey(f"UF3-{day.year}-{n:03d}", "utrikesfodda", day, attributes)
        reason = "work" if follow_up in UF_TABLE_3_WORK_CODES else others[n % len(others)]
        uf_exit_journey(j, reason, n)
        if j.exit is not None:  # the exit as an event, so the follow-up can come after it
            exit_entry = dict(j.exit)
            j.exit = None
            j.events.append({"trigger": "exit", "at": exit_entry.pop("at"), "data": exit_entry})
        j.set(UF_TABLE_3_FOLLOW_UP, af_code_at_follow_up=follow_up)
        journeys.append(j)
    check_utrikesfodda_table_3(journeys)
    return journeys


def check_utrikesfodda_table_3(journeys: list[Journey]) -> None:
    """Both columns of Table 3 hold, and everyone has left by the end of September 2010."""
    assert Counter(j.attributes["af_code"] for j in journeys) == \
        Counter({c: n for c, (n, _) in UTRIKESFODDA_TABLE_3.items() if n})
    assert Counter(j.events[-1]["set"]["af_code_at_follow_up"] for j in journeys) == \
        Counter({c: n for c, (_, n) in UTRIKESFODDA_TABLE_3.items() if n})
    for j in journeys:
        exit_at = next(e["at"] for e in reversed(j.events) if "reason" in e.get("data", {}))
        assert exit_at <= "2010-09-30", (j.ref, exit_at)


def check_utrikesfodda(journeys: list[Journey]) -> None:
    """Tables 1 and 2 and the mean ages hold for what was generated."""
    table_1: Counter[tuple[str, str]] = Counter()
    table_2: Counter[tuple[str, str]] = Counter()
    ages: dict[str, list[int]] = {g: [] for g in GENDERS}
    for j in journeys:
        gender = j.attributes["gender"]
        age = age_on(date.fromisoformat(j.attributes["birth_date"]), j.enrolled)
        assert 25 <= age <= 55, (j.ref, age)
        band = next(b for b in UTRIKESFODDA_TABLE_1 if age in range(int(b.split("-")[0]), int(b.split("-")[1] or 200) + 1))
        table_1[(band, gender)] += 1
        ages[gender].append(age)
        ended = j.exit_reason_and_day()
        if ended is not None and ended[1] <= UF_PERIOD_END:
            table_2[(ended[0], gender)] += 1
    for table, published in ((table_1, UTRIKESFODDA_TABLE_1), (table_2, UTRIKESFODDA_TABLE_2)):
        for code, counts in published.items():
            assert (table[(code, "female")], table[(code, "male")]) == counts, (code, counts)
        assert sum(table.values()) == sum(sum(c) for c in published.values())
    for gender, mean in UTRIKESFODDA_MEAN_AGE.items():
        assert round(sum(ages[gender]) / len(ages[gender])) == mean, (gender, ages[gender])


# =================================================================================================
# Ljusnarsberg (seed 002)
# =================================================================================================

#: The 16 participants of 2007 in the order they were taken up: gender, age at enrolment,
#: education, household, income source, referring agency, target group, and the activity they
#: left for in 2007 ("open" = continued in the project during 2008, with what they left for then).
LJUSNARSBERG_ROSTER: list[dict[str, Any]] = [
    {"gender": "male", "age": 22, "education": "compulsory", "household": "single_no_children",
     "income_source": "social_assistance", "referring_agency": "soc", "target_group": ["young_weak_attachment"],
     "activity": "work"},
    {"gender": "female", "age": 52, "education": "compulsory", "household": "cohabiting_with_children",
     "income_source": "rehabilitation_benefit", "referring_agency": "fk", "target_group": ["several_agencies"],
     "activity": "work_training"},
    {"gender": "male", "age": 47, "education": "compulsory", "household": "cohabiting_no_children",
     "income_source": "sickness_compensation_partial", "referring_agency": "fk",
     "target_group": ["several_agencies", "multi_agency_assessment"], "activity": "open:investigation"},
    {"gender": "female", "age": 28, "education": "compulsory", "household": "single_with_children",
     "income_source": "social_assistance", "referring_agency": "soc", "target_group": ["low_educated_single_mother"],
     "activity": "work_training"},
    {"gender": "male", "age": 27, "education": "upper_secondary_short", "household": "single_no_children",
     "income_source": "social_assistance", "referring_agency": "soc", "target_group": ["young_weak_attachment"],
     "activity": "work"},
    {"gender": "female", "age": 57, "education": "compulsory", "household": "single_no_children",
     "income_source": "rehabilitation_benefit", "referring_agency": "fk",
     "target_group": ["several_agencies", "multi_agency_assessment"], "activity": "open:investigation"},
    {"gender": "male", "age": 33, "education": "adult_education", "household": "single_with_children_part_time",
     "income_source": "rehabilitation_benefit", "referring_agency": "af", "target_group": ["several_agencies"],
     "activity": "work_training"},
    {"gender": "male", "age": 19, "education": "compulsory", "household": "single_no_children",
     "income_source": "social_assistance", "referring_agency": "soc", "target_group": ["young_weak_attachment"],
     "activity": "own_request"},
    {"gender": "female", "age": 34, "education": "compulsory", "household": "single_with_children",
     "income_source": "rehabilitation_benefit", "referring_agency": "af",
     "target_group": ["several_agencies", "low_educated_single_mother"], "activity": "work_training"},
    {"gender": "male", "age": 45, "education": "compulsory", "household": "cohabiting_with_children",
     "income_source": "rehabilitation_benefit", "referring_agency": "af",
     "target_group": ["several_agencies", "multi_agency_assessment"], "activity": "open:work_training"},
    {"gender": "male", "age": 26, "education": "upper_secondary_short", "household": "single_no_children",
     "income_source": "social_assistance", "referring_agency": "soc", "target_group": ["young_weak_attachment"],
     "activity": "education"},
    {"gender": "female", "age": 37, "education": "compulsory", "household": "cohabiting_with_children",
     "income_source": "rehabilitation_benefit", "referring_agency": "af", "target_group": ["several_agencies"],
     "activity": "open:conversation_support"},
    {"gender": "male", "age": 31, "education": "adult_education", "household": "single_no_children",
     "income_source": "social_assistance", "referring_agency": "soc", "target_group": ["several_agencies"],
     "activity": "open:work_training"},
    {"gender": "female", "age": 31, "education": "compulsory", "household": "single_with_children",
     "income_source": "social_assistance", "referring_agency": "soc", "target_group": ["low_educated_single_mother"],
     "activity": "other"},
    {"gender": "male", "age": 23, "education": "upper_secondary_short", "household": "single_no_children",
     "income_source": "social_assistance", "referring_agency": "soc", "target_group": ["young_weak_attachment"],
     "activity": "open:conversation_support"},
    {"gender": "male", "age": 48, "education": "compulsory", "household": "cohabiting_no_children",
     "income_source": "social_assistance", "referring_agency": "soc", "target_group": ["several_agencies"],
     "activity": "open:investigation"},
]

LJ_PROJECT_START = date(2007, 4, 2)
LJ_LAST_ENROLMENT = date(2007, 10, 29)
LJ_EMPLOYERS = ["Ljusnarsbergs kommun, fritidsgården", "ICA Nära Kopparberg", "Kopparbergs Bryggeri, lagret",
                "Bilverkstad i Kopparberg", "Ljusnarsbergs kommun, parkförvaltningen", "Äldreboendet Kopparberg"]


def lj_age_band(age: int) -> str:
    if age < 25:
        return "18-24"
    low = age - age % 5
    return f"{low}-{low + 4}"


def check_ljusnarsberg_roster() -> None:
    """Every per-gender count of Tables 4 and 2 holds for the roster."""
    def counts(key: Any) -> dict[str, tuple[int, int]]:
        c: Counter[tuple[str, str]] = Counter((key(p), p["gender"]) for p in LJUSNARSBERG_ROSTER)
        return {v: (c[(v, "female")], c[(v, "male")]) for v in {key(p) for p in LJUSNARSBERG_ROSTER}}

    def activity(p: dict[str, Any]) -> str:
        return "open_at_period_end" if p["activity"].startswith("open:") else str(p["activity"])

    found = {
        "gender": counts(lambda p: p["gender"]),
        "age_band": counts(lambda p: lj_age_band(p["age"])),
        "education": counts(lambda p: p["education"]),
        "household": counts(lambda p: p["household"]),
        "income_source": counts(lambda p: p["income_source"]),
        "activity": counts(activity),
    }
    for variable, published in LJUSNARSBERG_TABLE_4.items():
        nonzero = {k: v for k, v in published.items() if v != (0, 0)}
        assert found[variable] == nonzero, (variable, found[variable], nonzero)
    referring = counts(lambda p: p["referring_agency"])
    assert referring == {k: v for k, v in LJUSNARSBERG_TABLE_2.items() if v != (0, 0)}, referring
    assert len(LJUSNARSBERG_ROSTER) == len(LJUSNARSBERG_OBSTACLES_1_16)


def ljusnarsberg() -> list[Journey]:
    check_ljusnarsberg_roster()
    days = spread(len(LJUSNARSBERG_ROSTER), LJ_PROJECT_START + timedelta(days=7), LJ_LAST_ENROLMENT)
    journeys = []
    for n, (p, day, obstacles) in enumerate(zip(LJUSNARSBERG_ROSTER, days, LJUSNARSBERG_OBSTACLES_1_16, strict=True),
                                            start=1):
        involved = {p["referring_agency"], "soc", "af"} | ({"fk"} if p["income_source"] != "social_assistance" else set())
        attributes = {
            "gender": p["gender"],
            "birth_date": birth_date_for(p["age"], day, n).isoformat(),
            "education": p["education"],
            "household": p["household"],
            "income_source": p["income_source"],
            "referring_agency": p["referring_agency"],
            "born_abroad": n % 6 == 0,
            "target_group": p["target_group"],
            "agencies_involved": sorted(involved),
        }
        j = Journey(f"LJ-2007-{n:02d}", "ljusnarsberg_rehab", day, attributes)
        ljusnarsberg_walk(j, p["activity"], n, list(obstacles))
        journeys.append(j)
    return journeys


def ljusnarsberg_walk(j: Journey, activity: str, n: int, obstacles: list[str]) -> None:
    d = j.enrolled
    # the referring caseworker obtains consent for the whole rehab group before referring
    j.consent(d, ["soc", "af", "fk", "health"], "Samverkan i rehabgruppen (FK, AF, socialtjänsten, vårdcentralen)",
              date(2008, 12, 31))
    # the rehab group meets twice a month: taken up within two weeks
    j.meeting(weekday(d + timedelta(days=9)), "taken_up",
              ["doctor:lakare", "social_worker:socialsekreterare", "employment_officer:arbetsformedlare",
               "insurance_officer:handlaggare_fk", "coordinator:samordnare"])
    j.fire("take_up", weekday(d + timedelta(days=9)),
           decision="Samordnaren kartlägger; remitterande handläggare följer med till första mötet")
    j.fire("start_mapping", weekday(d + timedelta(days=14)))
    if activity == "other":
        # left during the mapping (moved out of the municipality)
        j.leave(weekday(d + timedelta(days=45)), "other")
        return
    j.set(weekday(d + timedelta(days=35)), obstacles=obstacles)   # the mapping's result (Tabell 1)
    j.fire("write_plan", weekday(d + timedelta(days=35)))
    j.fire("start_guidance", weekday(d + timedelta(days=42)))
    if activity == "own_request":
        j.leave(weekday(d + timedelta(days=90)), "own_request")
        return
    if activity == "education":
        # arbetsmarknadsutbildning via Arbetsförmedlingen
        j.leave(weekday(d + timedelta(days=110)), "education", by="complete")
        return
    if activity == "open:investigation":
        # the investigation in health care runs on into 2008; the participant leaves for it there
        j.leave(weekday(date(2008, 2, 4) + timedelta(days=7 * n)), "investigation")
        return
    if activity == "open:conversation_support":
        j.leave(weekday(date(2008, 3, 3) + timedelta(days=7 * n)), "conversation_support")
        return
    # a placement under a written three-party agreement: an internship for those who get work,
    # otherwise a work trial (10 h/week for 12 weeks)
    placement = "internship" if activity == "work" else "work_trial"
    placed = weekday(d + timedelta(days=56))
    j.fire("start_placement", placed, placement_type=placement, employer=LJ_EMPLOYERS[n % len(LJ_EMPLOYERS)],
           agreement_signed=True)
    if activity == "open:work_training":
        # the work trial goes on into 2008 (a second period agreed at the follow-up)
        j.leave(weekday(date(2008, 4, 7) + timedelta(days=7 * (n % 4))), "work_training", by="complete")
        return
    j.leave(weekday(placed + timedelta(days=84)), activity, by="complete",
            **({"income_source_at_exit": "salary"} if activity == "work" else {}))


# =================================================================================================
# Kraft (seed 003)
# =================================================================================================

#: Where each individual leaves and which of their crosses is the main ``reason``:
#: "handover" = the whole pathway (handed over to the employment service, then ``complete``, which
#: takes to_af_able_to_work, af_programme and work); otherwise the step they leave from with ``exit``.
KRAFT_EXITS: dict[str, tuple[str, str]] = {
    "AA": ("activation", "health_care"),
    "BB": ("activation", "studies"),
    "CC": ("activation", "studies"),
    "DD": ("handover", "to_af_able_to_work"),
    "EE": ("training", "labour_unit_placement"),
    "FF": ("handover", "work"),
    "GG": ("training", "labour_unit_placement"),
    "HH": ("training", "occupation"),
    "II": ("training", "occupation"),
    "JJ": ("training", "labour_unit_placement"),
    "KK": ("handover", "to_af_able_to_work"),
    "LL": ("training_start", "labour_unit_placement"),
    "MM": ("motivation", "ended"),
    "NN": ("motivation", "ended"),
    "OO": ("training", "labour_unit_placement"),
    "PP": ("training_start", "labour_unit_placement"),
    "QQ": ("training", "labour_unit_placement"),
    "RR": ("training", "labour_unit_placement"),
    "SS": ("handover", "af_programme"),
    "TT": ("training", "labour_unit_placement"),
    "UU": ("training", "labour_unit_placement"),
    "VV": ("training_start", "labour_unit_placement"),
    "XX": ("training", "labour_unit_placement"),
    "YY": ("training", "labour_unit_placement"),
    "ZZ": ("motivation", "health_care"),
    "ÅÅ": ("activation", "social_services"),
}
KRAFT_GROUP_2 = "NN"  # NN onwards start in the second year's group
KRAFT_EMPLOYERS = ["Lunds kommun, Parkförvaltningen", "ICA Kvantum Lund", "Coop Lund", "Sjöbergs Bageri AB",
                   "Lunds kommun, Arbetsenheten", "Second hand-butik, Lund", "Kyrkans café, Lund"]
KRAFT_SOCIAL_SERVICES = [["housing"], ["family", "parenting"], ["housing", "family"], ["parenting"]]


def check_kraft_table() -> None:
    assert list(KRAFT_OUTCOME_TABLE) == list(KRAFT_EXITS)
    totals = [sum(column in crosses for crosses in KRAFT_OUTCOME_TABLE.values()) for column in KRAFT_COLUMNS]
    assert totals == KRAFT_COLUMN_TOTALS, totals
    for ref, (_, reason) in KRAFT_EXITS.items():
        assert reason in KRAFT_OUTCOME_TABLE[ref], ref


def kraft() -> list[Journey]:
    check_kraft_table()
    journeys = []
    refs = list(KRAFT_OUTCOME_TABLE)
    second = refs.index(KRAFT_GROUP_2)
    for n, ref in enumerate(refs):
        year = 2011 if n < second else 2012
        k = n if n < second else n - second
        enrolled = weekday(date(year, 1, 3) + timedelta(days=k))
        age = 24 + (n * 11) % 34
        attributes: dict[str, Any] = {
            "gender": "female" if n % 5 in (0, 2, 3) else "male",
            "birth_date": birth_date_for(age, enrolled, n + 3).isoformat(),
            "education": ["compulsory", "upper_secondary_short", "compulsory", "upper_secondary", "none"][n % 5],
            "household": ["single_no_children", "single_with_children", "single_no_children",
                          "cohabiting_with_children"][n % 4],
            "income_source": "social_assistance",
            "referring_agency": "soc",
            "born_abroad": n % 3 == 1,
            "sick_listed_without_benefit": n % 4 != 1,   # "dock är de 0-placerade"
            "referring_team": "resource_team" if n % 3 != 2 else "team_east",
            "wellbeing_at_start": 3 + n % 4,
        }
        j = Journey(ref, "kraft", enrolled, attributes)
        kraft_walk(j, n, k)
        journeys.append(j)
    return journeys


def kraft_walk(j: Journey, n: int, k: int) -> None:
    """From the referral to the step the individual leaves from, then the exit with their crosses."""
    crosses = KRAFT_OUTCOME_TABLE[j.ref]
    where, reason = KRAFT_EXITS[j.ref]
    group_start = date(j.enrolled.year, 2, 7) if j.enrolled.year == 2011 else date(j.enrolled.year, 2, 6)
    j.fire("assess", weekday(j.enrolled + timedelta(days=2)))
    j.set(weekday(j.enrolled + timedelta(days=9)), stable_social_situation=True, no_ongoing_substance_abuse=True,
          stable_housing=True, swedish_without_interpreter=True)
    j.fire("include", group_start)   # the group starts together
    parallel: dict[str, Any] = {}
    if "health_care" in crosses:
        parallel["parallel_health_care"] = True
    if "social_services" in crosses:
        parallel["parallel_social_services"] = KRAFT_SOCIAL_SERVICES[n % len(KRAFT_SOCIAL_SERVICES)]
    if parallel:   # found in the group's first weeks; runs in parallel with the work track
        j.set(weekday(group_start + timedelta(days=28)), **parallel)
    outcomes = [c for c in crosses if c != reason]
    extra: dict[str, Any] = {"outcomes": outcomes} if outcomes else {}
    if where == "motivation":
        j.leave(weekday(group_start + timedelta(days=45 + 7 * (k % 4))), reason, **extra)
        return
    j.fire("activate", weekday(group_start + timedelta(days=91)))
    if where == "activation":
        j.leave(weekday(group_start + timedelta(days=130 + 7 * (k % 5))), reason, **extra)
        return
    j.fire("refer_to_training", weekday(group_start + timedelta(days=189)))
    if where == "training_start":
        j.leave(weekday(j.last + timedelta(days=21 + 7 * (k % 6))), reason, **extra)
        return
    started = weekday(group_start + timedelta(days=196 + 3 * (k % 4)))
    j.fire("start_training", started, placement_type="work_training", employer=KRAFT_EMPLOYERS[n % len(KRAFT_EMPLOYERS)],
           hours_per_week=4 + 2 * (n % 3))
    if where == "training":
        hours = 4 + 2 * (n % 4)
        j.set(weekday(started + timedelta(days=56)), work_supply_hours=hours, work_supply_established=hours >= 10)
        j.leave(weekday(j.last + timedelta(days=21 + 7 * (k % 6))), reason, **extra)
        return
    assert where == "handover", where
    j.set(weekday(started + timedelta(days=77)), work_supply_hours=10 + 2 * (n % 4), work_supply_established=True)
    held = weekday(started + timedelta(days=84))
    j.consent(held, ["soc", "af", "labour_unit"], "Samverkan inför överlämningen till Arbetsförmedlingen",
              date(held.year + 1, 12, 31))
    j.meeting(held, "handover_meeting", ["labour_market_consultant:konsulent", "af:arbetsformedlare"], True)
    j.fire("prepare_handover", held)
    j.set(weekday(started + timedelta(days=98)), registered_at_af=True)
    j.fire("hand_over", weekday(started + timedelta(days=98)))
    j.leave(weekday(j.last + timedelta(days=21 + 7 * (k % 6))), reason, by="complete", **extra)


# =================================================================================================

FILES = {
    "utrikesfodda_2009_2010.jsonl": utrikesfodda,
    "utrikesfodda_table_3.jsonl": utrikesfodda_table_3,
    "ljusnarsberg_2007.jsonl": ljusnarsberg,
    "kraft_outcomes.jsonl": kraft,
}


def main(out: Path = HERE) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, build in FILES.items():
        write_jsonl(out / name, build())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
