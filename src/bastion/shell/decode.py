"""What a producer pipeline prints, when that is known statically.

`echo cm0gLXJmIC8= | base64 -d | sh` runs `rm -rf /`: to see it, the guard computes the text
each stage prints from constant input (echo, printf, cat of a heredoc, here-strings) through
the decoders an attacker reaches for (base64, openssl base64, xxd -r, rev, tr). Anything else
makes the output unknown (None). Output is capped so a decoder cannot be made to blow up.
"""

from __future__ import annotations

import base64
import binascii
import re

from bastion.shell.syntax import SimpleCommand
from bastion.shell.words import decode_ansi_c

MAX_OUTPUT = 65536
_PRINTF_FIELD = re.compile(r"%(?:%|[-+ #0]*\d*(?:\.\d+)?[sbdiqc])")


def stdin_of(command: SimpleCommand) -> str | None:
    """Text a command reads from a heredoc or here-string of its own."""
    for redirect in reversed(command.redirects):
        if redirect.heredoc_body is not None:
            if redirect.op == "<<-":
                return _strip_tabs(redirect.heredoc_body)
            return redirect.heredoc_body
        if redirect.op == "<<<" and redirect.target is not None:
            text = redirect.target.text
            return None if text is None else text + "\n"
    return None


def _strip_tabs(body: str) -> str:
    """`<<-` strips leading tabs; a literal `\\t` there is read as the tab its author meant."""
    lines = []
    for line in body.split("\n"):
        while line.startswith(("\t", "\\t")):
            line = line[1:] if line.startswith("\t") else line[2:]
        lines.append(line)
    return "\n".join(lines)


def static_stdout(command: SimpleCommand, stdin: str | None) -> str | None:
    """The command's output given `stdin`, or None when it cannot be known."""
    texts = [w.text for w in command.words]
    if any(t is None for t in texts) or not texts:
        return None
    argv = [t for t in texts if t is not None]
    own_stdin = stdin_of(command)
    if own_stdin is not None:
        stdin = own_stdin
    producer = _PRODUCERS.get(command.base_name or "")
    if producer is None:
        return None
    try:
        out = producer(argv[1:], stdin)
    except (ValueError, binascii.Error, UnicodeDecodeError, IndexError):
        return None
    if out is not None and len(out) > MAX_OUTPUT:
        return None
    return out


def _echo(args: list[str], stdin: str | None) -> str | None:
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0] or (escapes and "E" not in args[0])
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text = decode_ansi_c(text)
    return text + ("\n" if newline else "")


def _printf(args: list[str], stdin: str | None) -> str | None:
    if args[:1] == ["-v"]:
        return None  # prints nothing; assigns a variable
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        return None
    fmt, values = args[0], args[1:]
    out: list[str] = []
    index = 0

    def field(match: re.Match[str]) -> str:
        nonlocal index
        spec = match.group(0)
        if spec == "%%":
            return "%"
        value = values[index] if index < len(values) else ""
        index += 1
        return decode_ansi_c(value) if spec.endswith("b") else value

    while True:
        out.append(_PRINTF_FIELD.sub(field, decode_ansi_c(fmt)))
        if index == 0 or index >= len(values):
            break
    return "".join(out)


def _cat(args: list[str], stdin: str | None) -> str | None:
    operands = [a for a in args if a != "-" and not a.startswith("-")]
    return None if operands else stdin


def _base64(args: list[str], stdin: str | None) -> str | None:
    if stdin is None or not any(a in ("-d", "--decode", "-D") or a.startswith("-d") for a in args):
        return None
    return _b64decode(stdin)


def _b64decode(text: str) -> str:
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    return base64.b64decode(compact, validate=False).decode("utf-8")


def _openssl(args: list[str], stdin: str | None) -> str | None:
    decode = "-d" in args
    is_base64 = args[:1] == ["base64"] or (
        "enc" in args[:1] and ("-base64" in args or "-a" in args)
    )
    if stdin is None or not (decode and is_base64):
        return None
    return _b64decode(stdin)


def _xxd(args: list[str], stdin: str | None) -> str | None:
    if stdin is None or not any(a.startswith("-r") for a in args):
        return None
    if "-p" in args or "-ps" in args or "-plain" in args or any(a.startswith("-rp") for a in args):
        return bytes.fromhex("".join(stdin.split())).decode("utf-8")
    return None


def _rev(args: list[str], stdin: str | None) -> str | None:
    if stdin is None or args:
        return None
    return "\n".join(line[::-1] for line in stdin.split("\n"))


def _expand_set(spec: str) -> str | None:
    if "[" in spec or ":" in spec:
        return None  # character classes: not worth guessing
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            lo, hi = ord(spec[i]), ord(spec[i + 2])
            if hi < lo or hi - lo > 256:
                return None
            out.extend(chr(c) for c in range(lo, hi + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


def _tr(args: list[str], stdin: str | None) -> str | None:
    if stdin is None or len(args) != 2 or any(a.startswith("-") for a in args):
        return None
    source, target = _expand_set(decode_ansi_c(args[0])), _expand_set(decode_ansi_c(args[1]))
    if not source or not target:
        return None
    target = target + target[-1] * max(0, len(source) - len(target))
    return stdin.translate(str.maketrans(source, target[: len(source)]))


_PRODUCERS = {
    "echo": _echo,
    "printf": _printf,
    "cat": _cat,
    "base64": _base64,
    "openssl": _openssl,
    "xxd": _xxd,
    "rev": _rev,
    "tr": _tr,
}
