"""Resolve a path the way the kernel will: `~`, `..` and every symlink on the way, on the real disk.

`os.path.realpath` gives the answer but not the story: the jail also needs to know that a symlink
was crossed (to say so in the nudge), where the existing part of a not-yet-created path ends, and
to refuse paths the kernel would refuse anyway (NUL, over-long) rather than guess about them."""

from __future__ import annotations

import os
import posixpath
import pwd
import stat
from dataclasses import dataclass

PATH_MAX = 4096
NAME_MAX = 255
MAX_SYMLINKS = 40  # Linux's own limit before ELOOP


class PathRejected(ValueError):
    """A path no access may use: NUL byte, too long, a symlink loop."""

    def __init__(self, text: str, why: str) -> None:
        super().__init__(why)
        self.text = text
        self.why = why


@dataclass(frozen=True)
class ResolvedPath:
    given: str
    """The path as written (before `~` and the cwd)."""
    lexical: str
    """Absolute, `~` expanded, `.`/`..` folded by text alone: the name the agent used."""
    real: str
    """Every existing component with its symlinks resolved; the missing rest appended."""
    links: tuple[tuple[str, str], ...] = ()
    """(symlink, what it points to) for each symlink crossed, in order."""
    exists: bool = True
    ancestor: str = ""
    """The nearest existing ancestor, resolved (the path itself when it exists)."""
    remainder: tuple[str, ...] = ()
    """Components below `ancestor` that do not exist yet."""

    @property
    def crossed_symlink(self) -> bool:
        return bool(self.links)


def expand_user(text: str, home: str) -> str:
    """`~` and `~/x` to the home; `~user/x` to that user's home when the user exists."""
    if not text.startswith("~"):
        return text
    name, sep, rest = text[1:].partition("/")
    if not name:
        return home.rstrip("/") + "/" + rest if sep else home
    try:
        base = pwd.getpwnam(name).pw_dir
    except (KeyError, ValueError):
        return text  # bash keeps an unknown ~user as written
    return base.rstrip("/") + "/" + rest if sep else base


def normalise(path: str) -> str:
    normal = posixpath.normpath(path)
    return "/" + normal.lstrip("/") if normal.startswith("//") else normal


def absolute(text: str, cwd: str, home: str) -> str:
    expanded = expand_user(text, home)
    return expanded if expanded.startswith("/") else posixpath.join(cwd or "/", expanded)


def check_limits(text: str, path: str) -> None:
    if "\x00" in text:
        raise PathRejected(text, "the path contains a NUL byte")
    try:
        encoded = os.fsencode(path)
    except UnicodeEncodeError as exc:
        raise PathRejected(text, "the path is not valid text for the filesystem") from exc
    if len(encoded) >= PATH_MAX:
        raise PathRejected(text, f"the path is {len(encoded)} bytes long (limit {PATH_MAX - 1})")
    for part in encoded.split(b"/"):
        if len(part) > NAME_MAX:
            raise PathRejected(
                text, f"a path component is {len(part)} bytes long (limit {NAME_MAX})"
            )


def resolve_path(text: str, cwd: str, home: str, *, follow_final: bool = True) -> ResolvedPath:
    """Resolve `text` against `cwd` and `home`; raise PathRejected for a path no call may use.

    `follow_final=False` keeps a final symlink itself (what `rm link` removes). A trailing
    slash always follows it, as the kernel does."""
    joined = absolute(text, cwd, home)
    check_limits(text, joined)
    follow_final = follow_final or joined.endswith("/")
    parts = [p for p in joined.split("/") if p and p != "."]
    pending = parts[::-1]  # a stack: symlink targets are pushed back onto it
    resolved = "/"
    remainder: list[str] = []
    links: list[tuple[str, str]] = []
    hops = 0
    while pending:
        name = pending.pop()
        if name == "..":
            if remainder:
                remainder.pop()
            else:
                resolved = posixpath.dirname(resolved)
            continue
        if remainder:  # below a missing directory: nothing more on disk to look at
            remainder.append(name)
            continue
        candidate = posixpath.join(resolved, name)
        try:
            mode = os.lstat(candidate).st_mode
        except OSError:
            # Missing, not a directory, or unreadable: the kernel cannot go further either.
            remainder.append(name)
            continue
        last = not pending
        if stat.S_ISLNK(mode) and (follow_final or not last):
            hops += 1
            if hops > MAX_SYMLINKS:
                raise PathRejected(text, f"more than {MAX_SYMLINKS} symlinks (a loop?)")
            target = os.readlink(candidate)
            links.append((candidate, target))
            if target.startswith("/"):
                resolved = "/"
            pending.extend(p for p in reversed(target.split("/")) if p and p != ".")
            continue
        resolved = candidate
    real = posixpath.join(resolved, *remainder) if remainder else resolved
    return ResolvedPath(
        given=text,
        lexical=normalise(joined),
        real=normalise(real),
        links=tuple(links),
        exists=not remainder,
        ancestor=resolved,
        remainder=tuple(remainder),
    )
