"""Code hidden inside a command: `sh -c '...'`, `eval`, heredocs and pipes fed to a shell or an
interpreter, decoded payloads, and command substitutions whose output is known statically."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bastion.shell.decode import static_stdout, stdin_of
from bastion.shell.interpreters import CODE_FLAGS, language_of
from bastion.shell.option_exec import option_commands
from bastion.shell.syntax import SimpleCommand, Word
from bastion.shell.unfold import SHELLS, shell_payload
from bastion.shell.words import unescape_double_quoted


@dataclass(frozen=True)
class NestedCode:
    language: str  # "shell", "python", "perl", "ruby", "node", "php"
    text: str
    depth: int
    via: tuple[str, ...]


@dataclass(frozen=True)
class Unresolved:
    """Code that will run but cannot be read statically (`bash -c "$X"`, `eval $(curl ...)`)."""

    command: SimpleCommand
    what: str


def _reads_program_from_stdin(command: SimpleCommand, language: str) -> bool:
    """`bash`, `sh -s`, `python3 -`, `perl`: no script operand, so the program is stdin."""
    for word in command.args:
        text = word.text
        if text is None:
            return False
        if text == "-":
            return True
        if language == "shell" and text in ("-s", "-i", "-l", "--login", "-e", "-x", "-v"):
            continue
        if text.startswith("-"):
            if language != "shell" and text in CODE_FLAGS.get(language, ()):
                return False
            continue
        return False  # a script file or program operand
    return True


def _language(command: SimpleCommand) -> str | None:
    base = command.base_name
    if base in SHELLS:
        return "shell"
    return language_of(base)


def substitution_output(word: Word, commands: Sequence[SimpleCommand], depth: int) -> str | None:
    """The text `$(...)` in `word` stands for, when the commands inside print something known."""
    raw = word.raw.strip('"')
    if not (raw.startswith(("$(", "<(")) and raw.endswith(")")) and not (
        raw.startswith("`") and raw.endswith("`")
    ):
        return None
    inner = [
        c for c in commands if c.depth == depth + 1 and word.start <= c.start and c.end <= word.end
    ]
    return _pipeline_output(inner)


def _pipeline_output(commands: Sequence[SimpleCommand]) -> str | None:
    """Output of one command or one pipeline of them (innermost unfolded command per stage)."""
    if not commands:
        return None
    stages: dict[int, SimpleCommand] = {}
    pipelines = {slot.pipeline for c in commands for slot in c.pipes[-1:]}
    if len(pipelines) > 1:
        return None
    for command in commands:
        stage = command.pipes[-1].stage if command.pipes else 0
        stages[stage] = command  # later entries are the unfolded (inner) forms
    output: str | None = None
    for stage in sorted(stages):
        output = static_stdout(stages[stage], output)
        if output is None:
            return None
    return output


def nested_code(
    commands: Sequence[SimpleCommand],
) -> tuple[list[NestedCode], list[Unresolved]]:
    found: list[NestedCode] = []
    unresolved: list[Unresolved] = []
    outputs = _stage_outputs(commands)
    for index, command in enumerate(commands):
        language = _language(command)
        via = (*command.via, command.base_name or "")
        for line in option_commands(command):
            found.append(NestedCode("shell", line, command.depth + 1, (*via, "option")))
        code = _handed_code(command, language, commands)
        if code is not None:
            code_language, text = code
            if text is None:
                unresolved.append(
                    Unresolved(command, f"{command.base_name} runs code built at run time")
                )
            else:
                found.append(NestedCode(code_language, text, command.depth + 1, via))
            continue
        if language is None:
            continue
        if not _reads_program_from_stdin(command, language):
            continue
        stdin = stdin_of(command)
        if stdin is None:
            stdin = outputs.get(index)
        if stdin is not None:
            found.append(NestedCode(language, stdin, command.depth + 1, (*via, "stdin")))
    return found, unresolved


def _handed_code(
    command: SimpleCommand, language: str | None, commands: Sequence[SimpleCommand]
) -> tuple[str, str | None] | None:
    """The code a command is handed (`sh -c`, `source <(...)`, `python -c`) as (language,
    text); the text is None when it is only known at run time."""
    payload = shell_payload(command)
    if payload is not None:
        text = payload.text
        if text is None:
            text = _resolve_payload(command, payload, commands)
        if text is None:
            text = _code_around_variables(payload)
        return "shell", text
    script = _process_substitution_operand(command, language)
    if script is not None:
        return language or "shell", substitution_output(script, commands, command.depth)
    if language is not None and language != "shell":
        option = _code_option(command, language)
        if option is not None:
            return language, option.text
    return None


_WHOLLY_DYNAMIC = re.compile(r"\$\{?[A-Za-z_@*][A-Za-z0-9_]*\}?|\$\(.*\)|`.*`", re.DOTALL)


def _code_around_variables(payload: Word) -> str | None:
    """`bash -c "ls $DIR | wc -l"`: the code is known, only a value is not; read the code.

    None when the payload is wholly a variable or a substitution: then the code itself is
    unknown.
    """
    raw = payload.raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        quote, raw = raw[0], raw[1:-1]
        if quote == '"':
            raw = unescape_double_quoted(raw)
    if not raw.strip() or _WHOLLY_DYNAMIC.fullmatch(raw.strip()):
        return None
    if "$(" in raw or "`" in raw:
        return None  # code built from a command's output
    return raw


def _process_substitution_operand(command: SimpleCommand, language: str | None) -> Word | None:
    """`source <(...)`, `bash <(...)`, `python3 <(...)`: the script is a process substitution."""
    if language is None and command.base_name not in ("source", "."):
        return None
    for word in command.args:
        if word.raw.startswith("<("):
            return word
        if not (word.text or "").startswith("-"):
            return None
    return None


def _code_option(command: SimpleCommand, language: str) -> Word | None:
    flags = CODE_FLAGS.get(language, ())
    args = command.args
    for i, word in enumerate(args):
        text = word.text
        if text is None:
            continue
        for flag in flags:
            if text == flag:
                return args[i + 1] if i + 1 < len(args) else None
            if flag.startswith("--") and text.startswith(flag + "="):
                return Word.literal(text[len(flag) + 1 :])
            if not flag.startswith("--") and text.startswith("-") and not text.startswith("--"):
                # bundled: `python3 -Sc CODE`, `perl -we CODE`
                letters = text[1:]
                if flag[1] in letters and letters.endswith(flag[1]):
                    return args[i + 1] if i + 1 < len(args) else None
        if text == "--" or not text.startswith("-"):
            return None
    return None


def _resolve_payload(
    command: SimpleCommand, payload: Word, commands: Sequence[SimpleCommand]
) -> str | None:
    """`eval $(echo ... | base64 -d)`, `bash -c "$(cat <<EOF ...)"`: join what is known."""
    words = command.args if command.base_name == "eval" else (payload,)
    parts: list[str] = []
    for word in words:
        if word.text is not None:
            parts.append(word.text)
            continue
        output = substitution_output(word, commands, command.depth)
        if output is None:
            return None
        parts.append(output)
    return " ".join(parts) if parts else None


def static_stdins(commands: Sequence[SimpleCommand]) -> dict[int, str]:
    """What each command reads on stdin, where a heredoc, here-string or pipe makes it known."""
    result = _stage_outputs(commands)
    for index, command in enumerate(commands):
        own = stdin_of(command)
        if own is not None:
            result[index] = own
    return result


def _stage_outputs(commands: Sequence[SimpleCommand]) -> dict[int, str]:
    """For each command that reads a pipe: the text the stage before it prints, if known."""
    by_pipeline: dict[int, dict[int, list[int]]] = {}
    for index, command in enumerate(commands):
        if command.pipes:
            slot = command.pipes[-1]
            by_pipeline.setdefault(slot.pipeline, {}).setdefault(slot.stage, []).append(index)
    result: dict[int, str] = {}
    for stages in by_pipeline.values():
        output: str | None = None
        for stage in sorted(stages):
            members = stages[stage]
            if output is not None and stage > 0:
                for index in members:
                    result[index] = output
            # A stage is the innermost unfolded form of its one command.
            output = static_stdout(commands[members[-1]], output if stage > 0 else None)
    return result
