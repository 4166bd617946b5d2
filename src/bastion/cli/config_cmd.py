"""`bastion config show`: the merged configuration and where each value came from."""

from __future__ import annotations

import sys

from bastion.cli.output import dump_json
from bastion.config import ConfigError, load_config


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
        return "[" + ", ".join(_toml_value(v) for v in items) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return str(value)


def run_show(cwd: str, *, as_json: bool) -> int:
    try:
        config = load_config(cwd)
    except ConfigError as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return 1
    data = config.as_dict()
    if as_json:
        dump_json(
            {
                "config": data,
                "provenance": dict(config.provenance),
                "sources": [
                    {"label": s.label, "path": s.path, "trusted": s.trusted} for s in config.sources
                ],
                "warnings": list(config.warnings),
            }
        )
        return 0
    print("# files read, lowest precedence first:")
    for source in config.sources:
        trust = "" if source.trusted else " (project: may only tighten)"
        print(f"#   {source.label:<9} {source.path}{trust}")
    for section, values in data.items():
        print(f"\n[{section}]")
        for key, value in values.items():
            origin = config.provenance.get(f"{section}.{key}", "built-in")
            print(f"{key} = {_toml_value(value)}  # from {origin}")
    for warning in config.warnings:
        print(f"bastion: warning: {warning}", file=sys.stderr)
    return 0
