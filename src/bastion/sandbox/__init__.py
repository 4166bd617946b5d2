"""`bastion run`: run a command in an OS sandbox (namespaces, Landlock, seccomp, rlimits,
cgroups, an egress proxy), each layer degrading with a message when the kernel lacks it.

    from bastion.sandbox import Sandbox, Profile
    result = Sandbox(Profile.from_config(config)).run(["pytest"], cwd=project)

Names are imported lazily: the launcher imports this package under `python -I -S` and must
not pay for the proxy, the config or the network policy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bastion.sandbox.agent import wrap_command as wrap_command
    from bastion.sandbox.container import ContainerBackend as ContainerBackend
    from bastion.sandbox.events import ConnectionEvent as ConnectionEvent
    from bastion.sandbox.events import EventSink as EventSink
    from bastion.sandbox.interface import RunResult as RunResult
    from bastion.sandbox.interface import SandboxRefused as SandboxRefused
    from bastion.sandbox.local import LocalBackend as LocalBackend
    from bastion.sandbox.probe import doctor_report as doctor_report
    from bastion.sandbox.profile import (
        Limits as Limits,
    )
    from bastion.sandbox.profile import (
        NetworkMode as NetworkMode,
    )
    from bastion.sandbox.profile import (
        Profile as Profile,
    )
    from bastion.sandbox.runner import Sandbox as Sandbox

_WHERE = {
    "wrap_command": "agent",
    "ContainerBackend": "container",
    "ConnectionEvent": "events",
    "EventSink": "events",
    "RunResult": "interface",
    "SandboxRefused": "interface",
    "LocalBackend": "local",
    "doctor_report": "probe",
    "Limits": "profile",
    "NetworkMode": "profile",
    "Profile": "profile",
    "Sandbox": "runner",
}
__all__ = [
    "ConnectionEvent", "ContainerBackend", "EventSink", "Limits", "LocalBackend", "NetworkMode",
    "Profile", "RunResult", "Sandbox", "SandboxRefused", "doctor_report", "wrap_command",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'bastion.sandbox' has no attribute {name!r}")
    return getattr(import_module(f"bastion.sandbox.{module}"), name)
