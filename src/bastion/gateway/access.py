"""Everything a chat gateway needs, built from bastion's config in one call."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bastion.config.model import Config
from bastion.gateway.audit import audit_sink
from bastion.gateway.authorize import Authorizer
from bastion.gateway.errors import PairingStoreError
from bastion.gateway.events import EventSink
from bastion.gateway.pairing import Clock, Pairing
from bastion.gateway.policy import AccessPolicy
from bastion.gateway.sessions import SessionRouter
from bastion.gateway.store import PairingStore

LOG = logging.getLogger("bastion.gateway")


@dataclass(frozen=True)
class GatewayAccess:
    authorizer: Authorizer
    pairing: Pairing
    router: SessionRouter

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        environ: Mapping[str, str] | None = None,
        store_dir: str | os.PathLike[str] | None = None,
        sink: EventSink | None = None,
        clock: Clock = time.time,
        platforms: Iterable[str] = (),
    ) -> GatewayAccess:
        """GatewayConfigError for a bad `[gateway]` value or environment variable. Without a
        `sink`, decisions and pairing changes go to the audit log (`[audit]` settings)."""
        if sink is None:
            sink = audit_sink(config=config)
        store = PairingStore(store_dir)
        policy = AccessPolicy.from_config(config, environ, platforms)
        return cls(
            Authorizer(policy, store, sink=sink, clock=clock),
            Pairing(store, sink=sink, clock=clock),
            SessionRouter.from_config(config),
        )

    def startup_warnings(self) -> tuple[str, ...]:
        try:
            has_pairings = bool(self.pairing.store.read().paired)
        except PairingStoreError as exc:
            return (f"gateway: pairings unavailable, only allowlists apply: {exc}",)
        return self.authorizer.policy.warnings(has_pairings) + self.router.warnings()

    def log_startup_warnings(self, logger: logging.Logger = LOG) -> tuple[str, ...]:
        warnings = self.startup_warnings()
        for text in warnings:
            logger.warning("%s", text)
        return warnings
