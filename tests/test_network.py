"""The network layer: host parsing, address classes, the policy, fetch and shell judgements.

No test here touches the network: names resolve through a StaticResolver, and the system
resolver is exercised with getaddrinfo replaced."""

from __future__ import annotations

import ipaddress
import socket
import threading
from pathlib import Path

import pytest

from bastion.config import ConfigError, builtin_config, load_config
from bastion.model import Decision, Finding, Tier, ToolCall, ToolKind
from bastion.network import (
    AddressClass,
    HostError,
    NetworkLayer,
    NetworkPolicy,
    ResolveError,
    StaticResolver,
    SystemResolver,
    classify,
    classify_name,
    contacted_hosts,
    parse_host,
    url_hosts,
)
from bastion.network.hosts import embedded_ipv4, parse_ipv4
from bastion.network.layer import _default_analyse

PUBLIC = {
    "pypi.org": ["151.101.0.223", "2a04:4e42::223"],
    "example.com": ["93.184.215.14"],
    "github.com": ["140.82.121.4"],
}


def fetch(url: str) -> ToolCall:
    return ToolCall(kind=ToolKind.FETCH, tool_name="WebFetch", raw_input={"url": url}, urls=())


def layer(policy: NetworkPolicy | None = None, answers: dict[str, list[str]] | None = None):
    resolver = StaticResolver({**PUBLIC, **(answers or {})})
    return NetworkLayer(policy, resolver, _ANALYSE), resolver


_ANALYSE = _default_analyse()


def decision(findings: list[Finding] | tuple[Finding, ...]) -> Decision:
    return max((f.decision for f in findings), default=Decision.ALLOW)


# --- hosts -----------------------------------------------------------------------------------

LOOPBACK_SPELLINGS = [
    "2130706433", "0x7f000001", "0X7F000001", "0x7f.0.0.1", "0x7f.0x0.0x0.0x1", "0177.0.0.1",
    "017700000001", "0177.0.0.01", "127.1", "127.0.1", "0x7f.1", "127.0.0.1.", "127.000.000.001",
    "0x7f.0.0x0.1", "%31%32%37.0.0.1", "１２７.０.０.１", "127。0。0。1",
]  # fmt: skip


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_every_ipv4_spelling_is_read_as_the_address(spelling: str) -> None:
    ref = url_hosts(f"http://{spelling}/x")[0]
    assert ref.host == "127.0.0.1"
    assert ref.obfuscated


@pytest.mark.parametrize(
    ("text", "address"),
    [("10.1", "10.0.0.1"), ("10.0x10000", "10.1.0.0"), ("0", "0.0.0.0"), ("3232235777",
     "192.168.1.1"), ("0xa9fea9fe", "169.254.169.254"), ("169.254.43518", "169.254.169.254"),
     ("0251.0376.0251.0376", "169.254.169.254"), ("0x", "0.0.0.0")],
)  # fmt: skip
def test_short_and_mixed_ipv4_forms(text: str, address: str) -> None:
    assert parse_ipv4(text) == ipaddress.IPv4Address(address)


@pytest.mark.parametrize("text", ["1.2.3.256", "256.1", "1.2.3.4.5", "foo.0x7f", "08.1.1.1"])
def test_numeric_hosts_no_client_accepts_are_errors(text: str) -> None:
    with pytest.raises(HostError):
        parse_host(text)


def test_plain_addresses_are_not_obfuscated() -> None:
    assert not url_hosts("http://127.0.0.1:8000/")[0].obfuscated
    assert not url_hosts("http://[::1]/")[0].obfuscated
    assert parse_ipv4("example.com") is None


