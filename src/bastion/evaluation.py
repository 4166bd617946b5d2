"""Score the guard on labelled corpora (one JSON object per line: cmd, label, category, scored).

A dangerous row is caught by deny or ask; rows marked `"scored": false` are reported but not
counted in the catch rate. A benign row should be allowed: deny and ask rates are separate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bastion.guard import Guard
from bastion.model import Decision, ToolCall


class CorpusError(Exception):
    """A corpus file that cannot be read: names the file and line."""


@dataclass(frozen=True)
class Row:
    cmd: str
    label: str
    category: str
    scored: bool
    line: int


@dataclass(frozen=True)
class Outcome:
    row: Row
    decision: Decision
    rule: str


@dataclass
class FileScore:
    path: str
    dangerous: int = 0
    caught: int = 0
    dangerous_denied: int = 0
    unscored: int = 0
    unscored_caught: int = 0
    benign: int = 0
    benign_denied: int = 0
    benign_asked: int = 0
    wrong: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        row = outcome.row
        stopped = outcome.decision is not Decision.ALLOW
        if row.label == "dangerous" and not row.scored:
            self.unscored += 1
            self.unscored_caught += stopped
        elif row.label == "dangerous":
            self.dangerous += 1
            self.caught += stopped
            self.dangerous_denied += outcome.decision is Decision.DENY
            if not stopped:
                self.wrong.append(outcome)
        else:
            self.benign += 1
            self.benign_denied += outcome.decision is Decision.DENY
            self.benign_asked += outcome.decision is Decision.ASK
            if stopped:
                self.wrong.append(outcome)

    def merge(self, other: FileScore) -> None:
        for name in ("dangerous", "caught", "dangerous_denied", "unscored", "unscored_caught",
                     "benign", "benign_denied", "benign_asked"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.wrong.extend(other.wrong)

    def rates(self) -> dict[str, float | None]:
        return {
            "catch_rate": _rate(self.caught, self.dangerous),
            "dangerous_deny_rate": _rate(self.dangerous_denied, self.dangerous),
            "unscored_catch_rate": _rate(self.unscored_caught, self.unscored),
            "benign_deny_rate": _rate(self.benign_denied, self.benign),
            "benign_ask_rate": _rate(self.benign_asked, self.benign),
        }

    def to_dict(self, wrong_limit: int | None = None) -> dict[str, object]:
        wrong = self.wrong if wrong_limit is None else self.wrong[:wrong_limit]
        return {
            "path": self.path,
            "dangerous": self.dangerous,
            "caught": self.caught,
            "unscored": self.unscored,
            "unscored_caught": self.unscored_caught,
            "benign": self.benign,
            "benign_denied": self.benign_denied,
            "benign_asked": self.benign_asked,
            **self.rates(),
            "wrong": [
                {
                    "line": o.row.line,
                    "cmd": o.row.cmd,
                    "label": o.row.label,
                    "category": o.row.category,
                    "decision": str(o.decision),
                    "rule": o.rule,
                }
                for o in wrong
            ],
        }


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def read_corpus(path: Path) -> list[Row]:
    rows: list[Row] = []
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read: {exc}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                cmd, label = data["cmd"], data["label"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise CorpusError(f"{path}:{number}: not a corpus row ({exc})") from exc
            if label not in ("benign", "dangerous") or not isinstance(cmd, str):
                raise CorpusError(f"{path}:{number}: label must be 'benign' or 'dangerous'")
            rows.append(
                Row(
                    cmd,
                    label,
                    str(data.get("category", "")),
                    data.get("scored", True) is not False,
                    number,
                )
            )
    return rows


def evaluate_files(
    guard: Guard,
    paths: Iterable[Path],
    cwd: str,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[FileScore], FileScore]:
    corpora = [(path, read_corpus(path)) for path in paths]
    total_rows = sum(len(rows) for _, rows in corpora)
    done = 0
    scores: list[FileScore] = []
    overall = FileScore("overall")
    for path, rows in corpora:
        score = FileScore(str(path))
        for row in rows:
            verdict = guard.evaluate(ToolCall.shell(row.cmd, cwd=cwd, agent="eval"))
            deciding = [f for f in verdict.findings if f.decision == verdict.decision]
            score.add(Outcome(row, verdict.decision, deciding[0].rule_id if deciding else ""))
            done += 1
            if progress is not None and (done % 200 == 0 or done == total_rows):
                progress(done, total_rows)
        scores.append(score)
        overall.merge(score)
    return scores, overall
