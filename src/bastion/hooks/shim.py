"""The hook process an agent spawns: hand the payload to the daemon, print its answer.

Run as `python -I -S shim.py AGENT`. Start-up time is the hook's cost on every tool call, so
the fast path uses only modules built into the interpreter (`posix`, `_socket`, `_signal`):
`import os` alone costs ~2 ms, `socket` ~13 ms, `json` ~5 ms. When no daemon answers, the
shim starts one and evaluates in-process meanwhile. Whatever goes wrong, the answer is a deny
in the agent's format: every agent runs the tool when a hook crashes or times out.
"""

# No `from __future__ import annotations`: even that import is start-up time here.
import _signal  # type: ignore[import-not-found]  # built in, unlike `signal` (enum: ~3 ms)
import _socket
import posix
import sys

AGENTS = ("claude", "gemini", "codex", "cursor", "copilot")
PROTOCOL = b"BASTION/1"
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
DAEMON_TIMEOUT_S = 5.0  # then evaluate in-process instead of waiting on a stuck daemon
STDIN_DEADLINE_S = 10  # an agent that never closes stdin must not make the hook hang
SOCKET_NAME = "daemon.sock"
_USER_MESSAGE = "bastion blocked this tool call"


class _Deadline(Exception):
    pass


# --- where the daemon listens --------------------------------------------------------------


def runtime_dir() -> str:
    env = posix.environ
    explicit = env.get(b"BASTION_RUNTIME_DIR")
    if explicit:
        return explicit.decode()
    xdg = env.get(b"XDG_RUNTIME_DIR")
    if xdg and xdg.startswith(b"/"):
        return xdg.decode() + "/bastion"
    return f"/tmp/bastion-{posix.getuid()}"


def secure_runtime_dir(create: bool = True) -> tuple[str | None, str]:
    """The runtime directory if only this user can use it, else (None, why not).

    The socket is trusted because its directory is: owned by us and mode 0700, so no other
    user can plant a fake daemon there."""
    path = runtime_dir()
    try:
        st = posix.lstat(path)
    except FileNotFoundError:
        if not create:
            return None, f"{path} does not exist"
        try:
            posix.mkdir(path, 0o700)
            st = posix.lstat(path)
        except OSError as exc:
            return None, f"cannot create {path}: {exc.strerror}"
    except OSError as exc:
        return None, f"cannot inspect {path}: {exc.strerror}"
    if (st.st_mode & 0o170000) != 0o040000:
        return None, f"{path} is not a directory"
    if st.st_uid != posix.getuid():
        return None, f"{path} belongs to another user"
    if st.st_mode & 0o077:
        return None, f"{path} is open to other users (mode {st.st_mode & 0o777:o})"
    return path, ""


# --- answers when bastion itself cannot judge ----------------------------------------------


def json_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def failure_answer(agent: str, reason: str) -> tuple[bytes, int, bytes]:
    """(stdout, exit code, stderr) denying in `agent`'s format, built without `json`."""
    r = json_string(reason)
    if agent in ("claude", "codex"):
        body = (
            '{"hookSpecificOutput": {"hookEventName": "PreToolUse", '
            f'"permissionDecision": "deny", "permissionDecisionReason": {r}}}}}'
        )
    elif agent == "gemini":
        body = f'{{"decision": "deny", "reason": {r}}}'
    elif agent == "copilot":
        # Exit codes are undocumented for Copilot CLI; the JSON deny is the documented path.
        body = f'{{"permissionDecision": "deny", "permissionDecisionReason": {r}}}'
        return (body + "\n").encode(), 0, (reason + "\n").encode()
    else:  # cursor, and an unknown agent: every shape, and the exit code that blocks
        body = (
            f'{{"permission": "deny", "decision": "deny", "reason": {r}, '
            f'"agentMessage": {r}, "userMessage": {json_string(_USER_MESSAGE)}}}'
        )
    return (body + "\n").encode(), 2, (reason + "\n").encode()


# --- talking to the daemon -----------------------------------------------------------------


def encode_request(agent: str, raw: bytes, cwd: str) -> bytes:
    where = cwd.encode().hex().encode()
    header = b"%s HOOK %s %d %s\n" % (PROTOCOL, agent.encode(), len(raw), where)
    return header + raw


def encode_reply(stdout: bytes, exit_code: int, stderr: bytes) -> bytes:
    return b"%s %d %d %d\n" % (PROTOCOL, exit_code, len(stdout), len(stderr)) + stdout + stderr


def decode_reply(data: bytes) -> tuple[bytes, int, bytes] | None:
    """(stdout, exit, stderr) from a complete reply, or None if `data` is not one (yet)."""
    end = data.find(b"\n")
    if end < 0:
        return None
    parts = data[:end].split(b" ")
    if len(parts) != 4 or parts[0] != PROTOCOL:
        raise ValueError("not a bastion reply")
    code, out_len, err_len = int(parts[1]), int(parts[2]), int(parts[3])
    body = data[end + 1 :]
    if len(body) < out_len + err_len:
        return None
    return body[:out_len], code, body[out_len : out_len + err_len]


