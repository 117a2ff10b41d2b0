"""The README's CI job is a file the tests run: fixtures/ci/github-scan.sh is the job's scan step word
for word, run here with bash against real repositories in each situation a push can bring."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, akscan_command
from tests.gitrepo import ENV, Repo
from tests.keys import FakeKeys

SCRIPT = REPO / "fixtures" / "ci" / "github-scan.sh"
ZEROS = "0" * 40


def test_readme_carries_the_script_word_for_word() -> None:
    readme = (REPO / "README.md").read_text()
    block = "".join(f"          {line}\n" if line.strip() else "\n" for line in SCRIPT.read_text().splitlines())
    assert block in readme


def _bin_folder(repo: Repo) -> Path:
    """A folder with an ``akscan`` command on it: the installed one, or one that runs this checkout."""
    command = akscan_command()
    if len(command) == 1:
        return Path(command[0]).parent
    folder = repo.path.parent / "bin"
    folder.mkdir(exist_ok=True)
    shim = folder / "akscan"
    shim.write_text(f'#!/bin/sh\nexec {" ".join(command)} "$@"\n')
    shim.chmod(0o755)
    return folder


def run_step(repo: Repo, base: str, head: str = "HEAD", event: str = "push") -> tuple[int, dict, str]:
    """The step as GitHub runs it: bash, with the event file GitHub writes for a push (``before``/``after``)
    or a pull request (its base and head)."""
    head_sha = repo.git("rev-parse", head)
    if event == "push":
        payload = {"before": base, "after": head_sha, "repository": {"default_branch": "main"}}
    else:
        payload = {"pull_request": {"base": {"sha": base}, "head": {"sha": head_sha}}}
    event_file = repo.path.parent / "event.json"
    event_file.write_text(json.dumps(payload))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI_", "GITLAB_"))},
        **ENV,
        "PATH": f"{_bin_folder(repo)}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO / "scanner"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_file),
        "GITHUB_SHA": head_sha,
        "GITHUB_REF": "refs/heads/main",
    }
    proc = subprocess.run(["bash", "-e", str(SCRIPT)], cwd=repo.path, env=env, capture_output=True, text=True)
    sarif = json.loads((repo.path / "akscan.sarif").read_text())
    (repo.path / "akscan.sarif").unlink()
    return proc.returncode, sarif, proc.stderr


def key_ids(sarif: dict, state: str | None = None) -> set[str]:
    results = sarif["runs"][0]["results"]
    return {r["properties"]["keyId"] for r in results if state is None or r.get("baselineState") == state}


@pytest.fixture
def pushed(tmp_path: Path, keys: FakeKeys) -> tuple[Repo, str, str]:
    repo = Repo(tmp_path / "repo")
    (repo.path / ".git" / "info" / "exclude").write_text("akscan.sarif\n")
    old_id = keys.alibaba_id()
    repo.commit("old leak", settings_py=f"auth = oss2.Auth('{old_id}', '{keys.alibaba_secret()}')\n")
    return repo, repo.head(), old_id


def test_first_push_scans_everything(pushed: tuple[Repo, str, str]) -> None:
    repo, _, old_id = pushed
    code, sarif, _ = run_step(repo, ZEROS)
    assert code == 1 and key_ids(sarif) == {old_id}


def test_push_that_adds_a_key_fails_and_keeps_the_old_key_open(pushed: tuple[Repo, str, str], keys: FakeKeys) -> None:
    repo, before, old_id = pushed
    new_id = keys.alibaba_id()
    repo.commit("new leak", app_py=f"auth = oss2.Auth('{new_id}', '{keys.alibaba_secret()}')\n")
    code, sarif, _ = run_step(repo, before)
    # the old key, still in the code, stays in the upload (else code scanning would close its alert)
    assert code == 1 and key_ids(sarif, "new") == {new_id} and key_ids(sarif, "unchanged") == {old_id}


def test_push_that_adds_no_key_passes_and_still_lists_the_old_one(pushed: tuple[Repo, str, str]) -> None:
    repo, before, old_id = pushed
    repo.commit("docs", readme="hello\n")
    code, sarif, err = run_step(repo, before)
    assert code == 0 and key_ids(sarif, "unchanged") == {old_id} and key_ids(sarif, "new") == set(), err


def test_push_that_only_touches_an_old_key_passes_and_still_lists_it(pushed: tuple[Repo, str, str]) -> None:
    repo, before, old_id = pushed
    repo.commit("touch", settings_py="# touched\n" + (repo.path / "settings_py").read_text())
    code, sarif, _ = run_step(repo, before)
    assert code == 0 and key_ids(sarif, "unchanged") == {old_id}  # reported, not blocking


def test_a_removed_key_leaves_the_upload(pushed: tuple[Repo, str, str]) -> None:
    """Code scanning closes the alert of a key the push removed from the code: it is not in the upload."""
    repo, before, _ = pushed
    repo.git("rm", "-q", "settings_py")
    repo.git("commit", "-q", "-m", "remove the key")
    code, sarif, _ = run_step(repo, before)
    assert code == 0 and key_ids(sarif) == set()


def test_pull_request_is_scanned(pushed: tuple[Repo, str, str], keys: FakeKeys) -> None:
    """A pull_request event has no ``before``: the old template made "..SHA" and passed it unscanned."""
    repo, base, old_id = pushed
    new_id = keys.alibaba_id()
    repo.commit("new leak", app_py=f"auth = oss2.Auth('{new_id}', '{keys.alibaba_secret()}')\n")
    code, sarif, err = run_step(repo, base, event="pull_request")
    assert code == 1 and key_ids(sarif, "new") == {new_id} and key_ids(sarif, "unchanged") == {old_id}
    assert "pull request" in err


def test_force_push_falls_back_to_the_whole_history(pushed: tuple[Repo, str, str]) -> None:
    repo, _, old_id = pushed
    code, sarif, err = run_step(repo, "1234567890abcdef1234567890abcdef12345678")  # gone from the clone
    assert code == 1 and key_ids(sarif) == {old_id} and "scanning the whole history" in err


def test_the_baseline_is_applied(pushed: tuple[Repo, str, str]) -> None:
    repo, _, _ = pushed
    command = akscan_command()
    env = {**os.environ, "PYTHONPATH": str(REPO / "scanner")}
    subprocess.run([*command, "baseline", "create", "."], cwd=repo.path, env=env, check=True, capture_output=True)
    repo.git("add", ".akscan-baseline.json")
    repo.git("commit", "-q", "-m", "baseline")
    code, sarif, _ = run_step(repo, ZEROS)
    assert code == 0 and key_ids(sarif) == set()
