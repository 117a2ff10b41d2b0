"""A partial clone cannot make akscan reach a transport, so it cannot run the programs its config names.

A repository that says it is a partial clone (``extensions.partialClone`` naming a promisor remote) makes
git fetch any object it lacks, on the spot, from that remote: a read (``cat-file``, ``ls-tree`` of a missing
tree, rename detection in ``log``/``diff``) becomes a fetch, and a fetch runs the transport programs the
repository's own config names (``remote.<name>.uploadpack`` for a local path, ``core.sshCommand`` for ssh,
``core.gitProxy`` for git://), even after the repository allows the transport itself
(``protocol.file.allow=always``). Each attack is first shown to work on plain git; then every way akscan
reads a repository (full history cold and cached, ``--branch``, ``--range``, the hook) must run nothing,
still find the keys in the objects that are there, and count the missing ones (report incomplete).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import ENV, Repo
from tests.keys import FakeKeys

# remote URL, the settings that name the program, how git is made to reach it
TRANSPORTS = {
    "uploadpack": ("{base}/upstream", {"remote.origin.uploadpack": "{script}", "protocol.file.allow": "always"}),
    "sshCommand": ("ssh://git.example.test/upstream", {"core.sshCommand": "{script}", "protocol.ssh.allow": "always"}),
    "gitProxy": ("git://git.example.test/upstream", {"core.gitProxy": "{script}", "protocol.git.allow": "always"}),
}


def _drop_object(repo: Repo, sha: str) -> None:
    (repo.path / ".git" / "objects" / sha[:2] / sha[2:]).unlink()


def _partial_clone(tmp_path: Path, keys: FakeKeys, transport: str) -> tuple[Repo, Path, dict[str, str]]:
    """A history with a key in a present blob, a key in a blob that is missing, a missing tree, and a
    staged rename whose source blob is missing (rename detection must read it)."""
    marker = tmp_path / "marker"
    script = tmp_path / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "ran: $0 $*" >> "{marker}"\nexit 1\n')
    script.chmod(0o755)
    repo = Repo(tmp_path / "repo")
    planted = {"id": keys.alibaba_id(), "lost_id": keys.alibaba_id(), "staged_id": keys.alibaba_id()}
    repo.commit("lost", lost=f"ak = '{planted['lost_id']}'\nsk = '{keys.alibaba_secret()}'\n")
    repo.commit("docs", docs__guide="how to run it\n" * 40)
    repo.commit(
        "client",
        app=f"auth = oss2.Auth('{planted['id']}', '{keys.alibaba_secret()}')\n",
        lost="rotated\n",
        renamed="a file that will move\n" * 40,
    )
    _drop_object(repo, repo.git("rev-parse", "HEAD~2:lost"))
    _drop_object(repo, repo.git("rev-parse", "HEAD~1:docs"))
    moved_blob = repo.git("rev-parse", "HEAD:renamed")
    # The hook's commit: `renamed` moves to moved.py with a key added (rename detection reads the old blob).
    (repo.path / "renamed").unlink()
    repo.write("moved.py", "a file that will move\n" * 40 + f"ID = '{planted['staged_id']}'\n")
    repo.git("add", "-A")
    _drop_object(repo, moved_blob)
    url, settings = TRANSPORTS[transport]
    repo.git("config", "core.repositoryformatversion", "1")
    repo.git("config", "extensions.partialClone", "origin")
    repo.git("config", "remote.origin.url", url.format(base=tmp_path))
    repo.git("config", "remote.origin.promisor", "true")
    repo.git("config", "remote.origin.partialclonefilter", "blob:none")
    for key, value in settings.items():
        repo.git("config", key, value.format(script=script))
    return repo, marker, planted


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_plain_git_runs_the_transport_program(tmp_path: Path, keys: FakeKeys, transport: str) -> None:
    repo, marker, _ = _partial_clone(tmp_path, keys, transport)
    subprocess.run(["git", "-C", str(repo.path), "ls-tree", "-r", "HEAD~1"], env={**ENV}, capture_output=True)
    assert marker.exists(), "the attack does not work: the test proves nothing"


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_history_scans_reach_no_transport(tmp_path: Path, keys: FakeKeys, transport: str) -> None:
    repo, marker, planted = _partial_clone(tmp_path, keys, transport)
    for extra in (("--no-cache",), (), (), ("--branch", "main"), ("--range", "HEAD~2..HEAD")):
        result = run_akscan("git", str(repo.path), "--format", "json", *extra)
        assert not marker.exists(), f"akscan git {' '.join(extra)} ran: {marker.read_text()}"
        assert result.code == 1, result.err
        report = json.loads(result.out)
        assert planted["id"] in {f["key_id"] for f in report["findings"]}
        assert report["summary"]["incomplete"] is True, extra
    full = json.loads(run_akscan("git", str(repo.path), "--format", "json", "--no-cache").out)
    assert full["summary"]["git"]["missing_objects"] >= 2  # the lost blob and the docs tree at least


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_hook_reaches_no_transport(tmp_path: Path, keys: FakeKeys, transport: str) -> None:
    repo, marker, planted = _partial_clone(tmp_path, keys, transport)
    for files in ((), ("--", "moved.py")):  # as a git hook, and as pre-commit calls it
        result = run_akscan("hook", "--format", "json", *files, cwd=repo.path)
        assert not marker.exists(), f"akscan hook ran: {marker.read_text()}"
        assert result.code == 1, result.err
        report = json.loads(result.out)
        assert planted["staged_id"] in {f["key_id"] for f in report["findings"]}
        assert not any(f["git"]["present_at_head"] for f in report["findings"])
        # HEAD's docs tree is missing: what HEAD holds is unknown, and the report says so
        assert report["summary"]["incomplete"] is True
        assert report["summary"]["skipped"]["head-unreadable"] == 1
