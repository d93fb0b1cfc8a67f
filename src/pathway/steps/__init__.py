"""The building blocks a workflow file names: step kinds and guards, each with a pydantic config.

Adding a kind or a guard is one registration here; definitions are checked against these
registries, so a workflow can only name what the engine knows how to run.
"""

from pathway.steps.guards import GUARDS, GuardContext, GuardSpec
from pathway.steps.kinds import STEP_KINDS, StepKind

__all__ = ["GUARDS", "STEP_KINDS", "GuardContext", "GuardSpec", "StepKind"]
