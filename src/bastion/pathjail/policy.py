"""Where an access may go: the workspace fence, sensitive paths, write-protected paths.

Order of the checks, strongest first: a sensitive path (credentials, keys, `.env`) may be neither
read nor written; a protected path (start-up files, git hooks, agent and bastion settings:
things that change what runs later) may not be written or deleted; any other write must land in
the project, the temp directories or a configured extra directory, else it is asked about, or
denied for a system location. Names are judged as written and as resolved, and each symlink on
the way is judged too, so neither a symlink in the project nor a dotfile manager's link hides
what is really touched."""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bastion.model import Decision, Tier
from bastion.pathjail.glob import GlobSet
from bastion.pathjail.resolve import PathRejected, ResolvedPath, normalise, resolve_path
from bastion.paths import NULL_DEVICES, TEMP_DIRS

# Writing below these is denied, not asked: it changes the host for every user and program.
SYSTEM_PREFIXES = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/sbin", "/usr",
    "/proc", "/sys", "/root", "/var", "/snap", "/opt", "/nix", "/System", "/Library",
    "/Applications", "/private/etc", "/private/var",
)  # fmt: skip

INVALID = "path-invalid"
SENSITIVE = "path-sensitive"
PROTECTED = "path-protected"
SYSTEM_WRITE = "path-system-write"
OUTSIDE = "path-outside-workspace"


class Access(enum.StrEnum):
    READ = "read"
    WRITE = "write"
    DELETE = "delete"


@dataclass(frozen=True)
class PathIssue:
    rule_id: str
    decision: Decision
    tier: Tier
    message: str
    path: str
    """The resolved path the issue is about."""


def is_under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _real_variants(path: str) -> tuple[str, ...]:
    """A directory as written and as resolved (`/tmp` is `/private/tmp` on macOS)."""
    normal = normalise(path)
    return tuple(dict.fromkeys((normal, normalise(os.path.realpath(normal)))))


class PathPolicy:
    """Immutable after construction; one per configuration, shared by every call."""

    def __init__(
        self,
        home: str,
        *,
        sensitive: Sequence[str] = (),
        not_sensitive: Sequence[str] = (),
        protected: Sequence[str] = (),
        writable: Sequence[str] = (),
    ) -> None:
        self.home = normalise(home)
        homes = _real_variants(self.home)
        self.sensitive = GlobSet(sensitive, homes)
        self.not_sensitive = GlobSet(not_sensitive, homes)
        self.protected = GlobSet(protected, homes)
        roots: list[str] = []
        for entry in writable:
            directory = resolve_dir(entry.strip(), self.home)
            if directory is not None and normalise(directory) != "/":  # `/` = no fence at all
                roots.extend(_real_variants(directory))
        self.writable = tuple(dict.fromkeys(roots))

    # --- what a name is -------------------------------------------------------------------

    def sensitive_pattern(self, names: Iterable[str]) -> str | None:
        """The sensitive pattern one of `names` falls under, minus the exceptions.

        An exception (`.env.example`) only excuses the file it names: a path inside a sensitive
        directory (`~/.ssh/.env.example`) stays sensitive."""
        for name in names:
            hit = self.sensitive.first(name)
            if hit is None:
                continue
            if hit.below or not self.not_sensitive.exact(name):
                return hit.pattern
        return None

    def protected_pattern(self, names: Iterable[str]) -> str | None:
        for name in names:
            hit = self.protected.first(name)
            if hit is not None:
                return hit.pattern
        return None

    def fence(self, project_root: str | None) -> tuple[str, ...]:
        roots = list(self.writable)
        if project_root and normalise(project_root) != "/":
            roots[:0] = _real_variants(project_root)
        return tuple(dict.fromkeys(roots))

    # --- judging ---------------------------------------------------------------------------

    def judge_text(
        self, text: str, cwd: str, access: Access, project_root: str | None
    ) -> list[PathIssue]:
        """Resolve `text` (relative to `cwd`) and judge it; a path no call may use is a deny."""
        if text in NULL_DEVICES:
            return []
        try:
            resolved = resolve_path(text, cwd, self.home, follow_final=access is not Access.DELETE)
        except PathRejected as exc:
            shown = text if len(text) <= 80 else text[:77] + "..."
            message = (
                f"Refusing the path {shown!r}: {exc.why}. Use a plain path of normal length "
                "(no NUL bytes, no symlink loops)."
            )
            return [PathIssue(INVALID, Decision.DENY, Tier.RED, message, shown.replace("\x00", ""))]
        return self.judge(resolved, access, project_root)

    def judge(
        self, resolved: ResolvedPath, access: Access, project_root: str | None
    ) -> list[PathIssue]:
        if resolved.lexical in NULL_DEVICES or resolved.lexical.startswith("/dev/fd/"):
            return []
        names = (resolved.lexical, resolved.real, *(link for link, _ in resolved.links))
        shown = _shown(resolved)
        pattern = self.sensitive_pattern(names)
        if pattern is not None:
            inside = any(is_under(resolved.real, root) for root in self.fence(project_root))
            return [_sensitive(shown, pattern, access, resolved.real, inside)]
        if access is Access.READ:
            return []
        pattern = self.protected_pattern(names)
        if pattern is not None:
            message = (
                f"{shown} changes what runs later (matches the protected path {pattern!r}: "
                "shell start-up files, git hooks and config, agent settings, bastion's own "
                "files), so an agent may not write or delete it. Make the change inside the "
                "project and tell the user what to add there themselves."
            )
            return [PathIssue(PROTECTED, Decision.DENY, Tier.RED, message, resolved.real)]
        fence = self.fence(project_root)
        if any(is_under(resolved.real, root) for root in fence):
            return []
        where = f"the project ({project_root})" if project_root else "the project"
        if _is_system(resolved.real):
            message = (
                f"{shown} is a system location: an agent may not {access} it. Work inside "
                f"{where} or /tmp; changes to the system are for the user to make."
            )
            return [PathIssue(SYSTEM_WRITE, Decision.DENY, Tier.RED, message, resolved.real)]
        message = (
            f"{shown} is outside the workspace: {where}, the temp directories and "
            f"paths.extra_writable. Keep the {access} inside the project (or /tmp), or ask the "
            "user to add the directory to paths.extra_writable."
        )
        return [PathIssue(OUTSIDE, Decision.ASK, Tier.YELLOW, message, resolved.real)]


