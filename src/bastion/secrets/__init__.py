"""Secrets: redaction of secrets in any text, filtered subprocess environments, and the layer
that stops secrets from flowing to the network."""

from bastion.secrets.environment import EnvironmentFilter, FilteredEnvironment
from bastion.secrets.flow import exfiltration_findings
from bastion.secrets.layer import SecretsLayer
from bastion.secrets.policy import SecretsPolicy
from bastion.secrets.redact import Redaction, Redactor, Secret, redact
from bastion.secrets.verdicts import redact_finding, redact_text, redact_verdict

__all__ = [
    "EnvironmentFilter",
    "FilteredEnvironment",
    "Redaction",
    "Redactor",
    "Secret",
    "SecretsLayer",
    "SecretsPolicy",
    "exfiltration_findings",
    "redact",
    "redact_finding",
    "redact_text",
    "redact_verdict",
]
