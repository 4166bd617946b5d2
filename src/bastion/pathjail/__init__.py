"""The path jail: what a path really names (symlinks, `..`, `~`) and whether an access may go there.

`resolve` walks a path on the real filesystem, `glob` matches the policy's patterns in linear
time, `policy` judges one resolved path, `operands` knows which shell operands are read, written
or deleted, and `shell` turns parsed commands into findings."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

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

__getattr__ = lazy_names(__name__, _WHERE)
