"""Secrets flowing to the network: the paths a rule over one command cannot follow.

The exfiltration rule pack already blocks the direct spellings (a secret file as an upload
option, `cat key | nc` with a known reader, `$(cat key)` next to a network tool). This adds the
flows between commands and words: any stage before a network tool in a pipeline that reads a
secret file or a secret variable; a secret variable anywhere in a network tool's arguments (a
URL query, a body, a remote command) except where credentials belong (`-H`, `-u`); a secret in a
here-string, heredoc or `<` redirect; a variable assigned from a secret (`K=$(cat .env)`) and
sent later; a secret copied to a file that is then uploaded.

Decision: every such flow is a deny (tier red). A credential in a header or `-u` is how APIs
are called and stays allowed (the pack decides the same), whatever the host: telling a good host
from a bad one is the network layer's job."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import re2

from bastion.model import Decision, Finding, Tier
from bastion.paths import PathContext
from bastion.secrets.policy import SecretsPolicy
from bastion.shell.syntax import Redirect, SimpleCommand, Word

LAYER = "secrets"

NETWORK_TOOLS = frozenset(
    {"curl", "curlie", "wget", "wget2", "http", "https", "xh", "xhs", "nc", "ncat", "netcat",
     "nc.traditional", "nc.openbsd", "socat", "telnet", "ssh", "scp", "sftp", "rsync", "ftp",
     "tftp", "lftp", "mail", "mailx", "sendmail", "mutt", "openssl", "cryptcat", "pwncat",
     "dig", "nslookup", "host", "drill", "ping", "ping6", "smbclient"}
)  # fmt: skip
# Options whose value is where credentials belong (a header, a login), per tool.
_CREDENTIAL_OPTIONS = {
    "curl": frozenset({"-H", "--header", "-u", "--user", "-U", "--proxy-user", "--oauth2-bearer",
                       "-E", "--cert", "--key", "--pass", "--proxy-header"}),
    "wget": frozenset({"--header", "--user", "--password", "--http-user", "--http-password",
                       "--proxy-user", "--proxy-password", "--ftp-user", "--ftp-password"}),
    "ssh": frozenset({"-i", "-o"}), "scp": frozenset({"-i", "-o"}), "sftp": frozenset({"-i"}),
    "http": frozenset({"-a", "--auth"}), "xh": frozenset({"-a", "--auth", "--bearer"}),
}  # fmt: skip
_CREDENTIAL_OPTIONS["curlie"] = _CREDENTIAL_OPTIONS["curl"]
_CREDENTIAL_OPTIONS["wget2"] = _CREDENTIAL_OPTIONS["wget"]
_CREDENTIAL_OPTIONS["https"] = _CREDENTIAL_OPTIONS["http"]
_CREDENTIAL_OPTIONS["xhs"] = _CREDENTIAL_OPTIONS["xh"]
# Commands that take a secret file without printing it (a pipeline after them carries no secret).
_NON_LEAKING = frozenset(
    {"ls", "stat", "test", "[", "chmod", "chown", "touch", "wc", "file", "ssh-keygen", "ssh-add",
     "sha256sum", "sha1sum", "sha512sum", "md5sum", "b2sum", "cksum", "du", "rm", "shred"}
)  # fmt: skip
_COPIERS = frozenset({"cp", "mv", "install", "ln", "rsync", "dd"})
_MAX_WORD = 16384
_VARIABLE = re2.compile(r"\$\{?#?!?([A-Za-z_][A-Za-z0-9_]*)")
# `NAME=value` in the source text, bare or after export/local/declare/readonly/typeset.
_ASSIGNMENT = re2.compile(
    r"(?:^|[\s;&|(])(?:(?:export|local|declare|readonly|typeset)(?:\s+-[A-Za-z]+)*\s+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\$\([^)]*\)\S*|`[^`]*`|\S*)"
)
_SUBSTITUTION_SPLIT = str.maketrans({c: " " for c in "|;&<>()`\"'$"})

NUDGE = (
    "Never send credentials, keys or .env contents off the machine, however they are routed "
    "(pipes, variables, substitutions, temp files). If the user really needs to share one, let "
    "them do it themselves; to call an API, pass the credential in an auth header (-H) or -u."
)


@dataclass(frozen=True)
class _Context:
    paths: PathContext
    policy: SecretsPolicy
    tainted: frozenset[str]
    """Variables assigned from a secret."""


def exfiltration_findings(
    commands: Sequence[SimpleCommand],
    paths: PathContext,
    *,
    source: str = "",
    policy: SecretsPolicy | None = None,
) -> list[Finding]:
    """Deny findings for secrets flowing to a network tool among `commands` (every unfolded
    simple command of one shell input, as the command layer produces them). `source` is the
    shell text; it shows assignments (`K=$(cat .env)`) the commands no longer carry."""
    if not any(
        c.base_name in NETWORK_TOOLS or any(r.writes and _network_device(r) for r in c.redirects)
        for c in commands
    ):
        return []  # every flow ends in a network tool or socket: none here, nothing to trace
    policy = policy or SecretsPolicy()
    ctx = _Context(paths, policy, _tainted_variables(source, paths, policy))
    findings: dict[str, Finding] = {}
    written: set[str] = set()  # files a secret was copied to earlier in the script

    def report(command: SimpleCommand, rule: str, what: str) -> None:
        subject = command.display()
        findings.setdefault(
            f"{rule}\0{subject}",
            Finding(layer=LAYER, rule_id=rule, decision=Decision.DENY, tier=Tier.RED,
                    message=f"{what}. {NUDGE}", subject=subject),
        )  # fmt: skip

    by_pipeline: dict[int, list[tuple[int, SimpleCommand]]] = {}
    for command in commands:
        for slot in command.pipes:
            by_pipeline.setdefault(slot.pipeline, []).append((slot.stage, command))
        if _is_source(command, ctx):
            for target in _write_targets(command):
                written.add(paths.resolve(target))
        if command.base_name not in NETWORK_TOOLS:
            continue
        reason = _direct_flow(command, ctx, written)
        if reason:
            report(command, "secrets.exfil-argument", reason)
    for stages in by_pipeline.values():
        stages.sort(key=lambda s: s[0])
        for position, (_, command) in enumerate(stages):
            if command.base_name in NETWORK_TOOLS and any(
                _is_source(earlier, ctx) for _, earlier in stages[:position]
            ):
                what = f"A secret is piped into {command.base_name}, which sends it away"
                report(command, "secrets.exfil-pipe", what)
    for command in commands:
        for redirect in command.redirects:
            if redirect.writes and _network_device(redirect) and _is_source(command, ctx):
                report(command, "secrets.exfil-redirect",
                       "A secret is written to a /dev/tcp or /dev/udp socket")  # fmt: skip
    return list(findings.values())


def _direct_flow(command: SimpleCommand, ctx: _Context, written: set[str]) -> str:
    """Why this network command itself sends a secret, or ''."""
    for redirect in command.redirects:
        if _redirect_carries_secret(redirect, ctx):
            return f"{command.base_name} reads a secret on its standard input"
    credential = _credential_words(command)
    for index, word in enumerate(command.args, start=1):
        raw = word.raw[:_MAX_WORD]
        if _substitution_reads_secret(raw, ctx):
            return (
                f"A secret file or the environment is read into the arguments of "
                f"{command.base_name}"
            )
        if index not in credential and _secret_variable(raw, word, ctx):
            return f"A secret variable is sent by {command.base_name} (in '{_short(raw)}')"
        for path in _uploaded_paths(command, index, word):
            if ctx.policy.files.matches(path, ctx.paths) or ctx.paths.resolve(path) in written:
                return f"{command.base_name} uploads the secret file '{_short(path)}'"
    return ""


def _is_source(command: SimpleCommand, ctx: _Context) -> bool:
    """Does this command put a secret on its output (or into the file it writes)?"""
    name = command.base_name
    if name in NETWORK_TOOLS:
        return False
    if name in ("env", "printenv", "set", "export", "declare") and not [
        w for w in command.args if not (w.text or "").startswith("-")
    ]:
        return True  # the whole environment
    for redirect in command.redirects:
        if not redirect.writes and _redirect_carries_secret(redirect, ctx):
            return True
    if name in _NON_LEAKING:
        return False
    for word in command.args:
        raw = word.raw[:_MAX_WORD]
        if ctx.policy.files.matches(_operand(word), ctx.paths):
            return True
        if _secret_variable(raw, word, ctx) or _substitution_reads_secret(raw, ctx):
            return True
        if name == "printenv" and word.text and ctx.policy.names.matches(word.text):
            return True
    return False


def _redirect_carries_secret(redirect: Redirect, ctx: _Context) -> bool:
    if redirect.writes:
        return False
    if redirect.op in ("<<", "<<-"):
        body = (redirect.heredoc_body or "")[:_MAX_WORD]
        return _mentions_secret_variable(body, ctx)
    if redirect.target is None:
        return False
    raw = redirect.target.raw[:_MAX_WORD]
    if redirect.op == "<<<":
        return _secret_variable(raw, redirect.target, ctx) or _substitution_reads_secret(raw, ctx)
    return ctx.policy.files.matches(redirect.target.text, ctx.paths)


def _secret_variable(raw: str, word: Word, ctx: _Context) -> bool:
    """A secret or tainted variable expanded in this word (single quotes do not expand)."""
    return word.text is None and _mentions_secret_variable(raw, ctx)


def _mentions_secret_variable(text: str, ctx: _Context) -> bool:
    if "$" not in text:
        return False
    for match in _VARIABLE.finditer(text):
        name = match.group(1)
        if name in ctx.tainted or ctx.policy.names.matches(name):
            return True
    return False


_ENV_DUMPS = frozenset({"env", "printenv", "set", "export", "declare", "compgen"})


def _substitution_reads_secret(raw: str, ctx: _Context) -> bool:
    """`$(cat .env)`, `$(< ~/.ssh/id_rsa)`, backticks: a secret file among its words; or the
    environment itself, whole (`$(env)`, `$(printenv)`) or by a secret's name
    (`$(printenv GITHUB_TOKEN)`)."""
    if "$(" not in raw and "`" not in raw:
        return False
    tokens = raw.translate(_SUBSTITUTION_SPLIT).split()
    if any(ctx.policy.files.matches(t.lstrip("@"), ctx.paths) for t in tokens):
        return True
    for i, token in enumerate(tokens):
        if token in _ENV_DUMPS:
            names = [t for t in tokens[i + 1 :] if not t.startswith("-")]
            if not names or any(ctx.policy.names.matches(n) for n in names):
                return True
    return False


def _tainted_variables(source: str, paths: PathContext, policy: SecretsPolicy) -> frozenset[str]:
    """Variables assigned a secret anywhere in the script (order ignored: an over-approximation
    that only ever blocks more)."""
    if "=" not in source:
        return frozenset()
    ctx = _Context(paths, policy, frozenset())
    tainted: set[str] = set()
    # Two rounds so that `A=$GITHUB_TOKEN; B=$A` taints B too.
    assignments = [(m.group(1), m.group(2)) for m in _ASSIGNMENT.finditer(source[: 1 << 20])]
    for _ in range(2):
        ctx = _Context(paths, policy, frozenset(tainted))
        for name, value in assignments:
            if _mentions_secret_variable(value, ctx) or _substitution_reads_secret(value, ctx):
                tainted.add(name)
    return frozenset(tainted)


def _credential_words(command: SimpleCommand) -> frozenset[int]:
    """Indices of words that hold credentials (the value of -H, -u, ...; httpie `Header:value`)."""
    options = _CREDENTIAL_OPTIONS.get(command.base_name or "", frozenset())
    found: set[int] = set()
    words = command.words
    for index in range(1, len(words)):
        word = words[index]
        text = (word.raw if word.text is None else word.text).strip("'\"")
        if text in options and index + 1 < len(words):
            found.add(index + 1)
        elif any(text.startswith(o + "=") for o in options if o.startswith("--")):
            found.add(index)
        elif any(len(o) == 2 and text.startswith(o) and len(text) > 2 for o in options
                 if not o.startswith("--")):  # fmt: skip
            found.add(index)  # -HAuthorization:...
        elif command.base_name in ("http", "https", "xh", "xhs") and _httpie_header(text):
            found.add(index)
    return frozenset(found)


def _httpie_header(text: str) -> bool:
    """httpie/xh request items: `Name:value` is a header; `:=`, `==`, `=`, `@` are data."""
    name, sep, _ = text.partition(":")
    return (
        bool(sep)
        and name.replace("-", "").replace("_", "").isalnum()
        and "=" not in name
        and not text[len(name) + 1 :].startswith(("=", "//"))
    )


def _uploaded_paths(command: SimpleCommand, index: int, word: Word) -> Iterable[str]:
    """Local files this word makes the tool send (curl `-d @f`, `-F k=@f`, `-T f`, httpie
    `k@f`, wget `--post-file=f`, mail `-A f`, scp/rsync local operands)."""
    name = command.base_name or ""
    text = _operand(word)
    if text is None:
        return
    previous = str(command.words[index - 1]) if index > 1 else ""
    if name in ("curl", "curlie"):
        if previous in ("-T", "--upload-file"):
            yield text
        elif (
            previous.startswith("-d")
            or previous.startswith("--data")
            or previous in ("--json", "-F", "--form")
        ):
            value = text.split("=", 1)[1] if previous in ("-F", "--form") and "=" in text else text
            if value[:1] in ("@", "<"):
                yield value[1:].split(";", 1)[0]
            elif "@" in text and previous == "--data-urlencode":
                yield text.split("@", 1)[1]
        elif text.startswith("--upload-file="):
            yield text.split("=", 1)[1]
        elif text.startswith(("--data", "--json=", "--form=")) and "=" in text:
            value = text.split("=", 1)[1]
            if value[:1] in ("@", "<"):
                yield value[1:]
    elif name in ("wget", "wget2"):
        for option in ("--post-file", "--body-file"):
            if text.startswith(option + "="):
                yield text.split("=", 1)[1]
            elif previous == option:
                yield text
    elif name in ("http", "https", "xh", "xhs"):
        for sep in ("=@", ":=@", "@"):
            if sep in text and not text.startswith("@"):
                yield text.split(sep, 1)[1]
                break
        if text.startswith("@"):
            yield text[1:]
    elif name in ("mail", "mailx", "mutt") and previous in ("-a", "-A", "--attach"):
        yield text
    elif (
        name in ("scp", "rsync", "sftp")
        and ":" not in text
        and not text.startswith("-")
        and any(":" in str(w) and not str(w).startswith("-") for w in command.args)
    ):
        yield text  # a local operand next to a remote one


def _write_targets(command: SimpleCommand) -> Iterable[str]:
    for redirect in command.redirects:
        if redirect.writes and redirect.target is not None and redirect.target.text:
            yield redirect.target.text
    if command.base_name in _COPIERS:
        operands = [w.text for w in command.args if w.text and not w.text.startswith("-")]
        if len(operands) >= 2:
            yield operands[-1]


def _network_device(redirect: Redirect) -> bool:
    target = redirect.target.text if redirect.target else None
    return bool(target) and str(target).startswith(("/dev/tcp/", "/dev/udp/"))


def _operand(word: Word) -> str | None:
    return word.text


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
