"""Parser for `.rules` files.

    block "destructive-rm"                    # or: suspicious, allow
      match command("rm") with_flags("-r")    # AST: predicates, all must hold
      match :\\(\\)\\s*\\{.*\\|.*&\\s*\\}\\s*;          # anything else: a regex to end of line
      match_base_command_not_in allowed_executables
      nudge "Use trash-cli or move to a temp directory"
      tier red                                # optional: green | yellow | red
      example "rm -rf /"                      # must match
      not_example "rm file.txt"               # must not match

    flags "rm"                                # how a command spells its options
      alias "-r" "-R" "--recursive"           # canonical first, then other spellings
      takes_value "--interactive"
      long_single_dash                        # `find -delete` is one flag, not -d -e -l ...

A file either loads whole or raises RuleSyntaxError naming file, line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bastion.model import Tier
from bastion.rules.model import (
    Action,
    AstMatch,
    Call,
    FlagSpec,
    Matcher,
    NotInListMatch,
    Position,
    RegexMatch,
    Rule,
    RuleFile,
)
from bastion.rules.predicates import PREDICATES
from bastion.rules.regexes import compile_error

NUDGE_FIELDS = frozenset({"base_command", "command", "rule", "target"})
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_CALL_START = re.compile(r"([a-z_]+)\(")
_FIELD = re.compile(r"(?<!\$)\{(\w+)\}")
_SPACE = re.compile(r"[ \t]*")
# A double-quoted string: a backslash takes the next character with it, whatever it is, so a
# quote ends the string only when it is not escaped. Possessive: a line without its closing
# quote fails at once instead of backtracking.
_STRING = re.compile(r'"((?:[^"\\]|\\.)*+)"', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
# \" \\ \n \t are escapes (a regex reads \n and a newline alike); any other backslash stays
# as written, so regexes read as usual.
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def _unescape(m: re.Match[str]) -> str:
    ch = m.group(1)
    return _ESCAPES.get(ch, "\\" + ch)


class RuleSyntaxError(Exception):
    def __init__(self, position: Position, message: str) -> None:
        super().__init__(f"{position}: {message}")
        self.position = position
        self.message = message


class _Cursor:
    """A position in one line; columns are 1-based like an editor's."""

    __slots__ = ("index", "line", "path", "text")

    def __init__(self, text: str, path: str, line: int, index: int = 0) -> None:
        self.text = text
        self.path = path
        self.line = line
        self.index = index

    def pos(self, index: int | None = None) -> Position:
        return Position(self.path, self.line, (self.index if index is None else index) + 1)

    def error(self, message: str, index: int | None = None) -> RuleSyntaxError:
        return RuleSyntaxError(self.pos(index), message)

    def skip_space(self) -> None:
        text, index = self.text, self.index
        if index < len(text) and text[index] in " \t":  # most tokens are not preceded by space
            m = _SPACE.match(text, index)
            assert m is not None  # `[ \t]*` matches everywhere
            self.index = m.end()

    def at_end(self) -> bool:
        self.skip_space()
        text, index = self.text, self.index
        return index >= len(text) or text[index] == "#"

    def expect_end(self) -> None:
        if not self.at_end():
            raise self.error(f"unexpected text {self.text[self.index :]!r}")

    def word(self, what: str) -> str:
        self.skip_space()
        m = _IDENT.match(self.text, self.index)
        if not m:
            raise self.error(f"expected {what}")
        self.index = m.end()
        return m.group(0)

    def string(self, what: str) -> str:
        self.skip_space()
        if self.index >= len(self.text) or self.text[self.index] != '"':
            raise self.error(f"expected {what} in double quotes")
        m = _STRING.match(self.text, self.index)
        if m is None:
            raise self.error("unterminated string")
        self.index = m.end()
        body = m.group(1)
        if "\\" not in body:
            return body
        return _ESCAPE.sub(_unescape, body)

    def strings(self, what: str) -> list[str]:
        values = [self.string(what)]
        while not self.at_end():
            values.append(self.string(what))
        return values


