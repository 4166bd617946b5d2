"""Between the guard's verdict and the agent's answer: break-glass bypass, stored approvals,
and the pending queue for agents that cannot ask.

- A bypass (`bastion bypass on`) lifts asks and denies, never pinned rules or paths.
- An ask a human already answered (once / session / always) becomes that answer.
- An agent with its own prompt (Claude Code, Gemini, Cursor shell/MCP) asks the user itself.
- An agent without one (Codex, Copilot, Cursor file hooks) gets a deny that names a pending
  request the human approves from their own terminal; the agent retries once after that.
Allow verdicts pass straight through: nothing here runs on the fast path."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bastion.hooks.interface import AgentHook, HookRequest
from bastion.model import Decision, Verdict

if TYPE_CHECKING:
    from bastion.guard import Guard

WAITING = (
    "bastion needs a human to approve this ({reason}). Request #{id} is waiting: ask the user "
    "to run `{command}` in their own terminal (add --session or --always to remember the "
    "answer), then retry the same call once. Do not try another way around it."
)


def settle(hook: AgentHook, request: HookRequest, guard: Guard, verdict: Verdict) -> Verdict:
    if verdict.decision is Decision.ALLOW or guard.config is None:
        return verdict
    # Loaded only for asks and denies: an allowed call (nearly all of them) pays nothing.
    from bastion.approvals.bypass import Bypass
    from bastion.approvals.model import QueueFull
    from bastion.approvals.pinned import PinnedPolicy
    from bastion.approvals.store import ApprovalStore, default_dirs
    from bastion.hooks.recording import event_bus

    config = guard.config
    call = request.call
    max_minutes = config.value("approvals.bypass_max_minutes")
    config_dir, state_dir = default_dirs()
    sink = event_bus(config, call)
    bypass = Bypass(
        config_dir,
        state_dir,
        pinned=PinnedPolicy.from_config(config),
        max_minutes=max_minutes if isinstance(max_minutes, int) else 60,
        sink=sink,
    )
    verdict = bypass.apply(call, verdict)
    if verdict.decision is not Decision.ASK:
        return verdict
    store = ApprovalStore.from_config(config, sink=sink)
    answered = store.lookup(call, verdict)
    if answered is Decision.ALLOW:
        reason = f"approved by the user: {verdict.reason}"
        return replace(verdict, decision=Decision.ALLOW, reason=reason)
    if answered is Decision.DENY:
        reason = f"the user denied this earlier in this session: {verdict.reason}"
        return replace(verdict, decision=Decision.DENY, reason=reason)
    if hook.can_ask(request):
        return verdict
    try:
        pending = store.request(call, verdict)
    except QueueFull as exc:
        return replace(verdict, decision=Decision.DENY, reason=f"{verdict.reason} ({exc})")
    text = WAITING.format(reason=verdict.reason, id=pending.id, command=pending.approve_command())
    return replace(verdict, decision=Decision.DENY, reason=text)
