"""A table-driven `AgentIntegration`: every supported agent keeps its hooks in a JSON object
under `"hooks"`, keyed by event, in one of two layouts.

* grouped (Claude Code, Gemini CLI, Codex): event -> [ {"matcher": M, "hooks": [handler]} ]
* flat (Cursor, Copilot CLI): event -> [ handler ], a matcher (if any) inside the handler

bastion's entries are the handlers whose command `is_bastion_hook` recognises; everything else
(other handlers, other groups, unknown keys) is left exactly where it was."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bastion.hooks.command import is_bastion_hook
from bastion.integrations.interface import (
    AgentIntegration,
    Change,
    FoundHook,
    IntegrationError,
    Scope,
)

COMMAND = object()  # placeholder in a handler template for the hook command


@dataclass(frozen=True)
class HookSlot:
    """One event bastion hooks, with its matcher (None: omitted, i.e. every tool)."""

    event: str
    matcher: str | None
    handler: tuple[tuple[str, object], ...]  # key order as written; COMMAND marks the command

    def make_handler(self, command: str, *, matcher_inside: bool) -> dict[str, Any]:
        made = {key: command if value is COMMAND else value for key, value in self.handler}
        if matcher_inside and self.matcher is not None:
            made["matcher"] = self.matcher
        return made

    def make_group(self, command: str) -> dict[str, Any]:
        group: dict[str, Any] = {} if self.matcher is None else {"matcher": self.matcher}
        group["hooks"] = [self.make_handler(command, matcher_inside=False)]
        return group


@dataclass(frozen=True)
class AgentSpec:
    name: str
    cli_names: tuple[str, ...]
    home_dir: str  # the agent's directory under $HOME
    home_env: str | None  # environment variable that relocates it (CODEX_HOME, ...)
    user_file: str  # relative to the agent's directory
    project_file: str  # relative to the project
    default_scope: Scope
    grouped: bool
    slots: tuple[HookSlot, ...]
    command_keys: tuple[str, ...] = ("command",)
    frame: tuple[tuple[str, object], ...] = ()  # top-level keys a new file starts with
    notes: tuple[tuple[Scope | None, str], ...] = field(default=())


class HookTableIntegration(AgentIntegration):
    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.default_scope = spec.default_scope
        self.cli_names = spec.cli_names

    # -- where -------------------------------------------------------------------------------

    def config_dir(self, home: Path) -> Path:
        relocated = os.environ.get(self.spec.home_env) if self.spec.home_env else None
        return Path(relocated) if relocated else home / self.spec.home_dir

    def settings_path(self, scope: Scope, home: Path, project: Path) -> Path:
        if scope is Scope.USER:
            return self.config_dir(home) / self.spec.user_file
        return project / self.spec.project_file

    def notes(self, scope: Scope) -> tuple[str, ...]:
        return tuple(text for when, text in self.spec.notes if when in (None, scope))

    # -- what --------------------------------------------------------------------------------

    def _is_ours(self, handler: Any) -> bool:
        return isinstance(handler, dict) and any(
            isinstance(handler.get(key), str) and is_bastion_hook(handler[key])
            for key in self.spec.command_keys
        )

    def _command_of(self, handler: dict[str, Any]) -> str:
        for key in self.spec.command_keys:
            value = handler.get(key)
            if isinstance(value, str) and is_bastion_hook(value):
                return value
        return ""

    def _hooks(self, doc: dict[str, Any], *, create: bool) -> dict[str, Any] | None:
        hooks = doc.get("hooks")
        if hooks is None and create:
            hooks = doc["hooks"] = {}
        if hooks is not None and not isinstance(hooks, dict):
            raise IntegrationError(
                f"'hooks' is a {type(hooks).__name__}, expected an object; left untouched"
            )
        return hooks

    def _located(self, entries: list[Any]) -> Iterator[tuple[dict[str, Any] | None, int, Any]]:
        """(group or None for flat, index in its list, handler) for every handler."""
        for index, item in enumerate(entries):
            if not self.spec.grouped:
                yield None, index, item
            elif isinstance(item, dict) and isinstance(item.get("hooks"), list):
                for inner, handler in enumerate(item["hooks"]):
                    yield item, inner, handler

    def found(self, doc: dict[str, Any]) -> tuple[FoundHook, ...]:
        hooks = doc.get("hooks")
        if not isinstance(hooks, dict):
            return ()
        result = []
        for event, entries in hooks.items():
            if not isinstance(entries, list):
                continue
            for group, _, handler in self._located(entries):
                if self._is_ours(handler):
                    holder = group if group is not None else handler
                    matcher = holder.get("matcher")
                    result.append(
                        FoundHook(
                            event,
                            matcher if isinstance(matcher, str) else None,
                            self._command_of(handler),
                        )
                    )
        return tuple(result)

    # -- install -----------------------------------------------------------------------------

    def _add_frame(self, doc: dict[str, Any]) -> None:
        missing = [(k, v) for k, v in self.spec.frame if k not in doc]
        if missing:
            # The frame keys go first, as the agents' own examples write them.
            rest = list(doc.items())
            doc.clear()
            doc.update(missing)
            doc.update(rest)

    def apply(self, doc: dict[str, Any], command: str) -> tuple[Change, ...]:
        self._add_frame(doc)
        hooks = self._hooks(doc, create=True)
        assert hooks is not None
        changes = []
        for slot in self.spec.slots:
            entries = hooks.setdefault(slot.event, [])
            if not isinstance(entries, list):
                raise IntegrationError(
                    f"'hooks.{slot.event}' is a {type(entries).__name__}, expected a list; "
                    "left untouched"
                )
            before = copy.deepcopy(entries)
            had_ours = any(self._is_ours(h) for _, _, h in self._located(entries))
            if self.spec.grouped:
                self._place_grouped(entries, slot, command)
            else:
                self._place_flat(entries, slot, command)
            action = "unchanged" if entries == before else ("updated" if had_ours else "added")
            changes.append(Change(slot.event, action, slot.matcher))
        return tuple(changes)

    def _place_flat(self, entries: list[Any], slot: HookSlot, command: str) -> None:
        desired = slot.make_handler(command, matcher_inside=True)
        ours = [i for i, handler in enumerate(entries) if self._is_ours(handler)]
        if not ours:
            entries.append(desired)
            return
        for index in reversed(ours[1:]):  # duplicates would run the guard twice
            del entries[index]
        # bastion's own handler is rewritten whole, in place: keys someone added to it (an
        # `async`, a narrower matcher) could quietly switch the guard off.
        entries[ours[0]] = desired

    def _place_grouped(self, entries: list[Any], slot: HookSlot, command: str) -> None:
        ours = [(g, i) for g, i, h in self._located(entries) if self._is_ours(h)]
        if not ours:
            entries.append(slot.make_group(command))
            return
        for group, index in reversed(ours[1:]):
            assert group is not None
            del group["hooks"][index]
        entries[:] = [e for e in entries if not _emptied(e, ours)]
        group, index = ours[0]
        assert group is not None
        position = next(i for i, e in enumerate(entries) if e is group)
        if all(self._is_ours(h) for h in group["hooks"]):
            # A group of bastion's own: make it exactly what install writes, where it stands.
            entries[position] = slot.make_group(command)
        elif group.get("matcher") == slot.matcher:
            group["hooks"][index] = slot.make_handler(command, matcher_inside=False)
        else:
            # Shares a group of the user's with another matcher: leave their group be and give
            # bastion its own, so its coverage does not depend on their matcher.
            del group["hooks"][index]
            entries.append(slot.make_group(command))

    # -- uninstall ---------------------------------------------------------------------------

    def strip(self, doc: dict[str, Any]) -> tuple[Change, ...]:
        hooks = doc.get("hooks")
        if not isinstance(hooks, dict):
            return ()
        changes = []
        for event in list(hooks):
            entries = hooks[event]
            if not isinstance(entries, list):
                continue
            ours = [(g, i) for g, i, h in self._located(entries) if self._is_ours(h)]
            if not ours:
                continue
            for group, index in reversed(ours):
                if group is None:
                    del entries[index]
                else:
                    del group["hooks"][index]
            entries[:] = [e for e in entries if not _emptied(e, ours)]
            changes.append(Change(event, "removed"))
            if not entries:  # an event list bastion emptied goes, as if never added
                del hooks[event]
        if changes and not hooks:
            del doc["hooks"]
        return tuple(changes)

    def semantic_form(self, doc: dict[str, Any]) -> dict[str, Any]:
        """`doc` as the agent sees it: an empty event list or `"hooks": {}` means nothing."""
        form = copy.deepcopy(doc)
        hooks = form.get("hooks")
        if isinstance(hooks, dict):
            for event in [e for e, v in hooks.items() if v == []]:
                del hooks[event]
            if not hooks:
                del form["hooks"]
        return form

    def is_skeleton(self, doc: dict[str, Any]) -> bool:
        form = self.semantic_form(doc)
        for key, value in self.spec.frame:
            if form.get(key) == value:
                del form[key]
        return not form


def _emptied(entry: Any, ours: list[tuple[dict[str, Any] | None, int]]) -> bool:
    """A group that held bastion handlers and now holds none is bastion's: it goes too."""
    return (
        isinstance(entry, dict)
        and entry.get("hooks") == []
        and any(group is entry for group, _ in ours)
    )
