"""Which hosts a shell command contacts: the network clients' own argument grammars.

`contacted_hosts(commands)` reads the unfolded simple commands of the command layer (wrappers
and nested shells already stripped) and returns every host a known client would connect to:

- curl, wget, aria2c: URL operands (scheme optional, as those tools guess `http://`), `--url`,
  proxies (`-x`, `--socks5`, `--preproxy`), `--doh-url`, and the address behind
  `--resolve host:port:ADDR` / `--connect-to h:p:HOST:PORT` (the host it really connects to);
- HTTPie and xh (`http`, `https`, `xh`, `xhs`): the URL operand after an optional method,
  including the `:3000/path` shorthand for localhost;
- git: `clone`, `fetch`, `pull`, `push`, `ls-remote`, `submodule add`, `remote add`,
  `remote set-url`, `archive --remote` with URLs or scp-like `user@host:path` (a remote name
  such as `origin` contacts no host that can be known here);
- ssh (destination, `-J` jump hosts), scp / rsync (`[user@]host:path`, `host::module`), sftp,
  telnet, ftp, nc / ncat / netcat (not when listening), socat (`TCP:host:port`,
  `OPENSSL:...`, `SOCKS4:...`, `PROXY:...`), `openssl s_client -connect`;
- any command's `/dev/tcp/HOST/PORT` or `/dev/udp/...` redirect.

Words only known at run time are skipped (the command layer reports those), and so is text that
no client would accept as a host: the command would fail before it connected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from bastion.network.hosts import HostError, HostRef, parse_host, url_hosts
from bastion.shell.syntax import SimpleCommand, Word

MAX_HOSTS = 64
"""Per call; more than this many contacted hosts is not a shape real work has."""

_Option = tuple[str, str]  # (option as written, or "" for an operand; the word's text)


def _options(
    args: Sequence[Word], short_values: str, long_values: frozenset[str]
) -> Iterator[_Option]:
    """(option, value) for options that take one, ("", operand) for operands, and
    (flag, "") for flags without a value; run-time words are skipped."""
    words = iter(args)
    only_operands = False
    for word in words:
        text = word.text
        if text is None:
            continue
        if only_operands or text == "-" or not text.startswith("-"):
            yield "", text
        elif text == "--":
            only_operands = True
        elif text.startswith("--"):
            name, eq, value = text.partition("=")
            if eq:
                yield name, value
            elif name in long_values:
                following = next(words, None)
                if following is not None and following.text is not None:
                    yield name, following.text
            else:
                yield name, ""
        else:
            for index, char in enumerate(text[1:], start=1):
                if char in short_values:
                    attached: str | None = text[index + 1 :]
                    if not attached:
                        following = next(words, None)
                        attached = following.text if following is not None else None
                    if attached is not None:
                        yield "-" + char, attached
                    break
                yield "-" + char, ""


def _urls(text: str, tool: str, default_scheme: str = "") -> list[HostRef]:
    try:
        return list(url_hosts(text, tool=tool, default_scheme=default_scheme))
    except HostError:
        return []


def _host(text: str, tool: str, scheme: str, port: int | None = None) -> list[HostRef]:
    try:
        return [parse_host(text, tool=tool, scheme=scheme, port=port)]
    except HostError:
        return []


def _remote_spec(text: str, tool: str, scheme: str, port: int | None = None) -> list[HostRef]:
    """`scheme://...`, or scp-like `[user@]host:path` (a `/` before the first `:` makes it a
    local path, as git, scp and rsync decide)."""
    if "://" in text:
        return _urls(text, tool)
    head = text
    if "[" in text and "]" in text:  # user@[::1]:path
        before, _, rest = text.partition("]")
        if ":" not in rest[:1]:
            return []
        head = before + "]"
    else:
        colon = text.find(":")
        if colon <= 0 or "/" in text[:colon]:
            return []
        head = text[:colon]
    host = head.rpartition("@")[2]
    return _host(host, tool, scheme, port)


def _destination(text: str, tool: str, scheme: str, port: int | None) -> list[HostRef]:
    """ssh/sftp/telnet style: `[user@]host`, `ssh://user@host:port`, sftp `host:path`."""
    if "://" in text:
        return _urls(text, tool)
    host = text.rpartition("@")[2]
    if host.count(":") == 1 and not host.startswith("["):
        host = host.split(":")[0]  # sftp host:path
    elif host.startswith("[") and "]" in host:
        host = host[: host.index("]") + 1]
    return _host(host, tool, scheme, port)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _port(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and int(text) <= 65535 else None


_CURL_SHORT = "AbcCdDeEFHKmoPQrtTuUwxXyYz"
_CURL_LONG = _words(
    "--url --proxy --preproxy --socks4 --socks4a --socks5 --socks5-hostname --doh-url "
    "--resolve --connect-to --data --data-raw --data-binary --data-urlencode --data-ascii "
    "--json --header --request --user --user-agent --referer --output --output-dir --cookie "
    "--cookie-jar --form --form-string --upload-file --write-out --config --max-time "
    "--connect-timeout --retry --retry-delay --retry-max-time --range --cert --key --cacert "
    "--capath --cert-type --key-type --pass --proxy-user --interface --dns-servers "
    "--limit-rate --max-filesize --oauth2-bearer --time-cond --trace --trace-ascii --stderr "
    "--local-port --unix-socket --abstract-unix-socket --noproxy --ciphers --tls-max "
    "--expect100-timeout --keepalive-time --dump-header --etag-save --etag-compare "
    "--aws-sigv4 --variable --hsts --alt-svc --proxy-header --mail-from --mail-rcpt --quote "
    "--speed-limit --speed-time --ftp-port --parallel-max --rate --max-redirs --proto "
    "--proto-redir --proto-default --netrc-file --crlfile --pinnedpubkey --engine"
)
# Operands, and the options whose value is a URL or a proxy curl connects to.
_CURL_URLS = frozenset(
    {"", "--url", "--doh-url", "-x", "--proxy", "--preproxy", "--socks4", "--socks4a",
     "--socks5", "--socks5-hostname"}
)  # fmt: skip


def _curl(command: SimpleCommand, tool: str) -> list[HostRef]:
    found: list[HostRef] = []
    for option, value in _options(command.args, _CURL_SHORT, _CURL_LONG):
        if option in _CURL_URLS:
            found += _urls(value, tool, "http")
        elif option == "--resolve":  # host:port:addr[,addr]: curl connects to addr
            parts = _split_fields(value.lstrip("+-"), 3)
            if len(parts) == 3:
                for address in parts[2].split(","):
                    found += _host(address, tool, "", _port(parts[1]))
        elif option == "--connect-to":  # h1:p1:h2:p2: curl connects to h2:p2
            parts = _split_fields(value, 4)
            if len(parts) == 4 and parts[2]:
                found += _host(parts[2], tool, "", _port(parts[3]))
    return found


def _split_fields(text: str, count: int) -> list[str]:
    """`a:b:[::1]:d` -> ["a", "b", "[::1]", "d"]: colons inside brackets do not split."""
    fields: list[str] = []
    current = ""
    depth = 0
    for char in text:
        if char == ":" and depth == 0 and len(fields) < count - 1:
            fields.append(current)
            current = ""
            continue
        depth += char == "["
        depth -= char == "]" and depth > 0
        current += char
    fields.append(current)
    return fields


_WGET_SHORT = "aABDeiIlOoPQRtTUwX"
_WGET_LONG = _words(
    "--header --user-agent --output-document --output-file --append-output "
    "--directory-prefix --post-data --post-file --body-data --body-file --method --user "
    "--password --http-user --http-password --load-cookies --save-cookies --tries --timeout "
    "--wait --execute --input-file --base --referer --accept --reject --domains --level "
    "--ca-certificate --certificate --private-key --limit-rate --bind-address --dns-servers "
    "--out --dir --max-tries --all-proxy --http-proxy --https-proxy --max-threads "
    "--max-redirect --quota --read-timeout --connect-timeout --dns-timeout --waitretry "
    "--cut-dirs --chunk-size"
)


def _wget(command: SimpleCommand, tool: str) -> list[HostRef]:
    found: list[HostRef] = []
    for option, value in _options(command.args, _WGET_SHORT, _WGET_LONG):
        if option in ("", "--all-proxy", "--http-proxy", "--https-proxy"):
            found += _urls(value, tool, "http")
    return found


_HTTPIE_SHORT = "aAops"
_HTTPIE_LONG = _words(
    "--auth --auth-type --output --session --session-read-only --proxy --cert --cert-key "
    "--verify --timeout --style --print --pretty --format-options --max-redirects --boundary "
    "--ssl --ciphers --default-scheme --raw --response-charset --response-mime --bearer "
    "--http-version --resolve --interface"
)
_METHODS = _words("GET HEAD POST PUT PATCH DELETE OPTIONS TRACE CONNECT")


def _httpie(command: SimpleCommand, tool: str) -> list[HostRef]:
    scheme = "https" if tool in ("https", "xhs") else "http"
    operands = [v for o, v in _options(command.args, _HTTPIE_SHORT, _HTTPIE_LONG) if not o]
    if operands and operands[0].upper() in _METHODS and len(operands) > 1:
        operands = operands[1:]
    if not operands:
        return []
    url = operands[0]
    if url.startswith(":"):  # `:3000/api` is localhost
        url = "localhost" + url
    return _urls(url, tool, scheme)


_GIT_GLOBAL = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env",
                         "--super-prefix", "--exec-path"})  # fmt: skip
_GIT_SUB_LONG = _words(
    "--branch --origin --depth --config --reference --reference-if-able --separate-git-dir "
    "--upload-pack --receive-pack --exec --template --jobs --filter --shallow-since "
    "--shallow-exclude --bundle-uri --server-option --push-option --name --track --master "
    "--remote --deepen --negotiation-tip --refmap"
)
_GIT_REPO_FIRST = frozenset({"clone", "fetch", "pull", "push", "ls-remote"})


def _git(command: SimpleCommand, tool: str) -> list[HostRef]:
    args = list(command.args)
    while args and args[0].text is not None and args[0].text.startswith("-"):
        option = args.pop(0).text or ""
        if option in _GIT_GLOBAL and "=" not in option and args:
            args.pop(0)
    if not args or args[0].text is None:
        return []
    sub = args[0].text
    pairs = list(_options(args[1:], "bcjmotu", _GIT_SUB_LONG))
    operands = [v for o, v in pairs if not o]
    candidates: list[str] = [v for o, v in pairs if o == "--remote"]
    if sub in _GIT_REPO_FIRST:
        candidates += operands[:1]
    elif sub == "submodule" and operands[:1] == ["add"]:
        candidates += operands[1:2]
    elif sub == "remote" and operands[:1] in (["add"], ["set-url"]):
        candidates += operands[2:3]
    found: list[HostRef] = []
    for text in candidates:
        found += _remote_spec(text, tool, "ssh")
    return found


_SSH_SHORT = "bBcDeEFIiJLlmOopQRSWw"
_SCP_SHORT = "cFiJloPSX"
_SFTP_SHORT = "BbcDFiJloPRSsX"


def _ssh_like(command: SimpleCommand, tool: str) -> list[HostRef]:
    short = {"ssh": _SSH_SHORT, "scp": _SCP_SHORT}.get(tool, _SFTP_SHORT)
    pairs = list(_options(command.args, short, frozenset()))
    port_flag = "-p" if tool == "ssh" else "-P"
    port = next((_port(v) for o, v in pairs if o == port_flag), None)
    found: list[HostRef] = []
    for option, value in pairs:
        if option == "-J":
            for hop in value.split(","):
                found += _destination(hop, tool, "ssh", None)
    operands = [v for o, v in pairs if not o]
    if tool == "scp":
        for operand in operands:
            found += _remote_spec(operand, tool, "ssh", port)
    elif operands:  # ssh: the rest is the remote command; sftp takes one destination
        found += _destination(operands[0], tool, "ssh", port)
    return found


_RSYNC_SHORT = "efTBM"


def _rsync(command: SimpleCommand, tool: str) -> list[HostRef]:
    found: list[HostRef] = []
    for option, value in _options(command.args, _RSYNC_SHORT, frozenset({"--port"})):
        if not option:
            found += _remote_spec(value, tool, "rsync")
    return found


_NC_SHORT = "pswixXecOIqTVMmPgG"
_NC_LONG = _words(
    "--proxy --proxy-type --exec --sh-exec --lua-exec --source --source-port --wait "
    "--idle-timeout --output --hex-dump --allow --allowfile --deny --denyfile --max-conns "
    "--proxy-auth --ssl-cert --ssl-key --ssl-trustfile --ssl-ciphers --ssl-alpn "
    "--ssl-servername --delay"
)


def _netcat(command: SimpleCommand, tool: str) -> list[HostRef]:
    pairs = list(_options(command.args, _NC_SHORT, _NC_LONG))
    found: list[HostRef] = []
    for option, value in pairs:
        if option in ("-x", "--proxy"):
            found += _host(value, tool, "")
    if any(o in ("-l", "--listen") for o, _ in pairs):
        return found  # listening: the peer comes to us
    operands = [v for o, v in pairs if not o]
    if operands:
        port = _port(operands[1]) if len(operands) > 1 else None
        found += _host(operands[0], tool, "", port)
    return found


_SOCAT_CONNECT = _words(
    "TCP TCP4 TCP6 TCP-CONNECT TCP4-CONNECT TCP6-CONNECT UDP UDP4 UDP6 UDP-CONNECT "
    "UDP4-CONNECT UDP6-CONNECT UDP-SENDTO UDP4-SENDTO UDP6-SENDTO OPENSSL OPENSSL-CONNECT SSL "
    "SCTP-CONNECT SCTP4-CONNECT SCTP6-CONNECT DCCP-CONNECT UDPLITE-CONNECT"
)
_SOCAT_VIA = frozenset({"SOCKS4", "SOCKS4A", "SOCKS5", "SOCKS5-CONNECT", "PROXY",
                        "PROXY-CONNECT"})  # fmt: skip


def _socat(command: SimpleCommand, tool: str) -> list[HostRef]:
    found: list[HostRef] = []
    for option, value in _options(command.args, "", frozenset()):
        if option:
            continue
        kind, _, params = value.partition(":")
        kind = kind.upper()
        fields = _split_fields(params.split(",", 1)[0], 3)
        if kind in _SOCAT_CONNECT and len(fields) >= 2:
            found += _host(fields[0], tool, "", _port(fields[1]))
        elif kind in _SOCAT_VIA and len(fields) >= 2:
            found += _host(fields[0], tool, "")  # the proxy
            port = _port(fields[2]) if len(fields) > 2 else None
            found += _host(fields[1], tool, "", port)  # the target, via the proxy
    return found


def _telnet_ftp(command: SimpleCommand, tool: str) -> list[HostRef]:
    operands = [v for o, v in _options(command.args, "belnP", frozenset()) if not o]
    if not operands:
        return []
    if "://" in operands[0]:
        return _urls(operands[0], tool)
    port = _port(operands[1]) if len(operands) > 1 else None
    return _destination(operands[0], tool, tool, port)


def _openssl(command: SimpleCommand, tool: str) -> list[HostRef]:
    words = [w.text for w in command.args]
    if not words or words[0] != "s_client":
        return []
    for index, word in enumerate(words[:-1]):
        following = words[index + 1]
        if word == "-connect" and following is not None:
            host, _, port = following.rpartition(":")
            return _host(host or following, tool, "", _port(port) if host else None)
    return []


_CLIENTS: dict[str, Callable[[SimpleCommand, str], list[HostRef]]] = {
    "curl": _curl, "wget": _wget, "wget2": _wget, "aria2c": _wget,
    "http": _httpie, "https": _httpie, "xh": _httpie, "xhs": _httpie,
    "git": _git, "ssh": _ssh_like, "scp": _ssh_like, "sftp": _ssh_like, "rsync": _rsync,
    "nc": _netcat, "ncat": _netcat, "netcat": _netcat, "socat": _socat,
    "telnet": _telnet_ftp, "ftp": _telnet_ftp, "openssl": _openssl,
}  # fmt: skip
CLIENT_NAMES = frozenset(_CLIENTS)


def contacted_hosts(commands: Sequence[SimpleCommand]) -> list[HostRef]:
    """Every host these commands would connect to, in order, without duplicates."""
    found: dict[HostRef, None] = {}
    for command in commands:
        name = command.base_name
        client = _CLIENTS.get(name) if name is not None else None
        refs = client(command, name or "") if client is not None else []
        refs += _dev_tcp(command)
        for ref in refs:
            found.setdefault(ref)
            if len(found) >= MAX_HOSTS:
                return list(found)
    return list(found)


def _dev_tcp(command: SimpleCommand) -> list[HostRef]:
    found: list[HostRef] = []
    for redirect in command.redirects:
        target = redirect.target.text if redirect.target is not None else None
        if target is None or not target.startswith(("/dev/tcp/", "/dev/udp/")):
            continue
        parts = target.split("/")
        if len(parts) >= 5:
            found += _host(parts[3], "/dev/" + parts[2], "", _port(parts[4]))
    return found
