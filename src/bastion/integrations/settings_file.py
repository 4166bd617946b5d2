"""Reading and writing an agent's JSON settings file without surprising its owner.

Refuses what it cannot edit faithfully (invalid JSON, comments, duplicate keys, a non-object)
and what the user does not control (a symlink into someone else's files, a file owned by another
account). Writes go through a temporary file in the same directory and `os.replace`, so the
agent never reads a half-written file, and keep the file's mode."""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bastion._files import write_atomically
from bastion.integrations.interface import IntegrationError

MAX_BYTES = 8 * 1024 * 1024  # settings files are small; a huge one is not something to rewrite
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class JsonStyle:
    """How the file was laid out, so a rewrite changes as few bytes as it can."""

    indent: str = "  "
    newline: str = "\n"
    trailing_newline: bool = True
    bom: bool = False


@dataclass(frozen=True)
class SettingsFile:
    path: Path  # as the user would name it
    real_path: Path  # where reads and writes go (symlinks resolved)
    raw: bytes | None  # None: the file does not exist yet
    data: dict[str, Any]
    style: JsonStyle
    mode: int | None  # permission bits of the existing file

    @property
    def exists(self) -> bool:
        return self.raw is not None


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads would keep only the last value; rewriting would silently drop the others.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(raw: bytes, where: Path) -> dict[str, Any]:
    """The JSON object in `raw`; an empty (whitespace-only) file counts as `{}`."""
    body = raw[len(BOM) :] if raw.startswith(BOM) else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntegrationError(f"{where}: not UTF-8 text ({exc}); left untouched") from exc
    if not text.strip():
        return {}
    try:
        data = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except ValueError as exc:
        hint = " (comments are not supported)" if re.search(r"^\s*//|/\*", text, re.M) else ""
        raise IntegrationError(
            f"{where}: not valid JSON{hint}: {exc}; left untouched, fix it and try again"
        ) from exc
    if not isinstance(data, dict):
        raise IntegrationError(
            f"{where}: expected a JSON object at the top level, found {type(data).__name__}; "
            "left untouched"
        )
    return data


def detect_style(raw: bytes) -> JsonStyle:
    text = raw.decode("utf-8", errors="replace")
    match = re.search(r"\n([ \t]+)\S", text)
    return JsonStyle(
        indent=match.group(1) if match else "  ",
        newline="\r\n" if "\r\n" in text else "\n",
        trailing_newline=text.endswith("\n") or not text.strip(),
        bom=raw.startswith(BOM),
    )


def render(data: dict[str, Any], style: JsonStyle) -> bytes:
    text = json.dumps(data, indent=style.indent, ensure_ascii=False)
    if style.trailing_newline:
        text += "\n"
    if style.newline != "\n":
        text = text.replace("\n", style.newline)
    return (BOM if style.bom else b"") + text.encode("utf-8")


def _owned(st: os.stat_result) -> bool:
    return st.st_uid == os.geteuid()


def check_controlled_dir(directory: Path) -> None:
    """The directory a settings file is written into must be the user's own and not writable
    by everyone: otherwise another account could swap the file between our check and write."""
    try:
        st = directory.stat()
    except FileNotFoundError:
        return  # created later by us, under a directory that passed this check
    if not stat.S_ISDIR(st.st_mode):
        raise IntegrationError(f"{directory}: not a directory")
    if not _owned(st):
        raise IntegrationError(
            f"{directory}: owned by another account (uid {st.st_uid}); refusing to write there"
        )
    if st.st_mode & stat.S_IWOTH:
        raise IntegrationError(f"{directory}: writable by every account; refusing to write there")


def resolve(path: Path, inside: Path | None = None) -> Path:
    """Where writes to `path` must go: a symlinked settings file (dotfile managers) is edited
    at its target so the link survives, but only if the target is the user's own and, for a
    project file, stays inside the project (a cloned repository must not be able to point
    `bastion install --project` at another file of the user's)."""
    real = Path(os.path.realpath(path))
    if real != path.absolute():
        if inside is not None and not real.is_relative_to(os.path.realpath(inside)):
            raise IntegrationError(
                f"{path}: resolves to {real}, outside the project {inside}; refusing"
            )
        try:
            st = real.stat()
        except FileNotFoundError:
            st = None
        if st is not None and not _owned(st):
            raise IntegrationError(
                f"{path}: a symlink to {real}, which belongs to another account; refusing"
            )
    check_controlled_dir(real.parent)
    return real


def read_settings(path: Path, inside: Path | None = None) -> SettingsFile:
    """The settings at `path`; `inside` confines a project file to its project."""
    real = resolve(path, inside)
    try:
        st = real.stat()
    except FileNotFoundError:
        return SettingsFile(path, real, None, {}, JsonStyle(), None)
    if not stat.S_ISREG(st.st_mode):
        raise IntegrationError(f"{real}: not a regular file; left untouched")
    if not _owned(st):
        raise IntegrationError(
            f"{real}: owned by another account (uid {st.st_uid}); left untouched "
            "(rewriting it would change its owner)"
        )
    if st.st_size > MAX_BYTES:
        raise IntegrationError(f"{real}: larger than {MAX_BYTES} bytes; left untouched")
    raw = real.read_bytes()
    data = parse_json_object(raw, real)
    return SettingsFile(path, real, raw, data, detect_style(raw), stat.S_IMODE(st.st_mode))


def default_mode() -> int:
    # The mode a new file would get from open(): 0o666 less the umask.
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Replace `path` with `data` in one step (a reader sees the old file or the new one)."""
    write_atomically(path, data, mode)


def ensure_unchanged(settings: SettingsFile) -> None:
    """Refuse to write over edits made since we read the file (the agent may be running)."""
    try:
        current: bytes | None = settings.real_path.read_bytes()
    except FileNotFoundError:
        current = None
    if current != settings.raw:
        raise IntegrationError(
            f"{settings.real_path}: changed while bastion was editing it; nothing written, "
            "run the command again"
        )
