"""Values that only stand for a secret (`<your-password>`, `${TOKEN}`, `changeme`): left alone.

Documentation and example configs are full of `password=<your-password>`; redacting those would
hide the very text a user needs to read, and they leak nothing. A value counts as a placeholder
when it is a template or a reference (`<...>`, `{{...}}`, `${...}`, `$NAME`, `%(x)s`), one
character repeated (`xxxx`, `****`), or a word from the short list below (alone or with a
`your-` prefix). Everything else is treated as a real secret."""

from __future__ import annotations

_WORDS = frozenset(
    {"changeme", "change-me", "change_me", "password", "passwd", "secret", "token", "example",
     "placeholder", "redacted", "dummy", "fake", "test", "none", "null", "nil", "true", "false",
     "empty", "todo", "tbd", "foo", "bar", "foobar", "pass", "mypassword", "mysecret", "hunter2",
     "value", "key", "apikey", "api-key", "api_key", "xxx", "undefined"}
)  # fmt: skip
_PREFIXES = ("your-", "your_", "<", "insert-", "insert_", "replace-", "replace_")
_PAIRS = (("<", ">"), ("{{", "}}"), ("${", "}"), ("%(", ")s"), ("[", "]"), ("{", "}"))


_OPENERS = frozenset(a[0] for a, _ in _PAIRS)


def is_placeholder(value: str) -> bool:
    # Called once per value found by context, so a dense input calls it per secret: each test
    # is one C-level string operation.
    text = value.strip().strip("'\"`")
    if not text:
        return True
    first = text[0]
    if first in _OPENERS:
        if any(text.startswith(a) and text.endswith(b) for a, b in _PAIRS):
            return True
        if first == "$" and (text[1:].replace("_", "a").isalnum() or text[1:2] == "{"):
            return True  # a reference to another variable, not a value
    if text.count(first) == len(text):
        return True  # one character repeated
    lowered = text.lower()
    if lowered in _WORDS:
        return True
    return lowered.startswith(_PREFIXES) and "-" in lowered.replace("_", "-")
