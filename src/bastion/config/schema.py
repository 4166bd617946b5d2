"""The keys a config file may hold, their types, and which changes relax the policy."""

from __future__ import annotations

from dataclasses import dataclass

TIERS = ("green", "yellow", "red")


@dataclass(frozen=True)
class KeySpec:
    kind: str
    """"bool", "int", "list" (of strings) or "tiers" (table of rule id -> tier)."""
    relaxes_by: str = ""
    """For lists: "adding" or "removing" relaxes; for ints: "raising" relaxes."""
    trusted_only: bool = False
    """Honoured only in the built-in, system and user layers."""


SCHEMA: dict[str, dict[str, KeySpec]] = {
    "policy": {"project_may_relax": KeySpec("bool", trusted_only=True)},
    "executables": {"allowed": KeySpec("list", relaxes_by="adding")},
    "rules": {
        "disabled": KeySpec("list", relaxes_by="adding"),
        "files": KeySpec("list", relaxes_by="removing"),
        "tiers": KeySpec("tiers"),
    },
    "limits": {
        "max_input_bytes": KeySpec("int", relaxes_by="raising"),
        "max_depth": KeySpec("int", relaxes_by="raising"),
        "max_nodes": KeySpec("int", relaxes_by="raising"),
        "parse_timeout_ms": KeySpec("int", relaxes_by="raising"),
    },
}
