"""Errors of the chat-gateway access layer: one clear line each."""

from __future__ import annotations

from bastion.config.errors import BastionError


class GatewayError(BastionError):
    """Base of the gateway's errors."""


class IdentityError(GatewayError, ValueError):
    """A platform name or user id that is empty, too long, or outside the allowed characters."""


class GatewayConfigError(GatewayError):
    """A `[gateway]` value or a gateway environment variable that cannot be used."""


class PairingStoreError(GatewayError):
    """The pairing store cannot be read, locked or written."""


class SessionKeyError(GatewayError, ValueError):
    """A session key that is missing or malformed; raised at the boundary, before any lookup."""
