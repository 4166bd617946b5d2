"""What installing bastion into an agent means, independent of any one agent's file format.

An `AgentIntegration` knows where an agent keeps its hook settings and how to add, find and
remove bastion's entries in the parsed JSON document. Reading, backing up and writing the file
is shared (`settings_file`, `backup`, `install`), so every agent gets the same safety rules."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class IntegrationError(Exception):
    """A refusal: the settings file was left untouched and the message says why."""


class Scope(enum.StrEnum):
    USER = "user"
    PROJECT = "project"


class Action(enum.StrEnum):
    """What happened to one settings file."""

    INSTALLED = "installed"  # bastion's entries were added (or completed)
    UPDATED = "updated"  # entries were there, some with an outdated command or shape
    ALREADY_INSTALLED = "already-installed"  # nothing to do; the file was not written
    RESTORED = "restored"  # uninstall: the backup was put back byte for byte
    REMOVED_FILE = "removed-file"  # uninstall: bastion had created the file; it is gone
    CLEANED = "cleaned"  # uninstall: bastion's entries removed, other changes kept
    NOT_INSTALLED = "not-installed"  # uninstall: nothing of bastion's was there


@dataclass(frozen=True)
class Change:
    """One hook event in a settings file and what happened to bastion's entry there."""

    event: str
    action: str  # added | updated | removed | unchanged
    matcher: str | None = None


@dataclass(frozen=True)
class FoundHook:
    """A bastion entry found in a settings file (for doctor and for reporting)."""

    event: str
    matcher: str | None
    command: str


@dataclass(frozen=True)
class Outcome:
    """The result of installing or uninstalling for one agent and scope."""

    agent: str
    scope: Scope
    path: Path
    action: Action
    changes: tuple[Change, ...] = ()
    backup: Path | None = None
    backup_note: str = ""
    written_to: Path | None = None  # differs from `path` when the file is a symlink
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.action not in (Action.ALREADY_INSTALLED, Action.NOT_INSTALLED)


class AgentIntegration(ABC):
    """One agent CLI's hook settings: where they live and how bastion's entries look."""

    name: str
    default_scope: Scope
    cli_names: tuple[str, ...]  # executables that show the agent is on this machine

    @abstractmethod
    def settings_path(self, scope: Scope, home: Path, project: Path) -> Path:
        """The file `install` edits for this scope."""

    @abstractmethod
    def config_dir(self, home: Path) -> Path:
        """The agent's per-user directory (its existence also shows the agent is installed)."""

    @abstractmethod
    def apply(self, doc: dict[str, Any], command: str) -> tuple[Change, ...]:
        """Add or refresh bastion's entries in `doc` (in place), each running `command`."""

    @abstractmethod
    def strip(self, doc: dict[str, Any]) -> tuple[Change, ...]:
        """Remove every bastion entry from `doc` (in place), leaving everything else alone."""

    @abstractmethod
    def found(self, doc: dict[str, Any]) -> tuple[FoundHook, ...]:
        """bastion's entries in `doc`."""

    @abstractmethod
    def semantic_form(self, doc: dict[str, Any]) -> dict[str, Any]:
        """`doc` normalised to what the agent would act on (for comparing with the backup)."""

    @abstractmethod
    def is_skeleton(self, doc: dict[str, Any]) -> bool:
        """Whether `doc` holds nothing but the empty frame `apply` creates in a new file."""

    def notes(self, scope: Scope) -> tuple[str, ...]:
        """What the user must still do or know after installing (trust prompts and the like)."""
        return ()
