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
import sys
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


def test_a_cache_planted_in_the_repository_cannot_hide_findings(tmp_path: Path, keys: FakeKeys) -> None:
    repo = Repo(tmp_path / "repo")
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.commit("leak", app=f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    every_object = repo.git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()
    planted = repo.path / ".git" / "akscan"
    planted.mkdir()
    body = b"\x00" + b"".join(bytes.fromhex(sha) for sha in every_object)
    digest = json.loads(run_akscan("rules", "list", "--format", "json").out)["ruleset"]
    names = [f"scanned-{digest}.bin", "clean.bin", f"state-{digest}.json"]  # what 0.1.0 would have read
    (planted / names[0]).write_bytes(body)
    (planted / names[1]).write_bytes(body)
    (planted / names[2]).write_text('{"fingerprint": "x", "findings": []}')
    for _ in range(2):  # cold, then with akscan's own cache
        result = run_akscan("git", str(repo.path), "--format", "json")
        assert result.code == 1 and key_id in result.out
    assert sorted(p.name for p in planted.iterdir()) == sorted(names)  # read nothing there, wrote nothing


def test_cache_lives_in_the_user_cache_dir_and_never_follows_a_symlink(
    tmp_path: Path, keys: FakeKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from akscan.runs.history_cache import HistoryCache

    cache_root = tmp_path / "cache"
    monkeypatch.setenv("AKSCAN_CACHE_DIR", str(cache_root))
    repo = Repo(tmp_path / "repo")
    repo.commit("clean", readme="nothing here\n")
    ruleset_digest = json.loads(run_akscan("rules", "list", "--format", "json").out)["ruleset"]
    cache = HistoryCache(str(repo.path / ".git"), ruleset_digest)
    assert cache.folder.is_relative_to(cache_root)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    cache.folder.mkdir(parents=True)
    cache.clean_path.symlink_to(victim)
    assert run_akscan("git", str(repo.path), "--format", "json").code == 0
    assert victim.read_text() == "precious\n"  # the symlink was replaced, not written through
    assert cache.clean_path.is_file() and not cache.clean_path.is_symlink()
    assert cache.clean_objects()  # and the real cache is in place
    assert not (repo.path / ".git" / "akscan").exists()


def test_cache_key_covers_the_engine_code() -> None:
    from akscan.runs.history_cache import ENGINE_MODULES, engine_digest

    package = Path(__file__).resolve().parent.parent / "scanner" / "akscan"
    assert all((package / name).is_file() for name in ENGINE_MODULES)  # a rename must not drop one
    assert len(engine_digest()) == 64
    # Every module the scanning code loads is in the key (a new engine module must not be forgotten):
    # what a fresh interpreter imports for the pipeline, the delta scanner and the detector.
    probe = "import sys, akscan.engine.pipeline, akscan.engine.delta, akscan.engine.detect; print(*sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    files = {m.removeprefix("akscan.").replace(".", "/") + ".py" for m in loaded if m.startswith("akscan.")}
    # exceptions; packages, whose __init__ files are listed as such (or hold no code)
    plumbing = {"errors.py", "sources.py", "engine.py", "engine/decode.py", "config.py"}
    assert files - plumbing <= set(ENGINE_MODULES), sorted(files - plumbing - set(ENGINE_MODULES))


def test_git_named_by_path_ignores_repository_variables_of_the_environment(tmp_path: Path, keys: FakeKeys) -> None:
    """Inside a git hook, git exports GIT_DIR and GIT_INDEX_FILE: `akscan git OTHER` must read OTHER."""
    here = Repo(tmp_path / "here")
    here_id = keys.alibaba_id()
    here.commit("here", app=f"auth = oss2.Auth('{here_id}', '{keys.alibaba_secret()}')\n")
    other = Repo(tmp_path / "other")
    other_id = keys.alibaba_id()
    other.commit("other", app=f"auth = oss2.Auth('{other_id}', '{keys.alibaba_secret()}')\n")
    env = {"GIT_DIR": str(here.path / ".git"), "GIT_INDEX_FILE": str(here.path / ".git" / "index")}
    result = run_akscan("git", str(other.path), "--format", "json", "--no-cache", env=env)
    found = {f["key_id"] for f in json.loads(result.out)["findings"]}
    assert result.code == 1 and found == {other_id}


def test_a_cache_folder_others_can_write_is_not_used(tmp_path: Path, keys: FakeKeys) -> None:
    """A clean list planted in a repository's cache folder that other users can write must not hide a
    key: the cache is not read (or written) and the run says why."""
    import os

    repo = Repo(tmp_path / "repo")
    key_id = keys.alibaba_id()
    repo.commit("leak", app_py=f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    cache = tmp_path / "cache"
    env = {"AKSCAN_CACHE_DIR": str(cache)}
    first = run_akscan("git", str(repo.path), "--format", "json", env=env)
    assert first.code == 1
    (folder,) = (cache / "repos").iterdir()
    everything = repo.git("rev-list", "--all", "--objects").split()
    ids = sorted({token for token in everything if len(token) == 40})
    for planted in folder.glob("clean-*.bin"):
        planted.write_bytes(b"\x00" + b"".join(bytes.fromhex(sha) for sha in ids))
    for state in folder.glob("state-*.json"):
        state.unlink()
    os.chmod(folder, 0o777)
    again = run_akscan("git", str(repo.path), "--format", "json", env=env)
    assert again.code == 1 and key_id in again.out
    assert "history cache not used" in again.err and "written by other users" in again.err
    os.chmod(folder, 0o700)  # its own again: the planted list is read (the test's control)
    trusted = run_akscan("git", str(repo.path), "--format", "json", env=env)
    assert trusted.code == 0


def test_a_rewritten_history_is_never_credited_with_a_commit_it_lost(tmp_path: Path, keys: FakeKeys) -> None:
    repo = Repo(tmp_path / "repo")
    key_id = keys.alibaba_id()
    repo.commit("init", readme="hi\n")
    repo.commit("leak", app_py=f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    first = json.loads(run_akscan("git", str(repo.path), "--format", "json").out)
    old = first["findings"][0]["git"]["commit"]
    repo.git("commit", "-q", "--amend", "-m", "leak, reworded")
    repo.git("reflog", "expire", "--expire=now", "--all")
    repo.git("gc", "-q", "--prune=now")
    new = repo.head()
    again = json.loads(run_akscan("git", str(repo.path), "--format", "json").out)
    (finding,) = again["findings"]
    assert old != new and finding["git"]["commit"] == new


def test_objects_arriving_in_an_alternate_store_are_seen_by_a_cached_run(tmp_path: Path, keys: FakeKeys) -> None:
    origin = Repo(tmp_path / "origin")
    origin.commit("init", readme="hi\n")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--shared", str(origin.path), str(clone)], check=True)
    assert run_akscan("git", str(clone), "--format", "json").code == 0
    key_id = keys.alibaba_id()
    origin.commit("leak", app_py=f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    cached = run_akscan("git", str(clone), "--format", "json")
    cold = run_akscan("git", str(clone), "--format", "json", "--no-cache")
    assert key_id in cold.out  # the clone sees the alternate's objects (unreachable from its refs)
    assert cached.code == 1 and key_id in cached.out


def test_an_include_path_to_a_fifo_is_refused_before_git_runs(tmp_path: Path, keys: FakeKeys) -> None:
    """include.path naming a FIFO blocks every git command until git's time limit (10 minutes): the
    repository is refused in one line, at once, by `akscan git` and `akscan hook` alike."""
    import os
    import time

    repo = Repo(tmp_path / "repo")
    repo.commit("leak", app_py=f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    os.mkfifo(tmp_path / "pipe")
    with (repo.path / ".git" / "config").open("a") as config:
        config.write(f'[include]\n\tpath = "{tmp_path / "pipe"}"\n')
    for args, cwd in ((("git", str(repo.path)), None), (("hook",), repo.path)):
        started = time.monotonic()
        result = run_akscan(*args, cwd=cwd, process=True, timeout=60)
        assert time.monotonic() - started < 20
        assert result.code == 2 and "not a regular file" in result.err, result.err


def test_git_quoted_paths_are_reported_as_named(tmp_path: Path, keys: FakeKeys) -> None:
    """git log --raw C-quotes a name with a quote or a control character whatever core.quotePath says."""
    repo = Repo(tmp_path / "repo")
    key_id = keys.alibaba_id()
    repo.commit("leak", **{'a"b_env': f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n"})
    document = json.loads(run_akscan("git", str(repo.path), "--format", "json", "--no-cache").out)
    (finding,) = document["findings"]
    assert finding["path"] == 'a"b_env' and finding["git"]["paths"] == ['a"b_env']


def test_which_repository_is_audited_is_said(tmp_path: Path, keys: FakeKeys) -> None:
    """A `.git` file pointing at a repository elsewhere on the machine: the audit names the one it reads;
    a folder that spells a URL is never audited in the URL's place."""
    elsewhere = Repo(tmp_path / "elsewhere")
    elsewhere.commit("x", readme="hi\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".git").write_text(f"gitdir: {elsewhere.path / '.git'}\n")
    result = run_akscan("git", str(tree), "--format", "json")
    assert "is a repository stored at" in result.err and str(elsewhere.path) in result.err
    ambiguous = tmp_path / "git@host.example:team"
    ambiguous.mkdir()
    refused = run_akscan("git", "git@host.example:team", cwd=tmp_path)
    assert refused.code == 2 and "both an ssh URL and a local path" in refused.err