@pytest.mark.parametrize(
    ("url", "hosts"),
    [
        ("http://good.com@169.254.169.254/", {"169.254.169.254"}),
        ("http://a@b@169.254.169.254/", {"169.254.169.254"}),
        ("http://169.254.169.254#@good.com", {"169.254.169.254"}),
        ("http://169.254.169.254?@good.com/", {"169.254.169.254"}),
        # WHATWG ends the authority at the backslash, RFC 3986 readers do not: both are judged.
        ("http://good.com\\@169.254.169.254/", {"good.com", "169.254.169.254"}),
        ("http:\\\\169.254.169.254\\latest", {"169.254.169.254"}),
        ("http:/169.254.169.254/", {"169.254.169.254"}),
        ("HTTP://LocalHost./", {"localhost"}),
        ("http://Bücher.example/", {"xn--bcher-kva.example"}),
        ("http://[fe80::1%25eth0]:8080/", {"fe80::1"}),
        ("http://[::ffff:127.0.0.1]/", {"::ffff:7f00:1"}),
        ("  http://exa\tmple.com/ ", {"example.com"}),
    ],
)
def test_url_readings(url: str, hosts: set[str]) -> None:
    assert {r.host for r in url_hosts(url)} == hosts


def test_ports_and_default_scheme() -> None:
    assert url_hosts("https://example.com/")[0].port == 443
    assert url_hosts("http://example.com:8080/")[0].port == 8080
    ref = url_hosts("localhost:3000/api", default_scheme="http")[0]
    assert (ref.host, ref.port, ref.scheme) == ("localhost", 3000, "http")
    with pytest.raises(HostError):
        url_hosts("http://example.com:99999/")
    with pytest.raises(HostError):
        url_hosts("example.com/no-scheme")


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::ffff:7f00:1", "127.0.0.1"),
        ("::127.0.0.1", "127.0.0.1"),
        ("::ffff:0:a9fe:a9fe", "169.254.169.254"),
        ("64:ff9b::10.0.0.1", "10.0.0.1"),
        ("2002:c0a8:101::1", "192.168.1.1"),
    ],
)
def test_embedded_ipv4(address: str, embedded: str) -> None:
    assert ipaddress.IPv4Address(embedded) in embedded_ipv4(ipaddress.IPv6Address(address))


# --- address classes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "cls"),
    [
        ("169.254.169.254", AddressClass.METADATA),
        ("fd00:ec2::254", AddressClass.METADATA),
        ("100.100.100.200", AddressClass.METADATA),
        ("::ffff:169.254.169.254", AddressClass.METADATA),
        ("64:ff9b::a9fe:a9fe", AddressClass.METADATA),
        ("127.0.0.1", AddressClass.LOOPBACK),
        ("127.255.0.9", AddressClass.LOOPBACK),
        ("::1", AddressClass.LOOPBACK),
        ("::ffff:7f00:1", AddressClass.LOOPBACK),
        ("10.0.0.1", AddressClass.PRIVATE),
        ("172.31.255.255", AddressClass.PRIVATE),
        ("192.168.0.1", AddressClass.PRIVATE),
        ("fd12:3456::1", AddressClass.PRIVATE),
        ("fec0::1", AddressClass.PRIVATE),
        ("64:ff9b::10.0.0.1", AddressClass.PRIVATE),
        ("2002:c0a8:101::1", AddressClass.PRIVATE),
        ("169.254.1.1", AddressClass.LINK_LOCAL),
        ("fe80::1", AddressClass.LINK_LOCAL),
        ("100.64.0.1", AddressClass.SHARED),
        ("0.0.0.0", AddressClass.UNSPECIFIED),
        ("::", AddressClass.UNSPECIFIED),
        ("224.0.0.1", AddressClass.MULTICAST),
        ("ff02::1", AddressClass.MULTICAST),
        ("255.255.255.255", AddressClass.BROADCAST),
        ("192.0.2.1", AddressClass.RESERVED),
        ("2001:db8::1", AddressClass.RESERVED),
        ("240.0.0.1", AddressClass.RESERVED),
        ("::8.8.8.8", AddressClass.RESERVED),
        ("8.8.8.8", AddressClass.PUBLIC),
        ("2606:4700::1111", AddressClass.PUBLIC),
        ("::ffff:8.8.8.8", AddressClass.PUBLIC),
        ("64:ff9b::8.8.8.8", AddressClass.PUBLIC),
    ],
)
def test_classify(address: str, cls: AddressClass) -> None:
    assert classify(ipaddress.ip_address(address)) is cls


