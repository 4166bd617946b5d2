"""Pattern scanning of Python and JavaScript/TypeScript source (plugins, MCP servers)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bastion.rules.regexes import RegexSet, compile_regex
from bastion.scan.interface import Scanner
from bastion.scan.model import ScanFinding, ScanRule
from bastion.scan.patterns import JS, PYTHON, RULES, PatternRule

EXTENSIONS = {
    ".py": PYTHON, ".pyw": PYTHON,
    ".js": JS, ".mjs": JS, ".cjs": JS, ".jsx": JS,
    ".ts": JS, ".tsx": JS, ".mts": JS, ".cts": JS,
}  # fmt: skip
MAX_PER_RULE = 20
"""Per file: a minified bundle would otherwise repeat one finding thousands of times."""
EXCERPT_CHARS = 160


def language_of(path: Path) -> str | None:
    return EXTENSIONS.get(path.suffix.lower())


class _Compiled:
    def __init__(self, rules: Sequence[PatternRule]) -> None:
        self.rules = tuple(rules)
        patterns = ["(?m)" + r.pattern for r in self.rules]
        self.set = RegexSet(patterns)  # one pass tells which rules to locate
        self.regexes: tuple[Any, ...] = tuple(compile_regex(p) for p in patterns)


class SourceScanner(Scanner):
    name = "source"

    def __init__(self, rules: Sequence[PatternRule] = RULES) -> None:
        self._by_language = {
            lang: _Compiled([r for r in rules if lang in r.languages]) for lang in (PYTHON, JS)
        }
        self._rules = tuple(rules)

    def wants(self, path: Path) -> bool:
        return language_of(path) is not None

    def rules(self) -> Sequence[ScanRule]:
        return tuple(r.rule for r in self._rules)

    def scan(self, path: Path, text: str, shown: str) -> Sequence[ScanFinding]:
        language = language_of(path)
        if language is None:
            return ()
        compiled = self._by_language[language]
        lines = _LineIndex(text)
        found: list[ScanFinding] = []
        for index in sorted(compiled.set.match(text)):
            rule = compiled.rules[index]
            if rule.only_files and path.name not in rule.only_files:
                continue
            for count, match in enumerate(compiled.regexes[index].finditer(text)):
                if count >= MAX_PER_RULE:
                    break
                start = match.start()
                if rule.lead and start < match.end() - 1 and not _word(text[start]):
                    start += 1
                found.append(lines.finding(rule, shown, start))
        return sorted(found, key=lambda f: (f.line, f.column, f.rule_id))


def _word(char: str) -> bool:
    return char.isalnum() or char in "_$"


class _LineIndex:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        position = text.find("\n")
        while position >= 0:
            self.starts.append(position + 1)
            position = text.find("\n", position + 1)

    def finding(self, rule: PatternRule, shown: str, offset: int) -> ScanFinding:
        row = bisect.bisect_right(self.starts, offset) - 1
        begin = self.starts[row]
        end = self.starts[row + 1] - 1 if row + 1 < len(self.starts) else len(self.text)
        return ScanFinding(
            rule_id=rule.rule.id,
            severity=rule.rule.severity,
            file=shown,
            line=row + 1,
            column=offset - begin + 1,
            excerpt=excerpt(self.text[begin:end], offset - begin),
            message=rule.message,
        )


def excerpt(line: str, column: int) -> str:
    """The line around a column, at most EXCERPT_CHARS, control characters made visible."""
    if len(line) > EXCERPT_CHARS:
        start = max(0, min(column - EXCERPT_CHARS // 4, len(line) - EXCERPT_CHARS))
        line = ("..." if start else "") + line[start : start + EXCERPT_CHARS] + "..."
    line = line.strip()
    return "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" for c in line)
