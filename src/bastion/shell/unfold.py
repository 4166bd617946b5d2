"""Unfold wrappers: `sudo nice -n 5 timeout 10 rm -rf /` runs `rm -rf /`, so rules must see it.

Each wrapper is described by data (which options take a value, how many positional words come
before the wrapped command); one loop strips them all. The wrapper itself stays in the result
too, so rules about `sudo` still see `sudo`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bastion.shell.syntax import SimpleCommand, Word

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_MAX_WRAPPERS = 16
_MAX_GLOB_NAMES = 32
_MAX_JOBS = 8
RUNTIME_INPUT = "$__bastion_input"  # reads as an unknown variable wherever it is re-parsed
FILE_INPUT = "$__bastion_file_input"  # xargs -a FILE: items from a file, never from the pipe
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Wrapper:
    takes_value: frozenset[str] = frozenset()
    positionals: int = 0
    """Words before the wrapped command (`timeout 10 cmd`: one)."""
    skips_assignments: bool = False
    no_command_flags: frozenset[str] = frozenset()
    """Flags after which nothing is run (`command -v rm` only looks rm up)."""


def _w(
    takes_value: str = "",
    positionals: int = 0,
    assignments: bool = False,
    no_command: str = "",
) -> Wrapper:
    return Wrapper(
        frozenset(takes_value.split()),
        positionals,
        assignments,
        frozenset(no_command.split()),
    )


WRAPPERS: dict[str, Wrapper] = {
    "sudo": _w("-u -g -C -D -h -p -r -t -U -T --user --group --chdir --prompt --host "
               "--role --type --close-from --other-user --command-timeout", assignments=True,
               no_command="-l -v -k -K -V --list --validate --version"),
    "doas": _w("-u -C", no_command="-C"),
    "env": _w("-u -C -S -P --unset --chdir --split-string", assignments=True,
              no_command="--help --version"),
    "command": _w(no_command="-v -V"),
    "builtin": _w(),
    "exec": _w("-a"),
    "nohup": _w(),
    "setsid": _w(),
    "nice": _w("-n --adjustment"),
    "ionice": _w("-c -n -p -P -u --class --classdata", no_command="-p -P -u --pid --pgid --uid"),
    "timeout": _w("-s -k --signal --kill-after", positionals=1),
    "stdbuf": _w("-i -o -e --input --output --error"),
    "time": _w("-f -o --format --output"),
    "chrt": _w("", positionals=1, no_command="-p --pid"),
    "taskset": _w("", positionals=1, no_command="-p --pid"),
    "strace": _w("-o -e -p -s -u -a -b -E -I -O -S -P -X --output --expr --user --env"),
    "ltrace": _w("-o -e -p -s -u -a -n -A -D -F --output --user"),
    "busybox": _w(),
    "toybox": _w(),
    "xargs": _w("-I -J -d -E -L -n -P -s -a --delimiter --eof --max-lines --max-args "
                "--max-procs --max-chars --arg-file --replace --process-slot-var"),
    "unbuffer": _w(),
    "caffeinate": _w("-t -w"),
    "flock": _w("-w -E -c --timeout --conflict-exit-code", positionals=1),
    "firejail": _w(),
    "proxychains": _w("-f"),
    "proxychains4": _w("-f"),
    "torsocks": _w(),
    "catchsegv": _w(),
    "npx": _w("-p --package --node-options --cache"),
    "pnpx": _w("-p --package"),
    "bunx": _w("-p --package"),
    "parallel": _w("-j --jobs -S --sshlogin --delay --timeout -N -n -L -l --colsep -C -d "
                   "--delimiter -a --arg-file --joblog --results -I --tmpdir --workdir"),
    "doppler": _w("-p -c --project --config", positionals=0),
    "dotenv": _w("-e -c -v"),
}  # fmt: skip

# Tools that run a command after a subcommand: `bundle exec rake`, `docker exec db psql`.
# (subcommands, options taking a value, positional words before the command, until "--")
RUNNERS: dict[str, tuple[frozenset[str], frozenset[str], int, bool]] = {
    "bundle": (frozenset({"exec"}), frozenset(), 0, False),
    "poetry": (frozenset({"run"}), frozenset({"-C", "--directory", "-P", "--project"}), 0, False),
    "pipenv": (frozenset({"run"}), frozenset(), 0, False),
    "pdm": (frozenset({"run"}), frozenset({"-p", "--project"}), 0, False),
    "hatch": (frozenset({"run"}), frozenset({"-e", "--env"}), 0, False),
    "rye": (frozenset({"run"}), frozenset(), 0, False),
    "uv": (frozenset({"run"}), frozenset({"--with", "--python", "-p", "--project", "--directory",
                                          "--from", "--package", "--group", "--extra"}), 0, False),
    "conda": (frozenset({"run"}), frozenset({"-n", "--name", "-p", "--prefix", "--cwd"}), 0, False),
    "pixi": (frozenset({"run", "exec"}), frozenset({"-e", "--environment", "--manifest-path"}), 0,
             False),
    "pnpm": (frozenset({"exec", "dlx"}), frozenset({"--filter", "-F", "-C", "--dir"}), 0, False),
    "yarn": (frozenset({"exec", "dlx"}), frozenset(), 0, False),
    "npm": (frozenset({"exec", "x"}), frozenset({"-w", "--workspace", "-p", "--package"}), 0,
            False),
    "mise": (frozenset({"exec", "x"}), frozenset(), 0, True),
    "asdf": (frozenset({"exec"}), frozenset(), 0, False),
    "direnv": (frozenset({"exec"}), frozenset(), 1, False),
    "docker": (frozenset({"exec"}), frozenset({"-e", "--env", "-u", "--user", "-w", "--workdir",
                                               "--env-file", "--detach-keys"}), 1, False),
    "podman": (frozenset({"exec"}), frozenset({"-e", "--env", "-u", "--user", "-w", "--workdir",
                                               "--env-file", "--detach-keys"}), 1, False),
    "kubectl": (frozenset({"exec"}), frozenset(), 0, True),
    "oc": (frozenset({"exec", "rsh"}), frozenset(), 0, True),
}  # fmt: skip


def strip_runner(command: SimpleCommand) -> SimpleCommand | None:
    """`bundle exec rake db:drop` runs `rake db:drop`; `kubectl exec pod -- sh` runs `sh`."""
    base = command.base_name or ""
    spec = RUNNERS.get(base)
    if spec is None:
        return None
    subcommands, takes_value, positionals, until_dashes = spec
    words = command.args
    i = 0
    while i < len(words) and (words[i].text or "").startswith("-"):
        i += 1  # options before the subcommand (`docker --context x exec`)
    if i >= len(words) or words[i].text not in subcommands:
        return None
    i += 1
    if until_dashes:
        texts = [w.text for w in words]
        if "--" not in texts[i:]:
            return None
        rest = words[texts.index("--", i) + 1 :]
    else:
        while i < len(words):
            text = words[i].text
            if text is None or not text.startswith("-"):
                break
            i += 2 if text in takes_value else 1
        rest = words[i + positionals :]
    if not rest:
        return None
    return replace(command, words=tuple(rest), via=(*command.via, base))


# Options that carry their value glued on (`-n10`, `--signal=KILL`) need no special case: they
# are one word. Short options with a separate value are listed in `takes_value`.


def strip_wrapper(command: SimpleCommand) -> SimpleCommand | None:
    """The command a wrapper runs, or None when `command` is no wrapper (or runs nothing)."""
    base = command.base_name
    spec = WRAPPERS.get(base or "")
    if spec is None:
        return None
    words = command.words[1:]
    i = 0
    positionals = spec.positionals
    while i < len(words):
        text = words[i].text
        if text is None:
            break
        if text == "--":
            i += 1
            break
        if text.startswith("-") and len(text) > 1:
            name = text.split("=", 1)[0]
            if name in spec.no_command_flags:
                return None
            if "=" not in text and name in spec.takes_value:
                i += 1
            elif not text.startswith("--") and len(text) > 2 and text[:2] in spec.takes_value:
                pass  # `-n10`: value glued on
            i += 1
            continue
        if base == "env" and text == "-":
            i += 1  # `env -` is `env -i`
            continue
        if spec.skips_assignments and _ASSIGNMENT.match(text):
            i += 1
            continue
        if positionals:
            positionals -= 1
            i += 1
            continue
        break
    rest = words[i:]
    if not rest:
        return None
    return replace(command, words=tuple(rest), via=(*command.via, base or ""))


def glob_candidates(command: SimpleCommand, known: Iterable[str]) -> list[SimpleCommand]:
    """`/???/r?` may be `/bin/rm`: a globbed name stands for every known command it matches."""
    base = command.base_name
    if base is None or ("*" not in base and "?" not in base and "[" not in base):
        return []
    if "/" not in (command.words[0].text or ""):
        return []  # a bare `r?` globs the cwd's files, not the PATH: only `/???/r?` reaches rm
    if not (set(base) - _GLOB_CHARS - {"]"}):
        return []  # a bare `*` runs whatever file sorts first: nothing to go on
    names = [n for n in known if fnmatch.fnmatchcase(n, base)][:_MAX_GLOB_NAMES]
    return [
        replace(command, words=(Word.literal(name), *command.words[1:]),
                via=(*command.via, f"glob {base}"))
        for name in sorted(names)
    ]  # fmt: skip


def unfold_command(command: SimpleCommand, known: Iterable[str] = ()) -> list[SimpleCommand]:
    """The command and each command it wraps, outermost first (find -exec adds its own)."""
    found = [command]
    globbed = glob_candidates(command, known)
    if globbed:
        found.extend(c for g in globbed for c in unfold_command(g, ()))
        return found
    current = command
    for _ in range(_MAX_WRAPPERS):
        if current.base_name == "find":
            found.extend(c for a in find_actions(current) for c in unfold_command(a, known))
            break
        if current.base_name == "parallel":
            found.extend(c for j in parallel_jobs(current) for c in unfold_command(j, known))
            break
        inner = strip_wrapper(current) or strip_runner(current)
        if inner is None:
            break
        if current.base_name == "xargs":
            inner = _xargs_placeholders(current, inner)
        found.append(inner)
        current = inner
    return found


_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_FIND_TESTS = frozenset({
    "-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-type", "-mtime", "-mmin",
    "-atime", "-amin", "-ctime", "-cmin", "-newer", "-size", "-user", "-group", "-perm",
    "-empty", "-links", "-inum", "-samefile", "-wholename", "-iwholename", "-lname", "-uid",
})  # fmt: skip


def find_actions(command: SimpleCommand) -> list[SimpleCommand]:
    """`find P -exec rm -rf {} +` runs `rm -rf P/...`; `find P -delete` deletes under P.

    `{}` stands for the search path itself when nothing filters the walk, else for a child
    of it, so path sense can judge what the action will touch.
    """
    words = command.args
    paths: list[Word] = []
    i = 0
    while i < len(words) and not (words[i].text or "").startswith(("-", "(", "!")):
        paths.append(words[i])
        i += 1
    root_word = paths[0] if paths else Word.literal(".")
    if root_word.text is None:
        return _find_actions_unknown_root(command, root_word)
    root = root_word.text
    texts = [w.text for w in words[i:]]
    filtered = any(t in _FIND_TESTS for t in texts)
    placeholder = (root.rstrip("/") + "/{}") if filtered else root
    actions: list[SimpleCommand] = []
    j = 0
    rest = words[i:]
    while j < len(rest):
        text = rest[j].text
        if text in _FIND_EXEC:
            k = j + 1
            argv: list[Word] = []
            while k < len(rest) and rest[k].text not in (";", "+", "\\;"):
                word = rest[k]
                if word.text is not None and "{}" in word.text:
                    word = Word(
                        raw=word.raw,
                        text=word.text.replace("{}", placeholder),
                        start=word.start,
                        end=word.end,
                    )
                argv.append(word)
                k += 1
            if argv:
                actions.append(
                    replace(command, words=tuple(argv), via=(*command.via, f"find {text}"))
                )
            j = k + 1
            continue
        if text == "-delete":
            flag = "-f" if filtered else "-rf"
            target = placeholder
            actions.append(
                replace(
                    command,
                    words=(Word.literal("rm"), Word.literal(flag), Word.literal(target)),
                    via=(*command.via, "find -delete"),
                )
            )
        j += 1
    return actions


def _find_actions_unknown_root(command: SimpleCommand, root: Word) -> list[SimpleCommand]:
    """`find "$DIR" -delete`: what is deleted is as unknown as `$DIR`."""
    texts = [w.text for w in command.args]
    if "-delete" not in texts and not _FIND_EXEC & set(t for t in texts if t):
        return []
    unknown = Word(raw=root.raw, text=None, start=root.start, end=root.end)
    return [
        replace(command, words=(Word.literal("rm"), Word.literal("-rf"), unknown),
                via=(*command.via, "find"))
    ] if "-delete" in texts else []  # fmt: skip


_PARALLEL_SEPARATORS = frozenset({":::", "::::", ":::+", "::::+"})


def parallel_jobs(command: SimpleCommand) -> list[SimpleCommand]:
    """`parallel CMD ::: a b` runs `CMD a` and `CMD b`; with no CMD each input is a command."""
    texts = [w.text for w in command.words]
    cut = next((i for i, t in enumerate(texts) if t in _PARALLEL_SEPARATORS), len(texts))
    head = replace(command, words=command.words[:cut])
    inputs = [w for w in command.words[cut + 1 :] if w.text not in _PARALLEL_SEPARATORS]
    inner = strip_wrapper(head)
    via = (*command.via, "parallel")
    if inner is None:  # no command: every input is a shell command line
        return [
            replace(command, words=(Word.literal("sh"), Word.literal("-c"), w), via=via)
            for w in inputs[:_MAX_JOBS]
        ]
    if not inputs:
        inputs = [Word(raw=RUNTIME_INPUT, text=None)]
    jobs: list[SimpleCommand] = []
    for value in inputs[:_MAX_JOBS]:
        words = [_fill(w, value) for w in inner.words]
        if not any(w.text is not None and "{}" in w.text for w in inner.words):
            words.append(value)
        jobs.append(replace(inner, words=tuple(words), via=via))
    return jobs


def _fill(word: Word, value: Word) -> Word:
    if word.text is None or "{}" not in word.text:
        return word
    if value.text is None:
        return Word(raw=word.text.replace("{}", RUNTIME_INPUT), text=None, start=word.start,
                    end=word.end)  # fmt: skip
    return Word(raw=word.raw, text=word.text.replace("{}", value.text), start=word.start,
                end=word.end)  # fmt: skip


def _xargs_placeholders(xargs: SimpleCommand, inner: SimpleCommand) -> SimpleCommand:
    """With `-I{}` the replace string stands for input not known here: make it dynamic."""
    texts = [w.text for w in xargs.args]
    # `-a FILE` reads the items from FILE, not the pipe: what a pipe carries says nothing.
    own = texts[: max(0, len(texts) - len(inner.words))]  # xargs' options, not the command's
    from_file = any(
        t is not None and (t in ("-a", "--arg-file") or t.startswith(("--arg-file=", "-a")))
        for t in own
    )
    placeholder = FILE_INPUT if from_file else RUNTIME_INPUT
    marker: str | None = None
    for i, text in enumerate(texts):
        if text in ("-I", "-J") and i + 1 < len(texts):
            marker = texts[i + 1]
        elif text == "--replace":
            marker = "{}"
        elif text is not None and text.startswith("-I") and len(text) > 2:
            marker = text[2:]
        elif text is not None and (text == "-i" or text.startswith("--replace=")):
            marker = text.partition("=")[2] or "{}"
    if not marker:
        # Plain xargs appends what it reads: operands known only at run time.
        return replace(inner, words=(*inner.words, Word(raw=placeholder, text=None)))
    # The raw text keeps the shape with a variable in place of the input, so `sh -c 'rm -rf {}'`
    # still reads as code: `rm -rf $__bastion_input`.
    words = tuple(
        Word(raw=w.text.replace(marker, placeholder), text=None, start=w.start, end=w.end)
        if w.text is not None and marker in w.text
        else w
        for w in inner.words
    )
    return replace(inner, words=words)


def shell_payload(command: SimpleCommand) -> Word | None:
    """The code string a shell runs with `-c` (`bash -lc '...'`), or `eval`'s joined words."""
    base = command.base_name
    if base == "eval":
        if not command.args:
            return None
        texts = [w.text for w in command.args]
        if any(t is None for t in texts):
            return Word(raw=" ".join(w.raw for w in command.args), text=None)
        return Word.literal(" ".join(t for t in texts if t is not None))
    if base in ("su", "runuser"):
        texts = [w.text for w in command.args]
        for i, text in enumerate(texts):
            if text in ("-c", "--command") and i + 1 < len(texts):
                return command.args[i + 1]
            if text is not None and text.startswith("--command="):
                return Word.literal(text.partition("=")[2])
        return None
    if base == "ssh":
        return _ssh_command(command.args)
    if base == "watch":
        rest = _after_options(command.args, frozenset({"-n", "--interval"}))
        if not rest:
            return None
        if any(w.text is None for w in rest):
            return Word(raw=" ".join(w.raw for w in rest), text=None)
        return Word.literal(" ".join(w.text or "" for w in rest))
    if base not in SHELLS:
        return None
    args = command.args
    for i, word in enumerate(args):
        text = word.text
        if text is None or not text.startswith("-") or text in ("-", "--"):
            return None
        if text.startswith("-") and not text.startswith("--") and "c" in text[1:]:
            return args[i + 1] if i + 1 < len(args) else None
    return None


_SSH_VALUES = frozenset(
    [
        "-p",
        "-i",
        "-l",
        "-o",
        "-F",
        "-J",
        "-L",
        "-R",
        "-D",
        "-b",
        "-c",
        "-E",
        "-e",
        "-m",
        "-O",
        "-Q",
        "-S",
        "-W",
        "-w",
        "-B",
        "-I",
    ]
)


def _ssh_command(words: tuple[Word, ...]) -> Word | None:
    """`ssh [options] host command...`: the remote command, run by the remote user's shell."""
    i = 0
    while i < len(words):
        text = words[i].text
        if text is None:
            return None
        if not text.startswith("-"):
            break
        i += 2 if text in _SSH_VALUES else 1
    rest = words[i + 1 :]
    if not rest:
        return None
    if any(w.text is None for w in rest):
        return Word(raw=" ".join(w.raw for w in rest), text=None)
    return Word.literal(" ".join(w.text or "" for w in rest))


def _after_options(words: tuple[Word, ...], takes_value: frozenset[str]) -> tuple[Word, ...]:
    i = 0
    while i < len(words):
        text = words[i].text
        if text is None or not text.startswith("-"):
            break
        i += 2 if text in takes_value else 1
    return words[i:]


SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "busybox-sh"})
