"""Scan text an agent reads (context files, web pages, MCP results, command output) for prompt
injection.

One scan: normalize (drop invisible characters, fold fullwidth), run every phrase pattern as one
RE2 set and take spans only for the patterns that hit, judge each match in its context, then
look for what is hidden: HTML comments and invisible elements, smuggling Unicode, encoded blobs
(decoded and rescanned at most `MAX_DEPTH` levels deep, within a shared decode budget), and
exfiltration links. Work is linear in the input: RE2 everywhere, a cap on the characters
scanned, on matches per pattern, and on findings kept. What lies past the cap is itself a
finding, never a silent pass.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import islice

from bastion.content import encoded, links, patterns, unicode
from bastion.content.context import ADDRESSED, TextContext, adjust
from bastion.content.html import Region, hidden_regions
from bastion.content.model import Category, ContentFinding, ContentReport, Severity
from bastion.content.normalize import Normalized, normalize

MAX_SCAN_CHARS = 1 << 20
MAX_DEPTH = 2
"""Levels of decoding inside decoding (base64 in base64, tags holding base64)."""
MAX_MATCHES_PER_PATTERN = 64
MAX_FINDINGS = 256
EXCERPT = 200

DEFAULT_IMAGE_HOSTS = (
    "github.com",
    "githubusercontent.com",
    "shields.io",
    "badge.fury.io",
    "codecov.io",
    "coveralls.io",
    "readthedocs.org",
    "readthedocs.io",
    "pypi.org",
    "pepy.tech",
    "npmjs.com",
    "docs.rs",
    "crates.io",
    "gitlab.com",
    "circleci.com",
    "travis-ci.com",
    "travis-ci.org",
    "sonarcloud.io",
    "app.codacy.com",
    "api.netlify.com",
    "bestpractices.coreinfrastructure.org",
    "deepwiki.com",
)


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


class _Regions:
    def __init__(self, regions: tuple[Region, ...]) -> None:
        self.regions = regions
        self._starts = [r.start for r in regions]

    def at(self, pos: int) -> Region | None:
        i = bisect_right(self._starts, pos) - 1
        # Regions may nest (a comment inside a hidden element): look back a little.
        for j in range(i, max(-1, i - 4), -1):
            if self.regions[j].start <= pos < self.regions[j].end:
                return self.regions[j]
        return None


class Scanner:
    """Stateless after construction; safe to share across threads."""

    def __init__(
        self,
        *,
        image_hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS,
        use_context: bool = True,
        max_chars: int = MAX_SCAN_CHARS,
    ) -> None:
        self.image_hosts = tuple(h.lower() for h in image_hosts)
        self.use_context = use_context
        """False judges every match at its base severity (to measure what context buys)."""
        self.max_chars = max_chars

    def scan(self, text: str, source: str = "") -> ContentReport:
        scanned = text[: self.max_chars]
        findings = self._scan(scanned, 0, encoded.Budget())
        if len(text) > len(scanned):
            findings.append(
                ContentFinding(
                    Category.UNSCANNED,
                    Severity.MEDIUM,
                    len(scanned),
                    len(text),
                    f"{len(text) - len(scanned)} characters past the scan limit",
                    "content.unscanned",
                    f"only the first {len(scanned)} characters were scanned",
                )
            )
        kept = _dedupe(findings)
        if len(kept) > MAX_FINDINGS:
            kept = sorted(kept, key=lambda f: (-f.severity, f.start))[:MAX_FINDINGS]
        kept.sort(key=lambda f: (f.start, -f.severity))
        return ContentReport(source, len(text), tuple(kept), len(scanned))

    # -- one level -----------------------------------------------------------------------------

    def _scan(self, text: str, depth: int, budget: encoded.Budget) -> list[ContentFinding]:
        norm = normalize(text)
        regions = _Regions(hidden_regions(norm.text))
        findings, region_top = self._phrases(text, norm, regions)
        findings.extend(self._hidden_regions(text, norm, regions, region_top))

        def rescan(decoded: str) -> Severity | None:
            if depth >= MAX_DEPTH:
                return None
            return _top(self._scan(decoded, depth + 1, budget))

        # Capped: a megabyte of zero-width runs must not become a million findings.
        for hit in islice(unicode.find(text, rescan), MAX_FINDINGS):
            findings.append(
                ContentFinding(
                    hit.category,
                    hit.severity,
                    hit.start,
                    hit.end,
                    _excerpt(hit.excerpt),
                    hit.rule_id,
                )
            )
        if depth < MAX_DEPTH:
            findings.extend(self._encoded(text, norm, depth, budget))
        if depth == 0:
            findings.extend(self._rot13(text, norm))
        for link in islice(links.find(norm.text, self.image_hosts), MAX_FINDINGS):
            start, end = norm.span(link.start, link.end)
            findings.append(
                ContentFinding(
                    Category.EXFIL_LINK,
                    link.severity,
                    start,
                    end,
                    _excerpt(link.url),
                    link.rule_id,
                )
            )
        return findings

    def _judge(
        self,
        base: Severity,
        category: Category,
        context: TextContext,
        start: int,
        end: int,
        *,
        hidden: bool,
    ) -> tuple[Severity, str]:
        if not self.use_context:
            return (base.raised(1) if hidden else base), ""
        signals = context.signals(start, end)
        why = signals.describe()
        if hidden:
            why = "hidden from a human reader" + (f"; {why}" if why else "")
        return adjust(base, category, signals, hidden=hidden), why

    def _phrases(
        self, text: str, norm: Normalized, regions: _Regions
    ) -> tuple[list[ContentFinding], dict[Region, Severity]]:
        found: list[ContentFinding] = []
        region_top: dict[Region, Severity] = {}
        context = TextContext(norm.text)
        for index in patterns.matching(norm.text):
            pattern = patterns.PATTERNS[index]
            for count, m in enumerate(patterns.compiled(index).finditer(norm.text)):
                if count >= MAX_MATCHES_PER_PATTERN:
                    break
                region = regions.at(m.start())
                severity, why = self._judge(
                    pattern.severity,
                    pattern.category,
                    context,
                    m.start(),
                    m.end(),
                    hidden=region is not None,
                )
                start, end = norm.span(m.start(), m.end())
                if end - start > m.end() - m.start():
                    # Zero-width characters inside a phrase exist only to dodge a filter.
                    severity = max(Severity.MEDIUM, severity.raised(1))
                    why = (why + "; " if why else "") + "split by invisible characters"
                if region is not None:
                    region_top[region] = max(severity, region_top.get(region, Severity.LOW))
                found.append(
                    ContentFinding(
                        pattern.category,
                        severity,
                        start,
                        end,
                        _excerpt(text[start:end]),
                        pattern.rule_id,
                        why,
                    )
                )
        return found, region_top

    def _hidden_regions(
        self, text: str, norm: Normalized, regions: _Regions, region_top: dict[Region, Severity]
    ) -> list[ContentFinding]:
        found = []
        for region in regions.regions:
            top = region_top.get(region)
            if top is None and ADDRESSED.search(norm.text[region.start : region.end]) is None:
                continue
            severity = max(Severity.MEDIUM, top or Severity.MEDIUM)
            start, end = norm.span(region.start, region.end)
            found.append(
                ContentFinding(
                    Category.HIDDEN_HTML,
                    severity,
                    start,
                    end,
                    _excerpt(text[start:end]),
                    f"html.{region.kind}",
                    "instructions in a part of the page a human does not see",
                )
            )
        return found

    def _encoded(
        self, text: str, norm: Normalized, depth: int, budget: encoded.Budget
    ) -> list[ContentFinding]:
        found = []
        for blob in encoded.find(norm.text, budget):
            top = _top(self._scan(blob.text, depth + 1, budget))
            if top is None:
                continue
            # Nobody base64-encodes an example for a human to read; what it says decides.
            severity = top.raised(1) if top >= Severity.MEDIUM else top
            start, end = norm.span(blob.start, blob.end)
            found.append(
                ContentFinding(
                    Category.ENCODED,
                    severity,
                    start,
                    end,
                    _excerpt(blob.text),
                    f"encoded.{blob.encoding}",
                    f"decodes ({blob.encoding}) to instruction-like text",
                )
            )
        return found

    def _rot13(self, text: str, norm: Normalized) -> list[ContentFinding]:
        rotated = encoded.rot13(norm.text)
        hits = [i for i in patterns.matching(rotated) if i in patterns.OVERRIDE_ONLY]
        if not hits:
            return []
        context = TextContext(rotated)
        found = []
        for index in hits:
            pattern = patterns.PATTERNS[index]
            for count, m in enumerate(patterns.compiled(index).finditer(rotated)):
                if count >= MAX_MATCHES_PER_PATTERN:
                    break
                severity, _ = self._judge(
                    pattern.severity, pattern.category, context, m.start(), m.end(), hidden=False
                )
                start, end = norm.span(m.start(), m.end())
                found.append(
                    ContentFinding(
                        Category.ENCODED,
                        severity.raised(1),
                        start,
                        end,
                        _excerpt(m.group()),
                        "encoded.rot13",
                        f"rot13 of an override phrase ({pattern.rule_id})",
                    )
                )
        return found


def _top(findings: list[ContentFinding]) -> Severity | None:
    return max((f.severity for f in findings), default=None)


def _dedupe(findings: list[ContentFinding]) -> list[ContentFinding]:
    """Overlapping findings of one category become one: the worst, over the union span."""
    out: list[ContentFinding] = []
    for category in dict.fromkeys(f.category for f in findings):
        group = sorted((f for f in findings if f.category is category), key=lambda f: f.start)
        current: ContentFinding | None = None
        for finding in group:
            if current is not None and finding.start < current.end:
                best = finding if finding.severity > current.severity else current
                current = ContentFinding(
                    category,
                    best.severity,
                    current.start,
                    max(current.end, finding.end),
                    best.excerpt,
                    best.rule_id,
                    best.why,
                )
                continue
            if current is not None:
                out.append(current)
            current = finding
        if current is not None:
            out.append(current)
    return out
