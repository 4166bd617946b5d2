"""Secrets: redaction of secrets in any text, filtered subprocess environments, and the layer
that stops secrets from flowing to the network."""

from __future__ import annotations

# Names load on first use (PEP 562): importing one module of this package must not pull in
# the rest (a hook or `bastion run` pays for what it uses, nothing more).
import importlib
from typing import Any

# Same name as its module: importing the module would set the package attribute to the
# module, hiding the lazy lookup, so this one is bound now.
from bastion.secrets.redact import redact as redact

_WHERE = {
    "EnvironmentFilter": "bastion.secrets.environment",
    "FilteredEnvironment": "bastion.secrets.environment",
    "exfiltration_findings": "bastion.secrets.flow",
    "SecretsLayer": "bastion.secrets.layer",
    "SecretsPolicy": "bastion.secrets.policy",
    "Redaction": "bastion.secrets.redact",
    "Redactor": "bastion.secrets.redact",
    "Secret": "bastion.secrets.redact",
    "redact_finding": "bastion.secrets.verdicts",
    "redact_text": "bastion.secrets.verdicts",
    "redact_verdict": "bastion.secrets.verdicts",
}
__all__ = sorted([*_WHERE, "redact"])


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
