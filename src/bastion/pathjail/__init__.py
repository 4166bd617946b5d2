"""The path jail: what a path really names (symlinks, `..`, `~`) and whether an access may go there.

`resolve` walks a path on the real filesystem, `glob` matches the policy's patterns in linear
time, `policy` judges one resolved path, `operands` knows which shell operands are read, written
or deleted, and `shell` turns parsed commands into findings."""

from __future__ import annotations

# Names load on first use (PEP 562): importing one module of this package must not pull in
# the rest (a hook or `bastion run` pays for what it uses, nothing more).
import importlib
from typing import Any

_WHERE = {
    "Access": "bastion.pathjail.policy",
    "PathIssue": "bastion.pathjail.policy",
    "PathPolicy": "bastion.pathjail.policy",
    "PathRejected": "bastion.pathjail.resolve",
    "ResolvedPath": "bastion.pathjail.resolve",
    "resolve_path": "bastion.pathjail.resolve",
    "JailContext": "bastion.pathjail.shell",
    "path_findings": "bastion.pathjail.shell",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