def test_teredo_endpoints_are_judged() -> None:
    # Teredo server 65.54.227.120, client 192.168.1.1 (stored inverted).
    teredo = ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:3f57:fefe")
    assert classify(teredo) is AddressClass.PRIVATE


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("metadata.google.internal", AddressClass.METADATA),
        ("metadata.goog", AddressClass.METADATA),
        ("localhost", AddressClass.LOOPBACK),
        ("api.localhost", AddressClass.LOOPBACK),
        ("app.lvh.me", AddressClass.LOOPBACK),
        ("127.0.0.1.nip.io", AddressClass.LOOPBACK),
        ("app-169-254-169-254.sslip.io", AddressClass.METADATA),
        ("printer.local", AddressClass.PRIVATE),
        ("db.corp.internal", AddressClass.PRIVATE),
        ("example.com", None),
        ("8.8.8.8.nip.io", AddressClass.PUBLIC),
    ],
)
def test_classify_name(name: str, cls: AddressClass | None) -> None:
    assert classify_name(name) is cls


# --- fetch calls -----------------------------------------------------------------------------

SSRF_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata.goog/",
    "http://[fd00:ec2::254]/latest/",
    "http://100.100.100.200/latest/meta-data/",
    "http://good.com@169.254.169.254/",
    "http://169.254.169.254#@good.com",
    "http://good.com\\@169.254.169.254/",
    "http://0xa9fea9fe/",
    "http://2852039166/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://127.0.0.1:8000/admin",
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST:6379/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://127.1/",
    "http://0/",
    "http://0.0.0.0:8080/",
    "http://[::]/",
    "http://[::1]:8080/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::10.0.0.1]/",
    "http://[2002:c0a8:101::1]/",
    "http://[2001:0:4136:e378:8000:63bf:3f57:fefe]/",
    "http://[fe80::1%25eth0]/",
    "http://10.0.0.1/",
    "http://10.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fd12::1]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.10/",
    "http://127.0.0.1.nip.io/",
    "http://printer.local/",
    "https://internal.example/",  # resolves to a private address (below)
    "https://mixed.example/",  # one public and one private answer
    "http://１２７.０.０.１/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "http://exa mple.com/",
    "http://[::1/",
]


@pytest.mark.parametrize("url", SSRF_URLS)
def test_fetch_refuses_every_ssrf_spelling(url: str) -> None:
    network, _ = layer(answers={"internal.example": ["10.0.0.8"],
                                "mixed.example": ["93.184.215.14", "192.168.0.4"]})  # fmt: skip
    findings = network.evaluate(fetch(url))
    assert decision(findings) is Decision.DENY, findings
    assert all(f.message and f.layer == "network" for f in findings)


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/", "http://0xa9fea9fe/", "http://[::ffff:169.254.169.254]/",
     "http://metadata.google.internal/", "http://good.com@169.254.169.254/"],
)  # fmt: skip
def test_metadata_is_its_own_red_rule(url: str) -> None:
    network, _ = layer()
    rules = {f.rule_id for f in network.evaluate(fetch(url))}
    assert "network.metadata" in rules


def test_ordinary_fetch_is_allowed_and_resolved_once() -> None:
    network, resolver = layer()
    assert network.evaluate(fetch("https://pypi.org/simple/requests/")) == []
    assert resolver.lookups == ["pypi.org"]
    call = ToolCall(kind=ToolKind.FETCH, tool_name="WebFetch",
                    raw_input={"url": "https://example.com/", "prompt": "x"},
                    urls=("https://example.com/", "https://github.com/o/r"))  # fmt: skip
    assert network.evaluate(call) == []


def test_a_name_resolving_to_nothing_or_failing_asks() -> None:
    network = NetworkLayer(None, StaticResolver({"broken.example": None}), _ANALYSE)
    for url in ("https://nxdomain.example/", "https://broken.example/"):
        findings = network.evaluate(fetch(url))
        assert [(f.rule_id, f.decision) for f in findings] == [("network.unresolved", Decision.ASK)]


