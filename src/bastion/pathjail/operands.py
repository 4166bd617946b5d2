"""Which operands of a shell command are paths it reads, writes or deletes: one table.

Each command gets a `Spec`: how its positional operands are used (all read, a script then files,
sources then a destination, ...), which options take values (so a value is never mistaken for an
operand) and which option values are paths themselves (`sort -o FILE`, `curl -d @FILE`). A few
commands change meaning with a flag (`tar -c` reads its operands, `tar -x` writes into `-C`);
their `variants` say so. Nothing here touches the filesystem."""

from __future__ import annotations

import enum
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import re2

from bastion.pathjail.policy import Access
from bastion.shell.syntax import SimpleCommand, Word


class Use(enum.Enum):
    """How the positional operands are used."""

    NONE = "none"
    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    SCRIPT = "script"  # the first operand is a program or pattern (unless given by option)
    COPY = "copy"  # sources read, the last operand written
    MOVE = "move"  # sources read and removed, the last operand written
    SKIP_FIRST = "skip-first"  # a mode or owner, then files written (chmod, chown)
    FIRST_WRITE = "first-write"  # an archive written from the files after it (zip)
    FIRST_READ = "first-read"  # an archive read, member names after it (unzip)
    IN_OUT = "in-out"  # input file, then output file (uniq, xxd)
    OUT_IN = "out-in"  # file changed, then the file read (patch)


# Option value roles: a path read / written, a copy's destination directory, the directory later
# operands are relative to (`tar -C`), a script given by option (the first operand is then a
# file), and curl's `@file` spellings.
READ, WRITE, DEST, BASE, SCRIPT, SCRIPT_FILE = "read", "write", "dest", "base", "script", "sfile"
AT_READ, FORM_READ, ENCODED_READ = "at", "form", "encoded"

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Variant:
    when: frozenset[str]
    use: Use
    roles: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class Spec:
    use: Use
    values: Mapping[str, int] = field(default_factory=dict)
    """Canonical option -> how many words of value it takes."""
    roles: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    in_place: frozenset[str] = frozenset()
    """With one of these (sed -i) the files after the script are written, not only read."""
    attached_only: frozenset[str] = frozenset()
    """Options whose value can only be attached (`-i.bak`): never the next word."""
    skip_first: str | None = None
    """SKIP_FIRST: skip the first operand only when it fully matches this regex."""
    no_skip: frozenset[str] = frozenset()
    """SKIP_FIRST: with one of these (`--reference`) there is no first operand to skip."""
    no_target: frozenset[str] = frozenset()
    """COPY/MOVE: with one of these (`-T`) the destination is never a directory to copy into."""
    keyed: Mapping[str, Access] = field(default_factory=dict)
    """dd-style `key=path` operands."""
    remote: bool = False
    """`host:path` operands are on another machine (scp, rsync)."""
    bundle_first: bool = False
    """The first word is a flag bundle even without a dash (`tar czf`)."""
    long_single_dash: bool = False
    skip_words: frozenset[str] = frozenset()
    """A leading operand that is a subcommand, not a path (`yq eval`)."""
    awk_assign: bool = False
    """`name=value` operands are assignments (awk)."""
    variants: tuple[Variant, ...] = ()


@dataclass(frozen=True)
class PathUse:
    text: str
    access: Access
    word: Word
    base: str | None = None
    """Resolve relative to this directory instead of the command's cwd (`tar -C DIR`)."""


def _v(*names: str, n: int = 1) -> dict[str, int]:
    return dict.fromkeys(names, n)


# --- the table ------------------------------------------------------------------------------

