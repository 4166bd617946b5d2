"""The network layer: egress and SSRF checks for fetch tools and for shell network clients.

FETCH calls: every URL in `call.urls` and `raw_input["url"]` is read in every way a client
reads it (`hosts.url_hosts`) and judged in FETCH mode (see `judge`): only public hosts, names
resolved and every address checked, metadata never. A URL with no host a client would accept,
or a scheme other than http/https, is denied: a fetch tool is not a file reader.

SHELL calls: the hosts the command's network clients contact (`clients.contacted_hosts`) are
judged in SHELL mode: development traffic to localhost and the LAN is allowed, metadata
endpoints and disguised address spellings are not. The layer needs the command's unfolded
simple commands: pass `analyse` (for example the command layer's own) or let it parse with an
empty rule set; or call `findings_for_commands` from the command layer with the commands it
already has and build this layer with `shell=False`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bastion.config import Config
from bastion.layers.interface import CommandAnalyzer, Layer
from bastion.model import Decision, Finding, Tier, ToolCall, ToolKind
from bastion.network.clients import contacted_hosts
from bastion.network.hosts import HostError, HostRef, url_hosts
from bastion.network.interface import Resolver
from bastion.network.judge import Judgement, Mode, judge
from bastion.network.policy import NetworkPolicy
from bastion.shell.syntax import SimpleCommand

LAYER = "network"
FETCH_SCHEMES = frozenset({"http", "https"})
MAX_URLS = 20

Analyse = Callable[[str, str], Sequence[SimpleCommand]]
"""(command text, cwd) -> every unfolded simple command."""


class NetworkLayer(Layer, CommandAnalyzer):
    name = LAYER

    def __init__(
        self,
        policy: NetworkPolicy | None = None,
        resolver: Resolver | None = None,
        analyse: Analyse | None = None,
        *,
        shell: bool = True,
    ) -> None:
        self.policy = policy or NetworkPolicy()
        self._resolver = resolver
        self.shell = shell
        self._analyse = analyse

    @property
    def resolver(self) -> Resolver:
        """The system resolver is made (and `socket` imported) only when a fetch needs it."""
        if self._resolver is None:
            from bastion.network.resolvers import SystemResolver

            self._resolver = SystemResolver(self.policy.resolve_timeout_ms / 1000)
        return self._resolver

    @classmethod
    def from_config(
        cls,
        config: Config,
        resolver: Resolver | None = None,
        analyse: Analyse | None = None,
        *,
        shell: bool = True,
    ) -> NetworkLayer:
        return cls(NetworkPolicy.from_config(config), resolver, analyse, shell=shell)

    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        if call.kind is ToolKind.FETCH:
            return self.findings_for_urls(_call_urls(call), call.tool_name or "fetch")
        if call.kind is ToolKind.SHELL and self.shell and call.command is not None:
            return self.findings_for_commands(self._commands(call.command, call.cwd))
        return ()

    def findings_for_commands(self, commands: Sequence[SimpleCommand]) -> list[Finding]:
        """For the command layer: findings about the hosts these commands contact."""
        judgements = (judge(ref, self.policy, Mode.SHELL) for ref in contacted_hosts(commands))
        return _findings(judgements)

    def shell_findings(
        self, commands: Sequence[SimpleCommand], cwd: str, source: str = ""
    ) -> list[Finding]:
        return self.findings_for_commands(commands)

    def findings_for_urls(self, urls: Iterable[str], tool: str) -> list[Finding]:
        judgements: list[Judgement] = []
        refused: list[Finding] = []
        for url in urls:
            try:
                refs = url_hosts(url, tool=tool, default_scheme="https")
            except HostError as exc:
                refused.append(_bad_url(url, tool, str(exc)))
                continue
            for ref in refs:
                if ref.scheme not in FETCH_SCHEMES:
                    refused.append(_bad_scheme(ref))
                    continue
                judgements.append(judge(ref, self.policy, Mode.FETCH, self.resolver))
        return [*refused, *_findings(judgements)]

    def _commands(self, command: str, cwd: str) -> Sequence[SimpleCommand]:
        if self._analyse is None:
            self._analyse = _default_analyse()
        return self._analyse(command, cwd)


def _default_analyse() -> Analyse:
    # Imported here: the command layer pulls in the parser, which fetch-only users never need.
    from bastion.layers.commands import CommandLayer
    from bastion.rules.engine import RuleSet

    layer = CommandLayer(RuleSet(()))
    return lambda command, cwd: layer.analyse(command, cwd).commands


def _call_urls(call: ToolCall) -> list[str]:
    urls = list(call.urls)
    raw = call.raw_input.get("url")
    if isinstance(raw, str) and raw and raw not in urls:
        urls.insert(0, raw)
    if len(urls) > MAX_URLS:
        # Judging a prefix would let the rest through unchecked.
        raise ValueError(f"{len(urls)} URLs in one fetch call (at most {MAX_URLS} are judged)")
    return urls


def _findings(judgements: Iterable[Judgement]) -> list[Finding]:
    found: dict[tuple[str, str], Finding] = {}
    for judgement in judgements:
        for refusal in judgement.refusals:
            subject = _subject(refusal.ref)
            finding = Finding(
                layer=LAYER,
                rule_id=refusal.rule_id,
                decision=refusal.decision,
                tier=refusal.tier,
                message=refusal.message,
                subject=subject,
            )
            found.setdefault((refusal.rule_id, subject), finding)
    return list(found.values())


def _subject(ref: HostRef) -> str:
    return f"{ref.tool} {ref.source}".strip()


def _bad_url(url: str, tool: str, why: str) -> Finding:
    return Finding(
        layer=LAYER,
        rule_id="network.invalid-url",
        decision=Decision.DENY,
        tier=Tier.RED,
        message=f"{why}: no host a client would accept, so bastion cannot check it. Write "
        "the URL plainly, as https://host/path.",
        subject=f"{tool} {url[:200]}",
    )


def _bad_scheme(ref: HostRef) -> Finding:
    hint = "use the Read tool for local files" if ref.scheme == "file" else "use an https URL"
    return Finding(
        layer=LAYER,
        rule_id="network.scheme",
        decision=Decision.DENY,
        tier=Tier.RED,
        message=f"Fetch tools may only use http and https, not {ref.scheme}://: {hint}.",
        subject=_subject(ref),
    )
