"""Which files hold secrets (ssh keys, cloud credentials, .env files, private keys, ...)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import re2

from bastion.paths import PathContext
from bastion.secrets.globs import path_glob_regex

# Globs over the resolved absolute path; `~` is the session's home.
DEFAULT_SECRET_FILES: tuple[str, ...] = (
    "~/.ssh/id_*", "~/.ssh/*_key", "~/.ssh/identity", "**/id_rsa", "**/id_dsa", "**/id_ecdsa",
    "**/id_ed25519", "**/id_ecdsa_sk", "**/id_ed25519_sk", "/etc/ssh/ssh_host_*_key",
    "~/.aws/credentials", "~/.aws/sso/cache/*", "~/.config/gcloud/**", "~/.azure/**",
    "~/.kube/config", "**/kubeconfig", "~/.netrc", "**/.netrc", "**/_netrc",
    "~/.docker/config.json", "**/.git-credentials", "**/.pgpass", "**/.my.cnf", "**/.npmrc",
    "**/.pypirc", "**/.vault-token", "~/.gnupg/**", "~/.password-store/**",
    "~/.config/gh/hosts.yml", "~/.terraform.d/credentials.tfrc.json", "**/.env", "**/.env.*",
    "**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx", "**/*.jks", "**/*.keystore", "**/*.ppk",
    "**/credentials.json", "**/service-account*.json", "**/*-sa-key.json", "/etc/shadow",
    "/etc/gshadow", "/etc/master.passwd", "~/.ssh", "~/.aws", "~/.gnupg", "~/.kube",
)  # fmt: skip
# Public halves and templates are not secret: `id_rsa.pub`, `.env.example`.
PUBLIC_SUFFIXES = (".pub", ".example", ".sample", ".template", ".dist", ".tmpl", ".defaults")
_MAX_PATH = 4096


@dataclass(frozen=True)
class SecretFiles:
    globs: tuple[str, ...] = DEFAULT_SECRET_FILES
    _regex: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # `~` stays literal in the regex; paths are matched with the home swapped for `~`.
        parts = [path_glob_regex(g) for g in self.globs]
        object.__setattr__(self, "_regex", re2.compile("|".join(parts)) if parts else None)

    @classmethod
    def of(cls, globs: Iterable[str]) -> SecretFiles:
        return cls(tuple(dict.fromkeys(g.strip() for g in globs if g.strip())))

    def matches(self, text: str | None, paths: PathContext) -> bool:
        """Is this operand (as the shell would resolve it) a secret file?"""
        if self._regex is None or not text or len(text) > _MAX_PATH:
            return False
        path = paths.resolve(text)
        if path.endswith(PUBLIC_SUFFIXES):
            return False
        home = posixpath.normpath(paths.home) if paths.home else ""
        candidates = [path]
        if home and (path == home or path.startswith(home + "/")):
            candidates.append("~" + path[len(home) :])
        return any(self._regex.fullmatch(c) is not None for c in candidates)
