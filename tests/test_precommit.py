"""The real pre-commit framework against this repository's .pre-commit-hooks.yaml: it builds the hook's
own virtualenv from a snapshot of this checkout (as a user's pre-commit would from a tag), installs the
git hook, and runs real commits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pre_commit  # noqa: F401 - a test extra: fail loudly if missing, never skip
import pytest

from tests.conftest import REPO
from tests.gitrepo import ENV, Repo
from tests.keys import FakeKeys

SNAPSHOT = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "scanner", "rules", "schema")


def _pre_commit() -> list[str]:
    return [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    """A git repository holding a snapshot of this checkout, and the pre-commit home to share."""
    source = tmp_path_factory.mktemp("akscan-hook-source")
    for name in SNAPSHOT:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "_rules"))
        else:
            shutil.copy2(origin, source / name)
    repo = Repo(source)
    rev = repo.commit("snapshot")
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = {**os.environ, **ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    return source, rev, env


def make_project(folder: Path, hook_source: tuple[Path, str, dict[str, str]], hook_lines: str = "") -> Repo:
    """A repository whose .pre-commit-config.yaml uses this checkout's hook (``hook_lines`` are added to
    the hook's entry, indented), with the git hook installed."""
    source, rev, env = hook_source
    repo = Repo(folder)
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: akscan\n{hook_lines}",
    )
    repo.git("add", ".pre-commit-config.yaml")
    subprocess.run([*_pre_commit(), "install"], cwd=repo.path, env=env, check=True, capture_output=True)
    return repo


@pytest.fixture
def project(tmp_path: Path, hook_source: tuple[Path, str, dict[str, str]]) -> tuple[Repo, dict[str, str]]:
    return make_project(tmp_path / "project", hook_source), hook_source[2]


def commit(repo: Repo, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", message], cwd=repo.path, env=env, capture_output=True, text=True, timeout=600
    )


def test_commit_adding_a_key_is_refused(project: tuple[Repo, dict[str, str]], keys: FakeKeys) -> None:
    repo, env = project
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.write("app.py", f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    repo.git("add", "app.py")
    result = commit(repo, env, "add client")
    assert result.returncode != 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "akscan" in output and key_id in output and "app.py" in output
    assert secret not in output
    assert (
        subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=repo.path, capture_output=True).returncode
        != 0
    )  # nothing was committed


def test_clean_commit_passes(project: tuple[Repo, dict[str, str]]) -> None:
    repo, env = project
    repo.write("app.py", "auth = load_credentials_from_env()\n")
    repo.git("add", "app.py")
    result = commit(repo, env, "clean")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout + result.stderr


def test_allowlisted_line_passes(project: tuple[Repo, dict[str, str]], keys: FakeKeys) -> None:
    repo, env = project
    repo.write("docs.py", f"EXAMPLE = '{keys.alibaba_id()}'  # akscan:allow documented dummy\n")
    repo.git("add", "docs.py")
    result = commit(repo, env, "docs")
    assert result.returncode == 0, result.stdout + result.stderr


