"""Risky ways to launch an MCP server, read from the agents' MCP configs.

* `npx -y pkg` (and pnpm dlx, bunx, yarn dlx) of a package without an exact version: whatever
  is published next runs with your rights, without a prompt;
* `uvx` / `pipx run` / `uv tool run` from a git URL (unreviewed, moving code);
* a shell fed by `curl | sh`;
* docker with `--privileged`, host namespaces, the docker socket or the home / root mounted;
* plaintext secrets in `env` or headers (they belong in the environment or a keychain);
* a remote server over plain http."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from bastion.mcp import findings as pin_findings
from bastion.mcp.arguments import secrets_in
from bastion.mcp.configs import McpConfigError, McpServerConfig, config_agent, read_mcp_config
from bastion.mcp.store import PinStore
from bastion.rules.regexes import compile_regex
from bastion.scan.interface import ScanError, Scanner
from bastion.scan.model import ScanFinding, ScanRule, Severity

NPX_UNPINNED = ScanRule(
    "mcp-npx-unpinned", Severity.HIGH, "npx -y of a package without an exact version"
)
UVX_GIT = ScanRule("mcp-uvx-git", Severity.HIGH, "uvx / pipx run from a git URL")
PIPE_SHELL = ScanRule("mcp-pipe-to-shell", Severity.CRITICAL, "downloads a script into a shell")
DOCKER = ScanRule("mcp-docker-host-access", Severity.HIGH, "container with host access")
ENV_SECRET = ScanRule("mcp-plaintext-secret", Severity.HIGH, "plaintext secret in the config")
HTTP_URL = ScanRule("mcp-http-url", Severity.HIGH, "remote server over plain http")
PIN_CHANGED = ScanRule(
    pin_findings.SERVER_CHANGED, Severity.HIGH, "launch line differs from the pinned one"
)
PIN_MISSING = ScanRule(pin_findings.SERVER_UNPINNED, Severity.INFO, "server not pinned")
RULES = (NPX_UNPINNED, UVX_GIT, PIPE_SHELL, DOCKER, ENV_SECRET, HTTP_URL)
_PIN_RULES = {r.id: r for r in (PIN_CHANGED, PIN_MISSING)}

_RUNNERS = {"npx", "pnpx", "bunx"}
_SUB_RUNNERS = {("pnpm", "dlx"), ("yarn", "dlx"), ("npm", "exec"), ("bun", "x")}
_EXACT_VERSION = compile_regex(r"@v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
_PIPE = compile_regex(
    r"(?i)\b(?:curl|wget|iwr|irm)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b|"
    r"(?:ba|z)?sh\s+<\(\s*(?:curl|wget)\b|\b(?:iex|invoke-expression)\b"
)
_SECRET_NAME = compile_regex(
    r"(?i)(?:token|secret|passw(?:or)?d|passwd|api_?key|private_?key|credential|auth|session)"
)
_REFERENCE = compile_regex(r"^\s*(?:\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|<[^>]*>|)\s*$")
_HOST_MOUNT = compile_regex(
    r"^(?:/|~|\$HOME|\$\{HOME\}|/root|/etc|/home(?:/[^/:]+)?|/var/run/docker\.sock|"
    r"/run/docker\.sock|/Users(?:/[^/:]+)?)/?(?::|$)"
)
_NOT_SECRETS = {"true", "false", "enabled", "disabled", "required", "optional"}
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"}


class McpConfigScanner(Scanner):
    """Launch risks of each server; with a pin store, also whether its launch line matches the
    pinned one (`record`: pin servers seen for the first time, in memory; the caller saves)."""

    name = "mcp-config"

    def __init__(self, pins: PinStore | None = None, *, record: bool = False) -> None:
        self.pins = pins
        self.record = record

    def wants(self, path: Path) -> bool:
        return config_agent(path) is not None

    def rules(self) -> Sequence[ScanRule]:
        return (*RULES, *_PIN_RULES.values()) if self.pins is not None else RULES

    def scan(self, path: Path, text: str, shown: str) -> Sequence[ScanFinding]:
        del text  # the reader re-reads with its own size cap and format detection
        try:
            servers = read_mcp_config(path)
        except McpConfigError as exc:
            raise ScanError(str(exc)) from exc
        found = []
        for server in servers:
            found.extend(launch_findings(server, shown))
            found.extend(self._pin_findings(server, shown))
        return found

    def _pin_findings(self, server: McpServerConfig, shown: str) -> list[ScanFinding]:
        if self.pins is None:
            return []
        identity = server.identity
        # Without `record` the check changes the store in memory only; nothing is saved.
        results = self.pins.pin(identity) if self.record else self.pins.check(identity)
        out = []
        for result in results:
            rule = _PIN_RULES.get(result.rule_id)
            if rule is not None:
                out.append(
                    ScanFinding(
                        rule.id,
                        rule.severity,
                        shown,
                        server.line,
                        1,
                        _excerpt(server),
                        result.message,
                    )
                )
        return out


def launch_findings(server: McpServerConfig, shown: str) -> list[ScanFinding]:
    return [
        ScanFinding(rule.id, rule.severity, shown, server.line, 1, _excerpt(server), message)
        for rule, message in _problems(server)
    ]


def _problems(server: McpServerConfig) -> Iterator[tuple[ScanRule, str]]:
    label = f"MCP server '{server.label}'"
    command = os.path.basename(server.command)
    argv = [command, *server.args]
    line = " ".join(argv)
    package = _runner_package(argv)
    if package is not None:
        name, yes = package
        if not _EXACT_VERSION.search(name) and not name.startswith((".", "/")):
            severity = Severity.HIGH if yes else Severity.MEDIUM
            yield (
                ScanRule(NPX_UNPINNED.id, severity, NPX_UNPINNED.summary),
                f"{label} runs '{name}' through {command} without an exact version"
                + (" and without a prompt (-y)" if yes else "")
                + f": pin an exact version ({_bare(name)}@X.Y.Z) or install it first.",
            )
    if command in ("uvx", "pipx", "uv") and any(
        "git+" in a or a.startswith(("git@", "https://github.com")) for a in server.args
    ):
        yield UVX_GIT, f"{label} installs and runs code straight from a git URL: pin a release."
    if _PIPE.search(line):
        yield PIPE_SHELL, f"{label} pipes a download into a shell: download, read, then run it."
    if command in ("docker", "podman", "nerdctl"):
        yield from _docker(label, server.args)
    for key, value in (*server.env.items(), *server.headers.items()):
        if _REFERENCE.search(value):
            continue
        kind = secrets_in(value)
        if not kind and (len(value) < 8 or value.lower() in _NOT_SECRETS):
            continue
        if kind or _SECRET_NAME.search(key):
            what = kind or "secret"
            yield (
                ENV_SECRET,
                f"{label} has a plaintext {what} in '{key}': keep it out of the config file "
                "(reference an environment variable or a keychain).",
            )
    for arg in server.args:
        kind = secrets_in(arg)
        if kind:
            yield ENV_SECRET, f"{label} passes a plaintext {kind} on its command line."
            break
    if server.url:
        parts = urlsplit(server.url)
        if parts.scheme == "http" and (parts.hostname or "") not in _LOCAL_HOSTS:
            yield HTTP_URL, f"{label} talks to {parts.hostname} over plain http: use https."


def _bare(package: str) -> str:
    """`@scope/name@1` -> `@scope/name`, `name@latest` -> `name`."""
    at = package.find("@", 1)
    return package[:at] if at > 0 else package


def _runner_package(argv: list[str]) -> tuple[str, bool] | None:
    """The package a one-shot runner fetches, and whether it skips the prompt."""
    if argv[0] in _RUNNERS:
        rest = argv[1:]
    elif len(argv) > 1 and (argv[0], argv[1]) in _SUB_RUNNERS:
        rest = argv[2:]
    else:
        return None
    yes = False
    iterator = iter(rest)
    for arg in iterator:
        if arg in ("-y", "--yes"):
            yes = True
        elif arg in ("-p", "--package"):
            value = next(iterator, None)
            if value is not None:
                return value, yes or any(a in ("-y", "--yes") for a in rest)
        elif arg.startswith("--package="):
            return arg.split("=", 1)[1], yes or any(a in ("-y", "--yes") for a in rest)
        elif not arg.startswith("-"):
            return arg, yes or any(a in ("-y", "--yes") for a in rest)
    return None


def _docker(label: str, args: Sequence[str]) -> Iterator[tuple[ScanRule, str]]:
    args = list(args)
    for i, arg in enumerate(args):
        flag, _, inline = arg.partition("=")
        value = inline or (args[i + 1] if i + 1 < len(args) else "")
        if arg == "--privileged":
            yield DOCKER, f"{label} runs a --privileged container: root on the host."
        elif flag in ("--pid", "--ipc", "--userns", "--uts") and value == "host":
            yield DOCKER, f"{label} shares the host's {flag[2:]} namespace ({arg})."
        elif flag == "--cap-add" and value.upper() in ("ALL", "SYS_ADMIN", "SYS_PTRACE"):
            yield DOCKER, f"{label} adds capability {value}: close to root on the host."
        elif flag in ("-v", "--volume") and _HOST_MOUNT.search(value):
            yield DOCKER, f"{label} mounts '{value.split(':', 1)[0]}' from the host."
        elif flag == "--mount" and ("source=/" in value or "src=/" in value):
            source = value.split("source=" if "source=" in value else "src=", 1)[1]
            if _HOST_MOUNT.search(source.split(",", 1)[0]):
                yield DOCKER, f"{label} mounts '{source.split(',', 1)[0]}' from the host."


def _excerpt(server: McpServerConfig) -> str:
    """The launch line with env values left out (they may be the secrets being reported)."""
    if server.url:
        return f"{server.name}: {server.url}"[:160]
    text = " ".join((server.command, *server.args))
    for kind in (secrets_in(a) for a in server.args):
        if kind:
            text = " ".join((server.command, "[arguments withheld: they hold a secret]"))
            break
    env = f" env: {', '.join(sorted(server.env))}" if server.env else ""
    return f"{server.name}: {text}{env}"[:160]


def is_mcp_config(path: Path) -> bool:
    return config_agent(path) is not None


__all__ = ["RULES", "McpConfigScanner", "ScanError", "is_mcp_config", "launch_findings"]
