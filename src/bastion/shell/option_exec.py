"""Ordinary tools that run a command given in an option: `sort --compress-program=X`,
`tar --checkpoint-action=exec=X`, `git -c core.pager=X`, `rg --pre X`, `man -P X`, awk's
`system("X")`, vim's `-c ':!X'`. Each yields the command text it would run, for re-parsing."""

from __future__ import annotations

from collections.abc import Iterator

from bastion.rules.regexes import compile_regex
from bastion.shell.syntax import SimpleCommand

# command -> options whose value is a command line (long options also match `--opt=value`)
EXEC_OPTIONS: dict[str, tuple[str, ...]] = {
    "sort": ("--compress-program",),
    "tar": ("--checkpoint-action", "--to-command", "-I", "--use-compress-program",
            "--rsh-command", "-F", "--info-script", "--new-volume-script"),
    "zip": ("-TT", "--unzip-command"),
    "rg": ("--pre", "--hostname-bin"),
    "ag": ("--pager",),
    "man": ("-P", "--pager", "-H", "--html"),
    "rsync": ("-e", "--rsh", "--rsync-path"),
    "ssh": ("-o",),
    "scp": ("-S", "-o"),
    "sftp": ("-S", "-o"),
    "flock": ("-c", "--command"),
    "script": ("-c", "--command"),
    "env": ("-S", "--split-string"),
    "git": ("-c",),
    "less": ("--lesskey-src",),
    "strace": (),
    "dpkg": (),
    "mutt": ("-e",),
    "gdb": ("-ex", "--eval-command"),
    "lua": (),
    "nmap": ("--script",),
    "watch": (),
    "socat": (),
    "setarch": (),
    "ionice": (),
}  # fmt: skip

# Variables a tool runs as a command: `GIT_SSH_COMMAND=X git fetch`, `PAGER=X man ls`.
EXEC_VARIABLES = frozenset(
    {"GIT_SSH_COMMAND", "GIT_SSH", "GIT_PAGER", "GIT_EDITOR", "GIT_EXTERNAL_DIFF", "GIT_ASKPASS",
     "PAGER", "MANPAGER", "EDITOR", "VISUAL", "LESSOPEN", "LESSCLOSE", "BROWSER", "SUDO_ASKPASS",
     "SSH_ASKPASS", "PROMPT_COMMAND", "BASH_ENV", "ENV", "RSYNC_RSH", "CVS_RSH", "FCEDIT"}
)  # fmt: skip

# `-o ProxyCommand=X`, `-c core.pager=X`: keys whose value is a command.
_KEYED = compile_regex(
    r"(?i)(?:proxycommand|localcommand|knownhostscommand|core\.(?:pager|sshcommand|editor|"
    r"fsmonitor|hookspath|askpass)|alias\.[^=]+|diff\.[^=]*\.?external|credential\.helper|"
    r"sequence\.editor|gpg\.program|pager\.[^=]+|uploadpack|receivepack)=(.*)"
)
_AWK = compile_regex(
    r"""system\s*\(\s*"((?:\\.|[^\\"])*)"|"((?:\\.|[^\\"])*)"\s*\|&?\s*getline|\|&?\s*"((?:\\.|[^\\"])*)\""""
)
_VIM = compile_regex(
    r"""^[:\s]*!\s*(.+)$|system\s*\(\s*['"]([^'"]*)['"]|^[:\s]*(?:sh|shell|terminal)\b"""
)
AWKS = frozenset({"awk", "gawk", "mawk", "nawk", "busybox-awk"})
VIMS = frozenset({"vim", "vi", "nvim", "ex", "view", "rvim", "gvim", "vimdiff"})


def option_commands(command: SimpleCommand) -> Iterator[str]:
    """Command lines this command runs through its options, assignments or program text."""
    base = command.base_name or ""
    for name, assigned in command.assignments:
        if name in EXEC_VARIABLES and assigned.text:
            yield assigned.text
    texts = [w.text for w in command.args]
    if base in AWKS:
        yield from _awk(texts)
        return
    if base in VIMS:
        yield from _vim(texts)
        return
    options = EXEC_OPTIONS.get(base, ())
    if base == "zip" and "-T" not in texts and "--test" not in texts:
        options = ()
    for i, text in enumerate(texts):
        if text is None:
            continue
        value: str | None = None
        for option in options:
            if text == option:
                nxt = texts[i + 1] if i + 1 < len(texts) else None
                value = nxt
            elif option.startswith("--") and text.startswith(option + "="):
                value = text[len(option) + 1 :]
            elif (
                not option.startswith("--")
                and len(option) == 2
                and text.startswith(option)
                and len(text) > 2
            ):
                value = text[2:]
            if value is not None:
                break
        if value is None:
            continue
        keyed = _KEYED.match(value)
        if keyed:
            yield keyed.group(1).lstrip("!")
        elif base == "tar" and value.startswith("exec="):
            yield value[5:]
        elif base in ("ssh", "scp", "sftp", "git"):
            continue  # other -o / -c keys are plain settings
        else:
            yield value


def _awk(texts: list[str | None]) -> Iterator[str]:
    for text in texts:
        if text is None or (text.startswith("-") and not text.startswith("-v")):
            continue
        for m in _AWK.finditer(text):
            found = next((g for g in m.groups() if g is not None), None)
            if found:
                yield found.replace('\\"', '"')


def _vim(texts: list[str | None]) -> Iterator[str]:
    for i, text in enumerate(texts):
        if text is None:
            continue
        script: str | None = None
        if text in ("-c", "--cmd") and i + 1 < len(texts):
            script = texts[i + 1]
        elif text.startswith("+"):
            script = text[1:]
        if not script:
            continue
        for part in script.split("|"):
            m = _VIM.search(part)
            if m is None:
                continue
            found = m.group(1) or m.group(2)
            yield found if found else "sh"
