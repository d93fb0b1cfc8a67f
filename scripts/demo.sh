#!/usr/bin/env bash
# The demo behind `make demo`: validate the shipped workflows, enrol sample participants on the
# embedded SQLite default (demo.db), walk one through Kraft and print its history.
# Every command is a real caseworker command; --now pins the clock so the output is repeatable.
set -euo pipefail
export PATHWAY_DATABASE_URL="sqlite:///demo.db"
export PATHWAY_WORKFLOWS="workflows"
export PATHWAY_ACTOR="demo"
# Identity numbers are stored encrypted. This key is public (demo only): for real data make your
# own with 'pathway identity new-key' and keep it apart from the database.
export PATHWAY_IDENTITY_KEY="${PATHWAY_IDENTITY_KEY:-8dGkJ0Xr2G7b1oK5lqYl7Qy9xV3nX0wRk2s4yZ6pH1A=}"
rm -f demo.db demo.db-wal demo.db-shm

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step pathway workflow validate workflows/*.yaml

# Sample participants on both shipped pathways
step pathway --now 2026-01-12T09:00 participant enrol kraft --ref KRAFT-001 \
  --attr gender=female --attr birth_date=1985-04-02 --attr income_source=social_assistance \
  --attr referring_agency=soc --attr education=compulsory --attr household=single_with_children
pathway --now 2026-01-12T10:00 participant enrol kraft --ref KRAFT-002 \
  --attr gender=male --attr birth_date=1979-11-20 --attr income_source=social_assistance --attr referring_agency=soc >/dev/null
pathway --now 2026-02-02T09:00 participant enrol flen_tripartite --ref FLEN-001 \
  --attr gender=male --attr birth_date=1996-03-14 --attr application_date=2026-01-28 \
  --attr income_source=social_assistance --attr referring_agency=soc >/dev/null
pathway --now 2026-02-03T09:00 participant enrol flen_tripartite --ref FLEN-002 \
  --attr gender=female --attr birth_date=1990-08-01 --attr application_date=2026-02-01 >/dev/null

# Walk KRAFT-001 through Kraft
step pathway --now 2026-01-14T10:00 participant fire KRAFT-001 assess
step pathway --now 2026-01-20T10:00 participant show KRAFT-001
step pathway --now 2026-01-20T10:05 participant set KRAFT-001 stable_social_situation=true \
  no_ongoing_substance_abuse=true stable_housing=true swedish_without_interpreter=true
step pathway --now 2026-02-02T09:00 participant fire KRAFT-001 include
pathway --now 2026-05-04T09:00 participant fire KRAFT-001 activate
pathway --now 2026-08-17T09:00 participant fire KRAFT-001 refer_to_training
# the trigger into the training step starts the placement record itself, with the step's contact
# interval and hours goal (Kraft: work training at an employer, 10 h/week)
step pathway --now 2026-08-24T09:00 participant fire KRAFT-001 start_training \
  --data placement_type=work_training --data "employer=Lunds kommun, Parkförvaltningen" --data hours_per_week=6
step pathway --now 2026-09-01T09:00 intervention start KRAFT-001 health_care --agency health
pathway --now 2026-11-10T09:00 participant set KRAFT-001 work_supply_hours=12 work_supply_established=true
pathway --now 2026-11-16T08:30 consent give KRAFT-001 --agencies soc,af,labour_unit >/dev/null
# the handover step opens with the tripartite meeting: who was there, consent confirmed, what was decided
step pathway --now 2026-11-16T09:00 meeting record KRAFT-001 --type handover_meeting --at 2026-11-16T09:00 \
  --attendee labour_market_consultant:karin --attendee employment_officer:omar --led-by labour_market_consultant \
  --consent-confirmed --decision "Inskrivning hos Arbetsförmedlingen" --signed-by-participant
pathway --now 2026-11-16T09:05 participant fire KRAFT-001 prepare_handover
pathway --now 2026-11-16T09:30 participant set KRAFT-001 registered_at_af=true
step pathway --now 2026-11-30T09:00 participant fire KRAFT-001 hand_over \
  --at 2026-11-27T14:00 --reason "tripartite meeting held Friday, recorded Monday"
step pathway --now 2026-11-30T09:10 participant handover KRAFT-001 --to af
step pathway --now 2026-12-07T09:00 participant fire KRAFT-001 complete \
  --data reason=to_af_able_to_work --data outcomes=to_af_able_to_work,work
step pathway --now 2026-12-07T09:00 participant history KRAFT-001
step pathway --now 2026-12-07T09:00 participant list

# The deadline check a scheduler runs: Flen's 14-day rule has passed for both Flen participants
step pathway --now 2026-02-20T08:00 deadlines check
step pathway --now 2026-02-20T08:00 deadlines list

# The funder's tables, from the same history
step pathway --now 2026-12-07T09:00 report participants --workflow kraft --by age_band,gender
step pathway --now 2026-12-07T09:00 report outcomes --workflow kraft
step pathway --now 2026-12-07T09:00 report flow --workflow kraft

# The person across projects: Tolvan leaves Kraft and is enrolled in Flen three weeks later (rundgång)
pathway --now 2026-01-15T09:00 participant enrol kraft --ref KRAFT-003 --personnummer 19121212-1212 \
  --attr income_source=social_assistance --attr referring_agency=soc >/dev/null
pathway --now 2026-02-02T09:00 participant fire KRAFT-003 exit --data reason=ended \
  --data income_source_at_exit=social_assistance >/dev/null
step pathway --now 2026-02-23T09:00 participant enrol flen_tripartite --ref FLEN-003 --personnummer 121212+1212 \
  --attr application_date=2026-02-20 --attr income_source=social_assistance
step pathway --now 2026-02-23T09:05 person find 19121212-1212 --format json
step pathway --now 2026-12-07T09:00 report circulation --per quarter --from 2026-01-01 --to 2026-12-31
step pathway --now 2026-12-07T09:00 export finsam --workflow kraft --from 2026-01-01 --to 2026-12-31
