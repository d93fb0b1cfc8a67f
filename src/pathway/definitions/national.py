"""The national follow-up of samordningsförbund (Uppföljning Finsam, SUS's successor): the codes a
workflow maps its own codes to (``national_followup:`` in the YAML).

What is followed and what is assumed is written down in docs/national-followup.md: the structure
(individual-oriented interventions, each participant registered in at the start and out at the
end, with the situation before and after and the reason for leaving; anonymous participants
counted; a registration in error registered out with the reason *felregistrering*) follows the
published user support; so does the meaning of ``none`` (no public support). The other code values
are this project's own stable identifiers with Swedish wording, modelled on SUS's exit form, because
the form's option list (blankett 9449) could not be read here. Change them in one place when the
authority's list is at hand.
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
#: SUS counts only public support here: a-kassa, Försäkringskassan's benefits and försörjningsstöd;
#: a salary, parental benefit, old-age pension and the like are "Ingen offentlig försörjning"
#: (susam.se, Af/FK-samarbete, Gemensam kartläggning: Vanliga frågor), so a workflow maps its own
#: ``salary`` to ``none``; whether the participant works is SUS's other question (sysselsättning).
SITUATION_CODES: dict[str, str] = {
    "social_assistance": "Försörjningsstöd",
    "unemployment_insurance": "Arbetslöshetsersättning (a-kassa)",
    "activity_support": "Aktivitetsstöd eller etableringsersättning",
    "sickness_benefit": "Sjukpenning eller rehabiliteringsersättning",
    "sickness_or_activity_compensation": "Sjuk- eller aktivitetsersättning",
    "study_grant": "Studiemedel",
    "none": "Ingen offentlig försörjning",
    "other": "Annan offentlig försörjning",
}
