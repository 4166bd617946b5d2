"""bastion.gateway: the access check order, DM pairing (limits, lockout, files, concurrency),
session routing, and the `bastion pairing` CLI."""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bastion.cli import pairing_cmd
from bastion.config import ConfigError, builtin_config, load_config
from bastion.gateway import (
    AccessPolicy,
    ApproveOutcome,
    Authorizer,
    GatewayAccess,
    GatewayConfigError,
    GatewayEvent,
    Identity,
    IdentityError,
    Pairing,
    PairingStore,
    PairingStoreError,
    RequestOutcome,
    SessionKeyError,
    SessionRouter,
    parse_identity,
    parse_session_key,
    require_session_id,
    session_for_request,
)
from bastion.gateway import authorize as A
from bastion.gateway import pairing as P
from bastion.gateway.codes import ALPHABET, CODE_LENGTH

NO_ENV: dict[str, str] = {}


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def audit_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the default sinks write: never the real audit log."""
    directory = tmp_path / "audit"
    monkeypatch.setenv("BASTION_AUDIT_DIR", str(directory))
    return directory


def audit_records(directory: Path) -> list[dict[str, Any]]:
    from bastion.audit.location import session_file_name

    path = directory / session_file_name("gateway")
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def events() -> list[GatewayEvent]:
    return []


@pytest.fixture
def store(tmp_path: Path) -> PairingStore:
    return PairingStore(tmp_path / "gateway")


@pytest.fixture
def pairing(store: PairingStore, clock: Clock, events: list[GatewayEvent]) -> Pairing:
    return Pairing(store, sink=events.append, clock=clock)


def issue(pairing: Pairing, platform: str, user: str) -> str:
    result = pairing.request_code(platform, user)
    assert result.outcome is RequestOutcome.ISSUED
    assert result.code is not None
    return result.code


def wrong_code(code: str) -> str:
    other = ALPHABET[(ALPHABET.index(code[0]) + 1) % len(ALPHABET)]
    return other + code[1:]


# --- identities ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "platform, user",
    [
        ("telegram", "12\n34"),
        ("telegram", "12\x1b[2J"),
        ("telegram", "a:b"),
        ("telegram", ""),
        ("telegram", "x" * 129),
        ("tele gram", "1"),
        ("1telegram", "1"),
        ("t" * 33, "1"),
        ("telegram\x00", "1"),
        ("télégram", "1"),
        ("telegram", "ﬁ1"),
    ],
)
def test_malformed_identities_are_rejected(platform: str, user: str) -> None:
    with pytest.raises(IdentityError):
        Identity.of(platform, user)


def test_identity_spellings() -> None:
    assert parse_identity("Telegram:12345") == Identity("telegram", "12345")
    assert str(Identity.of("whatsapp", "+15551234567")) == "whatsapp:+15551234567"
    assert Identity.of("slack", "U0123ABC").user == "U0123ABC"  # user ids keep their case
    with pytest.raises(IdentityError, match="PLATFORM:USER"):
        parse_identity("12345")


# --- policy and the check order ----------------------------------------------------------------


def authorizer(
    store: PairingStore,
    events: list[GatewayEvent],
    values: dict[str, object] | None = None,
    environ: dict[str, str] | None = None,
) -> Authorizer:
    policy = AccessPolicy.build(values or {}, environ or NO_ENV)
    return Authorizer(policy, store, sink=events.append)


def test_nothing_configured_denies_everyone_and_says_how_to_open(
    store: PairingStore, events: list[GatewayEvent], caplog: pytest.LogCaptureFixture
) -> None:
    check = authorizer(store, events)
    decision = check.check("telegram", "12345")
    assert not decision.allowed and decision.reason == A.NOT_ALLOWED
    assert "pairing code" in decision.message
    access = GatewayAccess.from_config(builtin_config(), environ=NO_ENV, store_dir=store.directory)
    with caplog.at_level(logging.WARNING, logger="bastion.gateway"):
        warnings = access.log_startup_warnings()
    assert len(warnings) == 1
    for hint in ("bastion pairing approve", "allowed_users", "TELEGRAM_ALLOWED_USERS"):
        assert hint in warnings[0]
    assert warnings[0] in caplog.text
    assert not access.authorizer.check("discord", "1").allowed


def test_gateway_access_audits_decisions_by_default(store: PairingStore, audit_dir: Path) -> None:
    access = GatewayAccess.from_config(
        builtin_config(), environ={"TELEGRAM_ALLOWED_USERS": "alice"}, store_dir=store.directory
    )
    assert access.authorizer.check("telegram", "alice").allowed
    assert not access.authorizer.check("telegram", "mallory").allowed
    code = access.pairing.request_code("telegram", "42").code
    assert code is not None
    access.pairing.approve("telegram", code)
    records = audit_records(audit_dir)
    assert [(r["kind"], r["fields"]["outcome"]) for r in records] == [
        ("gateway_authorize", "allow"),
        ("gateway_authorize", "deny"),
        ("gateway_pairing", "issued"),
        ("gateway_pairing", "approved"),
    ]
    assert records[0]["fields"]["reason"] == A.PLATFORM_ALLOWLIST
    assert records[1]["fields"]["user"] == "mallory"
    assert [r["fields"].get("action") for r in records[2:]] == ["request", "approve"]
    assert {r["session"] for r in records} == {"gateway"}
    assert all(code.encode() not in p.read_bytes() for p in audit_dir.iterdir() if p.is_file())


def test_each_step_alone_allows_with_its_reason(
    store: PairingStore, pairing: Pairing, events: list[GatewayEvent]
) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"allow_all_platforms": ["web"]}, A.PLATFORM_ALLOW_ALL),
        ({"allowed_users": ["web:alice"]}, A.PLATFORM_ALLOWLIST),
        ({"allowed_users": ["*:alice"]}, A.GLOBAL_ALLOWLIST),
        ({"allow_all": True}, A.ALLOW_ALL),
    ]
    for values, reason in cases:
        decision = authorizer(store, events, values).check("web", "alice")
        assert (decision.allowed, decision.reason) == (True, reason)
        # ...and each is scoped: none of these lets a different platform's user in by accident
        if reason in (A.PLATFORM_ALLOW_ALL, A.PLATFORM_ALLOWLIST):
            assert not authorizer(store, events, values).check("telegram", "alice").allowed
    assert pairing.approve("web", issue(pairing, "web", "alice")).outcome is ApproveOutcome.APPROVED
    decision = authorizer(store, events).check("web", "alice")
    assert (decision.allowed, decision.reason) == (True, A.PAIRED)
    assert not authorizer(store, events).check("web", "bob").allowed


def test_check_order_earlier_steps_win(
    store: PairingStore, pairing: Pairing, events: list[GatewayEvent]
) -> None:
    pairing.approve("web", issue(pairing, "web", "alice"))
    everything: dict[str, object] = {
        "allow_all_platforms": ["web"],
        "allowed_users": ["web:alice", "*:alice"],
        "allow_all": True,
    }
    order = [
        ("allow_all_platforms", A.PLATFORM_ALLOW_ALL),
        (None, A.PAIRED),
        ("allowed_users", A.PLATFORM_ALLOWLIST),  # drop the platform entry next
        ("allowed_users*", A.GLOBAL_ALLOWLIST),
        ("allow_all", A.ALLOW_ALL),
    ]
    values = dict(everything)
    for drop, reason in order:
        assert authorizer(store, events, values).check("web", "alice").reason == reason
        if drop == "allow_all_platforms":
            del values["allow_all_platforms"]
        elif drop is None:
            pairing.revoke("web", "alice")
        elif drop == "allowed_users":
            values["allowed_users"] = ["*:alice"]
        elif drop == "allowed_users*":
            del values["allowed_users"]
        else:
            del values["allow_all"]
    final = authorizer(store, events, values).check("web", "alice")
    assert (final.allowed, final.reason) == (False, A.NOT_ALLOWED)


def test_every_decision_is_an_event(store: PairingStore, events: list[GatewayEvent]) -> None:
    check = authorizer(store, events, {"allowed_users": ["telegram:1"]})
    check.check("telegram", "1")
    check.check("telegram", "2")
    check.check("telegram", "bad\nid")
    assert [(e.kind, e.outcome, e.user, e.reason) for e in events] == [
        ("gateway.authorize", "allow", "1", A.PLATFORM_ALLOWLIST),
        ("gateway.authorize", "deny", "2", A.NOT_ALLOWED),
        ("gateway.authorize", "deny", "", A.INVALID_IDENTITY),
    ]


def test_environment_adds_on_top(store: PairingStore, events: list[GatewayEvent]) -> None:
    environ = {
        "TELEGRAM_ALLOWED_USERS": "111, 222",
        "GATEWAY_ALLOWED_USERS": "carol",
        "DISCORD_ALLOW_ALL_USERS": "true",
        "SLACK_ALLOW_ALL_USERS": "false",
        "SOMETOOL_ALLOWED_USERS": "not an id\n",  # not a platform: ignored, not an error
    }
    check = authorizer(store, events, {"allowed_users": ["telegram:333"]}, environ)
    assert check.check("telegram", "222").reason == A.PLATFORM_ALLOWLIST
    assert check.check("telegram", "333").reason == A.PLATFORM_ALLOWLIST
    assert check.check("whatsapp", "carol").reason == A.GLOBAL_ALLOWLIST
    assert check.check("discord", "anyone").reason == A.PLATFORM_ALLOW_ALL
    assert not check.check("slack", "anyone").allowed
    assert not check.check("telegram", "444").allowed
    everyone = authorizer(store, events, environ={"GATEWAY_ALLOW_ALL_USERS": "1"})
    assert everyone.check("matrix", "x").reason == A.ALLOW_ALL
    # a platform named only by the caller has its variable read too
    policy = AccessPolicy.build({}, {"IRC_ALLOWED_USERS": "nick"}, extra_platforms=["irc"])
    assert policy.platform_users["irc"] == frozenset({"nick"})


@pytest.mark.parametrize(
    "values, environ",
    [
        ({"allowed_users": ["12345"]}, {}),
        ({"allowed_users": ["telegram:a b"]}, {}),
        ({"allowed_users": ["*:"]}, {}),
        ({"allow_all_platforms": ["*"]}, {}),
        ({"allow_all": "yes"}, {}),
        ({}, {"GATEWAY_ALLOW_ALL_USERS": "maybe"}),
        ({}, {"TELEGRAM_ALLOWED_USERS": "1,\x1b[31m"}),
    ],
)
def test_bad_settings_are_errors(values: dict[str, object], environ: dict[str, str]) -> None:
    with pytest.raises(GatewayConfigError):
        AccessPolicy.build(values, environ)


def test_a_project_file_cannot_open_access(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / ".bastion").mkdir(parents=True)
    user = tmp_path / "user.toml"
    user.write_text("")
    for line in (
        "allow_all = true",
        'allowed_users = ["telegram:1"]',
        'allow_all_platforms = ["web"]',
        'linked_identities = ["a=telegram:1,discord:2"]',
        'session_scope = ["linked"]',
    ):
        (project / ".bastion" / "config.toml").write_text(f"[gateway]\n{line}\n")
        with pytest.raises(ConfigError, match="only allowed in the user or system config"):
            load_config(project, system_path=str(tmp_path / "none"), user_path=str(user))
    user.write_text('[gateway]\nallowed_users = ["telegram:1"]\n')
    config = load_config(tmp_path, system_path=str(tmp_path / "none"), user_path=str(user))
    policy = AccessPolicy.from_config(config, NO_ENV)
    assert policy.platform_users["telegram"] == frozenset({"1"})


def test_broken_store_hides_pairings_but_keeps_allowlists(
    store: PairingStore, pairing: Pairing, events: list[GatewayEvent]
) -> None:
    pairing.approve("web", issue(pairing, "web", "alice"))
    store.path.write_text("{not json")
    check = authorizer(store, events, {"allowed_users": ["web:bob"]})
    assert check.check("web", "bob").allowed
    denied = check.check("web", "alice")
    assert not denied.allowed
    assert "unreadable pairing store" in events[-1].detail["store_error"]


# --- pairing ----------------------------------------------------------------------------------


def test_codes_use_the_unambiguous_alphabet(pairing: Pairing) -> None:
    assert len(ALPHABET) == 32 and not set("0O1I") & set(ALPHABET)
    codes = [issue(pairing, f"p{n % 13}", f"user{n}") for n in range(39)]
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert len(set(codes)) == 39


def test_approve_pairs_once_and_accepts_human_spelling(pairing: Pairing) -> None:
    code = issue(pairing, "telegram", "42")
    spaced = f" {code[:4].lower()}-{code[4:]} "
    result = pairing.approve("TELEGRAM", spaced)
    assert result.outcome is ApproveOutcome.APPROVED
    assert result.identity == Identity("telegram", "42")
    again = pairing.approve("telegram", code)
    assert again.outcome is ApproveOutcome.ALREADY_USED
    assert again.identity == Identity("telegram", "42")
    assert pairing.is_paired(Identity("telegram", "42"))
    assert pairing.request_code("telegram", "42").outcome is RequestOutcome.ALREADY_PAIRED


def test_a_code_only_approves_on_its_platform(pairing: Pairing) -> None:
    code = issue(pairing, "telegram", "42")
    assert pairing.approve("discord", code).outcome is ApproveOutcome.INVALID
    assert pairing.approve("telegram", code).outcome is ApproveOutcome.APPROVED


def test_codes_expire_after_an_hour(pairing: Pairing, clock: Clock) -> None:
    code = issue(pairing, "telegram", "1")
    clock.advance(P.CODE_TTL_S - 1)
    assert len(pairing.listing().pending) == 1
    clock.advance(1)
    assert pairing.listing().pending == ()
    assert pairing.approve("telegram", code).outcome is ApproveOutcome.INVALID
    fresh = issue(pairing, "telegram", "2")
    clock.advance(P.CODE_TTL_S - 1)
    assert pairing.approve("telegram", fresh).outcome is ApproveOutcome.APPROVED


def test_one_request_per_user_per_ten_minutes(pairing: Pairing, clock: Clock) -> None:
    first = issue(pairing, "telegram", "1")
    clock.advance(P.REQUEST_INTERVAL_S - 1)
    limited = pairing.request_code("telegram", "1")
    assert limited.outcome is RequestOutcome.RATE_LIMITED and limited.code is None
    assert limited.retry_after_s == pytest.approx(1)
    issue(pairing, "telegram", "2")  # per user: someone else is not limited
    clock.advance(1)
    second = issue(pairing, "telegram", "1")
    # the new code replaces the old one: one live code per user
    assert [p.identity.user for p in pairing.listing().pending].count("1") == 1
    assert pairing.approve("telegram", first).outcome is ApproveOutcome.INVALID
    assert pairing.approve("telegram", second).outcome is ApproveOutcome.APPROVED


def test_at_most_three_pending_codes_per_platform(pairing: Pairing, clock: Clock) -> None:
    codes = [issue(pairing, "telegram", str(n)) for n in range(P.MAX_PENDING_PER_PLATFORM)]
    capped = pairing.request_code("telegram", "99")
    assert capped.outcome is RequestOutcome.CAP_REACHED and capped.code is None
    issue(pairing, "discord", "99")  # per platform
    pairing.approve("telegram", codes[0])
    issue(pairing, "telegram", "99")  # at once: the capped answer gave no code, so no limit
    assert pairing.request_code("telegram", "100").outcome is RequestOutcome.CAP_REACHED
    clock.advance(P.CODE_TTL_S)  # expired codes free their slots
    issue(pairing, "telegram", "100")


def test_five_failures_lock_approval_for_an_hour(
    pairing: Pairing, clock: Clock, events: list[GatewayEvent]
) -> None:
    code = issue(pairing, "telegram", "1")
    for _ in range(P.MAX_FAILED_APPROVALS - 1):
        assert pairing.approve("telegram", wrong_code(code)).outcome is ApproveOutcome.INVALID
    fifth = pairing.approve("telegram", "not-a-code")
    assert fifth.outcome is ApproveOutcome.INVALID
    assert fifth.locked_until == clock.now + P.LOCKOUT_S
    locked = pairing.approve("telegram", code)  # even the right code, while locked
    assert locked.outcome is ApproveOutcome.LOCKED
    assert [e.kind for e in events].count("gateway.pairing.lockout") == 1
    other = issue(pairing, "discord", "1")  # per platform
    assert pairing.approve("discord", other).outcome is ApproveOutcome.APPROVED
    clock.advance(P.LOCKOUT_S - 1)
    assert pairing.approve("telegram", code).outcome is ApproveOutcome.LOCKED
    clock.advance(1)
    assert pairing.listing().locked_until == {}
    # approvals work again (the old code expired with the lockout: TTL == lockout)
    fresh = issue(pairing, "telegram", "2")
    assert pairing.approve("telegram", fresh).outcome is ApproveOutcome.APPROVED


def test_approving_a_used_code_again_is_not_a_failure(pairing: Pairing, clock: Clock) -> None:
    code = issue(pairing, "telegram", "1")
    assert pairing.approve("telegram", code).outcome is ApproveOutcome.APPROVED
    for _ in range(P.MAX_FAILED_APPROVALS + 1):
        assert pairing.approve("telegram", code).outcome is ApproveOutcome.ALREADY_USED
    assert pairing.listing().locked_until == {}
    assert pairing.store.read().failures == {}
    # a wrong code still counts
    assert pairing.approve("telegram", wrong_code(code)).outcome is ApproveOutcome.INVALID
    assert len(pairing.store.read().failures["telegram"]) == 1
    # remembered as long as a code lives, and forgotten with a revoked pairing
    clock.advance(P.CODE_TTL_S)
    assert pairing.approve("telegram", code).outcome is ApproveOutcome.INVALID
    other = issue(pairing, "telegram", "2")
    pairing.approve("telegram", other)
    pairing.revoke("telegram", "2")
    assert pairing.approve("telegram", other).outcome is ApproveOutcome.INVALID


def test_code_digests_are_keyed_by_the_store_secret(pairing: Pairing, store: PairingStore) -> None:
    import hashlib
    import hmac

    code = issue(pairing, "telegram", "1")
    row = json.loads(store.path.read_text())["pending"][0]
    key_text = store.key_path.read_text().strip()
    assert len(key_text) == 64 and stat.S_IMODE(store.key_path.stat().st_mode) == 0o600
    message = f"{row['salt']}\0telegram\0{code}".encode()
    # What an offline search of the store file alone would test against: it no longer fits.
    assert row["digest"] != hashlib.sha256(message).hexdigest()
    keyed = hmac.new(bytes.fromhex(key_text), message, hashlib.sha256).hexdigest()
    assert row["digest"] == keyed
    # Without the key (a fresh one is made), the stored digest matches nothing.
    store.key_path.unlink()
    assert Pairing(PairingStore(store.directory)).approve("telegram", code).outcome is (
        ApproveOutcome.INVALID
    )


def test_a_key_file_others_can_read_is_refused(pairing: Pairing, store: PairingStore) -> None:
    issue(pairing, "telegram", "1")
    store.key_path.chmod(0o640)
    with pytest.raises(PairingStoreError, match="others"):
        Pairing(PairingStore(store.directory)).request_code("telegram", "2")


def test_failures_older_than_the_window_do_not_count(pairing: Pairing, clock: Clock) -> None:
    code = issue(pairing, "telegram", "1")
    for _ in range(P.MAX_FAILED_APPROVALS - 1):
        pairing.approve("telegram", wrong_code(code))
    clock.advance(P.LOCKOUT_S)
    code = issue(pairing, "telegram", "1")
    assert pairing.approve("telegram", wrong_code(code)).locked_until is None
    assert pairing.approve("telegram", code).outcome is ApproveOutcome.APPROVED


def test_revoke_and_clear_pending(pairing: Pairing) -> None:
    pairing.approve("web", issue(pairing, "web", "a"))
    issue(pairing, "web", "b")
    issue(pairing, "telegram", "c")
    assert pairing.revoke("web", "a") and not pairing.revoke("web", "a")
    assert not pairing.is_paired(Identity("web", "a"))
    assert pairing.clear_pending("telegram") == 1
    assert [str(p.identity) for p in pairing.listing().pending] == ["web:b"]
    assert pairing.clear_pending() == 1 and pairing.listing().pending == ()


def test_codes_never_reach_logs_events_or_disk(
    pairing: Pairing,
    store: PairingStore,
    events: list[GatewayEvent],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        result = pairing.request_code("telegram", "1")
        code = result.code
        assert code is not None
        pairing.approve("telegram", wrong_code(code))
        pairing.approve("telegram", code)
        logging.getLogger("bastion.gateway").info("result %r", result)
    assert code not in caplog.text
    assert code not in repr(result)
    assert all(code not in repr(e) for e in events)
    assert code.encode() not in store.path.read_bytes()
    assert [e.outcome for e in events] == ["issued", "invalid", "approved"]


# --- files -------------------------------------------------------------------------------------


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o277])
def test_store_files_are_0600_whatever_the_umask(
    pairing: Pairing, store: PairingStore, umask: Callable[[int], None], mask: int
) -> None:
    umask(mask)
    issue(pairing, "telegram", "1")
    for path in (store.path, store.lock_path, store.key_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(store.directory.stat().st_mode) & 0o077 == 0
    assert [p.name for p in store.directory.iterdir() if p.name.endswith(".tmp")] == []


def test_store_refuses_a_directory_others_can_write(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(PairingStoreError, match="writable by others"):
        Pairing(PairingStore(shared)).request_code("telegram", "1")


def test_store_rejects_tampered_content(pairing: Pairing, store: PairingStore) -> None:
    issue(pairing, "telegram", "1")
    data = json.loads(store.path.read_text())
    data["paired"].append({"platform": "telegram", "user": "evil\nline", "approved_at": 0})
    store.path.write_text(json.dumps(data))
    with pytest.raises(PairingStoreError, match="unreadable pairing store"):
        pairing.listing()


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BASTION_GATEWAY_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert PairingStore().directory == tmp_path / "bastion" / "gateway"
    monkeypatch.setenv("BASTION_GATEWAY_DIR", str(tmp_path / "explicit"))
    assert PairingStore().directory == tmp_path / "explicit"


# --- concurrency: real processes ------------------------------------------------------------

WORKERS = 6


def _approve_worker(directory: str, code: str, barrier: Any, results: Any) -> None:
    barrier.wait(timeout=30)
    results.put(Pairing(PairingStore(directory)).approve("telegram", code).outcome.value)


def _request_worker(directory: str, user: str, barrier: Any, results: Any) -> None:
    barrier.wait(timeout=30)
    results.put(Pairing(PairingStore(directory)).request_code("telegram", user).outcome.value)


def _run_workers(target: Callable[..., None], args: list[tuple[Any, ...]]) -> list[str]:
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(len(args)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, barrier, results)) for a in args]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    return outcomes


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_approvals_of_one_code_exactly_one_wins(
    store: PairingStore, round_: int
) -> None:
    code = issue(Pairing(store), "telegram", f"u{round_}")  # the workers' clock: real time
    outcomes = _run_workers(_approve_worker, [(str(store.directory), code)] * WORKERS)
    # The losers are told the code was just used; none counts as a failed attempt.
    assert sorted(outcomes) == ["already_used"] * (WORKERS - 1) + ["approved"], outcomes
    assert [str(p.identity) for p in store.read().paired] == [f"telegram:u{round_}"]
    assert store.read().failures == {} and store.read().locked_until == {}


def test_concurrent_requests_respect_the_pending_cap(store: PairingStore) -> None:
    args = [(str(store.directory), f"user{n}") for n in range(WORKERS)]
    outcomes = _run_workers(_request_worker, args)
    assert outcomes.count("issued") == P.MAX_PENDING_PER_PLATFORM, outcomes
    assert len(store.read().pending) == P.MAX_PENDING_PER_PLATFORM


# --- sessions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "",
        "telegram",
        "telegram:12345",
        "telegram:dm:12345:extra",
        "telegram:dm:",
        "telegram:chat:12345",
        "telegram:DM:12345",
        ":dm:12345",
        "telegram:dm:12 345",
        "telegram:dm:1\n2",
        "telegram:dm:1\x00",
        "telegram:dm:" + "9" * 300,
        "../etc:dm:1",
        None,
        42,
        ["telegram", "dm", "1"],
    ],
)
def test_malformed_session_keys_are_rejected(key: object) -> None:
    with pytest.raises(SessionKeyError):
        require_session_id(key)
    if key not in (None, ""):
        with pytest.raises(SessionKeyError):
            parse_session_key(key)


def test_session_key_round_trip() -> None:
    key = parse_session_key("discord:group:9876")
    assert (key.platform, key.kind, key.peer) == ("discord", "group", "9876")
    assert str(key) == "discord:group:9876"
    assert require_session_id("telegram:dm:1") == parse_session_key("telegram:dm:1")


def test_missing_session_id() -> None:
    with pytest.raises(SessionKeyError, match="required"):
        require_session_id(None)
    keys = {str(session_for_request(None)) for _ in range(100)}
    keys |= {str(session_for_request("")) for _ in range(100)}
    assert len(keys) == 200  # never a shared default
    assert all(parse_session_key(k).kind == "ephemeral" for k in keys)
    assert str(session_for_request("web:dm:abc")) == "web:dm:abc"
    with pytest.raises(SessionKeyError):
        session_for_request("web:dm")


def test_default_scope_isolates_each_dm() -> None:
    router = SessionRouter.build(["per-channel-peer"], ["alice=telegram:1,discord:2"])
    a, b = router.route("telegram", "dm", "1"), router.route("discord", "dm", "2")
    assert a.continuity == "telegram:dm:1" and b.continuity == "discord:dm:2"
    assert router.route("telegram", "dm", "3").continuity != a.continuity
    assert router.warnings() == ()


def test_linked_scope_merges_only_linked_dms() -> None:
    router = SessionRouter.build(["linked"], ["alice=telegram:1,discord:2", "bob=slack:U1,web:b"])
    a, b = router.route("telegram", "dm", "1"), router.route("discord", "dm", "2")
    assert a.continuity == b.continuity == "linked:alice"
    assert str(a.session) != str(b.session)  # the concrete conversations stay apart
    assert router.route("slack", "dm", "U1").continuity == "linked:bob"
    assert router.route("telegram", "dm", "3").continuity == "telegram:dm:3"
    assert router.route("telegram", "group", "1").continuity == "telegram:group:1"
    (warning,) = router.warnings()
    assert "merges memory across every linked alias" in warning
    assert "telegram:1" in warning and "discord:2" in warning


@pytest.mark.parametrize(
    "scope, links",
    [
        (["everything"], []),
        (["linked", "per-channel-peer"], []),
        (["linked"], ["alice=telegram:1"]),
        (["linked"], ["alice telegram:1,discord:2"]),
        (["linked"], ["alice=telegram:1,discord:2", "bob=telegram:1,slack:3"]),
        (["linked"], ["alice=telegram:1,discord:2", "alice=slack:3,web:4"]),
        (["linked"], ["al:ice=telegram:1,discord:2"]),
    ],
)
def test_bad_session_config(scope: list[str], links: list[str]) -> None:
    with pytest.raises(GatewayConfigError):
        SessionRouter.build(scope, links)


def test_router_from_builtin_config_is_per_channel_peer() -> None:
    router = SessionRouter.from_config(builtin_config())
    assert router.scope == "per-channel-peer" and router.links == {}


# --- CLI ---------------------------------------------------------------------------------------


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    pairing_cmd.add_parsers(parser.add_subparsers(dest="command"), argparse.ArgumentParser)
    return pairing_cmd.run(parser.parse_args(["pairing", *argv]))


def test_cli(
    monkeypatch: pytest.MonkeyPatch,
    store: PairingStore,
    capsys: pytest.CaptureFixture[str],
    audit_dir: Path,
) -> None:
    monkeypatch.setenv("BASTION_GATEWAY_DIR", str(store.directory))
    code = issue(Pairing(store), "telegram", "12345")
    issue(Pairing(store), "discord", "678")
    assert cli("list") == 0
    out = capsys.readouterr().out
    assert "telegram:12345" in out and "discord:678" in out and code not in out
    assert cli("approve", "telegram", wrong_code(code)) == 1
    assert code not in capsys.readouterr().err
    assert cli("approve", "telegram", code) == 0
    assert "approved telegram:12345" in capsys.readouterr().out
    assert cli("list", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["user"] for p in data["paired"]] == ["12345"]
    assert [p["user"] for p in data["pending"]] == ["678"]
    assert cli("clear-pending") == 0 and "cleared 1 pending code" in capsys.readouterr().out
    assert cli("revoke", "telegram", "12345") == 0
    assert cli("revoke", "telegram", "12345") == 1
    assert cli("revoke", "telegram", "bad\nid") == pairing_cmd.EXIT_USAGE
    assert cli("approve", "tele gram", code) == pairing_cmd.EXIT_USAGE
    actions = [(r["fields"]["action"], r["fields"]["outcome"]) for r in audit_records(audit_dir)]
    assert actions == [
        ("approve", "invalid"),
        ("approve", "approved"),
        ("clear_pending", "cleared"),
        ("revoke", "revoked"),
        ("revoke", "not_found"),
    ]
    assert all(r["kind"] == "gateway_pairing" for r in audit_records(audit_dir))


def test_cli_approving_a_used_code_says_so(
    monkeypatch: pytest.MonkeyPatch, store: PairingStore, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BASTION_GATEWAY_DIR", str(store.directory))
    code = issue(Pairing(store), "telegram", "12345")
    assert cli("approve", "telegram", code) == 0
    assert cli("approve", "telegram", code) == 1
    err = capsys.readouterr().err
    assert "already approved (for telegram:12345)" in err and code not in err


def test_cli_fails_when_the_audit_log_cannot_be_written(
    monkeypatch: pytest.MonkeyPatch, store: PairingStore, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("BASTION_AUDIT_DIR", str(blocker / "audit"))
    monkeypatch.setenv("BASTION_GATEWAY_DIR", str(store.directory))
    assert cli("clear-pending") == 2
