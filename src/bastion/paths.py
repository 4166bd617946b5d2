"""Path sense: what a path operand really names, relative to the session's home, cwd and project."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

SYSTEM_DIRS = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/proc",
    "/root", "/sbin", "/srv", "/sys", "/usr", "/var", "/snap", "/home", "/Users", "/System",
    "/Library", "/Applications", "/private", "/mnt", "/media", "/nix",
)  # fmt: skip
NULL_DEVICES = frozenset(
    {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty", "/dev/zero"}
)
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/private/tmp")
_GLOB = frozenset("*?[")

# The classes a path can fall in; rules name them in with_target(...).
PATH_CLASSES = frozenset(
    {
        "root",
        "home",
        "system",
        "project-root",
        "project",
        "temp",
        "outside-project",
        "dynamic",
        "substituted",
        "null",
        "system-root",
    }
)


@dataclass(frozen=True)
class PathContext:
    cwd: str
    home: str
    project_root: str | None = None
    temp_dirs: tuple[str, ...] = TEMP_DIRS

    def resolve(self, text: str) -> str:
        """`~`, `~/x` and relative paths made absolute and normalised (`..` folded)."""
        if text == "~" or text.startswith("~/"):
            text = self.home + text[1:]
        elif text.startswith("~"):
            user, _, rest = text[1:].partition("/")
            text = posixpath.join(posixpath.dirname(self.home.rstrip("/")) or "/", user, rest)
        if not text.startswith("/"):
            text = posixpath.join(self.cwd or "/", text)
        normal = posixpath.normpath(text)
        return "/" if normal.startswith("//") and normal.strip("/") == "" else normal

    def classify(self, text: str | None, raw: str = "") -> frozenset[str]:
        """Path classes of an operand; `raw` tells a `$(...)` apart from a plain `$VAR`."""
        if text is None:
            if "$(" in raw or "`" in raw:
                return frozenset({"dynamic", "substituted"})
            return frozenset({"dynamic"})
        if not text:
            return frozenset()
        path = self.resolve(text)
        if path in NULL_DEVICES or path.startswith("/dev/fd/"):
            return frozenset({"null"})
        # `dir/*` (or `.*`, `?*`) names everything in dir: judge it as dir itself. A glob with
        # literal text (`*.txt`, `build-*`) names some entries in dir: judge it as one of them.
        while path != "/" and _matches_everything(posixpath.basename(path)):
            path = posixpath.dirname(path)
        return self._classes(path)

    def _classes(self, path: str) -> frozenset[str]:
        found: set[str] = set()
        home = posixpath.normpath(self.home) if self.home else ""
        project = posixpath.normpath(self.project_root) if self.project_root else ""
        if path == "/":
            found.add("root")
        if home and (path == home or _is_under(home, path)):
            found.add("home")  # the home dir itself, or a dir that holds it (/home)
        if project and path == project:
            found.add("project-root")
        if project and _is_under(path, project):
            found.add("project")
        elif any(path == t or _is_under(path, t) for t in self.temp_dirs):
            found.add("temp")
        else:
            if not (project and path == project):
                found.add("outside-project")
            if _is_system(path) and "home" not in found:
                found.add("system")
                if path in SYSTEM_DIRS:
                    found.add("system-root")
        return frozenset(found)


def _matches_everything(name: str) -> bool:
    """A glob with no literal text outside brackets: `*`, `.*`, `*.*`, `?*`, `[a-z]*`."""
    if not any(c in _GLOB for c in name):
        return False
    outside, depth = [], 0
    for c in name:
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        elif not depth:
            outside.append(c)
    return all(c in "*?." for c in outside)


def _is_under(path: str, parent: str) -> bool:
    return parent != path and path.startswith(parent.rstrip("/") + "/")


def _is_system(path: str) -> bool:
    """A system dir or one level below it (`/etc`, `/usr/lib`): deleting those breaks the host."""
    for top in SYSTEM_DIRS:
        if path == top:
            return True
        if _is_under(path, top):
            rest = path[len(top) + 1 :]
            return "/" not in rest
    return False
