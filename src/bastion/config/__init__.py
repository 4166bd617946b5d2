"""Layered TOML configuration: built-in < system < user < project < local."""

from bastion.config.errors import BastionError, ConfigError
from bastion.config.loader import builtin_config, find_project_root, load_config
from bastion.config.model import Config, ConfigSource, Limits, RuleFileRef

__all__ = [
    "BastionError",
    "Config",
    "ConfigError",
    "ConfigSource",
    "Limits",
    "RuleFileRef",
    "builtin_config",
    "find_project_root",
    "load_config",
]
