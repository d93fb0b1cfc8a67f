"""pathway: participant pathways for Swedish cross-agency rehabilitation projects.

Pathways are written in YAML, run as one state machine per workflow version, and every
caseworker action is an appended event in the participant's durable history.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