_READER = Spec(Use.READ)
_HEAD = Spec(Use.READ, _v("-n", "-c", "--lines", "--bytes", "-s", "--pid", "--sleep-interval"))
_GREP = Spec(
    Use.SCRIPT,
    {**_v("-e", "-f", "-m", "-A", "-B", "-C", "-d", "-D", "--regexp", "--file"),
     **_v("--max-count", "--label", "--exclude-from", "--context")},
    {"-e": SCRIPT, "--regexp": SCRIPT, "-f": SCRIPT_FILE, "--file": SCRIPT_FILE,
     "--exclude-from": READ},
)  # fmt: skip
_RG = Spec(
    Use.SCRIPT,
    {**_v("-e", "-f", "-g", "-t", "-T", "-m", "-A", "-B", "-C", "-j", "-M", "-E", "-r", "-d"),
     **_v("--regexp", "--file", "--glob", "--iglob", "--type", "--type-not", "--max-count"),
     **_v("--max-columns", "--encoding", "--pre", "--pre-glob", "--ignore-file", "--replace"),
     **_v("--sort", "--sortr", "--type-add", "--max-depth", "--max-filesize", "--colors"),
     **_v("-G", "-p", "--ignore", "--path-to-ignore")},
    {"-e": SCRIPT, "--regexp": SCRIPT, "-f": SCRIPT_FILE, "--file": SCRIPT_FILE,
     "--ignore-file": READ},
)  # fmt: skip
_SED = Spec(
    Use.SCRIPT,
    _v("-e", "-f", "-l", "--expression", "--file", "--line-length"),
    {"-e": SCRIPT, "--expression": SCRIPT, "-f": SCRIPT_FILE, "--file": SCRIPT_FILE},
    aliases={"--in-place": "-i"},
    in_place=frozenset({"-i"}),
    attached_only=frozenset({"-i"}),
)
_AWK = Spec(
    Use.SCRIPT,
    _v("-f", "-v", "-F", "-i", "-E", "--file", "--assign", "--field-separator", "--include"),
    {"-f": SCRIPT_FILE, "--file": SCRIPT_FILE, "-E": SCRIPT_FILE, "-i": READ, "--include": READ},
    awk_assign=True,
)
_JQ = Spec(
    Use.SCRIPT,
    {**_v("-f", "--from-file", "--indent", "-L"),
     **_v("--arg", "--argjson", "--slurpfile", "--rawfile", n=2)},
    {"-f": SCRIPT_FILE, "--from-file": SCRIPT_FILE, "--slurpfile": READ, "--rawfile": READ},
    skip_words=frozenset({"e", "eval", "ea", "eval-all"}),
)  # fmt: skip
_SORT = Spec(
    Use.READ,
    _v("-o", "-k", "-t", "-S", "-T", "--output", "--key", "--field-separator", "--buffer-size",
       "--temporary-directory", "--files0-from", "--batch-size", "--parallel", "--random-source"),
    {"-o": WRITE, "--output": WRITE, "--files0-from": READ},
)  # fmt: skip
_CP = Spec(
    Use.COPY,
    _v("-S", "--suffix", "-t", "--target-directory"),
    {"-t": DEST, "--target-directory": DEST},
    no_target=frozenset({"-T", "--no-target-directory"}),
)
_MV = Spec(
    Use.MOVE,
    _CP.values,
    _CP.roles,
    no_target=_CP.no_target,
)
_INSTALL = Spec(
    Use.COPY,
    _v("-m", "-o", "-g", "-S", "-t", "--mode", "--owner", "--group", "--suffix",
       "--target-directory"),
    {"-t": DEST, "--target-directory": DEST},
    no_target=frozenset({"-T", "--no-target-directory"}),
    variants=(Variant(frozenset({"-d", "--directory"}), Use.WRITE),),
)  # fmt: skip
_RSYNC = Spec(
    Use.COPY,
    _v("-e", "--rsh", "--exclude", "--include", "--exclude-from", "--include-from",
       "--files-from", "-f", "--filter", "--chmod", "--chown", "-B", "--log-file",
       "--backup-dir", "--temp-dir", "-T", "--compare-dest", "--link-dest", "--copy-dest",
       "--password-file", "-M", "--remote-option", "--port", "--timeout", "--partial-dir",
       "--out-format", "--max-size", "--min-size", "--bwlimit", "--info", "--debug"),
    {"--exclude-from": READ, "--include-from": READ, "--files-from": READ,
     "--password-file": READ, "--log-file": WRITE},
    remote=True,
)  # fmt: skip
_SCP = Spec(Use.COPY, _v("-i", "-P", "-o", "-F", "-c", "-l", "-S", "-J", "-D", "-X"), remote=True)
_CHMOD_MODE = r"[0-7]{1,5}|([ugoa]*([-+=]([rwxXst]*|[ugo]))+,?)+"
_CHMOD = Spec(
    Use.SKIP_FIRST, {"--reference": 1}, skip_first=_CHMOD_MODE, no_skip=frozenset({"--reference"})
)
_CHOWN = Spec(Use.SKIP_FIRST, _v("--reference", "--from"), no_skip=frozenset({"--reference"}))
_TAR_VALUES = _v(
    "-b", "-C", "-f", "-g", "-H", "-K", "-L", "-N", "-T", "-X", "-V", "-I", "--exclude",
    "--use-compress-program", "--listed-incremental", "--format", "--newer", "--label",
    "--files-from", "--exclude-from", "--blocking-factor", "--tape-length", "--starting-file",
    "--owner", "--group", "--mode", "--mtime", "--transform", "--xform", "--strip-components",
    "--checkpoint-action", "--to-command",
)  # fmt: skip
_TAR = Spec(
    Use.NONE,
    _TAR_VALUES,
    {"-f": READ, "-T": READ, "-X": READ},
    aliases={
        "--file": "-f", "--directory": "-C", "--create": "-c", "--append": "-r",
        "--update": "-u", "--extract": "-x", "--get": "-x", "--list": "-t",
        "--files-from": "-T", "--exclude-from": "-X", "--catenate": "-A", "--concatenate": "-A",
    },
    bundle_first=True,
    variants=(
        Variant(frozenset({"-c", "-r", "-u", "-A"}), Use.READ, {"-f": WRITE, "-C": BASE}),
        Variant(frozenset({"-x"}), Use.NONE, {"-C": WRITE}),
    ),
)  # fmt: skip
_DD = Spec(Use.NONE, keyed={"if": Access.READ, "of": Access.WRITE})
_CURL = Spec(
    Use.NONE,
    _v("-o", "--output", "-T", "--upload-file", "-d", "--data", "--data-binary",
       "--data-ascii", "--data-urlencode", "--data-raw", "--json", "-F", "--form", "-K",
       "--config", "-H", "--header", "-c", "--cookie-jar", "-D", "--dump-header", "--trace",
       "--trace-ascii", "-u", "--user", "-X", "--request", "-A", "--user-agent", "-e",
       "--referer", "-x", "--proxy", "-b", "--cookie", "-w", "--write-out", "-m", "--max-time",
       "--connect-timeout", "-r", "--range", "-C", "--continue-at", "--retry", "-E", "--cert",
       "--key", "--cacert", "--capath", "--resolve", "--connect-to", "-U", "--proxy-user",
       "--url", "-Y", "-y", "-z", "--time-cond", "--limit-rate", "--interface", "--stderr"),
    {"-o": WRITE, "--output": WRITE, "-T": READ, "--upload-file": READ, "-K": READ,
     "--config": READ, "-c": WRITE, "--cookie-jar": WRITE, "-D": WRITE, "--dump-header": WRITE,
     "--trace": WRITE, "--trace-ascii": WRITE, "--stderr": WRITE, "-d": AT_READ,
     "--data": AT_READ, "--data-binary": AT_READ, "--data-ascii": AT_READ, "--json": AT_READ,
     "-H": AT_READ, "--header": AT_READ, "--data-urlencode": ENCODED_READ, "-F": FORM_READ,
     "--form": FORM_READ},
)  # fmt: skip
_WGET = Spec(
    Use.NONE,
    _v("-O", "--output-document", "-o", "--output-file", "-a", "--append-output", "-P",
       "--directory-prefix", "-i", "--input-file", "--post-file", "--body-file",
       "--save-cookies", "--load-cookies", "-U", "--user-agent", "--header", "-t", "--tries",
       "-T", "--timeout", "-w", "--wait", "--user", "--password", "--post-data", "--method",
       "--body-data", "-e", "--execute", "-l", "--level", "-A", "-R", "-D", "--domains"),
    {"-O": WRITE, "--output-document": WRITE, "-o": WRITE, "--output-file": WRITE, "-a": WRITE,
     "--append-output": WRITE, "-P": WRITE, "--directory-prefix": WRITE, "-i": READ,
     "--input-file": READ, "--post-file": READ, "--body-file": READ, "--save-cookies": WRITE},
)  # fmt: skip
_OPENSSL = Spec(
    Use.NONE,
    _v("-in", "-out", "-keyout", "-passin", "-passout", "-subj", "-days", "-newkey", "-key",
       "-CA", "-CAkey", "-config", "-extfile", "-extensions", "-name", "-pass", "-inform",
       "-outform", "-certfile", "-md", "-sigopt", "-pkeyopt", "-algorithm", "-cipher"),
    {"-in": READ, "-out": WRITE, "-keyout": WRITE},
    long_single_dash=True,
)  # fmt: skip

