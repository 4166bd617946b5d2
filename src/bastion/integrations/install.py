"""`install` and `uninstall` for one agent and scope: read, check, back up, edit, write.

Order matters for a security tool's own writes: every refusal happens before the first byte is
written, the backup is made before the settings file changes, and the file is re-read just
before the write so an edit the agent made meanwhile is never lost."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from bastion.hooks.command import hook_command_line
from bastion.integrations.backup import create_backup, read_backup, restore_backup
from bastion.integrations.interface import (
    Action,
    AgentIntegration,
    IntegrationError,
    Outcome,
    Scope,
)
from bastion.integrations.settings_file import (
    atomic_write,
    check_controlled_dir,
    default_mode,
    ensure_unchanged,
    parse_json_object,
    read_settings,
    render,
)

PROJECT_NOTE = (
    "the hook command names this machine's Python and bastion: others who share the project "
    "need to run `bastion install` themselves"
)


def _mode(existing: int | None) -> int:
    return existing if existing is not None else default_mode()


def _confine(scope: Scope, project: Path) -> Path | None:
    return project if scope is Scope.PROJECT else None


def _make_parents(path: Path) -> None:
    # Only the directories that are missing are created; the first existing ancestor must be
    # the user's own (checked by read_settings for the immediate parent when it exists).
    missing = []
    current = path.parent
    while not current.exists():
        missing.append(current)
        current = current.parent
    check_controlled_dir(current)
    for directory in reversed(missing):
        directory.mkdir(mode=0o755)


def install(
    agent: AgentIntegration,
    scope: Scope,
    *,
    home: Path,
    project: Path,
    command: str | None = None,
) -> Outcome:
    """Add bastion's hook to `agent`'s settings; raises IntegrationError on a refusal."""
    path = agent.settings_path(scope, home, project)
    settings = read_settings(path, _confine(scope, project))
    command = command or hook_command_line(agent.name)
    doc = copy.deepcopy(settings.data)
    had_ours = bool(agent.found(doc))
    changes = agent.apply(doc, command)
    notes = agent.notes(scope) + ((PROJECT_NOTE,) if scope is Scope.PROJECT else ())
    written_to = settings.real_path if settings.real_path != path.absolute() else None
    if doc == settings.data:
        return Outcome(
            agent.name, scope, path, Action.ALREADY_INSTALLED, changes, written_to=written_to
        )
    backup, backup_note = None, ""
    _make_parents(settings.real_path)
    if settings.raw is not None:
        backup, created = create_backup(settings.real_path, settings.raw, _mode(settings.mode))
        backup_note = "original saved" if created else "earlier backup kept"
    data = render(doc, settings.style)
    ensure_unchanged(settings)
    atomic_write(settings.real_path, data, _mode(settings.mode))
    return Outcome(
        agent.name,
        scope,
        path,
        Action.UPDATED if had_ours else Action.INSTALLED,
        changes,
        backup,
        backup_note,
        written_to,
        notes,
    )


def uninstall(agent: AgentIntegration, scope: Scope, *, home: Path, project: Path) -> Outcome:
    """Remove bastion's entries; restore the backup when nothing else changed since."""
    path = agent.settings_path(scope, home, project)
    settings = read_settings(path, _confine(scope, project))
    written_to = settings.real_path if settings.real_path != path.absolute() else None
    backup = read_backup(settings.real_path)
    doc = copy.deepcopy(settings.data)
    changes = agent.strip(doc)
    if not settings.exists or not changes:
        note = f"a backup from an earlier install remains at {backup.path}" if backup else ""
        return Outcome(
            agent.name,
            scope,
            path,
            Action.NOT_INSTALLED,
            backup=backup.path if backup else None,
            backup_note=note,
            written_to=written_to,
        )
    ensure_unchanged(settings)
    if backup is not None and _same(agent, doc, backup.raw, settings.real_path):
        restore_backup(settings.real_path, backup)
        return Outcome(
            agent.name,
            scope,
            path,
            Action.RESTORED,
            changes,
            backup.path,
            "restored byte for byte and removed",
            written_to,
        )
    if backup is None and agent.is_skeleton(doc):
        # Nothing but bastion was ever in it: the file did not exist before install.
        settings.real_path.unlink()
        return Outcome(agent.name, scope, path, Action.REMOVED_FILE, changes, written_to=written_to)
    atomic_write(settings.real_path, render(doc, settings.style), _mode(settings.mode))
    note = (
        "kept: the file has other changes since it was made (compare with it if in doubt)"
        if backup
        else ""
    )
    return Outcome(
        agent.name,
        scope,
        path,
        Action.CLEANED,
        changes,
        backup.path if backup else None,
        note,
        written_to,
    )


def _same(agent: AgentIntegration, doc: dict[str, Any], raw: bytes, where: Path) -> bool:
    try:
        original = parse_json_object(raw, where)
    except IntegrationError:  # an unreadable backup cannot match; it is kept for the user
        return False
    return agent.semantic_form(doc) == agent.semantic_form(original)
