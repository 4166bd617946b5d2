"""Risk tiers for findings of every layer, and what each tier means for approvals.

`[rules] tiers` is applied by the rule engine to rule-pack rules only (commands and files
layers). `retier` applies it to every finding, whatever layer made it (paths, network,
secrets, tools, mcp, content), so `tiers = {"network.unresolved" = "red"}` works as users
expect. It changes tiers, never decisions (as the rule engine does), and never lowers bastion's
own failures. What a tier means here: an ask of tier red is approved once at a time (like a
pinned one); yellow and green asks may be approved for the session or always."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bastion.model import Finding, Tier, Verdict

NEVER_LOWERED = frozenset({"guard.error", "hook.bad-payload"})


def tier_overrides(tiers: Mapping[str, str]) -> dict[str, Tier]:
    return {rule: Tier[name.upper()] for rule, name in tiers.items()}


def retier_finding(finding: Finding, overrides: Mapping[str, Tier]) -> Finding:
    tier = overrides.get(finding.rule_id)
    if tier is None or tier == finding.tier:
        return finding
    if finding.rule_id in NEVER_LOWERED and tier < finding.tier:
        return finding
    return replace(finding, tier=tier)


def retier(verdict: Verdict, overrides: Mapping[str, Tier]) -> Verdict:
    """The verdict with every finding's tier as configured (decisions unchanged)."""
    if not overrides:
        return verdict
    findings = tuple(retier_finding(f, overrides) for f in verdict.findings)
    if findings == verdict.findings:
        return verdict
    return Verdict.combine(findings)