def ask_daemon(directory: str, request: bytes) -> tuple[bytes, int, bytes] | None:
    """The daemon's answer, or None if there is no daemon or it did not answer properly."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(DAEMON_TIMEOUT_S)
        sock.connect(directory + "/" + SOCKET_NAME)
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return None  # the daemon went away mid-answer
            data += chunk
            reply = decode_reply(data)
            if reply is not None:
                return reply
    except (OSError, ValueError):
        return None
    finally:
        sock.close()


def start_daemon(directory: str) -> None:
    """Start a daemon in its own session, detached from the agent's pipes (an agent waits for
    every holder of the hook's stdout to close it)."""
    log = directory + "/daemon.log"
    append = posix.O_WRONLY | posix.O_CREAT | posix.O_APPEND
    posix.posix_spawn(
        sys.executable,
        [sys.executable, "-I", "-m", "bastion.hooks.daemon", "serve"],
        posix.environ,
        file_actions=[
            (posix.POSIX_SPAWN_OPEN, 0, "/dev/null", posix.O_RDONLY, 0),
            (posix.POSIX_SPAWN_OPEN, 1, "/dev/null", posix.O_WRONLY, 0),
            (posix.POSIX_SPAWN_OPEN, 2, log, append, 0o600),
        ],
        setsid=True,
    )


def evaluate_in_process(agent: str, raw: bytes, cwd: str) -> tuple[bytes, int, bytes]:
    """No daemon: load bastion here (site-packages were skipped by -S) and judge directly."""
    import gc
    import os
    import site

    # A short-lived process that allocates a policy's worth of objects and exits: collecting
    # cycles along the way is pure start-up time (inputs are capped, so memory stays bounded).
    gc.disable()
    site.main()
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if package_parent not in sys.path:
        sys.path.append(package_parent)
    from bastion.hooks.policies import PolicyCache
    from bastion.hooks.runner import answer

    reply = answer(agent, raw, PolicyCache(), cwd)
    _judged_here.append(True)
    return reply.stdout, reply.exit_code, reply.stderr


# --- the hook ------------------------------------------------------------------------------


def _on_alarm(signum: int, frame: object) -> None:
    raise _Deadline()


def read_payload() -> bytes | None:
    """stdin up to the cap; None if it is larger (the rest is drained so the agent's write
    does not fail on a closed pipe)."""
    chunks: list[bytes] = []
    size = 0
    too_big = False
    while True:
        chunk = posix.read(0, 1 << 16)
        if not chunk:
            break
        if not too_big:
            size += len(chunk)
            if size > MAX_PAYLOAD_BYTES:
                too_big = True
                chunks.clear()
            else:
                chunks.append(chunk)
    return None if too_big else b"".join(chunks)


def run(agent: str) -> tuple[bytes, int, bytes]:
    if agent not in AGENTS:
        return failure_answer(
            agent, f"bastion hook: unknown agent {agent!r} (expected one of: {', '.join(AGENTS)})"
        )
    _signal.signal(_signal.SIGALRM, _on_alarm)
    _signal.alarm(STDIN_DEADLINE_S)
    try:
        raw = read_payload()
    except _Deadline:
        return failure_answer(agent, "bastion: the hook payload did not arrive in time; denied")
    finally:
        _signal.alarm(0)
    if raw is None:
        return failure_answer(
            agent, f"bastion: the hook payload is larger than {MAX_PAYLOAD_BYTES} bytes; denied"
        )
    try:
        cwd = posix.getcwd()
    except OSError:
        cwd = ""
    directory, why = secure_runtime_dir()
    if directory is not None:
        reply = ask_daemon(directory, encode_request(agent, raw, cwd))
        if reply is not None:
            return reply
        # Started once this call is answered (see main): on a busy machine a daemon starting
        # now would compete for the CPU with the judging below.
        _pending_daemon.append(directory)
    else:
        posix.write(2, f"bastion: not using a daemon: {why}\n".encode())
    return evaluate_in_process(agent, raw, cwd)


_pending_daemon: list[str] = []
_judged_here: list[bool] = []


def main(argv: list[str]) -> int:
    agent = argv[1] if len(argv) > 1 else ""
    try:
        stdout, code, stderr = run(agent)
    except BaseException as exc:  # the one place that must catch everything
        stdout, code, stderr = failure_answer(
            agent, f"bastion: the hook failed ({type(exc).__name__}: {exc}); denied"
        )
    try:
        _write_all(1, stdout)
        _write_all(2, stderr)
    except OSError:
        return 2
    for directory in _pending_daemon:
        try:  # noqa: SIM105 - contextlib is start-up time this module avoids
            start_daemon(directory)
        except OSError:
            pass  # the next hook judges in-process again, and tries again
    if _judged_here:
        # Tearing down a whole policy's worth of modules and objects is time the agent waits
        # for; everything is written (stdout/stderr by fd, audit records committed).
        posix._exit(code)
    return code


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[posix.write(fd, view) :]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
