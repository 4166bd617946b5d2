"""The five supported agents: where their hook settings live and what bastion writes there.

Formats from shared/reference/agent-hooks.md (sections 1.2, 2.2, 3.1, 4.1, 4.2). Timeouts are in
each agent's own unit: seconds for Claude Code and Codex, milliseconds for Gemini CLI,
`timeoutSec` for Copilot; Cursor's unit is disputed between sources, so none is written there
(its default applies)."""

from __future__ import annotations

from bastion.integrations.hook_table import COMMAND, AgentSpec, HookSlot, HookTableIntegration
from bastion.integrations.interface import AgentIntegration, Scope

_SECONDS = (("type", "command"), ("command", COMMAND), ("timeout", 30))
# Gemini identifies hooks by name in its UI and in `hooksConfig.disabled`.
_GEMINI = (("name", "bastion"), ("type", "command"), ("command", COMMAND), ("timeout", 30000))

# Legacy `MultiEdit` is kept for older Claude Code releases (reference 1.4).
CLAUDE_MATCHER = "Bash|PowerShell|Write|Edit|MultiEdit|NotebookEdit|Read|WebFetch|WebSearch|mcp__.*"
GEMINI_MATCHER = "run_shell_command|write_file|replace|read_file|read_many_files|web_fetch|mcp_.*"
CODEX_MATCHER = "Bash|apply_patch|mcp__.*"
CURSOR_EDIT_MATCHER = "Write|Edit|StrReplace|Delete"

SPECS = (
    AgentSpec(
        name="claude",
        cli_names=("claude",),
        home_dir=".claude",
        home_env="CLAUDE_CONFIG_DIR",
        user_file="settings.json",
        project_file=".claude/settings.json",
        default_scope=Scope.USER,
        grouped=True,
        slots=(
            HookSlot("PreToolUse", CLAUDE_MATCHER, _SECONDS),
            HookSlot("PostToolUse", None, _SECONDS),  # no matcher: every tool's output
        ),
        notes=((None, "running Claude Code sessions read hooks at start-up: restart them"),),
    ),
    AgentSpec(
        name="gemini",
        cli_names=("gemini",),
        home_dir=".gemini",
        home_env=None,
        user_file="settings.json",
        project_file=".gemini/settings.json",
        default_scope=Scope.USER,
        grouped=True,
        slots=(
            HookSlot("BeforeTool", GEMINI_MATCHER, _GEMINI),
            HookSlot("AfterTool", "*", _GEMINI),
        ),
        notes=(
            (
                Scope.PROJECT,
                "Gemini CLI fingerprints project hooks and warns about new ones on the next run",
            ),
        ),
    ),
    AgentSpec(
        name="codex",
        cli_names=("codex",),
        home_dir=".codex",
        home_env="CODEX_HOME",
        user_file="hooks.json",
        project_file=".codex/hooks.json",
        default_scope=Scope.USER,
        grouped=True,
        slots=(
            HookSlot("PreToolUse", CODEX_MATCHER, _SECONDS),
            HookSlot("PostToolUse", None, _SECONDS),
        ),
        notes=(
            (
                None,
                "Codex skips hooks until you trust them: open /hooks in Codex and trust "
                "bastion's entries (a changed command must be trusted again)",
            ),
            (Scope.PROJECT, "Codex loads project hooks only in a trusted project"),
        ),
    ),
    AgentSpec(
        name="cursor",
        cli_names=("cursor-agent", "cursor"),
        home_dir=".cursor",
        home_env=None,
        user_file="hooks.json",
        project_file=".cursor/hooks.json",
        default_scope=Scope.USER,
        grouped=False,
        slots=(
            HookSlot("beforeShellExecution", None, (("command", COMMAND),)),
            HookSlot("beforeMCPExecution", None, (("command", COMMAND),)),
            HookSlot("beforeReadFile", None, (("command", COMMAND),)),
            HookSlot("preToolUse", CURSOR_EDIT_MATCHER, (("command", COMMAND),)),
        ),
        frame=(("version", 1),),
        notes=((None, "restart Cursor (and cursor-agent sessions) to load the hooks"),),
    ),
    AgentSpec(
        name="copilot",
        cli_names=("copilot",),
        home_dir=".copilot",
        home_env=None,
        user_file="hooks/bastion.json",
        project_file=".github/hooks/bastion.json",
        default_scope=Scope.PROJECT,
        grouped=False,
        slots=(
            HookSlot(
                "preToolUse",
                None,
                (("type", "command"), ("bash", COMMAND), ("timeoutSec", 30)),
            ),
        ),
        command_keys=("bash", "powershell", "command"),
        frame=(("version", 1),),
        notes=(
            (
                Scope.USER,
                "~/.copilot/hooks/ is not confirmed by GitHub's documentation (the project "
                "location .github/hooks/ is): check that Copilot CLI loads it (bastion doctor)",
            ),
        ),
    ),
)

INTEGRATIONS: dict[str, AgentIntegration] = {s.name: HookTableIntegration(s) for s in SPECS}
AGENT_NAMES = tuple(INTEGRATIONS)


def get(name: str) -> AgentIntegration:
    try:
        return INTEGRATIONS[name]
    except KeyError:
        raise ValueError(f"unknown agent {name!r} (one of: {', '.join(AGENT_NAMES)})") from None
