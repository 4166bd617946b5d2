"""What the command layer knows about a shell script, independent of the parser behind it."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Word:
    """One shell word: `text` is what bash would pass, None when it depends on run time."""

    raw: str
    text: str | None
    start: int = 0
    end: int = 0
    quoted: bool = False

    @property
    def dynamic(self) -> bool:
        return self.text is None

    @classmethod
    def literal(cls, text: str) -> Word:
        return cls(raw=text, text=text)

    def __str__(self) -> str:
        return self.text if self.text is not None else self.raw


@dataclass(frozen=True)
class Redirect:
    """`op` as written (`>`, `>>`, `2>`, `&>`, `<`, `<<`, `<<<`, ...)."""

    op: str
    target: Word | None = None
    fd: str = ""
    heredoc_body: str | None = None

    @property
    def writes(self) -> bool:
        return ">" in self.op and not self.op.startswith("<<")


@dataclass(frozen=True)
class PipeSlot:
    """This command runs in stage `stage` of pipeline `pipeline` (ids are per script)."""

    pipeline: int
    stage: int


@dataclass(frozen=True)
class SimpleCommand:
    words: tuple[Word, ...]
    assignments: tuple[tuple[str, Word], ...] = ()
    redirects: tuple[Redirect, ...] = ()
    pipes: tuple[PipeSlot, ...] = ()
    start: int = 0
    end: int = 0
    depth: int = 0
    cwd: str | None = None
    """Where an earlier `cd` in the script moved to (None: the session's cwd)."""
    via: tuple[str, ...] = ()
    """How this command was reached: wrappers stripped, shells re-entered (for `explain`)."""

    @property
    def name(self) -> Word | None:
        return self.words[0] if self.words else None

    @cached_property
    def base_name(self) -> str | None:
        """`/usr/bin/rm` and `./rm` are `rm`; None when the name is dynamic or absent."""
        if not self.words or self.words[0].text is None:
            return None
        text = self.words[0].text
        return posixpath.basename(text.rstrip("/")) or text

    @property
    def args(self) -> tuple[Word, ...]:
        return self.words[1:]

    def argv(self) -> list[str]:
        return [str(w) for w in self.words]

    def display(self) -> str:
        parts = [f"{k}={v}" for k, v in self.assignments] + self.argv()
        return " ".join(parts)


@dataclass(frozen=True)
class Script:
    """A parsed script: every simple command at every nesting level, and the text rules scan."""

    source: str
    commands: tuple[SimpleCommand, ...]
    code_text: str
    """The source with data (quoted arguments, heredoc bodies) blanked: what regex rules scan."""
    syntax_errors: tuple[str, ...] = ()
    nested: tuple[Script, ...] = field(default=())
    node_count: int = 0
    max_depth: int = 0
    last_pipeline_id: int = 0

    def all_commands(self) -> tuple[SimpleCommand, ...]:
        found = list(self.commands)
        for inner in self.nested:
            found.extend(inner.all_commands())
        return tuple(found)

    def all_code_texts(self) -> tuple[str, ...]:
        texts = [self.code_text]
        for inner in self.nested:
            texts.extend(inner.all_code_texts())
        return tuple(texts)
