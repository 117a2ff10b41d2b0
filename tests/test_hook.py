"""`akscan hook` on real repositories: staged content, not the working tree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def pair(keys: FakeKeys) -> tuple[str, str]:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    return key_id, f"auth = oss2.Auth('{key_id}', '{secret}')\n"


def hook(repo: Repo, *args: str) -> tuple[int, dict, str]:
    result = run_akscan("hook", "--format", "json", *args, cwd=repo.path)
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out), result.err


def test_first_commit_with_key_is_refused(repo: Repo, keys: FakeKeys) -> None:
    key_id, line = pair(keys)
    repo.write("app.py", line)
    repo.write("README.md", "hello\n")
    repo.git("add", "-A")
    code, document, _ = hook(repo)
    assert code == 1
    assert [(f["key_id"], f["path"], f["git"]["present_at_head"]) for f in document["findings"]] == [
        (key_id, "app.py", False)
    ]
    assert document["summary"]["files"] == 2 and document["summary"]["bytes"] > 0


def test_scans_the_index_not_the_working_tree(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("init", app="x = 1\n")
    key_id, line = pair(keys)
    repo.write("app", line)
    repo.git("add", "app")
    repo.write("app", "x = 2\n")  # the key is staged, the working copy is clean
    code, document, _ = hook(repo, "app")
    assert code == 1 and [f["key_id"] for f in document["findings"]] == [key_id]
    repo.git("add", "app")  # now the clean version is staged, the key only existed on disk before
    repo.write("app", line)
    code, document, _ = hook(repo, "app")
    assert code == 0 and document["findings"] == []


def test_clean_commit_passes_and_says_what_it_scanned(repo: Repo) -> None:
    repo.write("a.py", "print('hi')\n")
    repo.git("add", "-A")
    result = run_akscan("hook", cwd=repo.path)
    assert result.code == 0
    assert "0 findings in 1 file, 12 B scanned" in result.out


def test_nothing_staged_is_visible(repo: Repo) -> None:
    repo.commit("init", a="x\n")
    result = run_akscan("hook", cwd=repo.path)
    assert result.code == 0 and "in 0 files, 0 B scanned" in result.out


def test_key_already_committed_is_reported_one_severity_lower(repo: Repo, keys: FakeKeys) -> None:
    key_id, line = pair(keys)
    repo.commit("old leak", settings=line)
    repo.write("settings", line + "DEBUG = False\n")
    repo.git("add", "settings")
    code, document, err = hook(repo, "settings")
    (finding,) = document["findings"]
    assert finding["key_id"] == key_id and finding["git"]["present_at_head"] is True
    # lowered from high, reported, and by default not blocking: the commit does not add it
    assert finding["severity"] == "medium" and code == 0
    assert "adds no key, but touches 1 already committed" in err and f"settings:1 alibaba {key_id}" in err
    assert "UpdateAccessKey" in err  # how to rotate it
    code, _, _ = hook(repo, "--block-committed", "--", "settings")
    assert code == 1  # the former behaviour, on request
    code, _, _ = hook(repo, "--block-committed", "--fail-on", "high", "--", "settings")
    assert code == 0  # lowered to medium: a high gate lets it through
    new_id, new_line = pair(keys)
    repo.write("settings", line + new_line)
    repo.git("add", "settings")
    code, document, err = hook(repo, "--", "settings")
    assert code == 1 and "adds no key" not in err
    assert {(f["key_id"], f["severity"]) for f in document["findings"]} == {(key_id, "medium"), (new_id, "high")}


def test_rename_of_a_committed_key_does_not_block(repo: Repo, keys: FakeKeys) -> None:
    _, line = pair(keys)
    repo.commit("old", old_name=line + "\n".join(f"x{i} = {i}" for i in range(20)) + "\n")
    repo.git("mv", "old_name", "new_name")
    code, document, _ = hook(repo, "--fail-on", "high", "--", "new_name")
    assert code == 0 and document["findings"][0]["git"]["present_at_head"] is True


def test_deleted_file_is_not_scanned(repo: Repo, keys: FakeKeys) -> None:
    _, line = pair(keys)
    repo.commit("leak", leak=line)
    repo.git("rm", "-q", "leak")
    code, document, _ = hook(repo, "leak")
    assert code == 0 and document["findings"] == []
    assert document["summary"]["skipped"] == {"not-staged": 1}


def test_binary_file(repo: Repo, keys: FakeKeys) -> None:
    key_id, line = pair(keys)
    repo.write("blob.bin", b"\x00\x01" + line.encode() + b"\xff\x00")
    repo.git("add", "-A")
    code, document, _ = hook(repo)
    assert code == 1 and document["findings"][0]["key_id"] == key_id


def test_merge_in_progress(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("base", conflict="a\n", other="o\n")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side", conflict="side\n")
    repo.git("checkout", "-q", "main")
    key_id, line = pair(keys)
    repo.commit("main", conflict="main\n", other="o\n" + line)
    repo.git("checkout", "-q", "side")
    subprocess.run(["git", "-C", str(repo.path), "merge", "main"], capture_output=True)  # conflicts
    code, document, err = hook(repo, "conflict", "other")
    assert document["summary"]["skipped"].get("unmerged") == 1
    assert "unresolved merge conflict" in err
    assert [f["key_id"] for f in document["findings"]] == [key_id] and code == 1


def test_inline_marker_allows(repo: Repo, keys: FakeKeys) -> None:
    _, line = pair(keys)
    repo.write("doc.py", line.rstrip("\n") + "  # akscan:allow documented test key\n")
    repo.git("add", "-A")
    code, document, _ = hook(repo)
    assert code == 0 and document["summary"]["suppressed"] == {"inline-marker": 1}


def test_hook_output_names_file_line_key_and_how_to_suppress(repo: Repo, keys: FakeKeys) -> None:
    key_id, line = pair(keys)
    repo.write("deploy/config.py", "import oss2\n" + line)
    repo.git("add", "-A")
    result = run_akscan("hook", cwd=repo.path)
    assert result.code == 1
    assert "deploy/config.py" in result.out and "2:19" in result.out and key_id in result.out
    assert "akscan:allow" in result.out and "baseline" in result.out


def test_outside_a_repository_exits_2(tmp_path: Path) -> None:
    result = run_akscan("hook", cwd=tmp_path)
    assert result.code == 2 and "git repository" in result.err


def test_hook_path_imports_no_gitpython_tqdm_or_http(repo: Repo) -> None:
    # regex too: a clean commit never reaches a rule's regex, and the module costs ~10 ms to import.
    repo.write("a.py", "x = 1\n")
    repo.git("add", "-A")
    code = (
        "import sys; from akscan.cli import main; rc = main(['hook', '-q']); "
        "heavy = sorted(m for m in ('git', 'tqdm', 'urllib.request', 'http.client', 'ssl', 'socket', 'regex') "
        "if m in sys.modules); print(heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo.path, capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def _findings(document: dict) -> set[tuple[str, str, bool, str]]:
    return {(f["path"], f["key_id"], f["git"]["present_at_head"], f["severity"]) for f in document["findings"]}


def test_rename_and_edit_without_file_arguments(repo: Repo, keys: FakeKeys) -> None:
    old_id, old_line = pair(keys)
    repo.commit("old", old_name=old_line + "".join(f"x{i} = {i}\n" for i in range(20)))
    repo.git("mv", "old_name", "new_name")
    new_id, new_line = pair(keys)
    (repo.path / "new_name").write_text((repo.path / "new_name").read_text() + new_line)
    repo.git("add", "new_name")
    code, document, _ = hook(repo)  # no file names: every staged file, as `git commit` without pre-commit
    assert code == 1
    assert _findings(document) == {("new_name", old_id, True, "medium"), ("new_name", new_id, False, "high")}


def test_one_blob_staged_at_two_paths_is_reported_at_both(repo: Repo, keys: FakeKeys) -> None:
    repo.commit("init", readme="hi\n")
    key_id, line = pair(keys)
    repo.write("a.py", line)
    repo.write("b.py", line)
    repo.git("add", "a.py", "b.py")
    for args in ((), ("--", "a.py", "b.py"), ("--", "b.py", "a.py")):
        _, document, _ = hook(repo, *args)
        assert _findings(document) == {("a.py", key_id, False, "high"), ("b.py", key_id, False, "high")}


def test_two_files_identical_at_head_are_both_already_committed(repo: Repo, keys: FakeKeys) -> None:
    key_id, line = pair(keys)
    repo.commit("same twice", a=line, b=line)
    repo.write("a", line + "# touched\n")
    repo.write("b", line + "# touched too\n")
    repo.git("add", "a", "b")
    _, document, _ = hook(repo)
    assert _findings(document) == {("a", key_id, True, "medium"), ("b", key_id, True, "medium")}