def test_run_files_and_all_files(project: tuple[Repo, dict[str, str]], keys: FakeKeys) -> None:
    repo, env = project
    repo.write("clean.py", "x = 1\n")
    key_id = keys.alibaba_id()
    repo.write("leaky.py", f"AK = '{key_id}'\nSK = '{keys.alibaba_secret()}'\n")
    repo.git("add", "-A")
    run = [*_pre_commit(), "run", "akscan"]
    clean = subprocess.run([*run, "--files", "clean.py"], cwd=repo.path, env=env, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout
    leaky = subprocess.run([*run, "--files", "leaky.py"], cwd=repo.path, env=env, capture_output=True, text=True)
    assert leaky.returncode != 0 and key_id in leaky.stdout
    everything = subprocess.run([*run, "--all-files"], cwd=repo.path, env=env, capture_output=True, text=True)
    assert everything.returncode != 0 and key_id in everything.stdout and "leaky.py" in everything.stdout


def _option_like_names() -> list[str]:
    """A file name for every way the hook's command line could be hijacked: each option of `akscan
    hook` (and of the top-level command) alone and with a value, plus the end-of-options marker."""
    from akscan.cli import cli
    from akscan.cli.hook import command as hook

    # Not "--" itself: sorted first, it would end the options and hide the very bug this test is for.
    names = {"-dash.py", "--verify", "--fail-on=critical", "--no-redact", "--output=stolen.txt"}
    for command in (cli, hook):
        for param in command.params:
            for flag in (*param.opts, *param.secondary_opts):
                if flag.startswith("-"):
                    names.add(flag)
                    if flag.startswith("--"):
                        names.add(f"{flag}=critical")
    return sorted(names)


def test_file_names_are_never_options(project: tuple[Repo, dict[str, str]], keys: FakeKeys) -> None:
    repo, env = project
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    names = _option_like_names()
    assert {"--fail-on=critical", "--no-redact", "-o", "--format=critical", "--quiet"} <= set(names)
    for name in names:
        repo.write(name, "harmless\n")
    repo.write("app.py", f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    repo.git("add", "-A")
    result = commit(repo, env, "names that look like options")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output  # --fail-on=critical as a file name must not let a HIGH pair pass
    assert key_id in output and "app.py" in output
    assert secret not in output  # --no-redact as a file name must not print the secret
    assert "Usage:" not in output and "No such option" not in output
    assert not (repo.path / "stolen.txt").exists()  # `--output=stolen.txt` named a file, not a report
    for name in names:  # and no staged file was overwritten by a report
        assert (repo.path / name).read_text() == "harmless\n"


def test_options_given_as_args_are_refused_with_a_fix(
    tmp_path: Path, hook_source: tuple[Path, str, dict[str, str]], keys: FakeKeys
) -> None:
    env = hook_source[2]
    repo = make_project(tmp_path / "args", hook_source, "        args: [--fail-on=critical]\n")
    repo.write("clean.py", "x = 1\n")
    repo.git("add", "clean.py")
    result = commit(repo, env, "misconfigured")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "'--fail-on=critical' was given as a file name" in output and "entry: akscan hook" in output


def test_override_entry_passes_options(
    tmp_path: Path, hook_source: tuple[Path, str, dict[str, str]], keys: FakeKeys
) -> None:
    env = hook_source[2]
    repo = make_project(tmp_path / "entry", hook_source, "        entry: akscan hook --fail-on critical --\n")
    repo.write("lone.py", f"ID = '{keys.alibaba_id()}'\n")  # a lone key ID: low severity
    repo.git("add", "lone.py")
    result = commit(repo, env, "low only")
    assert result.returncode == 0, result.stdout + result.stderr


def test_forty_staged_files_give_one_verdict(project: tuple[Repo, dict[str, str]], keys: FakeKeys) -> None:
    repo, env = project
    for index in range(40):
        repo.write(f"mod{index:02}.py", f"value = {index}\n")
    key_id = keys.alibaba_id()
    repo.write("mod39.py", f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")  # sorted last
    repo.git("add", "-A")
    result = commit(repo, env, "forty files")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and key_id in output
    summaries = [line for line in output.splitlines() if " in " in line and "scanned in" in line]
    assert len(summaries) == 1 and summaries[0].startswith("1 finding"), summaries  # one process, one answer


def _baseline_command(output: str) -> list[str]:
    """The baseline command the refusal message names, as the user would copy it."""
    import re
    import shlex

    match = re.search(r"`([^`]*baseline create)`", output)
    assert match, output
    return shlex.split(match.group(1))


def test_the_refusal_names_a_baseline_command_that_works_and_the_hook_applies_it(
    project: tuple[Repo, dict[str, str]], keys: FakeKeys
) -> None:
    """Under pre-commit akscan lives in pre-commit's own virtualenv, not on PATH: the command the refusal
    gives must run as printed, and the baseline it writes must then let the commit through."""
    repo, env = project
    key_id = keys.alibaba_id()
    repo.write("fixture.py", f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')  # a test double\n")
    repo.git("add", "fixture.py")
    refused = commit(repo, env, "fixture")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and key_id in output
    command = _baseline_command(output)
    path_without_akscan = {**env, "PATH": "/usr/bin:/bin"}
    made = subprocess.run(command, cwd=repo.path, env=path_without_akscan, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    repo.git("add", ".akscan-baseline.json")
    accepted = commit(repo, env, "fixture, with its baseline")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "akscan: baseline:" in accepted.stdout + accepted.stderr  # said, as a config is


def test_a_commit_touching_a_committed_key_passes_with_a_warning(
    tmp_path: Path, hook_source: tuple[Path, str, dict[str, str]], keys: FakeKeys
) -> None:
    env = hook_source[2]
    repo = make_project(tmp_path / "touch", hook_source)
    key_id = keys.alibaba_id()
    repo.write("settings.py", f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "an old leak, before the hook")
    repo.write("settings.py", (repo.path / "settings.py").read_text() + "DEBUG = False\n")
    repo.git("add", "settings.py")
    result = commit(repo, env, "touch settings")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "already committed at HEAD" in output and key_id in output and "UpdateAccessKey" in output
    strict = make_project(tmp_path / "strict", hook_source, "        entry: akscan hook --block-committed --\n")
    strict.write("settings.py", f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    strict.git("add", "-A")
    strict.git("commit", "-q", "--no-verify", "-m", "old")
    strict.write("settings.py", (strict.path / "settings.py").read_text() + "DEBUG = False\n")
    strict.git("add", "settings.py")
    assert commit(strict, env, "touch").returncode != 0