TABLE: Mapping[str, Spec] = MappingProxyType({
    # Readers: only options that really take a value are listed, or an operand would be
    # mistaken for an option's value and go unjudged (`cat -n FILE`).
    **dict.fromkeys(
        ("cat", "rev", "comm", "view", "base32", "basenc", "zcat", "bzcat", "xzcat", "zstdcat",
         "lzcat", "zless", "zmore"),
        _READER,
    ),
    "tac": Spec(Use.READ, _v("-s", "--separator")),
    **dict.fromkeys(
        ("less", "more", "most"),
        Spec(Use.READ, _v("-b", "-h", "-j", "-k", "-o", "-O", "-p", "-P", "-T", "-x", "-y", "-z",
                          "--log-file", "--LOG-FILE"),
             {"-o": WRITE, "-O": WRITE, "--log-file": WRITE, "--LOG-FILE": WRITE}),
    ),
    "nl": Spec(Use.READ, _v("-b", "-d", "-f", "-h", "-i", "-l", "-n", "-s", "-v", "-w")),
    "strings": Spec(Use.READ, _v("-n", "-t", "-e", "-T", "--bytes", "--radix", "--encoding")),
    **dict.fromkeys(
        ("bat", "batcat"),
        Spec(Use.READ, _v("-l", "-H", "-r", "-m", "--language", "--highlight-line",
                          "--line-range", "--map-syntax", "--style", "--theme", "--tabs",
                          "--wrap", "--terminal-width", "--file-name")),
    ),
    **dict.fromkeys(
        ("diff", "diff3", "sdiff"),
        Spec(Use.READ, _v("-C", "-U", "-x", "-X", "-I", "-F", "-L", "-S", "-D", "-W", "-o",
                          "--label", "--exclude", "--exclude-from", "--ignore-matching-lines",
                          "--to-file", "--from-file", "--starting-file", "--width", "--output"),
             {"-X": READ, "--exclude-from": READ, "--to-file": READ, "--from-file": READ,
              "-o": WRITE, "--output": WRITE}),
    ),
    "cmp": Spec(Use.READ, _v("-i", "-n", "--ignore-initial", "--bytes")),
    "paste": Spec(Use.READ, _v("-d", "--delimiters")),
    "cut": Spec(Use.READ, _v("-b", "-c", "-d", "-f", "--bytes", "--characters", "--delimiter",
                             "--fields", "--output-delimiter")),
    "fold": Spec(Use.READ, _v("-w", "--width")),
    "fmt": Spec(Use.READ, _v("-w", "-p", "-g", "--width", "--prefix", "--goal")),
    **dict.fromkeys(("expand", "unexpand"), Spec(Use.READ, _v("-t", "--tabs"))),
    "column": Spec(Use.READ, _v("-s", "-c", "-o", "-N", "-R", "-H", "-E", "-W", "-l")),
    "od": Spec(Use.READ, _v("-A", "-j", "-N", "-t", "-w", "-S", "--address-radix",
                            "--skip-bytes", "--read-bytes", "--format", "--width", "--strings")),
    **dict.fromkeys(("hexdump", "hd"), Spec(Use.READ, _v("-n", "-s", "-e", "-f"), {"-f": READ})),
    "base64": Spec(Use.READ, _v("-w", "--wrap")),
    "head": _HEAD,
    "tail": _HEAD,
    **dict.fromkeys(("grep", "egrep", "fgrep", "zgrep", "ack"), _GREP),
    **dict.fromkeys(("rg", "ag"), _RG),
    **dict.fromkeys(("sed", "gsed"), _SED),
    **dict.fromkeys(("awk", "gawk", "mawk", "nawk"), _AWK),
    **dict.fromkeys(("jq", "yq", "gojq", "jaq"), _JQ),
    "sort": _SORT,
    "uniq": Spec(Use.IN_OUT, _v("-f", "-s", "-w", "--skip-fields", "--skip-chars",
                                "--check-chars", "--group", "--all-repeated")),
    "xxd": Spec(Use.IN_OUT, _v("-c", "-g", "-l", "-s", "-o", "-n", "-cols", "-len", "-seek")),
    "iconv": Spec(Use.READ, _v("-f", "-t", "-o", "--from-code", "--to-code", "--output"),
                  {"-o": WRITE, "--output": WRITE}),
    **dict.fromkeys(("cp", "gcp", "ditto"), _CP),
    "mv": _MV,
    "ln": _CP,
    "install": _INSTALL,
    "rsync": _RSYNC,
    "scp": _SCP,
    **dict.fromkeys(("tee", "sponge"), Spec(Use.WRITE)),
    "dd": _DD,
    "truncate": Spec(Use.WRITE, _v("-s", "-r", "--size", "--reference")),
    "touch": Spec(Use.WRITE, _v("-r", "-d", "-t", "--reference", "--date")),
    "mkdir": Spec(Use.WRITE, _v("-m", "--mode", "--context")),
    "shred": Spec(Use.WRITE, _v("-n", "-s", "--iterations", "--size", "--random-source")),
    **dict.fromkeys(("rm", "unlink", "rmdir", "srm", "trash", "trash-put"), Spec(Use.DELETE)),
    "chmod": _CHMOD,
    **dict.fromkeys(("chown", "chgrp"), _CHOWN),
    "tar": _TAR,
    "zip": Spec(Use.FIRST_WRITE, _v("-x", "-i", "-b", "-n", "-t", "-tt", "-P", "--password")),
    "unzip": Spec(Use.FIRST_READ, _v("-d", "-x", "-P"), {"-d": WRITE}),
    "curl": _CURL,
    "wget": _WGET,
    "openssl": _OPENSSL,
    "patch": Spec(Use.OUT_IN, _v("-p", "-i", "-o", "-d", "-r", "-B", "-z", "-V", "-F", "-D",
                                 "--input", "--output", "--directory", "--reject-file"),
                  {"-i": READ, "--input": READ, "-o": WRITE, "--output": WRITE, "-r": WRITE,
                   "--reject-file": WRITE}),
})  # fmt: skip


