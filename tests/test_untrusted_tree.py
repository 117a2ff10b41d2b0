"""A scanned tree cannot forge the report, nor silence akscan through a config it ships or places above
itself, nor hang or exhaust it through the files its config names."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys

FORGERIES = {
    "esc": "\x1b[2J\x1b[32mall clean\x1b[0m",
    "cr": "x\rakscan: 0 findings",
    "newline": "x\nakscan: 0 findings",
    "osc8": "\x1b]8;;https:evil.test\x07click\x1b]8;;\x07",
    "bidi": "evil\u202egnp.py",
}


def _raw_controls(text: str) -> list[str]:
    allowed = {"\n"}
    return [
        c for c in text if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or 0x202A <= ord(c) <= 0x202E) and c not in allowed
    ]


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_file_names_cannot_forge_text_output(tmp_path: Path, keys: FakeKeys, name: str) -> None:
    forged = FORGERIES[name]
    target = tmp_path / f"{forged}.py"
    target.write_text(f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    (tmp_path / f"unreadable{forged}.py").mkdir()  # a directory: nothing to warn about, but listed
    result = run_akscan("scan", str(tmp_path))
    assert result.code == 1
    assert _raw_controls(result.out) == [] and _raw_controls(result.err) == []
    lines = result.out.splitlines()
    assert sum(line.startswith(str(tmp_path)) for line in lines) == 1  # one path line, not two forged ones


def test_commit_metadata_cannot_forge_history_output(tmp_path: Path, keys: FakeKeys) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit(
        "innocent\x1b[2K\rsubject \u202eevil",
        author="Mallory\x1b]8;;https://evil.test\x07",
        app=f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n",
    )
    result = run_akscan("git", str(repo.path))
    assert result.code == 1 and "introduced in" in result.out
    assert _raw_controls(result.out) == [] and _raw_controls(result.err) == []
    assert "\\x1b" in result.out and "\\u202e" in result.out  # shown, escaped: a reader sees the attempt


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t"])
def test_csv_cells_cannot_start_a_formula(tmp_path: Path, keys: FakeKeys, prefix: str) -> None:
    name = f"{prefix}HYPERLINK(1).py" if prefix != "\t" else "\tcmd.py"
    (tmp_path / name).write_text(f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    result = run_akscan("scan", ".", "--format", "csv", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert len(rows) == 1 and rows[0]["path"].startswith("'")


def _leaky_tree(root: Path, keys: FakeKeys) -> str:
    key_id = keys.alibaba_id()
    (root / "app.py").parent.mkdir(parents=True, exist_ok=True)
    (root / "app.py").write_text(f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    return key_id


def test_config_above_an_unversioned_tree_is_not_applied(tmp_path: Path, keys: FakeKeys) -> None:
    (tmp_path / ".akscan.toml").write_text('exclude = ["*"]\n')
    tree = tmp_path / "incident-tarball"
    key_id = _leaky_tree(tree, keys)
    result = run_akscan("scan", str(tree), "--format", "json")
    assert result.code == 1 and key_id in result.out
    assert "config:" not in result.err


def test_config_above_a_repository_is_not_applied(tmp_path: Path, keys: FakeKeys) -> None:
    (tmp_path / ".akscan.toml").write_text('exclude = ["*"]\n')
    repo = Repo(tmp_path / "repo")
    key_id = _leaky_tree(repo.path / "src", keys)
    result = run_akscan("scan", str(repo.path / "src"), "--format", "json")
    assert result.code == 1 and key_id in result.out


def test_config_in_use_is_announced_and_can_be_ignored(tmp_path: Path, keys: FakeKeys) -> None:
    Repo(tmp_path)
    key_id = _leaky_tree(tmp_path / "src", keys)
    (tmp_path / ".akscan.toml").write_text('exclude = ["src/"]\n')
    hidden = run_akscan("scan", ".", "--format", "json", cwd=tmp_path)
    assert hidden.code == 0 and f"akscan: config: {tmp_path / '.akscan.toml'}" in hidden.err
    shown = run_akscan("scan", ".", "--format", "json", "--no-config", cwd=tmp_path)
    assert shown.code == 1 and key_id in shown.out and "config:" not in shown.err
    history = run_akscan("git", ".", "--format", "json", "--no-config", cwd=tmp_path)
    assert history.code == 0  # nothing committed yet: but the flag is accepted by every command
    both = run_akscan("scan", ".", "--config", ".akscan.toml", "--no-config", cwd=tmp_path)
    assert both.code == 2 and "cannot be combined" in both.err


@pytest.mark.parametrize("baseline", ["/dev/zero", "fifo", "../outside.json"])
def test_config_cannot_point_at_devices_fifos_or_outside_files(tmp_path: Path, keys: FakeKeys, baseline: str) -> None:
    project = tmp_path / "project"
    Repo(project)
    _leaky_tree(project, keys)
    (tmp_path / "outside.json").write_text('{"entries": []}')
    if baseline == "fifo":
        os.mkfifo(project / "fifo")
    (project / ".akscan.toml").write_text(f'baseline = "{baseline}"\n')
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(run_akscan("scan", ".", cwd=project)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert outcome, "akscan hung on the baseline the config names"
    result = outcome[0]
    assert result.code == 2 and len(result.err.strip().splitlines()) <= 2, result.err  # type: ignore[attr-defined]
    assert "baseline" in result.err  # type: ignore[attr-defined]


def test_oversized_baseline_is_refused_not_loaded(tmp_path: Path) -> None:
    big = tmp_path / "baseline.json"
    with big.open("wb") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse
    result = run_akscan("scan", str(tmp_path / "nothing-here"), "--baseline", str(big))
    assert result.code == 2 and "over the" in result.err


def test_json_paths_show_control_characters_escaped(tmp_path: Path, keys: FakeKeys) -> None:
    forged = FORGERIES["esc"]
    (tmp_path / f"{forged}.py").write_text(f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    result = run_akscan("scan", ".", "--format", "json", cwd=tmp_path)
    path = json.loads(result.out)["findings"][0]["path"]
    assert "\x1b" not in path and path.startswith("\\x1b[2J")  # `jq -r .path` cannot paint a terminal


def test_a_catastrophic_rule_cannot_hang_the_scan(tmp_path: Path, keys: FakeKeys) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "slow.toml").write_text(
        '[[rules]]\nid = "slow-rule"\nprovider = "x"\nkind = "key-id"\nanchors = ["zzzz"]\n'
        'pattern = \'(zzzz(?:a|aa)*c)\'\ndescription = "d"\nremediation = "r"\n'
    )
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "bomb.txt").write_text("zzzz" + "a" * 60 + "\n")
    key_id = _leaky_tree(tree, keys)
    outcome: list[object] = []
    worker = threading.Thread(
        target=lambda: outcome.append(run_akscan("scan", str(tree), "--rules", str(rules), "--format", "json")),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=30)
    assert outcome, "a catastrophic rule regex hung the scan"
    result = outcome[0]
    assert result.code == 1 and key_id in result.out  # type: ignore[attr-defined]
    document = json.loads(result.out)  # type: ignore[attr-defined]
    assert document["summary"]["skipped"].get("rule-timeout") == 1
    assert "slow-rule" in result.err and "bomb.txt" in result.err  # type: ignore[attr-defined]


def test_an_invalid_exclude_pattern_is_one_clear_line(tmp_path: Path, keys: FakeKeys) -> None:
    Repo(tmp_path)
    _leaky_tree(tmp_path, keys)
    (tmp_path / ".akscan.toml").write_text('exclude = ["docs/", "\\\\"]\n')
    result = run_akscan("scan", ".", cwd=tmp_path)
    assert result.code == 2 and "exclude pattern '\\\\'" in result.err and "internal error" not in result.err


def test_a_path_longer_than_path_max_is_counted_not_lost(tmp_path: Path, keys: FakeKeys) -> None:
    deep = tmp_path
    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(25):  # 25 x 200 characters: past PATH_MAX (4096), built relative to a directory fd
            os.mkdir("d" * 200, dir_fd=descriptor)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
    finally:
        os.close(descriptor)
    _leaky_tree(deep / "shallow", keys)
    result = run_akscan("scan", str(tmp_path), "--format", "json")
    document = json.loads(result.out)
    assert document["summary"]["skipped"].get("unreadable", 0) >= 1 and "File name too long" in result.err


def test_a_slow_rule_costs_its_time_limit_once_not_once_per_file(tmp_path: Path, keys: FakeKeys) -> None:
    """40 small files that each make a rule backtrack used to cost 40 time limits (40-68 s); after its first
    timeout the rule is off for the rest of the scan, and every file it then did not read is counted."""
    import time

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "slow.toml").write_text(
        '[[rules]]\nid = "slow-rule"\nprovider = "x"\nkind = "key-id"\nanchors = ["zzzz"]\n'
        'pattern = \'(zzzz(?:a|aa)*c)\'\ndescription = "d"\nremediation = "r"\n'
    )
    tree = tmp_path / "tree"
    tree.mkdir()
    for index in range(40):
        (tree / f"bomb{index:02}.txt").write_text("zzzz" + "a" * 60 + "\n")
    key_id = _leaky_tree(tree, keys)
    started = time.monotonic()
    result = run_akscan(
        "scan", str(tree), "--rules", str(rules), "--format", "json", "-j", "1", process=True, timeout=120
    )
    elapsed = time.monotonic() - started
    document = json.loads(result.out)
    skipped = document["summary"]["skipped"]
    assert result.code == 1 and key_id in result.out
    assert skipped.get("rule-timeout") == 1 and skipped.get("rule-off") == 39, skipped
    assert document["summary"]["incomplete"] is True
    assert elapsed < 20, f"{elapsed:.1f} s: the rule ran its limit on more than one file"


def test_a_custom_rules_match_and_title_cannot_paint_the_terminal_or_break_reports(tmp_path: Path) -> None:
    """A custom rule (from a config in the scanned tree) whose title carries escape sequences and whose
    pattern matches control characters and a backtick: every format shows them escaped; JUnit stays XML;
    markdown's code spans cannot be closed by the key ID."""
    import xml.etree.ElementTree as ElementTree

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "notes.txt").write_bytes(b"ZZKEY\x1b]8;;http://evil.test\x07`![x](http://evil.test)`\x1b[2J\n")
    (tree / ".akscan.toml").write_text(
        "[[custom_rules]]\n"
        'id = "zz-key"\nprovider = "alibaba"\nkind = "key-id"\nanchors = ["ZZKEY"]\n'
        "pattern = '''(ZZKEY[^\\n]{5,60})'''\n"
        'title = "Totally \\u001b[31mred\\u001b[0m title"\nlone_severity = "high"\n'
        'description = "d"\nremediation = "r"\n'
    )
    for fmt in ("text", "junit", "markdown", "json", "csv"):
        result = run_akscan("scan", str(tree), "--format", fmt)
        assert result.code == 1, (fmt, result.err)
        assert "\x1b" not in result.out and "\x07" not in result.out, fmt
        if fmt == "junit":
            ElementTree.fromstring(result.out)  # well-formed XML
        if fmt == "markdown":
            assert "`![x]" not in result.out and "](http://evil.test)`" not in result.out


