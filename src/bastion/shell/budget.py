"""Caps on the work one command may cost, so an attacker cannot turn a timeout into an allow."""

from __future__ import annotations

import time
from dataclasses import dataclass

MAX_PIPES = 512


@dataclass(frozen=True)
class Limits:
    max_input_bytes: int = 65536
    max_depth: int = 64
    max_nodes: int = 20000
    parse_timeout_ms: int = 30


class BudgetExceeded(Exception):
    """Raised when a budget is spent; the guard turns it into a deny that names the budget."""

    def __init__(self, budget: str, limit: int, detail: str) -> None:
        super().__init__(f"{budget} budget exceeded ({detail}; limit {limit})")
        self.budget = budget
        self.limit = limit


class Budget:
    """Shared by every parse and re-entry of one tool call."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.nodes = 0
        self._deadline = time.perf_counter() + limits.parse_timeout_ms / 1000.0

    def check_input(self, size: int) -> None:
        if size > self.limits.max_input_bytes:
            raise BudgetExceeded("input-size", self.limits.max_input_bytes, f"{size} bytes")

    def check_pipes(self, pipes: int) -> None:
        if pipes > MAX_PIPES:
            raise BudgetExceeded("pipeline-length", MAX_PIPES, f"{pipes} pipe characters")

    def check_depth(self, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise BudgetExceeded("nesting-depth", self.limits.max_depth, f"depth {depth}")

    def add_nodes(self, count: int) -> None:
        self.nodes += count
        if self.nodes > self.limits.max_nodes:
            raise BudgetExceeded("node-count", self.limits.max_nodes, f"{self.nodes} nodes")

    def expired(self) -> bool:
        return time.perf_counter() > self._deadline

    def check_time(self) -> None:
        if time.perf_counter() > self._deadline:
            raise BudgetExceeded(
                "parse-time", self.limits.parse_timeout_ms, "took longer than the time budget (ms)"
            )
