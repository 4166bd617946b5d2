"""The parsed-pack cache: used when it is ours and intact, ignored otherwise."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from bastion.rules import pack_cache
from bastion.rules.dsl import parse_rules

PACK = 'block "no-frob"\n  match command("frob")\n  nudge "Do not."\n  example "frob"\n'


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    directory = tmp_path / "cache" / "bastion"
    directory.mkdir(parents=True, mode=0o700)
    directory.chmod(0o700)
    monkeypatch.delenv("BASTION_NO_PACK_CACHE", raising=False)
    return directory


def _files() -> tuple:
    return (parse_rules(PACK, "<built-in>/t.rules", "t"),)


def test_a_stored_copy_loads_back_equal(runtime: Path) -> None:
    key = pack_cache.cache_key([("t.rules", PACK)])
    assert pack_cache.load(key) is None
    pack_cache.store(key, _files())
    [stored] = list(runtime.glob("packs-*.pickle"))
    assert stored.stat().st_mode & 0o777 == 0o600
    assert pack_cache.load(key) == _files()


def test_the_key_follows_every_pack_text() -> None:
    assert pack_cache.cache_key([("t.rules", PACK)]) != pack_cache.cache_key(
        [("t.rules", PACK.replace("frob", "frab"))]
    )


def test_a_copy_others_could_write_or_that_is_not_rules_is_ignored(runtime: Path) -> None:
    key = pack_cache.cache_key([("t.rules", PACK)])
    pack_cache.store(key, _files())
    [stored] = list(runtime.glob("packs-*.pickle"))
    os.chmod(stored, 0o666)
    assert pack_cache.load(key) is None
    stored.write_bytes(pickle.dumps(["not", "rules"]))
    os.chmod(stored, 0o600)
    assert pack_cache.load(key) is None
    stored.write_bytes(b"garbage")
    assert pack_cache.load(key) is None


def test_an_untrusted_cache_dir_is_not_used(runtime: Path) -> None:
    runtime.chmod(0o755)
    key = pack_cache.cache_key([("t.rules", PACK)])
    pack_cache.store(key, _files())
    assert not list(runtime.glob("packs-*.pickle"))
    assert pack_cache.load(key) is None


def test_it_can_be_turned_off(runtime: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_NO_PACK_CACHE", "1")
    key = pack_cache.cache_key([("t.rules", PACK)])
    pack_cache.store(key, _files())
    assert not list(runtime.glob("packs-*.pickle"))
