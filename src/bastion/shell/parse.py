"""Parse shell text with tree-sitter-bash into a Script, inside the budgets.

The walk is iterative (an explicit stack), so deep nesting costs a budget check, never a
RecursionError, and every node is counted against the node budget.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import NamedTuple

import tree_sitter_bash
from tree_sitter import Language, Node, Parser

from bastion.shell.budget import Budget, BudgetExceeded
from bastion.shell.syntax import PipeSlot, Redirect, Script, SimpleCommand, Word
from bastion.shell.words import node_text, resolve_word, source_bytes

_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})
_QUOTED = frozenset({"string", "raw_string", "ansi_c_string", "translated_string"})
_REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_TIME_CHECK_EVERY = 256
_CHUNK = 512
_LEAVES_KEPT = frozenset({"heredoc_body", "variable_assignment", "command"})
_DIRECT_PARSE_LIMIT = 4096
_BLANK = bytes(0x0A if b == 0x0A else 0x20 for b in range(256))

_local = threading.local()


def _parser() -> Parser:
    parser: Parser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = Parser(Language(tree_sitter_bash.language()))
        _local.parser = parser
    return parser


class _Frame(NamedTuple):  # a NamedTuple: millions are made, and they must be cheap
    node: Node
    depth: int
    pipes: tuple[PipeSlot, ...]
    redirects: tuple[Redirect, ...]


class _Walker:
    def __init__(
        self, data: bytes, budget: Budget, base_depth: int, env: Mapping[str, str], first_id: int
    ) -> None:
        self.data = data
        self.budget = budget
        self.base_depth = base_depth
        self.env = dict(env)
        self.cwd: str | None = None
        self.commands: list[SimpleCommand] = []
        self.masks: list[tuple[int, int, int]] = []  # start, end, edge bytes kept
        self.extra_redirects: dict[int, tuple[Redirect, ...]] = {}
        self.extra_args: dict[int, list[Word]] = {}
        self.unmasks: list[tuple[int, int]] = []
        self.errors: list[str] = []
        self.pipeline_ids = first_id
        self.max_depth = base_depth
        self.visited = 0

    def walk(self, root: Node) -> None:
        # Leaves (words, operators) need no visit of their own when the tree parsed cleanly:
        # commands read their words directly. With errors every node is visited to report them.
        keep_leaves = root.has_error
        stack = [_Frame(root, self.base_depth, (), ())]
        while stack:
            frame = stack.pop()
            node = frame.node
            self.visited += 1
            if self.visited % _TIME_CHECK_EVERY == 0:
                self.budget.check_time()
            if frame.depth > self.max_depth:
                self.max_depth = frame.depth
                self.budget.check_depth(frame.depth)
            kind = node.type
            # Counted before they are pushed: a node with 20,000 children is spent budget
            # before the work of stacking them is done.
            child_count = node.child_count
            self.budget.add_nodes(child_count)
            if child_count > _TIME_CHECK_EVERY:
                self.budget.check_time()
            if self.extra_redirects and node.id in self.extra_redirects:
                frame = _Frame(
                    node, frame.depth, frame.pipes,
                    (*frame.redirects, *self.extra_redirects.pop(node.id)),
                )  # fmt: skip
            if keep_leaves and (kind == "ERROR" or node.is_missing):
                self._syntax_error(node)
            if kind in _SUBSTITUTIONS:
                self.unmasks.append((node.start_byte, node.end_byte))
                stack.extend(_Frame(c, frame.depth + 1, (), ()) for c in reversed(node.children))
                continue
            if kind == "heredoc_body":
                self.masks.append((node.start_byte, node.end_byte, 0))
            elif kind == "command":
                self._command(node, frame)
                # Prefix assignments were handled; only their values may hide substitutions.
                children = [
                    (c.child_by_field_name("value") if c.type == "variable_assignment" else c)
                    for c in node.children
                ]
                stack.extend(
                    _Frame(c, frame.depth, frame.pipes, frame.redirects)
                    for c in reversed(children)
                    if c is not None and (keep_leaves or c.child_count or c.type in _LEAVES_KEPT)
                )
                continue
            elif kind == "variable_assignment":
                self._assign(node)
            elif kind == "pipeline":
                stack.extend(self._pipeline(node, frame))
                continue
            elif kind == "redirected_statement":
                stack.extend(self._redirected(node, frame))
                continue
            # Nesting of compound statements counts too: `{ { { ... } } }` is deep work.
            child_depth = frame.depth + 1 if node.type in _NESTING else frame.depth
            stack.extend(
                _Frame(c, child_depth, frame.pipes, frame.redirects)
                for c in reversed(node.children)
                if keep_leaves or c.child_count or c.type in _LEAVES_KEPT
            )

    def _syntax_error(self, node: Node) -> None:
        line, col = node.start_point
        what = f"missing {node.type!r}" if node.is_missing else "unexpected input"
        self.errors.append(f"{what} at line {line + 1}, column {col + 1}")

    def _pipeline(self, node: Node, frame: _Frame) -> list[_Frame]:
        pid = self._new_pipeline()
        stages = [c for c in node.named_children if c.type != "comment"]
        frames = [
            _Frame(stage, frame.depth, (*frame.pipes, PipeSlot(pid, i)), frame.redirects)
            for i, stage in enumerate(stages)
        ]
        return list(reversed(frames))

    def _new_pipeline(self) -> int:
        self.pipeline_ids += 1
        return self.pipeline_ids

    def _redirected(self, node: Node, frame: _Frame) -> list[_Frame]:
        body = node.child_by_field_name("body")
        redirects: list[Redirect] = []
        frames: list[_Frame] = []
        heredoc_pipeline: Node | None = None
        for child in node.children:
            if child.type in _REDIRECTS:
                owner = body if body is not None and body.type == "command" else None
                redirects.append(self._redirect(child, owner))
                for inner in child.children:
                    # tree-sitter puts `cat <<EOF | sh` as a pipeline inside the heredoc
                    # redirect: its stages follow the redirected body in one pipeline.
                    if child.type == "heredoc_redirect" and inner.type == "pipeline":
                        heredoc_pipeline = inner
                    else:
                        frames.append(_Frame(inner, frame.depth, frame.pipes, frame.redirects))
            elif child is not None and child != body:
                frames.append(_Frame(child, frame.depth, frame.pipes, frame.redirects))
        inherited = frame.redirects
        if body is not None:
            # `a && b > f` and `a | b > f` redirect only the last command (bash binds the
            # redirect to it; tree-sitter hangs it on the whole list); `{ a; b; } > f` all.
            target = body
            while target.type in ("list", "pipeline") and target.named_children:
                target = target.named_children[-1]
            if target == body:
                inherited = (*frame.redirects, *redirects)
            else:
                self.extra_redirects[target.id] = tuple(redirects)
            body_pipes = frame.pipes
            if heredoc_pipeline is not None:
                pid = self._new_pipeline()
                body_pipes = (*frame.pipes, PipeSlot(pid, 0))
                stages = [c for c in heredoc_pipeline.named_children if c.type != "comment"]
                for i, stage in enumerate(stages, start=1):
                    frames.append(
                        _Frame(
                            stage, frame.depth, (*frame.pipes, PipeSlot(pid, i)), frame.redirects
                        )
                    )
            frames.append(_Frame(body, frame.depth, body_pipes, inherited))
        return list(reversed(frames))

    def _redirect(self, node: Node, owner: Node | None = None) -> Redirect:
        fd = ""
        op_parts: list[str] = []
        target: Word | None = None
        body: str | None = None
        for child in node.children:
            if child.type == "file_descriptor":
                fd = node_text(child)
            elif child.type == "heredoc_body":
                body = node_text(child)
            elif child.type in ("heredoc_start", "heredoc_end", "pipeline", "list"):
                continue
            elif not child.is_named or child.type == "ERROR":
                op_parts.append(node_text(child))
            elif target is None:
                target = self._word(child)
            elif owner is not None:
                # tree-sitter reads `cmd 2>/dev/null -- foo` as three destinations; bash
                # passes `--` and `foo` to the command.
                self.extra_args.setdefault(owner.id, []).append(self._word(child))
        return Redirect(op="".join(op_parts), target=target, fd=fd, heredoc_body=body)

    def _word(self, node: Node) -> Word:
        quoted = node.type in _QUOTED or (
            node.type == "concatenation" and any(c.type in _QUOTED for c in node.children)
        )
        return Word(
            raw=node_text(node),
            text=resolve_word(node, self.env),
            start=node.start_byte,
            end=node.end_byte,
            quoted=quoted,
        )

    def _command(self, node: Node, frame: _Frame) -> None:
        words: list[Word] = []
        assignments: list[tuple[str, Word]] = []
        redirects = list(frame.redirects)
        # Roles by node type (cheaper than asking the field name of every child): the name is
        # a command_name, redirects are *_redirect, other named children are arguments.
        for child in node.children:
            kind = child.type
            if not child.is_named or kind == "comment":
                continue
            if kind == "variable_assignment" and not words:
                name_node = child.child_by_field_name("name")
                value_node = child.child_by_field_name("value")
                name = node_text(name_node) if name_node is not None else ""
                value = self._word(value_node) if value_node is not None else Word.literal("")
                assignments.append((name, value))
            elif kind in _REDIRECTS:
                redirects.append(self._redirect(child, node))
            else:
                word = self._word(child)
                words.extend(self._fields(child, word))
                if kind != "command_name" and word.quoted:
                    self.masks.append((child.start_byte, child.end_byte, 1))
        words.extend(self.extra_args.pop(node.id, ()))
        cwd = self.cwd
        if words and words[0].text == "cd":
            self._change_dir(words[1:])
        elif len(words) > 1 and words[0].text in ("builtin", "command") and words[1].text == "cd":
            self._change_dir(words[2:])
        self.commands.append(
            SimpleCommand(
                words=tuple(words),
                assignments=tuple(assignments),
                redirects=tuple(redirects),
                pipes=frame.pipes,
                start=node.start_byte,
                end=node.end_byte,
                depth=frame.depth,
                cwd=cwd,
            )
        )

    def _fields(self, node: Node, word: Word) -> list[Word]:
        """Word splitting: an unquoted expansion whose value has blanks becomes several words."""
        text = word.text
        if text is None or not _has_unquoted_expansion(node) or not text.strip(" \t\n"):
            return [word]
        return [
            Word(raw=word.raw, text=part, start=word.start, end=word.end) for part in text.split()
        ]

    def _assign(self, node: Node) -> None:
        """`a=rm` (alone, or after export/declare/local): later `$a` resolves to `rm`."""
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = node_text(name_node)
        value_node = node.child_by_field_name("value")
        value = resolve_word(value_node, self.env) if value_node is not None else ""
        if value is None or name == "IFS":
            self.env.pop(name, None)  # unknown from here on: `$name` stays dynamic
        else:
            self.env[name] = value

    def _change_dir(self, args: list[Word]) -> None:
        """`cd DIR` moves every later command of this script (an over-approximation)."""
        operands = [w for w in args if not (w.text or "").startswith("-")]
        if not operands:
            self.cwd = "~"
            return
        target = operands[0].text
        if target is None or target == "-":
            return
        if self.cwd is not None and not target.startswith(("/", "~")):
            target = self.cwd.rstrip("/") + "/" + target
        self.cwd = target

    def code_text(self) -> str:
        if not self.masks:
            return self.data.decode("utf-8", "surrogateescape")
        buf = bytearray(self.data)
        for start, end, edge in self.masks:
            # Keep the quotes and newlines, blank what they hold: the shape stays, the data goes.
            lo, hi = start + edge, end - edge
            if hi > lo:
                buf[lo:hi] = bytes(buf[lo:hi]).translate(_BLANK)
        for start, end in self.unmasks:
            buf[start:end] = self.data[start:end]
        return buf.decode("utf-8", "surrogateescape")


_EXPANSIONS = frozenset({"simple_expansion", "expansion"})


def _has_unquoted_expansion(node: Node) -> bool:
    if node.type == "command_name" and node.named_children:
        node = node.named_children[0]
    if node.type in _EXPANSIONS:
        return True
    return node.type == "concatenation" and any(c.type in _EXPANSIONS for c in node.children)


_NESTING = frozenset(
    {
        "subshell", "compound_statement", "if_statement", "while_statement", "for_statement",
        "c_style_for_statement", "case_statement", "function_definition", "arithmetic_expansion",
        "expansion", "test_command",
    }
)  # fmt: skip


def parse_script(
    source: str,
    budget: Budget,
    *,
    depth: int = 0,
    env: Mapping[str, str] | None = None,
    first_pipeline_id: int = 0,
) -> Script:
    """Parse `source`; raises BudgetExceeded when a budget is spent.

    Pipeline ids start after `first_pipeline_id`, so scripts re-entered from `sh -c` keep
    ids distinct from the script around them.
    """
    data = source.encode("utf-8", "surrogateescape")
    budget.check_input(len(data))
    budget.check_depth(depth)
    # tree-sitter-bash is superlinear in pipeline length (3 stages 0.1 ms, 10,000 stages half
    # a second) and cannot be stopped mid-pipeline: count the pipes before parsing.
    budget.check_pipes(data.count(b"|"))

    def read(offset: int, _point: tuple[int, int]) -> bytes:
        # tree-sitter has no timeout of its own, but it pulls input through this callback and
        # lets an exception raised here abort the parse: past the deadline, stop it.
        if budget.expired():
            raise BudgetExceeded(
                "parse-time", budget.limits.parse_timeout_ms, "parsing took too long"
            )
        return data[offset : offset + _CHUNK]

    # The callback costs ~70 us a parse; small inputs parse in well under a millisecond anyway.
    try:
        tree = _parser().parse(read if len(data) > _DIRECT_PARSE_LIMIT else data)
    except BudgetExceeded:
        raise
    except Exception as exc:  # the binding may wrap what the callback raised
        if budget.expired():
            raise BudgetExceeded(
                "parse-time", budget.limits.parse_timeout_ms, "parsing took too long"
            ) from exc
        raise
    budget.check_time()
    walker = _Walker(data, budget, depth, env or {}, first_pipeline_id)
    with source_bytes(data):
        walker.walk(tree.root_node)
    return Script(
        source=source,
        commands=tuple(walker.commands),
        code_text=walker.code_text(),
        syntax_errors=tuple(walker.errors),
        node_count=walker.visited,
        max_depth=walker.max_depth,
        last_pipeline_id=walker.pipeline_ids,
    )
