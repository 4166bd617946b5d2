"""The static scanner over small Python and JS fixtures, MCP config launch risks, the report
formats (SARIF shape included) and `bastion scan` exit codes through its own parsers."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

from bastion.cli import scan_cmd
from bastion.mcp import PinStore
from bastion.scan import ScanInputError, Severity, WalkOptions, scan_path
from bastion.scan.report import to_sarif

FIXTURES = Path(__file__).parent / "fixtures" / "scan"


def hits(path: Path) -> set[tuple[str, int]]:
    return {(f.rule_id, f.line) for f in scan_path(path).findings}


def rule_ids(path: Path) -> set[str]:
    return {f.rule_id for f in scan_path(path).findings}


# --- Python ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "loader.py",
            {("py-exec", 4), ("py-exec-decoded", 4), ("py-exec", 8), ("py-exec", 11)},
        ),
        (
            "process.py",
            {("py-process", 7), ("py-process", 8), ("py-process", 9), ("py-process", 10)},
        ),
        ("dynamic.py", {("py-dynamic-import", 5), ("py-dynamic-import", 6)}),
        ("network.py", {("py-network", 9), ("py-network", 11), ("py-env", 12)}),
        ("persist.py", {("py-home-write", 6), ("py-home-write", 8), ("credential-path", 12)}),
        ("obfuscated.py", {("py-obfuscation", 3), ("encoded-blob", 4), ("escaped-blob", 5)}),
        ("setup.py", {("py-setup-cmdclass", 10)}),
    ],
)
def test_python_patterns(name: str, expected: set[tuple[str, int]]) -> None:
    assert expected <= hits(FIXTURES / "py_bad" / name)


# --- JavaScript / TypeScript -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("eval.js", {("js-eval", 2), ("js-eval", 4)}),
        ("spawn.js", {("js-child-process", 1), ("js-child-process", 2), ("js-child-process", 4)}),
        ("dynamic.ts", {("js-dynamic-import", 2), ("js-dynamic-import", 3)}),
        ("net.mjs", {("js-network", 1), ("js-network", 5), ("js-network", 6), ("js-network", 7)}),
        ("env.js", {("js-env", 1)}),
        ("persist.js", {("js-home-write", 5)}),
        (
            "obfuscated.js",
            {
                ("encoded-blob", 1),
                ("js-obfuscation", 2),
                ("js-obfuscation", 3),
                ("js-eval-decoded", 4),
            },
        ),
        ("package.json", {("npm-install-hook-fetch", 6)}),
    ],
)
def test_js_patterns(name: str, expected: set[tuple[str, int]]) -> None:
    assert expected <= hits(FIXTURES / "js_bad" / name)


def test_finding_fields() -> None:
    report = scan_path(FIXTURES / "js_bad" / "eval.js")
    first = report.findings[0]
    assert (first.rule_id, first.file, first.line, first.column) == ("js-eval", "eval.js", 2, 10)
    assert first.severity is Severity.HIGH
    assert first.excerpt == "return eval(code);"
    assert first.message


def test_ordinary_code_is_quiet() -> None:
    report = scan_path(FIXTURES / "benign")
    assert report.files_scanned == 4  # tests/check_server.py: a test not named test_*
    assert report.findings == ()
    assert report.errors == ()


@pytest.mark.parametrize(
    "line",
    [
        "model.eval()",
        "x = ast.literal_eval(text)",
        "pattern = re.compile(r'a+')",
        "const m = /x/.exec(line);",
        "const data = require('./data.json');",
        "import fs from 'node:fs';",
        "const found = await import('./known.js');",
        "execute(query)",
    ],
)
def test_lookalikes_are_quiet(tmp_path: Path, line: str) -> None:
    suffix = (
        ".py" if "re." in line or "model" in line or "ast." in line or line[0] == "e" else ".js"
    )
    source = tmp_path / f"sample{suffix}"
    source.write_text(line + "\n")
    assert scan_path(source).findings == ()


def test_walk_skips_vendored_trees_binaries_and_caps_sizes(tmp_path: Path) -> None:
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "index.js").write_text("eval(x)\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "m.py").write_text("exec(x)\n")
    (tmp_path / "blob.js").write_bytes(b"eval(x)\0\0binary")
    (tmp_path / "big.py").write_text("x = 1\n" * 50)
    report = scan_path(tmp_path, options=WalkOptions(max_file_bytes=100))
    assert [(f.rule_id, f.file) for f in report.findings] == [("scan-file-too-large", "big.py")]
    everything = scan_path(tmp_path, options=WalkOptions(skip_dirs=frozenset()))
    assert {f.file for f in everything.findings} == {"node_modules/x/index.js", ".venv/m.py"}


def test_minified_lines_are_capped(tmp_path: Path) -> None:
    source = tmp_path / "bundle.js"
    source.write_text(";".join(["eval(a)"] * 500))
    findings = scan_path(source).findings
    assert len(findings) == 20
    assert all(len(f.excerpt) <= 170 for f in findings)


# --- MCP configs -----------------------------------------------------------------------------


def test_mcp_config_launch_risks() -> None:
    findings = scan_path(FIXTURES / "configs").findings
    got = {(f.file, f.rule_id) for f in findings}
    assert got == {
        (".mcp.json", "mcp-npx-unpinned"),
        (".mcp.json", "mcp-plaintext-secret"),
        (".mcp.json", "mcp-http-url"),
        (".cursor/mcp.json", "mcp-pipe-to-shell"),
        (".gemini/settings.json", "mcp-docker-host-access"),
        (".codex/config.toml", "mcp-uvx-git"),
        (".codex/config.toml", "mcp-plaintext-secret"),
        (".vscode/mcp.json", "mcp-docker-host-access"),
    }
    # The pinned npx package, localhost http, ${env:...} references stay quiet; secrets are
    # named, never printed.
    assert all("ghp_" not in f.excerpt + f.message for f in findings)
    assert all("plain-text-value" not in f.excerpt + f.message for f in findings)


def test_explicit_config_by_shape(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "configs" / "claude.json", tmp_path / "settings-copy.json")
    findings = scan_path(tmp_path / "settings-copy.json").findings
    assert [(f.rule_id, f.severity) for f in findings] == [("mcp-npx-unpinned", Severity.MEDIUM)]


# --- reports ---------------------------------------------------------------------------------


def test_sarif_shape() -> None:
    report = scan_path(FIXTURES / "js_bad")
    sarif = to_sarif(report)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "bastion"
    rule_list = [r["id"] for r in driver["rules"]]
    assert len(rule_list) == len(set(rule_list))
    assert len(run["results"]) == len(report.findings) > 0
    for result in run["results"]:
        assert result["ruleId"] in rule_list
        assert rule_list[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["region"]["startLine"] >= 1
        assert result["level"] in ("error", "warning", "note")


# --- the command -----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(64, message)


def run(*argv: str) -> int:
    parser = _Parser(prog="bastion")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    scan_cmd.add_parsers(sub, _Parser)
    try:
        args = parser.parse_args(["scan", *argv])
    except SystemExit as exc:
        return int(exc.code or 0)
    return scan_cmd.run(args)


@pytest.fixture(autouse=True)
def _no_user_pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_MCP_PINS", str(tmp_path / "user-pins.json"))


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(FIXTURES / "benign")) == 0
    assert run(str(FIXTURES / "js_bad")) == 1
    assert run(str(FIXTURES / "js_bad" / "env.js")) == 0  # only low findings
    assert run(str(FIXTURES / "js_bad" / "env.js"), "--fail-on", "low") == 1
    assert run(str(tmp_path / "missing")) == 2
    broken = tmp_path / ".mcp.json"
    broken.write_text("{")
    assert run(str(broken)) == 2
    assert run(str(FIXTURES), "--format", "yaml") == 64
    assert run() == 64
    (tmp_path / "README.md").write_text("hi")
    assert run(str(tmp_path / "README.md")) == 2
    capsys.readouterr()


def test_unreadable_file_in_a_walk_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n")
    (tmp_path / "package.json").write_text("{broken")
    assert run(str(tmp_path), "--no-progress") == 2
    assert "package.json" in capsys.readouterr().err


def test_formats_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.sarif"
    assert run(str(FIXTURES / "py_bad"), "--format", "sarif", "--output", str(out)) == 1
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert run(str(FIXTURES / "py_bad"), "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert {"rule", "severity", "file", "line", "column", "excerpt", "message"} <= set(
        data["findings"][0]
    )
    assert run(str(FIXTURES / "py_bad")) == 1
    text = capsys.readouterr().out
    assert "process.py\n" in text and "HIGH" in text and "py-process" in text


def test_no_progress_bar_when_stderr_is_not_a_tty(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(FIXTURES / "benign")) == 0
    assert "scanning [" not in capsys.readouterr().err


def test_pin_then_changed_launch_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pins = tmp_path / "pins.json"
    config = tmp_path / ".mcp.json"
    config.write_text(json.dumps({"mcpServers": {"a": {"command": "node", "args": ["a.js"]}}}))
    assert run(str(config), "--pins", str(pins), "--pin", "--fail-on", "info") == 0
    assert PinStore.open(pins).server("a") is not None
    capsys.readouterr()
    config.write_text(json.dumps({"mcpServers": {"a": {"command": "node", "args": ["evil.js"]}}}))
    assert run(str(config), "--pins", str(pins), "--format", "json") == 1
    found = json.loads(capsys.readouterr().out)["findings"]
    assert [f["rule"] for f in found] == ["mcp-server-changed"]
    # Without --pin the store is only read: the approval still names the old launch line.
    assert PinStore.open(pins).server("a").approved_transport == "node a.js"  # type: ignore[union-attr]


def test_scan_input_error_for_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ScanInputError):
        scan_path(tmp_path / "nope")