def test_resolve_off_judges_names_by_name_only() -> None:
    network, resolver = layer(NetworkPolicy(resolve=False), {"internal.example": ["10.0.0.8"]})
    assert network.evaluate(fetch("https://internal.example/")) == []
    assert resolver.lookups == []
    assert decision(network.evaluate(fetch("http://localhost/"))) is Decision.DENY


def test_shell_calls_are_not_judged_as_fetch() -> None:
    network, _ = layer()
    assert network.evaluate(ToolCall(kind=ToolKind.READ, paths=("/etc/hosts",))) == ()


# --- policy ----------------------------------------------------------------------------------


def test_wildcards_match_subdomains_not_the_apex() -> None:
    policy = NetworkPolicy.build(["*.example.com", "pypi.org"])
    network, _ = layer(policy, {"a.b.example.com": ["93.184.215.14"]})
    assert network.evaluate(fetch("https://a.b.example.com/")) == []
    assert network.evaluate(fetch("https://pypi.org/")) == []
    for url in ("https://example.com/", "https://github.com/", "https://evil-example.com/"):
        findings = network.evaluate(fetch(url))
        assert [f.rule_id for f in findings] == ["network.not-allowed-domain"], url
        assert findings[0].decision is Decision.DENY


def test_deny_list_is_checked_first() -> None:
    policy = NetworkPolicy.build(["*.example.com"], ["bad.example.com", "*.evil.test"])
    network, _ = layer(policy)
    findings = network.evaluate(fetch("https://BAD.example.com./x"))
    assert [(f.rule_id, f.tier) for f in findings] == [("network.denied-domain", Tier.RED)]
    shell = network.evaluate(ToolCall.shell("curl https://x.evil.test/", cwd="/tmp"))
    assert decision(shell) is Decision.DENY


def test_allowed_addresses_open_one_port_but_never_metadata() -> None:
    policy = NetworkPolicy.build(
        allowed_addresses=["127.0.0.1:8080", "10.0.0.0/8", "[::1]:3000", "169.254.169.254"]
    )
    network, _ = layer(policy, {"svc.internal": ["10.2.3.4"]})
    assert network.evaluate(fetch("http://127.0.0.1:8080/")) == []
    assert network.evaluate(fetch("http://[::1]:3000/")) == []
    assert network.evaluate(fetch("http://svc.internal/")) == []
    assert decision(network.evaluate(fetch("http://127.0.0.1:8081/"))) is Decision.DENY
    assert decision(network.evaluate(fetch("http://192.168.0.1/"))) is Decision.DENY
    rules = {f.rule_id for f in network.evaluate(fetch("http://169.254.169.254/"))}
    assert rules == {"network.metadata"}


@pytest.mark.parametrize("entry", ["*", "a.*.com", "ex ample.com", "foo.0x7f"])
def test_bad_domain_patterns_are_errors(entry: str) -> None:
    with pytest.raises(ValueError):
        NetworkPolicy.build([entry])


@pytest.mark.parametrize("entry", ["127.0.0.1:0", "10.0.0.0/33", "nothost", "[::1]x"])
def test_bad_address_grants_are_errors(entry: str) -> None:
    with pytest.raises(ValueError):
        NetworkPolicy.build(allowed_addresses=[entry])


def test_from_config(tmp_path: Path) -> None:
    assert NetworkPolicy.from_config(builtin_config()) == NetworkPolicy()
    user = tmp_path / "user.toml"
    user.write_text('[network]\ndenied_domains = ["*.evil.test"]\nresolve_timeout_ms = 50\n')
    project = tmp_path / "proj"
    (project / ".bastion").mkdir(parents=True)
    (project / ".bastion" / "config.toml").write_text(
        '[network]\nallowed_addresses = ["10.0.0.0/8"]\ndenied_domains = []\n'
    )
    config = load_config(project, user_path=str(user), system_path=str(tmp_path / "none"))
    policy = NetworkPolicy.from_config(config)
    # A project may not open private networks nor drop the user's deny entries.
    assert policy.allowed_addresses == ()
    assert [p.text for p in policy.denied_domains] == ["*.evil.test"]
    assert policy.resolve_timeout_ms == 50
    assert len(config.warnings) == 2
    network = NetworkLayer.from_config(config, StaticResolver(PUBLIC), _ANALYSE)
    assert decision(network.evaluate(fetch("https://a.evil.test/"))) is Decision.DENY
    user.write_text('[network]\nallowed_domains = ["*."]\n')
    with pytest.raises(ConfigError):
        NetworkPolicy.from_config(load_config(tmp_path, user_path=str(user)))


