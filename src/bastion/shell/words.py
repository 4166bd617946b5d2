"""Resolve a tree-sitter word node to the text bash would pass, or None when it is dynamic.

tree-sitter keeps quoting as typed nodes (`word`, `raw_string`, `string`, `ansi_c_string`,
`concatenation`); bash removes quotes and escapes before it runs anything, so every rule must
see the resolved text: `r''m`, `"r"m`, `\\rm` and `$'\\x72m'` are all `rm`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from tree_sitter import Node

_ANSI_SIMPLE = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
    "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip

# Characters a backslash escapes inside double quotes (elsewhere it stays literal).
_DQ_ESCAPABLE = frozenset('$`"\\\n')


_source = threading.local()


@contextmanager
def source_bytes(data: bytes) -> Iterator[None]:
    """Words are read from our own copy of the source: a tree parsed through a read callback
    has no text of its own (`node.text` would call back for every node)."""
    previous = getattr(_source, "data", None)
    _source.data = data
    try:
        yield
    finally:
        _source.data = previous


def node_bytes(node: Node) -> bytes:
    data: bytes | None = getattr(_source, "data", None)
    if data is None:
        return node.text or b""
    return data[node.start_byte : node.end_byte]


def node_text(node: Node) -> str:
    return node_bytes(node).decode("utf-8", "surrogateescape")


def unescape_unquoted(text: str) -> str:
    """Backslash escapes in an unquoted word: `\\x` is `x`, backslash-newline vanishes."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt != "\n":
                out.append(nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def unescape_double_quoted(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _DQ_ESCAPABLE:
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def decode_ansi_c(body: str) -> str:
    """Decode the body of `$'...'` the way bash does (\\xHH, \\NNN octal, \\uHHHH, \\cX, ...)."""
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1]
        i += 2
        if esc in _ANSI_SIMPLE:
            out.append(_ANSI_SIMPLE[esc])
        elif esc == "x":
            digits = _take(body, i, 2, "0123456789abcdefABCDEF")
            out.append(chr(int(digits, 16)) if digits else "\\x")
            i += len(digits)
        elif esc in "uU":
            digits = _take(body, i, 4 if esc == "u" else 8, "0123456789abcdefABCDEF")
            code = int(digits, 16) if digits else -1
            out.append(chr(code) if 0 <= code <= 0x10FFFF else "\\" + esc)
            i += len(digits)
        elif esc in "01234567":
            digits = esc + _take(body, i, 2, "01234567")
            out.append(chr(int(digits, 8) & 0xFF))
            i += len(digits) - 1
        elif esc == "c" and i < n:
            out.append(chr(ord(body[i]) & 0x1F))
            i += 1
        else:
            out.append("\\" + esc)
    return "".join(out)


def _take(text: str, start: int, limit: int, allowed: str) -> str:
    end = start
    while end < len(text) and end - start < limit and text[end] in allowed:
        end += 1
    return text[start:end]


def resolve_word(node: Node, env: Mapping[str, str] | None = None) -> str | None:
    """The static text of a word, or None when it depends on run-time state.

    `env` holds variables whose value is known statically (constant assignments earlier in
    the script); `$NAME` and `${NAME}` resolve through it.
    """
    kind = node.type
    if kind in ("word", "number", "command_name", "variable_name", "file_descriptor"):
        if kind == "command_name":
            return _resolve_children(node, env)
        return unescape_unquoted(node_text(node))
    if kind == "raw_string":
        return node_text(node)[1:-1]
    if kind == "ansi_c_string":
        return decode_ansi_c(node_text(node)[2:-1])
    if kind == "string":
        return _resolve_double_quoted(node, env)
    if kind == "translated_string":  # $"..." behaves like "..." without a locale catalogue
        inner = node.named_children[0] if node.named_children else None
        return _resolve_double_quoted(inner, env) if inner is not None else ""
    if kind == "concatenation":
        return _resolve_children(node, env)
    if kind in ("simple_expansion", "expansion"):
        return _resolve_expansion(node, env)
    return None


def _resolve_children(node: Node, env: Mapping[str, str] | None) -> str | None:
    parts: list[str] = []
    for child in node.children:
        if child.type == "``":  # tree-sitter's misparse of "`a` `b`": never static
            return None
        part = resolve_word(child, env)
        if part is None:
            return None
        parts.append(part)
    return "".join(parts)


def _resolve_double_quoted(node: Node, env: Mapping[str, str] | None) -> str | None:
    parts: list[str] = []
    source = node_bytes(node)
    cursor = node.start_byte + 1  # skip the opening quote
    end = node.end_byte - 1
    for child in node.children:
        if child.type == '"':
            continue
        if child.start_byte > cursor:  # text tree-sitter left between children (spaces)
            gap = source[cursor - node.start_byte : child.start_byte - node.start_byte]
            parts.append(unescape_double_quoted(gap.decode("utf-8", "surrogateescape")))
        if child.type == "string_content":
            parts.append(unescape_double_quoted(node_text(child)))
        else:
            value = resolve_word(child, env)
            if value is None:
                return None
            parts.append(value)
        cursor = child.end_byte
    if end > cursor:
        gap = source[cursor - node.start_byte : end - node.start_byte]
        parts.append(unescape_double_quoted(gap.decode("utf-8", "surrogateescape")))
    return "".join(parts)


def _resolve_expansion(node: Node, env: Mapping[str, str] | None) -> str | None:
    if env is None:
        return None
    names = [c for c in node.named_children if c.type == "variable_name"]
    if names and node_text(names[0]) == "IFS" and "IFS" not in env:
        return " "  # `$IFS`, `${IFS}`, `${IFS:0:1}`: the default IFS starts with a space
    # Only a bare `$NAME` / `${NAME}`: operators, slices and defaults stay dynamic.
    if len(names) != 1 or len(node.named_children) != 1:
        return None
    return env.get(node_text(names[0]))