# --- reading one command ----------------------------------------------------------------------


@dataclass
class _Parsed:
    flags: set[str] = field(default_factory=set)
    values: list[tuple[str, list[Word]]] = field(default_factory=list)
    operands: list[Word] = field(default_factory=list)


def _part(word: Word, text: str) -> Word:
    return Word(raw=text, text=text, start=word.start, end=word.end, quoted=word.quoted)


def _parse(args: Sequence[Word], spec: Spec) -> _Parsed:
    parsed = _Parsed()
    args = list(args)
    first = args[0].text if args else None
    if spec.bundle_first and first and not first.startswith("-"):
        args[0] = _part(args[0], "-" + first)
    end_of_options = False
    i = 0

    def take(count: int) -> list[Word]:
        nonlocal i
        taken = args[i : i + count]
        i += len(taken)
        return taken

    while i < len(args):
        word = args[i]
        text = word.text
        i += 1
        if text is None or end_of_options or len(text) < 2 or not text.startswith("-"):
            parsed.operands.append(word)
            continue
        if text == "--":
            end_of_options = True
            continue
        if text.startswith("--") or spec.long_single_dash:
            name, eq, value = text.partition("=")
            name = spec.aliases.get(name, name)
            parsed.flags.add(name)
            count = spec.values.get(name, 0)
            if eq:
                parsed.values.append((name, [_part(word, value), *take(max(count - 1, 0))]))
            elif count:
                parsed.values.append((name, take(count)))
            continue
        for j in range(1, len(text)):
            flag = spec.aliases.get("-" + text[j], "-" + text[j])
            parsed.flags.add(flag)
            if flag in spec.attached_only:
                break
            count = spec.values.get(flag, 0)
            if count:
                rest = text[j + 1 :]
                head = [_part(word, rest)] if rest else []
                parsed.values.append((flag, head + take(count - len(head))))
                break
    return parsed


