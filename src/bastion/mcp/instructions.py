"""Tool descriptions that carry instructions for the model (tool poisoning).

A description is shown to the model as trusted documentation, so text in it that tells the
model to ignore its instructions, read secrets first, keep something from the user or hides
itself in tags or invisible characters is an attack, not documentation. A small RE2 set
(linear time) over a capped prefix of the text."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.rules.regexes import LazyRegex

MAX_DESCRIPTION_CHARS = 65536
"""Past this a description is itself suspicious; only this much is scanned."""


@dataclass(frozen=True)
class InstructionHit:
    kind: str
    start: int
    end: int
    excerpt: str


_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "override",
        r"(?i)\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?"
        r"(?:previous|prior|above|earlier|preceding|other|system)\s+"
        r"(?:instructions?|prompts?|messages?|rules|context|directions)",
    ),
    (
        "precondition",
        r"(?i)\bbefore\s+(?:using|calling|invoking|running|executing)\s+(?:this|the|any)\s+"
        r"(?:tool|function)[^.\n]{0,120}?\b(?:read|cat|open|load|fetch|send|include|pass|"
        r"call|run|execute|upload|copy)\b",
    ),
    (
        "secret-path",
        r"(?i)(?:~|\$HOME|/home/[\w.-]+|/root)/\.(?:ssh|aws|gnupg|kube|docker|netrc|npmrc|"
        r"pypirc|config/gcloud|cursor|claude|codex|gemini)\b|\bid_(?:rsa|ed25519|ecdsa)\b|"
        r"/etc/(?:passwd|shadow|sudoers)\b",
    ),
    (
        "secrecy",
        r"(?i)\b(?:do\s+not|don'?t|never|must\s+not)\s+(?:tell|inform|mention|notify|alert|"
        r"reveal|show|disclose|let)\s+(?:this\s+(?:to\s+)?)?(?:the\s+)?user\b|"
        r"\bwithout\s+(?:telling|informing|notifying|alerting|asking)\s+the\s+user\b|"
        r"\bthe\s+user\s+(?:must|should)\s+(?:not|never)\s+(?:know|see|be\s+told)\b",
    ),
    (
        "tag",
        r"(?i)<\s*/?\s*(?:important|system|instructions?|secret|hidden|admin|assistant|"
        r"critical|note_to_ai|ai)\b[^<>]{0,60}>",
    ),
    (
        "hidden-unicode",
        r"[\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{2066}-\x{2069}\x{FEFF}"
        r"\x{E0000}-\x{E007F}]",
    ),
    (
        "imperative",
        r"(?i)\byou\s+(?:must|should|need\s+to)\s+(?:always|first|also|secretly|silently)\s+"
        r"(?:call|use|invoke|run|execute|send|read|include|pass)\b|\byou\s+are\s+now\b|"
        r"\bnew\s+instructions\s*:|\bsystem\s+prompt\b",
    ),
    (
        "exfiltrate",
        r"(?i)\b(?:send|forward|upload|post|exfiltrate|transmit)\b[^.\n]{0,80}?\b(?:to|at)\s+"
        r"(?:https?://|[\w.-]+@[\w.-]+)",
    ),
)

_COMPILED = tuple((kind, LazyRegex(pattern)) for kind, pattern in _PATTERNS)


def find_instructions(text: str) -> tuple[InstructionHit, ...]:
    """The first hit of each kind, with character offsets into `text`."""
    scanned = text[:MAX_DESCRIPTION_CHARS]
    hits = []
    for kind, regex in _COMPILED:
        match = regex.search(scanned)
        if match is not None:
            start, end = match.start(), match.end()
            hits.append(InstructionHit(kind, start, end, _excerpt(scanned, start, end)))
    return tuple(sorted(hits, key=lambda h: h.start))


def _excerpt(text: str, start: int, end: int) -> str:
    shown = text[max(0, start - 20) : min(len(text), end + 20)]
    # Show invisible characters instead of printing them.
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in shown)
