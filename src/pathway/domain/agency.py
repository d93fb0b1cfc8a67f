"""The agencies of a joint project (samverkansparter): one code list for the whole package.

Workflows name them (role owners, consent guards), consent is given to them, interventions and
requests for information are made by them, and users belong to one (or to the project's own staff).
"""

from __future__ import annotations

from enum import StrEnum


class Agency(StrEnum):
    """The agencies that take part in a joint project; codes shared by all workflows."""

    SOC = "soc"  # Socialtjänsten
    AF = "af"  # Arbetsförmedlingen
    FK = "fk"  # Försäkringskassan
    HEALTH = "health"  # Vårdcentral / region
    LABOUR_UNIT = "labour_unit"  # arbetsmarknadsenhet (AUC)


#: The codes, in the order above (consent, records, requests for information).
AGENCIES: tuple[str, ...] = tuple(a.value for a in Agency)
