"""Which workflows exist: the YAML files in the workflows folder, and every version in the store.

A participant is pinned to the version it started on. Loading a changed file registers a new
version (new content hash) the next time someone enrols on it; participants already on an older
version keep running on the exact text stored with that version.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING

from pathway import limits
from pathway.clock import Clock
from pathway.errors import BadInput, ConcurrentChange, UnknownWorkflow

if TYPE_CHECKING:  # the YAML loader, transitions and the store load when first used, not with the catalog
    from pathway.definitions import LoadedWorkflow
    from pathway.engine import MachineCache, PathwayMachine
    from pathway.store.uow import UnitOfWork

WORKFLOW_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Registered:
    """A workflow version in use: its definition, its number, and (if any) a note for the user."""

    loaded: LoadedWorkflow
    version: int
    note: str | None = None


class WorkflowCatalog:
    def __init__(self, directory: Path, clock: Clock) -> None:
        self.directory = directory
        self.clock = clock
        self._pinned: dict[tuple[str, int], LoadedWorkflow] = {}
        self._files: dict[str, tuple[tuple[str, int, int], LoadedWorkflow]] = {}
        #: (workflow id, file hash) → the version found registered for that text: a registered
        #: version is never changed or removed, so every enrolment after the first skips the lookup.
        #: Only what was found is kept: a version this process registers may still be rolled back.
        self._registered: dict[tuple[str, str], int] = {}

    @cached_property
    def machines(self) -> MachineCache:
        """The state machines built so far, one per workflow version (made on first use)."""
        from pathway.engine import MachineCache

        return MachineCache()

    # -- files -------------------------------------------------------------------------------

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.suffix in WORKFLOW_SUFFIXES and p.is_file())

    def file_ids(self) -> list[str]:
        return [p.stem for p in self.files()]

    def file_for(self, workflow_id: str) -> Path:
        return Path(self._file_and_stat(workflow_id)[0])

    def _file_and_stat(self, workflow_id: str) -> tuple[str, os.stat_result]:
        """The workflow's file (``.yaml`` before ``.yml``) and its stat: one ``stat`` call for the
        usual file, which every enrolment asks about (is it still the text registered?)."""
        folder = str(self.directory)
        for suffix in WORKFLOW_SUFFIXES:
            candidate = os.path.join(folder, f"{workflow_id}{suffix}")
            try:
                found = os.stat(candidate)
            except OSError:  # none of that name (or unreadable): as Path.is_file says
                continue
            if S_ISREG(found.st_mode):
                return candidate, found
        raise UnknownWorkflow(workflow_id, self.file_ids())

    def load_current(self, workflow_id: str) -> LoadedWorkflow:
        """The workflow as its file reads now (raises with every problem if the file is invalid).

        Parsed once per process while the file's size and modification time stay the same, so a
        long-running process (the scheduler, an import) does not re-validate it for every action.
        """
        name, stat = self._file_and_stat(workflow_id)
        stamp = (name, stat.st_mtime_ns, stat.st_size)
        cached = self._files.get(workflow_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        from pathway.definitions import load_file

        loaded = load_file(Path(name))
        if loaded.definition.id != workflow_id:
            raise BadInput(
                f"{loaded.source} declares id '{loaded.definition.id}'; "
                f"a workflow file must be named after its id ({loaded.definition.id}.yaml)"
            )
        self._files[workflow_id] = (stamp, loaded)
        return loaded

    # -- versions ----------------------------------------------------------------------------

    def register_current(self, uow: UnitOfWork, workflow_id: str) -> Registered:
        """The current file's version in the store, registering it (in ``uow``) if it is new."""
        from pathway.store.repository import StoredWorkflowVersion

        loaded = self.load_current(workflow_id)
        known = self._registered.get((workflow_id, loaded.sha256))
        if known is not None:
            return Registered(loaded, known)
        for _attempt in range(5):  # another enrolment may register a version at the same moment
            stored = uow.workflows.find_by_hash(workflow_id, loaded.sha256)
            if stored is not None:
                self._pinned[(workflow_id, stored.version)] = loaded
                self._registered[(workflow_id, loaded.sha256)] = stored.version
                return Registered(loaded, stored.version)
            declared = loaded.definition.version
            latest = uow.workflows.latest_version_number(workflow_id)
            version = declared if declared > latest else latest + 1
            note = None
            if version != declared:
                note = (
                    f"{loaded.source} changed since version {latest} was registered but still says "
                    f"version: {declared}; registered as version {version} — set 'version: {version}' in the file"
                )
            added = uow.workflows.add(StoredWorkflowVersion(
                workflow_id, version, loaded.definition.title, loaded.sha256, loaded.text,
                loaded.source, self.clock.now(),
            ))
            if added:
                self._pinned[(workflow_id, version)] = loaded
                return Registered(loaded, version, note)
        raise ConcurrentChange(0)

    def pinned(self, uow: UnitOfWork, workflow_id: str, version: int) -> LoadedWorkflow:
        """The exact definition a participant runs on, from the store."""
        limits.check_version(version)
        key = (workflow_id, version)
        if key not in self._pinned:
            stored = uow.workflows.get(workflow_id, version)
            if stored is None:
                raise UnknownWorkflow(f"{workflow_id} version {version}", self.file_ids())
            from pathway.definitions.loader import content_hash, load_text

            loaded = load_text(stored.yaml_text, f"{workflow_id}@{version}")
            if content_hash(stored.yaml_text) != stored.sha256:
                raise BadInput(f"stored text of {workflow_id} version {version} does not match its hash")
            self._pinned[key] = loaded
        return self._pinned[key]

    def machine(self, loaded: LoadedWorkflow, version: int) -> PathwayMachine:
        return self.machines.get(loaded.definition, version)
