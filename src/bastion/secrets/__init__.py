"""Secrets: redaction of secrets in any text, filtered subprocess environments, and the layer
that stops secrets from flowing to the network."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

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

__getattr__ = lazy_names(__name__, _WHERE)
