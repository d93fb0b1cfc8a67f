"""Workflow files: YAML → pydantic models, with located errors and graph checks."""

from pathway.definitions.loader import LoadedWorkflow, ValidationReport, load_file, load_text, validate_text
from pathway.definitions.models import Workflow

__all__ = ["LoadedWorkflow", "ValidationReport", "Workflow", "load_file", "load_text", "validate_text"]
