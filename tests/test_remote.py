"""``akscan git URL``: a repository served over file://, git:// (git daemon) and smart HTTP (git
http-backend), all on this machine, mirrored into akscan's cache and updated on the next run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from akscan.sources.remote import is_url, mirror_dir, shown_url
from tests.conftest import run_akscan
from tests.git_servers import GitDaemon, GitHttp
from tests.gitrepo import Repo
from tests.keys import FakeKeys


def _served(tmp_path: Path, keys: FakeKeys) -> tuple[Repo, str]:
    repo = Repo(tmp_path / "served" / "project")
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.commit("add client", app_py=f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    repo.commit("remove", app_py="auth = from_env()\n")
    return repo, key_id


def _audit(url: str, cache: Path) -> dict:
    result = run_akscan("git", url, "--format", "json", env={"AKSCAN_CACHE_DIR": str(cache)}, process=True)
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def test_file_url_is_mirrored_and_updated(tmp_path: Path, keys: FakeKeys) -> None:
    repo, first_key = _served(tmp_path, keys)
    url = repo.path.as_uri()
    cache = tmp_path / "cache"
    document = _audit(url, cache)
    assert [f["key_id"] for f in document["findings"]] == [first_key]
    assert document["summary"]["git"]["repository"] == url
    assert Path(document["summary"]["git"]["mirror"]).is_relative_to(cache / "mirrors")
    # A new commit and a new branch on the remote: the next run fetches them.
    later_id, later_secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature", cfg_ini=f"access_key_id = {later_id}\naccess_key_secret = {later_secret}\n")
    document = _audit(url, cache)
    assert {f["key_id"] for f in document["findings"]} == {first_key, later_id}
    # A branch deleted on the remote is pruned from the mirror; its commit stays as an unreachable object.
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "feature")
    document = _audit(url, cache)
    later = next(f for f in document["findings"] if f["key_id"] == later_id)
    assert later["git"]["refs"] == []


def test_git_daemon_url(tmp_path: Path, keys: FakeKeys) -> None:
    _, key_id = _served(tmp_path, keys)
    server = GitDaemon(tmp_path / "served")
    try:
        document = _audit(server.url("project"), tmp_path / "cache")
    finally:
        server.stop()
    assert [f["key_id"] for f in document["findings"]] == [key_id]
    assert document["summary"]["git"]["repository"].startswith("git://127.0.0.1:")


def test_smart_http_url_never_shows_or_stores_its_credentials(tmp_path: Path, keys: FakeKeys) -> None:
    _, key_id = _served(tmp_path, keys)
    server = GitHttp(tmp_path / "served")
    token = "ghp_" + "x7" * 18
    cache = tmp_path / "cache"
    try:
        url = server.url("project", credentials=f"ci:{token}@")
        result = run_akscan("git", url, "--format", "json", env={"AKSCAN_CACHE_DIR": str(cache)}, process=True)
        again = run_akscan("git", url, "--format", "html", env={"AKSCAN_CACHE_DIR": str(cache)}, process=True)
    finally:
        server.stop()
    assert any("git-upload-pack" in r for r in server.requests)  # smart HTTP, not a local shortcut
    document = json.loads(result.out)
    assert [f["key_id"] for f in document["findings"]] == [key_id]
    assert document["summary"]["git"]["repository"] == server.url("project")
    for text in (result.out, result.err, again.out, again.err):
        assert token not in text
    for folder, _, files in os.walk(cache):
        for name in files:
            assert token.encode() not in (Path(folder) / name).read_bytes(), name


def test_unreachable_server_and_bad_scheme_are_one_line_errors(tmp_path: Path) -> None:
    from tests.git_servers import free_port

    result = run_akscan("git", f"git://127.0.0.1:{free_port()}/nothing", env={"AKSCAN_CACHE_DIR": str(tmp_path)})
    assert result.code == 2 and "cannot mirror git://127.0.0.1:" in result.err
    assert len(result.err.strip().splitlines()) <= 2  # the "mirroring" note and the error
    result = run_akscan("git", "ftp://127.0.0.1/repo.git", env={"AKSCAN_CACHE_DIR": str(tmp_path)})
    assert result.code == 2 and "unsupported URL scheme 'ftp'" in result.err
    # git's transport::address form can run a command (ext::): never a URL to akscan.
    result = run_akscan("git", "ext::sh -c touch% /tmp/akscan-pwned", env={"AKSCAN_CACHE_DIR": str(tmp_path)})
    assert result.code == 2 and not Path("/tmp/akscan-pwned").exists()


def test_url_helpers() -> None:
    assert is_url("https://github.com/a/b.git") and is_url("git@github.com:a/b.git") and is_url("file:///srv/r")
    assert not is_url("./repo") and not is_url("ext::sh -c x") and not is_url("C:repo")
    assert shown_url("https://user:secret@host.example/a.git") == "https://host.example/a.git"
    assert shown_url("https://token@host.example:8443/a.git") == "https://host.example:8443/a.git"
    assert shown_url("ssh://git@host.example/a.git") == "ssh://git@host.example/a.git"
    assert mirror_dir("https://u:p@h.example/a.git", Path("/c")) == mirror_dir("https://h.example/a.git", Path("/c"))


def test_a_malformed_url_is_a_clear_error_that_keeps_its_token_hidden(tmp_path: Path) -> None:
    token = "glpat-" + "z9" * 10
    for url in (f"http://ci:{token}@127.0.0.1:notaport/repo.git", f"https://{token}@[::1/repo.git"):
        result = run_akscan("git", url, env={"AKSCAN_CACHE_DIR": str(tmp_path)})
        assert result.code == 2 and "cannot mirror" in result.err and "internal error" not in result.err
        assert token not in result.out + result.err
    assert shown_url("ssh://deploy:pw@host.example:22/a.git") == "ssh://deploy@host.example:22/a.git"


def test_a_urls_token_never_reaches_a_command_line(tmp_path: Path, keys: FakeKeys) -> None:
    """Every user of the machine can read a process's argv (`ps`): the token of https://user:token@host/…
    reaches git through a credential helper and the environment. A server that demands the credentials
    (401 without them) still serves the clone and the later fetch; a git that logs its argv never sees it."""
    _, key_id = _served(tmp_path, keys)
    token = "glpat-" + "q8" * 12
    server = GitHttp(tmp_path / "served", basic_auth=f"ci:{token}")
    shims = tmp_path / "shims"
    shims.mkdir()
    argv_log = tmp_path / "argv.log"
    real_git = shutil.which("git")
    (shims / "git").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{argv_log}"\nexec "{real_git}" "$@"\n')
    (shims / "git").chmod(0o755)
    env = {"AKSCAN_CACHE_DIR": str(tmp_path / "cache"), "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    try:
        url = server.url("project", credentials=f"ci:{token}@")
        first = run_akscan("git", url, "--format", "json", env=env, process=True)
        again = run_akscan("git", url, "--format", "json", env=env, process=True)  # a fetch this time
        denied = run_akscan("git", server.url("project"), env={**env, "AKSCAN_CACHE_DIR": str(tmp_path / "c2")})
    finally:
        server.stop()
    assert first.code == 1 and key_id in first.out, first.err
    assert again.code == 1 and key_id in again.out, again.err
    assert denied.code == 2  # without the credentials the server refuses: they were really used above
    logged = argv_log.read_text()
    assert "clone" in logged and "fetch" in logged and token not in logged


def test_fleet_result_names_are_not_hashes_of_a_token() -> None:
    from akscan.runs.fleet_task import spec_key

    with_token = spec_key("https://ci:glpat-secret@host.example/a/b.git")
    assert with_token == spec_key("https://host.example/a/b.git") == spec_key("https://other:x@host.example/a/b.git")
