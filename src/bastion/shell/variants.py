"""Other readings of the raw text, for spellings tree-sitter-bash gets wrong.

tree-sitter-bash splits `rm$IFS-rf$IFS/` into two words and turns `{rm,-rf,/}` into an ERROR
node, while bash runs `rm -rf /` for both. The command layer parses these rewritten readings
as well as the original; a rule that matches either reading counts.
"""

from __future__ import annotations

from typing import Any

from bastion.rules.regexes import compile_regex

_IFS = compile_regex(r"\$\{IFS[^}]{0,16}\}|\$IFS\b")
_BRACE = compile_regex(
    r"(^|[\s;&|(])([^\s{}'\"`;&|()]*)\{([^\s{}'\"`;&|()]*,[^\s{}'\"`;&|()]*)\}([^\s{}'\"`;&|()]*)"
)
MAX_BRACE_WORDS = 64


def spelling_variants(text: str) -> list[str]:
    variants: list[str] = []
    if "IFS" in text:
        replaced = _IFS.sub(" ", text)
        if replaced != text:
            variants.append(replaced)
    if "{" in text and "," in text:
        expanded = _BRACE.sub(_expand, text)
        if expanded != text:
            variants.append(expanded)
    return variants


def _expand(match: Any) -> str:
    lead, prefix, body, suffix = (str(match.group(i)) for i in range(1, 5))
    parts = body.split(",")[:MAX_BRACE_WORDS]
    return lead + " ".join(f"{prefix}{part}{suffix}" for part in parts)