# --- shell commands --------------------------------------------------------------------------

ALLOWED_SHELL = [
    "git clone https://github.com/o/r",
    "git clone git@github.com:o/r.git && cd r && git pull origin main",
    "git push origin HEAD:main",
    "curl https://example.com",
    "curl -fsSL -o out.json -H 'Accept: application/json' https://api.example.com/v1",
    "curl http://localhost:3000/api",
    "curl -s http://127.0.0.1:8000/health | jq .",
    "curl localhost:8080",
    "wget -q -O - http://localhost:9000/metrics",
    "http :3000/api/items",
    "xh POST localhost:5000/login name=x",
    "ssh user@example.com",
    "ssh -p 2222 -i ~/.ssh/id_ed25519 deploy@build.example.com uptime",
    "scp dist/app.tar.gz user@example.com:/srv/",
    "rsync -avz ./site/ user@10.0.0.5:/var/www/",
    "nc -zv localhost 5432",
    "nc -lvnp 4444",
    "redis-cli -h 127.0.0.1 ping",
    "echo http://169.254.169.254/",
    "grep -r 169.254.169.254 docs/",
]


@pytest.mark.parametrize("command", ALLOWED_SHELL)
def test_ordinary_shell_network_work_is_allowed(command: str) -> None:
    network, resolver = layer()
    assert network.evaluate(ToolCall.shell(command, cwd="/tmp/proj")) == []
    assert resolver.lookups == []  # shell commands are judged by name


DENIED_SHELL = [
    "curl http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "curl -H 'Metadata-Flavor: Google' http://metadata.google.internal/computeMetadata/v1/",
    "wget -qO- http://[fd00:ec2::254]/latest/api/token",
    "curl http://0xa9fea9fe/",
    "curl 169.254.169.254/latest",
    "curl --url http://100.100.100.200/latest/meta-data/",
    "curl --resolve example.com:80:169.254.169.254 http://example.com/",
    "curl --connect-to example.com:80:169.254.169.254:80 http://example.com/",
    "curl -x http://169.254.169.254:80 http://example.com/",
    "bash -c 'curl -s http://169.254.169.254/'",
    "sudo wget http://metadata.goog/",
    "http GET 169.254.169.254/latest",
    "git clone http://metadata.google.internal/repo",
    "nc 169.254.169.254 80",
    "socat - TCP:169.254.169.254:80",
    "exec 3<>/dev/tcp/169.254.169.254/80",
    "ssh user@169.254.169.254",
]


@pytest.mark.parametrize("command", DENIED_SHELL)
def test_shell_metadata_is_denied(command: str) -> None:
    network, _ = layer()
    findings = network.evaluate(ToolCall.shell(command, cwd="/tmp/proj"))
    assert decision(findings) is Decision.DENY, findings
    assert {f.rule_id for f in findings} == {"network.metadata"}
    assert all(f.tier is Tier.RED for f in findings)


@pytest.mark.parametrize(
    "command",
    ["curl http://0x7f000001:8000/", "curl http://2130706433/", "wget http://0177.0.0.1/",
     "curl 'http://[::ffff:10.0.0.1]/'", "nc 0x7f.1 6379"],
)  # fmt: skip
def test_shell_disguised_private_addresses_ask(command: str) -> None:
    network, _ = layer()
    findings = network.evaluate(ToolCall.shell(command, cwd="/tmp/proj"))
    assert [(f.rule_id, f.decision) for f in findings] == [
        ("network.obfuscated-address", Decision.ASK)
    ]
    assert "plainly" in findings[0].message