def _option_path(role: str, value: str) -> tuple[str, Access] | None:
    if role in (READ, SCRIPT_FILE):
        return value, Access.READ
    if role in (WRITE, DEST):
        return value, Access.WRITE
    if role == AT_READ and value.startswith("@") and len(value) > 1:
        return value[1:], Access.READ
    if role == ENCODED_READ and "@" in value:
        return value.partition("@")[2], Access.READ
    if role == FORM_READ:
        for marker in ("=@", "=<"):
            if marker in value:
                path = value.partition(marker)[2].partition(";")[0]
                return (path, Access.READ) if path else None
    return None


_ASSIGN = re2.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")
_REMOTE = re2.compile(r"[^/]*:.*")


def path_uses(command: SimpleCommand) -> list[PathUse]:
    """Every path operand of `command` with how it is accessed (redirects not included)."""
    spec = TABLE.get(command.base_name or "")
    if spec is None or not command.words:
        return []
    parsed = _parse(command.args, spec)
    use, roles = spec.use, dict(spec.roles)
    for variant in spec.variants:
        if variant.when & parsed.flags:
            use, roles = variant.use, {**roles, **variant.roles}
            break
    uses: list[PathUse] = []
    base: str | None = None
    dest: Word | None = None
    script_given = False
    for option, words in parsed.values:
        role = roles.get(option)
        if role in (SCRIPT, SCRIPT_FILE):
            script_given = True
        if role is None or not words or words[-1].text is None:
            continue
        value = words[-1]
        assert value.text is not None
        if role == BASE:
            base = value.text
        elif role == DEST:
            dest = value
        found = _option_path(role, value.text)
        if found is not None and found[0]:
            uses.append(PathUse(found[0], found[1], value))
    operands = [w for w in parsed.operands if w.text]  # dynamic and empty words say nothing
    if operands and operands[0].text in spec.skip_words:
        operands = operands[1:]
    if spec.awk_assign:
        operands = [w for w in operands if not _ASSIGN.fullmatch(w.text or "")]
    # `host:path` is on another machine; it still counts for which operand is the destination.
    remote = {id(w) for w in operands if spec.remote and _REMOTE.fullmatch(w.text or "")}
    for word in list(operands):
        key, eq, path = (word.text or "").partition("=")
        if eq and key in spec.keyed:
            operands.remove(word)
            if path:
                uses.append(PathUse(path, spec.keyed[key], word))
    positional = _operand_uses(use, spec, parsed, operands, dest, script_given, base)
    uses.extend(u for u in positional if id(u.word) not in remote)
    return uses