@dataclass
class _RuleDraft:
    action: Action
    id: str
    position: Position
    matchers: list[Matcher]
    nudge: str | None = None
    tier: Tier | None = None
    description: str = ""

    def __post_init__(self) -> None:
        self.examples: list[str] = []
        self.counter_examples: list[str] = []


@dataclass
class _FlagsDraft:
    command: str
    position: Position

    def __post_init__(self) -> None:
        self.aliases: list[tuple[str, str]] = []
        self.takes_value: set[str] = set()
        self.long_single_dash = False


def parse_rules(text: str, path: str, pack: str) -> RuleFile:
    rules: list[Rule] = []
    flags: list[FlagSpec] = []
    current: _RuleDraft | _FlagsDraft | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        cur = _Cursor(line, path, number)
        if cur.at_end():
            continue
        indented = line[:1] in (" ", "\t")
        if not indented:
            _finish(current, rules, flags, pack)
            current = _header(cur)
        elif current is None:
            raise cur.error(
                "indented clause outside a rule (start with block, suspicious or allow)"
            )
        elif isinstance(current, _RuleDraft):
            _rule_clause(cur, current)
        else:
            _flags_clause(cur, current)
    _finish(current, rules, flags, pack)
    seen: dict[str, Position] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleSyntaxError(
                rule.position, f"duplicate rule id {rule.id!r} (first at {seen[rule.id]})"
            )
        seen[rule.id] = rule.position
    return RuleFile(path=path, pack=pack, rules=tuple(rules), flags=tuple(flags))


def _header(cur: _Cursor) -> _RuleDraft | _FlagsDraft:
    start = cur.index
    keyword = cur.word("block, suspicious, allow or flags")
    if keyword == "flags":
        command = cur.string("a command name")
        cur.expect_end()
        return _FlagsDraft(command, cur.pos(start))
    try:
        action = Action(keyword)
    except ValueError:
        raise cur.error(
            f"unknown keyword {keyword!r}: expected block, suspicious, allow or flags", start
        ) from None
    id_index = cur.index + 1
    rule_id = cur.string("a rule id")
    if not _ID.match(rule_id):
        raise cur.error(
            f"bad rule id {rule_id!r}: use lower-case letters, digits, '-', '_' and '.'", id_index
        )
    cur.expect_end()
    return _RuleDraft(action, rule_id, cur.pos(start), [])


def _rule_clause(cur: _Cursor, draft: _RuleDraft) -> None:
    cur.skip_space()
    start = cur.index
    keyword = cur.word("a clause (match, nudge, tier, example, not_example)")
    if keyword == "match":
        cur.skip_space()
        draft.matchers.append(_match(cur))
        return
    if keyword == "match_base_command_not_in":
        name = cur.word("a list name such as allowed_executables")
        cur.expect_end()
        draft.matchers.append(NotInListMatch(name, cur.pos(start)))
        return
    if keyword == "nudge":
        index = cur.index + 1
        draft.nudge = cur.string("the nudge")
        _check_fields(cur, draft.nudge, index)
    elif keyword == "description":
        draft.description = cur.string("the description")
    elif keyword == "tier":
        index = cur.index + 1
        name = cur.word("green, yellow or red")
        try:
            draft.tier = Tier[name.upper()]
        except KeyError:
            raise cur.error(
                f"unknown tier {name!r}: expected green, yellow or red", index
            ) from None
    elif keyword == "example":
        draft.examples.extend(cur.strings("an example command"))
    elif keyword in ("not_example", "counter_example"):
        draft.counter_examples.extend(cur.strings("an example command"))
    else:
        raise cur.error(
            f"unknown clause {keyword!r}: expected match, match_base_command_not_in, nudge, "
            "tier, description, example or not_example",
            start,
        )
    cur.expect_end()


