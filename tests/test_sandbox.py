"""The sandbox, really run on this machine: filesystem, processes, limits, network, env."""

from __future__ import annotations

import http.server
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.config import ConfigError, load_config
from bastion.network.resolvers import StaticResolver
from bastion.sandbox import seccomp
from bastion.sandbox.agent import agent_mode, is_wrapped, wrap_command
from bastion.sandbox.container import ContainerBackend
from bastion.sandbox.events import ConnectionEvent
from bastion.sandbox.interface import RunOptions, SandboxRefused
from bastion.sandbox.local import LocalBackend
from bastion.sandbox.probe import doctor_report
from bastion.sandbox.profile import Limits, NetworkMode, Profile, network_mode
from bastion.sandbox.runner import Sandbox

FIXTURE = Path(__file__).parent / "fixtures" / "sandbox_project"
PY = sys.executable

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the local sandbox is Linux")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fake = tmp_path / "home"
    (fake / ".ssh").mkdir(parents=True)
    (fake / ".ssh" / "id_ed25519").write_text("PRIVATE KEY MATERIAL\n")
    (fake / "notes.txt").write_text("plain notes\n")
    monkeypatch.setenv("HOME", str(fake))
    monkeypatch.setenv("BASTION_USER_CONFIG", str(tmp_path / "no-user-config.toml"))
    monkeypatch.setenv("BASTION_SYSTEM_CONFIG", str(tmp_path / "no-system-config.toml"))
    return fake


