"""The `[secrets]` section as one value: which names and files are secret, what env passes."""

from __future__ import annotations

from dataclasses import dataclass, field

from bastion.config.model import Config
from bastion.secrets.environment import EnvironmentFilter
from bastion.secrets.files import SecretFiles
from bastion.secrets.names import SecretNames


@dataclass(frozen=True)
class SecretsPolicy:
    names: SecretNames = field(default_factory=SecretNames)
    files: SecretFiles = field(default_factory=SecretFiles)
    env_allow: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config) -> SecretsPolicy:
        return cls(
            names=SecretNames.of(config.strings("secrets.secret_names")),
            files=SecretFiles.of(config.strings("secrets.secret_files")),
            env_allow=config.strings("secrets.env_allow"),
        )

    def environment(self) -> EnvironmentFilter:
        return EnvironmentFilter.of(self.env_allow, self.names)

