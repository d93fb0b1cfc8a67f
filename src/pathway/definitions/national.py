"""The national follow-up of samordningsförbund (Uppföljning Finsam, SUS's successor): the codes a
workflow maps its own codes to (``national_followup:`` in the YAML).

What is followed and what is assumed is written down in docs/national-followup.md: the structure
(individual-oriented interventions, each participant registered in at the start and out at the
end, with the situation before and after and the reason for leaving; anonymous participants
counted; a registration in error registered out as such) follows the published user guide; the
code values below are this project's own stable identifiers with the Swedish wording, modelled on
SUS's exit form, because the complete variable list could not be read here. Change them in one
place when the authority's list is at hand.
"""

from __future__ import annotations

#: Why a participant left the intervention (avslutsanledning), code → Swedish label.
EXIT_CODES: dict[str, str] = {
    "work": "Arbete",
    "subsidised_work": "Arbete med stöd (subventionerad anställning)",
    "studies": "Studier",
    "job_seeker": "Arbetssökande hos Arbetsförmedlingen",
    "other_intervention": "Annan insats, annat projekt eller arbetsmarknadsprogram",
    "health_care": "Vård eller medicinsk rehabilitering",
    "sickness_or_activity_compensation": "Sjuk- eller aktivitetsersättning",
    "social_services": "Åter till socialtjänsten",
    "moved": "Flyttat",
    "own_request": "Avbrott på egen begäran",
    "other": "Övrigt",
    "registered_in_error": "Felregistrering",
}

#: How the participant supports themselves at the start and at the end (försörjning), code → label.
SITUATION_CODES: dict[str, str] = {
    "salary": "Lön",
    "social_assistance": "Försörjningsstöd",
    "unemployment_insurance": "Arbetslöshetsersättning (a-kassa)",
    "activity_support": "Aktivitetsstöd eller etableringsersättning",
    "sickness_benefit": "Sjukpenning eller rehabiliteringsersättning",
    "sickness_or_activity_compensation": "Sjuk- eller aktivitetsersättning",
    "study_grant": "Studiemedel",
    "none": "Ingen ersättning",
    "other": "Annan försörjning",
}
