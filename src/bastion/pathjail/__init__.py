"""The path jail: what a path really names (symlinks, `..`, `~`) and whether an access may go there.

`resolve` walks a path on the real filesystem, `glob` matches the policy's patterns in linear
time, `policy` judges one resolved path, `operands` knows which shell operands are read, written
or deleted, and `shell` turns parsed commands into findings."""

from bastion.pathjail.policy import Access, PathIssue, PathPolicy
from bastion.pathjail.resolve import PathRejected, ResolvedPath, resolve_path
from bastion.pathjail.shell import JailContext, path_findings

__all__ = [
    "Access",
    "JailContext",
    "PathIssue",
    "PathPolicy",
    "PathRejected",
    "ResolvedPath",
    "path_findings",
    "resolve_path",
]
