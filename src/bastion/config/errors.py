"""Errors of the configuration layer."""

from __future__ import annotations


class BastionError(Exception):
    """Base of bastion's own errors: one clear line a user can act on."""


class ConfigError(BastionError):
    """A config file is unreadable, not TOML, or holds an unknown or ill-typed key."""