def resolve_dir(entry: str, home: str) -> str | None:
    """A configured directory: `~` is the home, `$TMPDIR` (only at the start) the env's; None
    when it names nothing (an unset TMPDIR, a relative path)."""
    if entry.startswith("$TMPDIR"):
        tmp = os.environ.get("TMPDIR", "")
        if not tmp.startswith("/"):
            return None
        entry = tmp.rstrip("/") + entry[len("$TMPDIR") :]
    if entry == "~" or entry.startswith("~/"):
        entry = home + entry[1:]
    return entry if entry.startswith("/") else None


def _is_system(path: str) -> bool:
    if any(is_under(path, t) for t in TEMP_DIRS):
        return False
    return any(is_under(path, p) for p in SYSTEM_PREFIXES)


def _shown(resolved: ResolvedPath) -> str:
    given = resolved.given if len(resolved.given) <= 120 else resolved.given[:117] + "..."
    text = f"'{given}'"
    if resolved.links:
        link, target = resolved.links[0]
        text += f" (through the symlink {link} -> {target}, really {resolved.real})"
    elif resolved.real != resolved.given:
        text += f" ({resolved.real})"
    return text


def _sensitive(
    shown: str, pattern: str, access: Access, real: str, inside: bool = False
) -> PathIssue:
    if access is Access.READ:
        message = (
            f"{shown} holds credentials or keys (sensitive path {pattern!r}); reading it would "
            "put secrets into the conversation. Do not read it: ask the user for the one "
            "non-secret value you need, or use a template such as .env.example."
        )
    elif inside:
        # Writing the project's own .env or key file (generating config) is work a human
        # should confirm, not a leak: reading is what puts the secret in the conversation.
        message = (
            f"{shown} holds credentials or keys (sensitive path {pattern!r}); changing it may "
            "destroy a secret that exists nowhere else. Confirm with the user first."
        )
        return PathIssue(SENSITIVE, Decision.ASK, Tier.YELLOW, message, real)
    else:
        message = (
            f"{shown} holds credentials or keys (sensitive path {pattern!r}); an agent may not "
            f"{access} it. Ask the user to make this change."
        )
    return PathIssue(SENSITIVE, Decision.DENY, Tier.RED, message, real)