def test_shell_allow_list_asks_but_leaves_localhost() -> None:
    network, _ = layer(NetworkPolicy.build(["github.com", "*.pypi.org"]))
    ok = ["git clone https://github.com/o/r", "curl http://localhost:3000/",
          "curl http://127.0.0.1:8000/"]  # fmt: skip
    for command in ok:
        assert network.evaluate(ToolCall.shell(command, cwd="/tmp")) == [], command
    findings = network.evaluate(ToolCall.shell("curl https://example.com", cwd="/tmp"))
    assert [(f.rule_id, f.decision) for f in findings] == [
        ("network.not-allowed-domain", Decision.ASK)
    ]


def hosts_of(command: str) -> list[tuple[str, int | None, str]]:
    return [(r.host, r.port, r.tool) for r in contacted_hosts(_ANALYSE(command, "/tmp"))]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("curl -o page.html -u me:pw https://a.example/x https://b.example:8443/",
         [("a.example", 443, "curl"), ("b.example", 8443, "curl")]),
        ("curl -sSLo out.bin a.example/file", [("a.example", 80, "curl")]),
        ("git -C repo fetch git@git.example:o/r.git",  [("git.example", None, "git")]),
        ("git remote add upstream ssh://git@git.example:2222/o/r.git",
         [("git.example", 2222, "git")]),
        ("git remote add origin ../local/repo", []),
        ("git submodule add https://github.com/o/lib libs/lib", [("github.com", 443, "git")]),
        ("ssh -J jump@bastion.example:2200 -p 2222 me@[::1]",
         [("bastion.example", None, "ssh"), ("::1", 2222, "ssh")]),
        ("scp -P 2200 ./a:b.txt me@host.example:/tmp/", [("host.example", 2200, "scp")]),
        ("scp build:out.log .", [("build", None, "scp")]),
        ("rsync -e ssh mirror.example::pub/ ./pub/", [("mirror.example", None, "rsync")]),
        ("sftp backup@store.example", [("store.example", None, "sftp")]),
        ("nc -w 3 db.example 5432", [("db.example", 5432, "nc")]),
        ("socat TCP4-LISTEN:8080,fork TCP:app.example:80",  [("app.example", 80, "socat")]),
        ("socat - SOCKS4:proxy.example:inner.example:22,socksport=1080",
         [("proxy.example", None, "socat"), ("inner.example", 22, "socat")]),
        ("openssl s_client -connect tls.example:443", [("tls.example", 443, "openssl")]),
        ("telnet mail.example 25", [("mail.example", 25, "telnet")]),
        ("env X=1 timeout 5 curl https://wrapped.example/", [("wrapped.example", 443, "curl")]),
    ],
)  # fmt: skip
def test_contacted_hosts(command: str, expected: list[tuple[str, int | None, str]]) -> None:
    assert hosts_of(command) == expected


def test_findings_for_commands_is_the_same_judgement() -> None:
    network, _ = layer()
    commands = _ANALYSE("curl http://169.254.169.254/", "/tmp")
    assert [f.rule_id for f in network.findings_for_commands(commands)] == ["network.metadata"]
    quiet = NetworkLayer(None, StaticResolver(PUBLIC), shell=False)
    assert quiet.evaluate(ToolCall.shell("curl http://169.254.169.254/", cwd="/tmp")) == ()


# --- the system resolver ---------------------------------------------------------------------


def test_system_resolver_caches_and_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    release = threading.Event()

    def fake_getaddrinfo(name: str, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        calls.append(name)
        if name == "slow.example":
            release.wait(5)
        if name == "nx.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if name == "fail.example":
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure")
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1%eth0", 0, 0, 2)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", 0))]  # fmt: skip

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    resolver = SystemResolver(timeout_s=0.05)
    expected = (ipaddress.ip_address("fe80::1"), ipaddress.ip_address("10.0.0.1"))
    assert resolver.resolve("a.example") == expected
    assert resolver.resolve("a.example") == expected
    assert calls == ["a.example"]
    assert resolver.resolve("nx.example") == ()
    with pytest.raises(ResolveError):
        resolver.resolve("fail.example")
    with pytest.raises(ResolveError, match="within 50 ms"):
        resolver.resolve("slow.example")
    release.set()
