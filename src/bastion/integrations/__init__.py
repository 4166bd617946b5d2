"""Installing bastion's hook into agent CLIs' settings, removing it, and checking it works.

`install` / `uninstall` edit one agent's settings file in place (backup once, atomic writes,
only bastion's own entries touched); `doctor` reports, per agent, whether the agent is on this
machine, whether the hook is installed and reachable, and whether it denies a dangerous probe."""

from bastion.integrations.agents import AGENT_NAMES, INTEGRATIONS, get
from bastion.integrations.doctor import DoctorReport, run_doctor
from bastion.integrations.install import install, uninstall
from bastion.integrations.interface import (
    Action,
    AgentIntegration,
    Change,
    IntegrationError,
    Outcome,
    Scope,
)

__all__ = [
    "AGENT_NAMES",
    "INTEGRATIONS",
    "Action",
    "AgentIntegration",
    "Change",
    "DoctorReport",
    "IntegrationError",
    "Outcome",
    "Scope",
    "get",
    "install",
    "run_doctor",
    "uninstall",
]
