"""Event subscribers from config: programs (`[events] commands`) and webhooks (`webhooks`).

A program gets the event as JSON on stdin, a filtered environment (bastion.secrets), no shell,
and `timeout` seconds before it is killed. A webhook gets the JSON as a POST, after its URL
passes the network layer's fetch checks (metadata endpoints, private addresses unless
`[network] allowed_addresses` grants them, deny/allow lists, every resolved address), with
redirects refused (a redirect could lead anywhere) and a timeout. urllib resolves the name again
when it connects, so a DNS answer that changes in between (rebinding) is not caught here: the
webhook URLs come from the user's own config, so that is accepted."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from bastion.approvals.events import EventSink, SecurityEvent
from bastion.config import Config
from bastion.config.errors import ConfigError
from bastion.model import Decision
from bastion.network.hosts import HostError, url_hosts
from bastion.network.interface import Resolver
from bastion.network.judge import Mode, judge
from bastion.network.policy import NetworkPolicy
from bastion.network.resolvers import SystemResolver
from bastion.secrets.environment import EnvironmentFilter

MAX_EVENT_BYTES = 64 << 10
"""An event larger than this is cut to its kind and session: subscribers get bounded input."""


class SubscriberError(RuntimeError):
    """A subscriber failed; the bus reports it and carries on."""


def event_bytes(event: SecurityEvent) -> bytes:
    data = json.dumps(event.to_dict(), ensure_ascii=False, default=str).encode("utf-8")
    if len(data) > MAX_EVENT_BYTES:
        small = {**event.to_dict(), "fields": {"truncated": True}}
        data = json.dumps(small, default=str).encode("utf-8")
    return data


class CommandSubscriber:
    def __init__(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 2.0,
        env_filter: EnvironmentFilter | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if not argv:
            raise ConfigError("[events] commands: an empty command")
        self.argv = tuple(argv)
        self.timeout = timeout
        source = os.environ if environ is None else environ
        self._env = dict((env_filter or EnvironmentFilter()).apply(source).kept)

    @classmethod
    def parse(cls, line: str, **kwargs: Any) -> CommandSubscriber:
        try:
            return cls(shlex.split(line), **kwargs)
        except ValueError as exc:
            raise ConfigError(f"[events] commands: {line!r}: {exc}") from exc

    def __repr__(self) -> str:
        return f"CommandSubscriber({shlex.join(self.argv)!r})"

    def emit(self, event: SecurityEvent) -> None:
        try:
            done = subprocess.run(
                self.argv,
                input=event_bytes(event),
                env=self._env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=self.timeout,
                check=False,
                start_new_session=True,  # a signal meant for bastion's group does not reach it
            )
        except subprocess.TimeoutExpired as exc:
            raise SubscriberError(f"timed out after {self.timeout:g} s") from exc
        except OSError as exc:
            raise SubscriberError(str(exc)) from exc
        if done.returncode != 0:
            raise SubscriberError(f"exited with {done.returncode}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx surfaces as an HTTPError instead of being followed


class WebhookSubscriber:
    def __init__(
        self,
        url: str,
        *,
        policy: NetworkPolicy | None = None,
        resolver: Resolver | None = None,
        timeout: float = 2.0,
    ) -> None:
        self.url = url
        self.policy = policy or NetworkPolicy()
        self.resolver = resolver
        self.timeout = timeout
        try:
            refs = url_hosts(url, tool="webhook")
        except HostError as exc:
            raise ConfigError(f"[events] webhooks: {url!r}: {exc}") from exc
        if not url.lower().startswith(("https://", "http://")) or not refs:
            raise ConfigError(f"[events] webhooks: {url!r} is not an http(s) URL")
        self._refs = refs
        self._opener = urllib.request.build_opener(_NoRedirect())

    def __repr__(self) -> str:
        return f"WebhookSubscriber({self.url!r})"

    def check(self) -> None:
        """Raises SubscriberError when the network policy refuses the URL (asks count too)."""
        resolver = self.resolver or SystemResolver(self.policy.resolve_timeout_ms / 1000)
        for ref in self._refs:
            for refusal in judge(ref, self.policy, Mode.FETCH, resolver).refusals:
                if refusal.decision is not Decision.ALLOW:
                    raise SubscriberError(f"{self.url}: {refusal.rule_id}: {refusal.message}")

    def emit(self, event: SecurityEvent) -> None:
        self.check()
        request = urllib.request.Request(
            self.url,
            data=event_bytes(event),
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "bastion-events/1"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(4096)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SubscriberError(f"{self.url}: {exc}") from exc


def subscribers_from_config(config: Config) -> list[EventSink]:
    """The `[events]` subscribers; raises ConfigError for a malformed entry."""
    commands, webhooks, timeout_ms = (
        config.value("events.commands"),
        config.value("events.webhooks"),
        config.value("events.timeout_ms"),
    )
    assert isinstance(commands, tuple) and isinstance(webhooks, tuple)
    assert isinstance(timeout_ms, int)
    timeout = timeout_ms / 1000
    allow = config.value("secrets.env_allow")
    env_filter = EnvironmentFilter.of(
        tuple(str(a) for a in allow) if isinstance(allow, tuple) else ()
    )
    sinks: list[EventSink] = [
        CommandSubscriber.parse(str(line), timeout=timeout, env_filter=env_filter)
        for line in commands
    ]
    if webhooks:
        policy = NetworkPolicy.from_config(config)
        sinks.extend(WebhookSubscriber(str(u), policy=policy, timeout=timeout) for u in webhooks)
    return sinks
