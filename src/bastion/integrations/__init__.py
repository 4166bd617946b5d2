"""Installing bastion's hook into agent CLIs' settings, removing it, and checking it works.

`install` / `uninstall` edit one agent's settings file in place (backup once, atomic writes,
only bastion's own entries touched); `doctor` reports, per agent, whether the agent is on this
machine, whether the hook is installed and reachable, and whether it denies a dangerous probe."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

# Same name as its module: importing the module would set the package attribute to the
# module, hiding the lazy lookup, so this one is bound now.
from bastion.integrations.install import install as install

_WHERE = {
    "AGENT_NAMES": "bastion.integrations.agents",
    "INTEGRATIONS": "bastion.integrations.agents",
    "get": "bastion.integrations.agents",
    "DoctorReport": "bastion.integrations.doctor",
    "run_doctor": "bastion.integrations.doctor",
    "uninstall": "bastion.integrations.install",
    "Action": "bastion.integrations.interface",
    "AgentIntegration": "bastion.integrations.interface",
    "Change": "bastion.integrations.interface",
    "IntegrationError": "bastion.integrations.interface",
    "Outcome": "bastion.integrations.interface",
    "Scope": "bastion.integrations.interface",
}
__all__ = sorted([*_WHERE, "install"])

__getattr__ = lazy_names(__name__, _WHERE)
