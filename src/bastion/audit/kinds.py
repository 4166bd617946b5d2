"""Record kinds. Any name matching KIND_PATTERN may be appended; these are the ones bastion
writes and queries by name."""

from __future__ import annotations

VERDICT = "verdict"

SECURITY_BLOCKED = "security_blocked"
PATH_VIOLATION = "path_violation"
TOOL_RESTRICTED = "tool_restricted"
INJECTION_DETECTED = "injection_detected"
APPROVAL_REQUESTED = "approval_requested"
APPROVAL_GRANTED = "approval_granted"
APPROVAL_DENIED = "approval_denied"
LOG_RECOVERED = "log_recovered"
"""Written by the log itself when it cut a torn last line left by a crashed writer."""

APPROVAL_PREFIX = "approval_"
"""Every kind starting with this is also indexed in the approvals table."""

SECURITY_EVENTS = frozenset(
    {
        SECURITY_BLOCKED,
        PATH_VIOLATION,
        TOOL_RESTRICTED,
        INJECTION_DETECTED,
        APPROVAL_REQUESTED,
        APPROVAL_GRANTED,
        APPROVAL_DENIED,
    }
)

KIND_PATTERN = r"[a-z][a-z0-9_]{0,63}"