def _check_fields(cur: _Cursor, nudge: str, index: int) -> None:
    for m in _FIELD.finditer(nudge):
        if m.group(1) not in NUDGE_FIELDS:
            known = ", ".join("{" + f + "}" for f in sorted(NUDGE_FIELDS))
            raise cur.error(f"unknown placeholder {m.group(0)!r} in nudge (known: {known})", index)


def _match(cur: _Cursor) -> Matcher:
    start = cur.index
    call = _CALL_START.match(cur.text, cur.index)
    if call and call.group(1) in PREDICATES:
        calls: list[Call] = []
        while not cur.at_end():
            calls.append(_call(cur))
        return AstMatch(tuple(calls), cur.pos(start))
    pattern = cur.text[cur.index :].rstrip()
    if not pattern:
        raise cur.error('match needs a regex or a predicate such as command("rm")')
    problem = compile_error(pattern)
    if problem:
        raise cur.error(f"bad regex: {problem}")
    return RegexMatch(pattern, cur.pos(start))


def _call(cur: _Cursor) -> Call:
    cur.skip_space()
    start = cur.index
    m = _CALL_START.match(cur.text, cur.index)
    if not m:
        raise cur.error('expected a predicate such as command("rm")')
    name = m.group(1)
    spec = PREDICATES.get(name)
    if spec is None:
        known = ", ".join(sorted(PREDICATES))
        raise cur.error(f"unknown predicate {name!r} (known: {known})")
    cur.index = m.end()
    args: list[str] = []
    cur.skip_space()
    while cur.index < len(cur.text) and cur.text[cur.index] != ")":
        args.append(cur.string(f"an argument of {name}()"))
        cur.skip_space()
        if cur.index < len(cur.text) and cur.text[cur.index] == ",":
            cur.index += 1
            cur.skip_space()
    if cur.index >= len(cur.text):
        raise cur.error(f"missing ')' after the arguments of {name}()")
    cur.index += 1
    problem = spec.check(tuple(args))
    if problem:
        raise cur.error(f"{name}(): {problem}", start)
    return Call(name, tuple(args), cur.pos(start))


def _flags_clause(cur: _Cursor, draft: _FlagsDraft) -> None:
    cur.skip_space()
    start = cur.index
    keyword = cur.word("alias, takes_value or long_single_dash")
    if keyword == "alias":
        names = cur.strings("an option spelling")
        if len(names) < 2:
            raise cur.error("alias needs the canonical spelling and at least one other", start)
        draft.aliases.extend((other, names[0]) for other in names[1:])
    elif keyword == "takes_value":
        draft.takes_value.update(cur.strings("an option"))
    elif keyword == "long_single_dash":
        draft.long_single_dash = True
    else:
        raise cur.error(
            f"unknown clause {keyword!r}: expected alias, takes_value or long_single_dash", start
        )
    cur.expect_end()


def _finish(
    draft: _RuleDraft | _FlagsDraft | None, rules: list[Rule], flags: list[FlagSpec], pack: str
) -> None:
    if draft is None:
        return
    if isinstance(draft, _FlagsDraft):
        flags.append(
            FlagSpec(
                command=draft.command,
                aliases=tuple(draft.aliases),
                takes_value=frozenset(draft.takes_value),
                long_single_dash=draft.long_single_dash,
                position=draft.position,
            )
        )
        return
    if not draft.matchers:
        raise RuleSyntaxError(draft.position, f"rule {draft.id!r} has no match clause")
    if draft.nudge is None and draft.action is not Action.ALLOW:
        raise RuleSyntaxError(
            draft.position, f"rule {draft.id!r} has no nudge: tell the agent what to do instead"
        )
    rules.append(
        Rule(
            id=draft.id,
            action=draft.action,
            matchers=tuple(draft.matchers),
            nudge=draft.nudge or "",
            position=draft.position,
            pack=pack,
            tier=draft.tier,
            examples=tuple(draft.examples),
            counter_examples=tuple(draft.counter_examples),
            description=draft.description,
        )
    )
