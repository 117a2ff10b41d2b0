"""A hostile repository cannot make akscan run its programs or hide its keys.

Each setting below names a marker-writing script in the scanned repository's own config (or its
.gitattributes, or its hooks folder). The same repository is scanned the ways akscan reads git: the full
history (inventory, cat-file, attribution log, commit-message attribution through GitPython), a range,
and the pre-commit hook. The marker must never appear. A sanity check first shows that plain git, given
the same repository, does run the script: the attack is real, so its absence is akscan's doing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import ENV, Repo
from tests.keys import FakeKeys

# (config key, how its value names the script). Every program-valued setting a read could reach.
PROGRAM_SETTINGS = (
    ("log.showSignature", "true"),
    ("gpg.program", "{script}"),
    ("gpg.openpgp.program", "{script}"),
    ("gpg.ssh.program", "{script}"),
    ("gpg.x509.program", "{script}"),
    ("core.pager", "{script}"),
    ("pager.log", "{script}"),
    ("pager.diff", "{script}"),
    ("pager.cat-file", "{script}"),
    ("diff.external", "{script}"),
    ("diff.evil.textconv", "{script}"),
    ("diff.evil.command", "{script}"),
    ("filter.evil.clean", "{script}"),
    ("filter.evil.smudge", "{script}"),
    ("filter.evil.process", "{script}"),
    ("filter.evil.required", "true"),
    ("core.fsmonitor", "{script}"),
    ("core.hooksPath", "{hooks}"),
    ("credential.helper", "!{script}"),
    ("core.askPass", "{script}"),
    ("core.sshCommand", "{script}"),
    ("core.editor", "{script}"),
    ("sequence.editor", "{script}"),
    ("gc.auto", "1"),
    ("gc.autoDetach", "false"),
)
HOOKS = ("pre-auto-gc", "post-checkout", "post-index-change", "reference-transaction", "post-rewrite", "pre-commit")


def _plant(repo: Repo, marker: Path) -> None:
    script = repo.path.parent / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "ran: $0 $*" >> "{marker}"\nexit 1\n')
    script.chmod(0o755)
    hooks = repo.path.parent / "evil-hooks"
    hooks.mkdir()
    for name in HOOKS:
        (hooks / name).write_text(f'#!/bin/sh\necho "hook: {name}" >> "{marker}"\n')
        (hooks / name).chmod(0o755)
    for key, value in PROGRAM_SETTINGS:
        repo.git("config", key, value.format(script=script, hooks=hooks))


def _signed_commit(repo: Repo, message: str) -> str:
    """A commit object carrying a (fake) PGP signature header: with log.showSignature, git log runs the
    configured gpg.program on it."""
    tree = repo.git("write-tree")
    parent = repo.head()
    body = (
        f"tree {tree}\nparent {parent}\n"
        "author Mallory <m@example.test> 1700000000 +0000\ncommitter Mallory <m@example.test> 1700000000 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEEfakefakefakefake\n -----END PGP SIGNATURE-----\n"
        f"\n{message}\n"
    )
    sha = repo.git("hash-object", "-t", "commit", "-w", "--stdin", input=body.encode())
    repo.git("update-ref", "refs/heads/main", sha)
    return sha


@pytest.fixture
def hostile(tmp_path: Path, keys: FakeKeys) -> tuple[Repo, Path, dict[str, str]]:
    repo = Repo(tmp_path / "repo")
    marker = tmp_path / "marker"
    planted = {"id": keys.alibaba_id(), "secret": keys.alibaba_secret(), "message_id": keys.alibaba_id()}
    repo.commit("init", readme="hello\n", **{".gitattributes": "* diff=evil filter=evil\n"})
    repo.write("app.py", f"auth = oss2.Auth('{planted['id']}', '{planted['secret']}')\n")
    repo.git("add", "app.py")
    _signed_commit(repo, f"add client\n\nfor reference: key {planted['message_id']}")
    # Staged for the hook test before the trap is set (git add would run the planted filter itself).
    planted["staged_id"] = keys.alibaba_id()
    repo.write("new.py", f"ID = '{planted['staged_id']}'\nSECRET = '{keys.alibaba_secret()}'\n")
    repo.write("app.py", "# touched\n" + (repo.path / "app.py").read_text())
    repo.git("add", "new.py", "app.py")
    _plant(repo, marker)
    return repo, marker, planted


def test_plain_git_runs_the_planted_programs(hostile: tuple[Repo, Path, dict[str, str]]) -> None:
    repo, marker, _ = hostile
    env = {**ENV, "GIT_PAGER": ""}
    subprocess.run(["git", "-C", str(repo.path), "log", "-1"], env=env, capture_output=True, check=False)
    assert marker.exists() and "--verify" in marker.read_text()  # gpg.program ran for the signature


def test_history_scan_runs_nothing_and_finds_everything(hostile: tuple[Repo, Path, dict[str, str]]) -> None:
    repo, marker, planted = hostile
    for extra in ((), ("--no-cache",), ("--range", "HEAD~1..HEAD"), ("--branch", "main")):
        result = run_akscan("git", str(repo.path), "--format", "json", "--no-redact", *extra)
        assert result.code == 1, result.err
        found = {f["key_id"]: f for f in json.loads(result.out)["findings"]}
        assert found[planted["id"]]["secret"] == planted["secret"]
        assert found[planted["id"]]["git"]["author"]["name"] == "Mallory"  # the attribution log ran
        if not extra:
            assert found[planted["message_id"]]["git"]["author"]["name"] == "Mallory"  # GitPython ran
        assert not marker.exists(), f"akscan git {' '.join(extra)} ran: {marker.read_text()}"


def test_hook_runs_nothing(hostile: tuple[Repo, Path, dict[str, str]]) -> None:
    repo, marker, planted = hostile
    new_id = planted["staged_id"]
    for args in ((), ("--", "new.py", "app.py")):
        result = run_akscan("hook", "--format", "json", *args, cwd=repo.path)
        assert result.code == 1, result.err
        assert new_id in {f["key_id"] for f in json.loads(result.out)["findings"]}
        assert not marker.exists(), f"akscan hook ran: {marker.read_text()}"


def test_replace_refs_cannot_hide_a_blob(tmp_path: Path, keys: FakeKeys) -> None:
    repo = Repo(tmp_path / "repo")
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.commit("leak", app=f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    leaky = repo.git("rev-parse", "HEAD:app")
    clean = repo.git("hash-object", "-w", "--stdin", input=b"auth = from_env()\n")
    repo.git("replace", leaky, clean)
    assert "from_env" in repo.git("cat-file", "-p", leaky)  # plain git now shows the clean text
    result = run_akscan("git", str(repo.path), "--format", "json", "--no-cache")
    assert result.code == 1 and key_id in result.out


def test_every_process_starts_in_the_hardened_runner() -> None:
    """No module but gitcmd starts a process: a new git call cannot bypass the hardening by accident."""
    package = Path(__file__).resolve().parent.parent / "scanner" / "akscan"
    starters = ("subprocess.run(", "subprocess.Popen(", "subprocess.call(", "subprocess.check_output(", "os.system(")
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "gitcmd.py" and any(s in path.read_text() for s in starters)
    ]
    assert offenders == []
