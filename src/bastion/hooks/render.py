"""Shared pieces of rendering a verdict: the reason text the model reads, and JSON bytes."""

from __future__ import annotations

import json
from typing import Any

from bastion.model import Verdict

# Claude Code caps hook output strings at 10,000 characters; the others show less.
MAX_REASON = 4000


def reason_text(verdict: Verdict) -> str:
    reason = f"bastion: {verdict.reason}"
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 1] + "…"
    return reason


def json_bytes(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, ensure_ascii=False) + "\n").encode("utf-8")