@pytest.fixture
def workspace(tmp_path: Path, home: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


def profile_for(workspace: Path, name: str = "default", **changes: object) -> Profile:
    profile = Profile.from_config(load_config(workspace), name, str(workspace))
    return profile.replace(**changes) if changes else profile


def run(workspace: Path, command: str, profile: Profile | None = None, **kw: object) -> object:
    sandbox = Sandbox(profile or profile_for(workspace), kw.pop("backend", None))  # type: ignore[arg-type]
    return sandbox.run(["sh", "-c", command], str(workspace), **kw)  # type: ignore[arg-type]


def leftover(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline and int(entry) != os.getpid():
                found.append(int(entry))
    return found


# -- filesystem ------------------------------------------------------------------------------


def test_workspace_writable_outside_not_and_output_unchanged(
    workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    result = Sandbox(profile_for(workspace)).run(
        ["sh", "-c", f"echo made > inside.txt; echo bad > {outside}; echo to-out; "
         "echo to-err >&2; exit 7"],
        str(workspace),
    )  # fmt: skip
    assert result.exit_code == 7
    assert result.stdout == b"to-out\n"
    assert b"to-err" in result.stderr
    assert (workspace / "inside.txt").read_text() == "made\n"
    assert not outside.exists()
    assert "landlock" in result.features_used and "mountns" in result.features_used


def test_system_paths_are_read_only(workspace: Path) -> None:
    result = run(workspace, "cat /etc/hostname >/dev/null && touch /etc/bastion-sbx-probe")
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert not os.path.exists("/etc/bastion-sbx-probe")


def test_ssh_dir_unreadable_when_home_is_not_granted(workspace: Path, home: Path) -> None:
    result = run(workspace, f"cat {home}/.ssh/id_ed25519")
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert b"PRIVATE" not in result.stdout  # type: ignore[attr-defined]


def test_ssh_dir_hidden_even_when_home_is_readable(workspace: Path, home: Path) -> None:
    base = profile_for(workspace)
    assert str(home / ".ssh") in base.hidden  # from [paths] sensitive, expanded
    profile = base.replace(read_only=(*base.read_only, str(home)))
    result = run(workspace, f"cat {home}/notes.txt; cat {home}/.ssh/id_ed25519", profile)
    assert result.stdout == b"plain notes\n"  # type: ignore[attr-defined]
    assert result.exit_code != 0  # type: ignore[attr-defined]


def test_private_tmp_is_private(workspace: Path) -> None:
    marker = f"/tmp/bastion-sbx-{os.getpid()}-{time.monotonic_ns()}"
    result = run(workspace, f'echo x > {marker} && echo "$TMPDIR" && cat {marker}')
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert not os.path.exists(marker)


def test_readonly_profile_cannot_write_workspace(workspace: Path) -> None:
    result = run(workspace, "echo x > f.txt", profile_for(workspace, "readonly"))
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert not (workspace / "f.txt").exists()


# -- processes and limits ----------------------------------------------------------------------


def test_double_forked_daemons_do_not_survive(workspace: Path) -> None:
    marker = f"30{os.getpid() % 1000:03d}7"
    daemon = (
        "import os,time\n"
        "if os.fork()==0:\n os.setsid()\n if os.fork()==0:\n"
        f"  time.sleep(int('{marker}'))\n"
        " os._exit(0)\n"
    )
    command = f"setsid sh -c 'sleep {marker} &' ; nohup sleep {marker} >/dev/null 2>&1 & " \
              f"{PY} -c {shlex.quote(daemon)}; sleep 0.3; echo started"  # fmt: skip
    result = run(workspace, command)
    assert result.stdout == b"started\n"  # type: ignore[attr-defined]
    time.sleep(0.2)
    assert leftover(marker) == []


def test_fork_bomb_is_held_and_host_stays_responsive(workspace: Path) -> None:
    profile = profile_for(workspace).replace(limits=Limits(processes=40, wall_seconds=4))
    started = time.monotonic()
    result = run(workspace, "b() { b | b & }; b; sleep 30", profile)
    took = time.monotonic() - started
    assert took < 15
    assert result.killed_by == "wall_timeout"  # type: ignore[attr-defined]
    probe = subprocess.run(["true"], timeout=5)  # the host can still fork
    assert probe.returncode == 0


def test_process_limit_refuses_forks(workspace: Path) -> None:
    profile = profile_for(workspace).replace(limits=Limits(processes=20, wall_seconds=20))
    script = textwrap.dedent("""
        import os, sys
        n = 0
        try:
            for _ in range(200):
                if os.fork() == 0:
                    import time; time.sleep(5); os._exit(0)
                n += 1
        except OSError as exc:
            print("stopped", n, exc.errno); sys.exit(0)
        print("all", n)
    """)
    result = Sandbox(profile).run([PY, "-c", script], str(workspace))
    words = result.stdout.split()
    assert words[0] == b"stopped" and int(words[1]) < 20


def test_memory_hog_is_stopped_at_its_limit(workspace: Path) -> None:
    profile = profile_for(workspace).replace(limits=Limits(memory_mb=128, wall_seconds=30))
    hog = "b = bytearray(512 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); print('survived')"
    result = Sandbox(profile).run([PY, "-c", hog], str(workspace))
    assert result.exit_code != 0
    assert b"survived" not in result.stdout
    assert result.killed_by == "memory" or b"MemoryError" in result.stderr


def test_cpu_limit(workspace: Path) -> None:
    profile = profile_for(workspace).replace(limits=Limits(cpu_seconds=1, wall_seconds=20))
    result = Sandbox(profile).run([PY, "-c", "while True: pass"], str(workspace))
    assert result.killed_by == "cpu"
    assert result.exit_code == 128 + 24


def test_seccomp_denies_ptrace_raw_sockets_and_namespaces(workspace: Path) -> None:
    if not seccomp.supported():
        pytest.skip("no seccomp filter for this architecture")
    script = textwrap.dedent("""
        import ctypes, os, socket
        libc = ctypes.CDLL(None, use_errno=True)
        out = []
        out.append(libc.ptrace(16, os.getppid(), 0, 0) == -1 and ctypes.get_errno())
        try:
            socket.socket(socket.AF_UNIX, socket.SOCK_RAW); out.append("raw-ok")
        except OSError as exc:
            out.append(exc.errno)
        out.append(libc.unshare(0x10000000) == -1 and ctypes.get_errno())
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
        print(out)
    """)
    result = Sandbox(profile_for(workspace)).run([PY, "-c", script], str(workspace))
    assert result.stdout.strip() == b"[1, 13, 1]", result.stderr


# -- network ---------------------------------------------------------------------------------


@pytest.fixture
def local_server() -> Iterator[tuple[int, list[str]]]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = b"hello from the allowed host\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()


CONNECT = "import socket,sys; s=socket.create_connection(('127.0.0.1', int(sys.argv[1])), 3)"


def test_network_off_cannot_reach_local_server(
    workspace: Path, local_server: tuple[int, list[str]]
) -> None:
    port, hits = local_server
    result = Sandbox(profile_for(workspace)).run([PY, "-c", CONNECT, str(port)], str(workspace))
    assert result.exit_code != 0
    assert b"Permission denied" in result.stderr or b"unreachable" in result.stderr
    assert hits == []


def test_network_on_reaches_local_server(
    workspace: Path, local_server: tuple[int, list[str]]
) -> None:
    port, _ = local_server
    profile = profile_for(workspace, "network")
    result = Sandbox(profile).run([PY, "-c", CONNECT, str(port)], str(workspace))
    assert result.exit_code == 0, result.stderr


FETCH = textwrap.dedent("""
    import sys, urllib.request, urllib.error, http.client, os
    try:
        print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().strip())
    except urllib.error.HTTPError as exc:
        print("refused", exc.code, exc.read().decode().strip())
    host, port = sys.argv[2].split(":")
    proxy = os.environ["HTTPS_PROXY"].rsplit(":", 1)
    conn = http.client.HTTPConnection(proxy[0].split("//")[1], int(proxy[1]), timeout=10)
    conn.set_tunnel(host, int(port))  # a CONNECT tunnel, as HTTPS uses
    try:
        conn.request("GET", "/tunnel"); print("tunnel", conn.getresponse().status)
    except OSError as exc:
        print("tunnel refused", exc)
""")


def test_proxy_allows_named_host_and_refuses_others(
    workspace: Path, local_server: tuple[int, list[str]]
) -> None:
    port, hits = local_server
    events: list[ConnectionEvent] = []
    resolver = StaticResolver({"allowed.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    base = profile_for(workspace, "proxy")
    from bastion.network.policy import NetworkPolicy

    egress = NetworkPolicy.build(["allowed.test"], allowed_addresses=[f"127.0.0.1:{port}"])
    sandbox = Sandbox(base.replace(egress=egress), LocalBackend(resolver, events.append))
    ok = sandbox.run([PY, "-c", FETCH, f"http://allowed.test:{port}/page", f"allowed.test:{port}"],
                     str(workspace))  # fmt: skip
    assert ok.stdout.splitlines() == [b"hello from the allowed host", b"tunnel 200"], ok.stderr
    assert hits == ["/page", "/tunnel"]
    bad = sandbox.run([PY, "-c", FETCH, f"http://other.test:{port}/x", f"other.test:{port}"],
                      str(workspace))  # fmt: skip
    lines = bad.stdout.decode().splitlines()
    assert lines[0].startswith("refused 403 bastion sandbox: other.test refused")
    assert "allowed_domains" in lines[0]
    assert lines[1].startswith("tunnel refused") and "403" in lines[1]
    assert hits == ["/page", "/tunnel"]
    assert [(e.host, e.allowed) for e in events] == [
        ("allowed.test", True), ("allowed.test", True), ("other.test", False),
        ("other.test", False),
    ]  # fmt: skip
    assert events[0].address == "127.0.0.1"
    # Direct connections still fail: only the proxy is reachable.
    direct = sandbox.run([PY, "-c", CONNECT, str(port)], str(workspace))
    assert direct.exit_code != 0


def test_proxy_refuses_metadata_and_private_addresses(
    workspace: Path, local_server: tuple[int, list[str]]
) -> None:
    port, hits = local_server
    resolver = StaticResolver({"sneaky.test": ["127.0.0.1"], "meta.test": ["169.254.169.254"]})
    from bastion.network.policy import NetworkPolicy

    egress = NetworkPolicy.build(["sneaky.test", "meta.test"])  # names allowed, no address grant
    profile = profile_for(workspace, "proxy").replace(egress=egress)
    sandbox = Sandbox(profile, LocalBackend(resolver))
    result = sandbox.run([PY, "-c", FETCH, f"http://sneaky.test:{port}/", "meta.test:80"],
                         str(workspace))  # fmt: skip
    out = result.stdout.decode()
    assert "refused 403" in out and "loopback" in out
    assert "tunnel refused" in out
    assert hits == []


# -- environment -------------------------------------------------------------------------------


def test_secret_env_absent_unless_profile_names_it(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOY_API_KEY", "s3cr3t")
    monkeypatch.setenv("OTHER_TOKEN", "t0k3n")
    show = [PY, "-c", "import os; print(os.environ.get('DEPLOY_API_KEY'), "
            "os.environ.get('OTHER_TOKEN'), 'PATH' in os.environ)"]  # fmt: skip
    result = Sandbox(profile_for(workspace)).run(show, str(workspace))
    assert result.stdout == b"None None True\n"
    # A project file may not pass a secret through (that relaxes); the user's config may.
    (workspace / ".bastion").mkdir()
    passing = '[sandbox]\nenv_pass = ["DEPLOY_API_KEY"]\n'
    (workspace / ".bastion" / "config.toml").write_text(passing)
    assert Sandbox(profile_for(workspace)).run(show, str(workspace)).stdout == b"None None True\n"
    user = workspace.parent / "user.toml"
    user.write_text(passing)
    monkeypatch.setenv("BASTION_USER_CONFIG", str(user))
    named = Sandbox(profile_for(workspace)).run(show, str(workspace))
    assert named.stdout == b"s3cr3t None True\n"


# -- the real project --------------------------------------------------------------------------


def test_pytest_passes_on_fixture_project_in_default_profile(workspace: Path) -> None:
    for name in ("calc.py", "check_calc.py"):
        shutil.copy(FIXTURE / name, workspace / name)
    result = Sandbox(profile_for(workspace)).run(
        [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "check_calc.py"], str(workspace)
    )
    assert result.exit_code == 0, result.stdout.decode() + result.stderr.decode()
    assert b"2 passed" in result.stdout
    assert (workspace / "out.txt").read_text() == "ok"


# -- CLI ---------------------------------------------------------------------------------------


def cli(workspace: Path, *words: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PY, "-m", "bastion.cli.run_cmd", "--cwd", str(workspace), *words],
        capture_output=True, timeout=60, cwd=workspace,
    )  # fmt: skip


def test_cli_passes_output_and_exit_code(workspace: Path) -> None:
    done = cli(workspace, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert done.returncode == 3
    assert done.stdout == b"out\n"
    assert done.stderr == b"err\n"


def test_cli_require_unknown_feature_is_usage_error(workspace: Path) -> None:
    done = cli(workspace, "--require", "warp-drive", "--", "true")
    assert done.returncode == 64 and b"unknown sandbox feature" in done.stderr


def test_require_refuses_when_layer_missing(workspace: Path) -> None:
    profile = profile_for(workspace, "network")  # no network namespace is made for "on"
    with pytest.raises(SandboxRefused) as info:
        Sandbox(profile).run(["sh", "-c", "touch ran"], str(workspace), require=["netns"])
    assert info.value.feature == "netns"
    assert not (workspace / "ran").exists()
    done = cli(workspace, "--profile", "network", "--require", "netns", "--", "touch", "ran")
    assert done.returncode == 125 and b"was not run" in done.stderr
    assert not (workspace / "ran").exists()


NOBODY = 65534


def _reachable_by_others(path: str) -> bool:
    """Every directory above `path` is searchable by other users (nobody can run it)."""
    real = Path(os.path.realpath(path))
    return all(p.stat().st_mode & 0o001 for p in real.parents) and bool(real.stat().st_mode & 0o005)


SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
@pytest.mark.skipif(
    not os.path.exists(SYSTEM_PYTHON) or not _reachable_by_others(SYSTEM_PYTHON)
    or not _reachable_by_others(__file__),
    reason="no Python (or bastion source) that nobody can run",
)  # fmt: skip
def test_launcher_as_nobody_takes_the_user_namespace_path(home: Path) -> None:
    """The launcher needs only the standard library, so the system Python runs it as nobody:
    the namespaces come from a user namespace and the filesystem rules still hold."""
    base = Path(tempfile.mkdtemp(prefix="bastion-nobody-"))  # pytest's tmp is root-only
    base.chmod(0o755)
    try:
        _as_nobody(base)
    finally:
        shutil.rmtree(base)


def _as_nobody(base: Path) -> None:
    ws, outside = base / "nobody-ws", base / "nobody-outside"
    for directory in (ws, outside):
        directory.mkdir()
        os.chown(directory, NOBODY, NOBODY)
    profile = profile_for(ws).replace(limits=Limits(processes=30, wall_seconds=20))
    sandbox = Sandbox(profile, LocalBackend(python=SYSTEM_PYTHON, user=NOBODY))
    result = sandbox.run(
        ["sh", "-c", f"id -u; echo in > in.txt; ps -e | wc -l; echo out > {outside}/x.txt"],
        str(ws),
    )
    assert "userns" in result.features_used and "pidns" in result.features_used
    assert "landlock" in result.features_used and "seccomp" in result.features_used
    lines = result.stdout.split()
    assert lines[0] == str(NOBODY).encode()
    assert int(lines[1]) <= 5  # only the sandbox's own processes are visible
    assert result.exit_code != 0 and not (outside / "x.txt").exists()
    assert (ws / "in.txt").read_text() == "in\n"
    assert "cgroup" in result.features_used  # the run's cgroup, delegated to nobody
    forks = "import os,time\nn=0\ntry:\n for i in range(100):\n  if os.fork()==0:\n" \
            "   time.sleep(3); os._exit(0)\n  n+=1\nexcept OSError: print('held', n)"  # fmt: skip
    bomb = sandbox.run([SYSTEM_PYTHON, "-c", forks], str(ws))
    assert bomb.stdout.startswith(b"held"), bomb


# -- agent mode, config, container backend, doctor -------------------------------------------


@pytest.mark.parametrize(
    "command",
    ["echo 'a b' \"$HOME\" $(id -u); x=1 && echo `date` | cat", "printf '%s\\n' \"it's\"", ""],
)
def test_wrap_command_round_trips(command: str) -> None:
    wrapped = wrap_command(command, "proxy", "/work/my project")
    words = shlex.split(wrapped)
    assert words == ["bastion", "run", "--profile", "proxy", "--cwd", "/work/my project", "--",
                     "bash", "-c", command]  # fmt: skip
    assert is_wrapped(wrapped) and not is_wrapped(command)


def test_wrapped_command_runs_the_exact_text(workspace: Path) -> None:
    command = "printf '%s|' \"it's\" 'a  b'"
    wrapped = wrap_command(command, "default", str(workspace),
                           executable=f"{PY} -m bastion.cli.run_cmd")  # fmt: skip
    # `executable` with spaces is quoted as one word; split it back for this test.
    words = shlex.split(wrapped)
    done = subprocess.run([*shlex.split(words[0]), *words[2:]], capture_output=True, timeout=60)
    assert done.stdout == b"it's|a  b|"


def test_project_config_may_tighten_not_relax(tmp_path: Path, home: Path) -> None:
    ws = tmp_path / "proj"
    (ws / ".bastion").mkdir(parents=True)
    (ws / ".bastion" / "config.toml").write_text(
        '[sandbox]\nnetwork = ["on"]\nagent_mode = true\nmemory_mb = 999999\nprocesses = 10\n'
    )
    config = load_config(ws)
    assert config.value("sandbox.network") == ()
    assert config.value("sandbox.agent_mode") is True  # turning it on tightens
    profile = Profile.from_config(config, "default", str(ws))
    assert profile.network is NetworkMode.OFF
    assert profile.limits.memory_mb == 4096 and profile.limits.processes == 10
    user = tmp_path / "user.toml"
    user.write_text("[sandbox]\nagent_mode = true\n")
    (ws / ".bastion" / "config.toml").write_text("[sandbox]\nagent_mode = false\n")
    lowered = load_config(ws, user_path=str(user))
    assert agent_mode(lowered) is True
    assert any("agent_mode" in w for w in lowered.warnings)


def test_network_mode_grants() -> None:
    assert network_mode([]) is NetworkMode.OFF
    assert network_mode(["proxy"]) is NetworkMode.PROXY
    assert network_mode(["proxy", "on"]) is NetworkMode.ON
    with pytest.raises(ConfigError, match="unknown value"):
        network_mode(["everything"])


def test_unknown_profile_name(workspace: Path) -> None:
    with pytest.raises(ValueError, match="known: default"):
        profile_for(workspace, "nope")


def test_container_backend_hardened_arguments(workspace: Path) -> None:
    profile = profile_for(workspace).replace(limits=Limits(processes=64, memory_mb=512))
    backend = ContainerBackend("podman", "img:1")
    args = backend.argv(profile, ["make", "test"], RunOptions(cwd=str(workspace), env={}))
    joined = " ".join(args)
    assert args[:3] == ["podman", "run", "--rm"]
    assert args[-3:] == ["img:1", "make", "test"]
    for flag in ("--cap-drop ALL", "--security-opt no-new-privileges", "--pids-limit 64",
                 "--read-only", "--network none", "--memory 512m", "--cpus 1"):  # fmt: skip
        assert flag in joined
    assert any(a.startswith("/tmp:rw,noexec,nosuid") for a in args)
    assert f"source={workspace},target=/workspace,rw" in joined
    on = backend.argv(profile.replace(network=NetworkMode.ON), ["x"], RunOptions(cwd="/"))
    assert "--network" not in on
    with pytest.raises(SandboxRefused):
        backend.run(profile.replace(network=NetworkMode.PROXY), ["x"], RunOptions(cwd="/"))


def test_doctor_report_names_each_layer() -> None:
    report = {name: (ok, detail) for name, ok, detail in doctor_report()}
    assert {"landlock", "seccomp", "user namespaces", "cgroup limits"} <= set(report)
    abi = int(report["landlock"][1].split()[-1]) if report["landlock"][0] else 0
    assert report["landlock network rules"][0] == (abi >= 4)