def _operand_uses(
    use: Use,
    spec: Spec,
    parsed: _Parsed,
    operands: list[Word],
    dest: Word | None,
    script_given: bool,
    base: str | None,
) -> list[PathUse]:
    def each(words: Sequence[Word], access: Access) -> list[PathUse]:
        return [PathUse(w.text or "", access, w, base) for w in words]

    if not operands or use is Use.NONE:
        return []
    if use in (Use.READ, Use.WRITE, Use.DELETE):
        return each(operands, Access(use.value))
    if use is Use.SCRIPT:
        files = operands if script_given else operands[1:]
        if spec.in_place & parsed.flags:
            return each(files, Access.READ) + each(files, Access.WRITE)
        return each(files, Access.READ)
    if use in (Use.COPY, Use.MOVE):
        return _copy_uses(use, spec, parsed, operands, dest)
    if use is Use.SKIP_FIRST:
        first = operands[0].text or ""
        skip = not (spec.no_skip & parsed.flags) and (
            spec.skip_first is None or re2.fullmatch(spec.skip_first, first) is not None
        )
        return each(operands[1:] if skip else operands, Access.WRITE)
    if use is Use.FIRST_WRITE:
        return each(operands[:1], Access.WRITE) + each(operands[1:], Access.READ)
    if use is Use.FIRST_READ:
        return each(operands[:1], Access.READ)
    if use is Use.IN_OUT:
        return each(operands[:1], Access.READ) + each(operands[1:2], Access.WRITE)
    return each(operands[:1], Access.WRITE) + each(operands[1:2], Access.READ)  # OUT_IN


def _copy_uses(
    use: Use, spec: Spec, parsed: _Parsed, operands: list[Word], dest: Word | None
) -> list[PathUse]:
    if dest is None and len(operands) >= 2:
        dest, sources = operands[-1], operands[:-1]
    else:
        sources = operands
    uses = [PathUse(w.text or "", Access.READ, w) for w in sources]
    if use is Use.MOVE:
        uses += [PathUse(w.text or "", Access.DELETE, w) for w in sources]
    if dest is None or not dest.text:
        return uses
    uses.append(PathUse(dest.text, Access.WRITE, dest))
    if not spec.no_target & parsed.flags:
        # Copying into a directory writes dest/NAME: `cp -r hooks .git/` writes .git/hooks.
        for source in sources:
            name = posixpath.basename((source.text or "").rstrip("/"))
            if name and name not in (".", ".."):
                uses.append(PathUse(posixpath.join(dest.text, name), Access.WRITE, dest))
    return uses