def test_no_inline_markers_reports_what_a_marker_would_hide(tmp_path: Path, keys: FakeKeys) -> None:
    """An untrusted tree's author can put akscan:allow beside any key: --no-inline-markers reports it anyway
    (scan, git — cached runs too — and hook), and says how many markers it ignored."""
    repo = Repo(tmp_path / "repo")
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.commit("hidden", app_py=f"auth = oss2.Auth('{key_id}', '{secret}')  # akscan:allow\n")
    for command in (("scan", str(repo.path)), ("git", str(repo.path))):
        honoured = json.loads(run_akscan(*command, "--format", "json").out)
        assert honoured["findings"] == [] and honoured["summary"]["suppressed"]["inline-marker"] == 1
        ignored = json.loads(run_akscan(*command, "--format", "json", "--no-inline-markers").out)
        assert [f["key_id"] for f in ignored["findings"]] == [key_id], command
        assert ignored["summary"]["suppressed"]["inline-marker-ignored"] == 1
    repo.write("app_py", (repo.path / "app_py").read_text() + "# touched\n")
    repo.git("add", "app_py")
    staged = json.loads(run_akscan("hook", "--format", "json", "--no-inline-markers", cwd=repo.path).out)
    assert [f["key_id"] for f in staged["findings"]] == [key_id]
