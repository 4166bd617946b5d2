"""The source patterns: what plugin and MCP server code should not need to do, or should do
only where a human has looked. RE2 (linear time); each rule names the languages it reads.

Severities are for triage: `high` and `critical` are what a plugin has no business doing
unreviewed (run code from strings, spawn processes, write into the home or system directories,
install hooks, decode-and-run), `medium` is a reason to look (dynamic imports, credential
paths, obfuscation), `low` is context (network and environment access, which most servers use)."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.scan.model import ScanRule, Severity

PYTHON = "python"
JS = "js"
BOTH = frozenset({PYTHON, JS})

# `(?:^|[^.\w])` stands in for a look-behind (RE2 has none): a call, not a method of that name.
_NOT_METHOD = r"(?:^|[^.\w$])"
_HOME_OR_SYSTEM = (
    r"(?:~/|expanduser|Path\.home|homedir\s*\(|process\.env\.HOME|['\"`]/etc/|['\"`]/usr/|"
    r"['\"`]/root/|/Library/LaunchAgents|\.ssh\b|\.bashrc|\.zshrc|\.bash_profile|\.profile\b|"
    r"crontab|\.config/autostart|\.git/hooks)"
)


@dataclass(frozen=True)
class PatternRule:
    rule: ScanRule
    languages: frozenset[str]
    pattern: str
    message: str
    only_files: frozenset[str] = frozenset()
    """When set, only files with one of these names (e.g. setup.py)."""
    lead: bool = False
    """The pattern starts with one context character (see _NOT_METHOD); report after it."""


def _rule(
    rule_id: str,
    severity: Severity,
    summary: str,
    languages: frozenset[str],
    pattern: str,
    message: str,
    *,
    only_files: frozenset[str] = frozenset(),
    lead: bool = False,
) -> PatternRule:
    return PatternRule(
        ScanRule(rule_id, severity, summary), languages, pattern, message, only_files, lead
    )


# fmt: off
RULES: tuple[PatternRule, ...] = (
    _rule(
        "py-exec", Severity.HIGH, "exec/eval/compile of code from a string",
        frozenset({PYTHON}),
        _NOT_METHOD + r"(?:exec|eval)\s*\(|" + _NOT_METHOD + r"compile\s*\([^\n]*['\"]exec['\"]",
        "Runs Python code built at run time; check where the string comes from.", lead=True,
    ),
    _rule(
        "py-exec-decoded", Severity.CRITICAL, "exec/eval of decoded or decompressed data",
        frozenset({PYTHON}),
        _NOT_METHOD + r"(?:exec|eval)\s*\([^\n]*(?:b64decode|b32decode|b85decode|a85decode|"
        r"decompress|codecs\.decode|marshal\.loads|bytes\.fromhex|unhexlify|rot_?13)",
        "Decodes hidden code and runs it: a classic malware loader.", lead=True,
    ),
    _rule(
        "py-process", Severity.HIGH, "starts processes (subprocess, os.system, os.popen, pty)",
        frozenset({PYTHON}),
        r"\bos\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)\s*\(|"
        r"\bpty\.spawn\s*\(|\bsubprocess\.(?:run|call|check_call|check_output|Popen|getoutput|"
        r"getstatusoutput)\s*\(|" + _NOT_METHOD + r"(?:Popen|check_output|check_call)\s*\(|"
        r"\bcreate_subprocess_(?:shell|exec)\s*\(",
        "Runs other programs; a plugin that shells out can do anything you can.",
    ),
    _rule(
        "py-dynamic-import", Severity.MEDIUM, "imports modules by computed name",
        frozenset({PYTHON}),
        r"\b__import__\s*\(|\bimport_module\s*\(|\bspec_from_file_location\s*\(",
        "Imports code chosen at run time; static review cannot see what it loads.",
    ),
    _rule(
        "py-network", Severity.LOW, "network access", frozenset({PYTHON}),
        r"\b(?:requests|httpx|aiohttp)\.(?:get|post|put|patch|delete|head|request|Session|"
        r"Client|AsyncClient|ClientSession)\b|\burllib\.request\b|\burlopen\s*\(|"
        r"\bsocket\.(?:socket|create_connection)\s*\(|\bhttp\.client\.HTTPS?Connection\b",
        "Talks to the network; check the destinations.",
    ),
    _rule(
        "py-env", Severity.LOW, "reads environment variables", frozenset({PYTHON}),
        r"\bos\.environ\b|\bos\.getenv\s*\(",
        "Reads the environment, where credentials often live.",
    ),
    _rule(
        "py-home-write", Severity.HIGH, "writes into the home or system directories",
        frozenset({PYTHON}),
        r"\bopen\s*\([^\n]*" + _HOME_OR_SYSTEM + r"[^\n]*,\s*(?:mode\s*=\s*)?['\"][rbt]?[wax]|"
        r"(?:Path\.home\(\)|expanduser\([^)\n]*\))[^\n]*\.(?:write_text|write_bytes|"
        r"symlink_to)\s*\(|\bshutil\.(?:copy\w*|move)\s*\([^)\n]*" + _HOME_OR_SYSTEM,
        "Writes outside its own directory (shell start-up files, keys, system config).",
    ),
    _rule(
        "py-obfuscation", Severity.HIGH, "rot13 / marshal decoding", frozenset({PYTHON}),
        r"\bcodecs\.(?:decode|encode)\s*\([^)\n]*['\"]rot.?13['\"]|\bmarshal\.loads\s*\(",
        "Decodes deliberately hidden content.",
    ),
    _rule(
        "py-base64-decode", Severity.LOW, "decodes base64/base32/base85", frozenset({PYTHON}),
        r"\bb(?:64|32|85|16)decode\s*\(|\ba85decode\s*\(|\bdecodebytes\s*\(",
        "Decodes encoded data; check what it is used for.",
    ),
    _rule(
        "py-setup-cmdclass", Severity.HIGH, "setup.py overrides install commands",
        frozenset({PYTHON}),
        r"\bcmdclass\s*=",
        "Custom setup.py commands run arbitrary code when the package is installed.",
        only_files=frozenset({"setup.py"}),
    ),
    _rule(
        "js-eval", Severity.HIGH, "eval / Function / vm of code from a string",
        frozenset({JS}),
        _NOT_METHOD + r"eval\s*\(|\bnew\s+Function\s*\(|" + _NOT_METHOD
        + r"Function\s*\(\s*['\"`]|\bvm\.(?:runInNewContext|runInThisContext|runInContext|"
        r"compileFunction)\s*\(|\bnew\s+vm\.Script\s*\(",
        "Runs JavaScript built at run time; check where the string comes from.", lead=True,
    ),
    _rule(
        "js-eval-decoded", Severity.CRITICAL, "eval/Function of decoded data", frozenset({JS}),
        r"(?:" + _NOT_METHOD + r"eval|\bFunction)\s*\([^\n]*(?:atob\s*\(|Buffer\.from\s*\(|"
        r"fromCharCode|unescape\s*\()",
        "Decodes hidden code and runs it: a classic malware loader.", lead=True,
    ),
    _rule(
        "js-child-process", Severity.HIGH, "starts processes (child_process)", frozenset({JS}),
        r"\brequire\s*\(\s*['\"](?:node:)?child_process['\"]\s*\)|"
        r"\bfrom\s+['\"](?:node:)?child_process['\"]|"
        r"\bimport\s*\(\s*['\"](?:node:)?child_process['\"]\s*\)|"
        r"\b(?:execSync|execFileSync|spawnSync)\s*\(|\bchild_process\.\w+\s*\(|"
        r"\bDeno\.(?:run|Command)\b|\bBun\.spawn(?:Sync)?\s*\(",
        "Runs other programs; a plugin that shells out can do anything you can.",
    ),
    _rule(
        "js-dynamic-import", Severity.MEDIUM, "require()/import() of a computed name",
        frozenset({JS}),
        r"\brequire\s*\(\s*[^'\"`\s)]|\brequire\s*\(\s*`[^`\n]*\$\{|"
        + _NOT_METHOD + r"import\s*\(\s*[^'\"`\s)]|" + _NOT_METHOD + r"import\s*\(\s*`[^`\n]*\$\{",
        "Loads code chosen at run time; static review cannot see what it loads.", lead=True,
    ),
    _rule(
        "js-network", Severity.LOW, "network access", frozenset({JS}),
        _NOT_METHOD + r"fetch\s*\(|\baxios(?:\.\w+)?\s*\(|"
        r"\brequire\s*\(\s*['\"](?:node:)?(?:https?|net|dgram|tls|http2)['\"]\s*\)|"
        r"\bfrom\s+['\"](?:node:)?(?:https?|net|dgram|tls|http2|node-fetch|undici)['\"]|"
        r"\bnew\s+(?:WebSocket|XMLHttpRequest)\s*\(|\bnet\.(?:connect|createConnection)\s*\(",
        "Talks to the network; check the destinations.", lead=True,
    ),
    _rule(
        "js-env", Severity.LOW, "reads environment variables", frozenset({JS}),
        r"\bprocess\.env\b|\bDeno\.env\b|\bBun\.env\b",
        "Reads the environment, where credentials often live.",
    ),
    _rule(
        "js-home-write", Severity.HIGH, "writes into the home or system directories",
        frozenset({JS}),
        r"\b(?:writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|copyFile|"
        r"copyFileSync|symlink|symlinkSync|cp|cpSync)\s*\([^\n]*" + _HOME_OR_SYSTEM,
        "Writes outside its own directory (shell start-up files, keys, system config).",
    ),
    _rule(
        "js-obfuscation", Severity.MEDIUM, "atob / Buffer decoding / char-code strings",
        frozenset({JS}),
        _NOT_METHOD + r"atob\s*\(|\bBuffer\.from\s*\([^)\n]*['\"](?:base64|hex)['\"]|"
        r"\bString\.fromCharCode\s*\((?:\s*\d+\s*,){8,}|\b_0x[0-9a-f]{4,}\b",
        "Decodes or builds strings so that a reader cannot see them.", lead=True,
    ),
    _rule(
        "encoded-blob", Severity.MEDIUM, "long base64 or hex literal", BOTH,
        r"['\"`][A-Za-z0-9+/_-]{200,}={0,2}['\"`]",
        "A long encoded literal: hidden code or data. Decode it and look.",
    ),
    _rule(
        "escaped-blob", Severity.MEDIUM, "long run of \\x escapes", BOTH,
        r"(?:\\x[0-9a-fA-F]{2}){16,}",
        "A string spelled in escapes so that a reader cannot see it.",
    ),
    _rule(
        "credential-path", Severity.MEDIUM, "names credential files", BOTH,
        r"\.ssh/(?:id_[a-z0-9]+|authorized_keys)|\.aws/credentials|\.config/gcloud|"
        r"\.kube/config|\.docker/config\.json|\.npmrc|\.pypirc|\.netrc|\.git-credentials|"
        r"\.gnupg\b|wallet\.dat|Login Data|/etc/shadow|/etc/sudoers",
        "Names files that hold credentials; a plugin rarely needs them.",
    ),
)
# fmt: on
