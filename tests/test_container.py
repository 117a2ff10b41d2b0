"""The Dockerfile and the GitHub Action, run as far as this machine can: no container engine runs here,
so the Dockerfile is linted and its install step (a wheel of this checkout, installed with pip, the
`akscan` entry point run on a real repository) is run in a virtual environment; the Action's scan step
is run as the script it is, with its inputs as the environment the Action gives it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, akscan_command
from tests.gitrepo import ENV, Repo
from tests.keys import FakeKeys


def _instructions() -> list[tuple[str, str]]:
    lines = []
    pending = ""
    for raw in (REPO / "Dockerfile").read_text().splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        pending += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            keyword, _, rest = pending.strip().partition(" ")
            lines.append((keyword.upper(), rest))
            pending = ""
    return lines


def test_dockerfile_lint() -> None:
    instructions = _instructions()
    keywords = [k for k, _ in instructions]
    assert set(keywords) <= {"FROM", "WORKDIR", "COPY", "RUN", "USER", "ENTRYPOINT", "CMD", "ENV", "LABEL"}
    for keyword, rest in instructions:
        if keyword == "FROM":
            image = rest.split()[0]
            assert ":" in image and not image.endswith(":latest"), f"pin the base image: {rest}"
        if keyword == "RUN" and "apt-get install" in rest:
            assert "--no-install-recommends" in rest and "rm -rf /var/lib/apt/lists/*" in rest
        if keyword == "COPY" and "--from" not in rest:
            for source in rest.split()[:-1]:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    final = keywords[len(keywords) - 1 - keywords[::-1].index("FROM") :]
    user = next(rest for keyword, rest in instructions[len(keywords) - len(final) :] if keyword == "USER")
    assert user not in ("root", "0")
    assert final.index("USER") < final.index("ENTRYPOINT")  # the tool itself never runs as root
    assert ("ENTRYPOINT", '["akscan"]') in instructions
    assert not any(keyword == "ADD" for keyword in keywords)


def test_dockerfile_install_step_runs_in_a_venv(tmp_path: Path, keys: FakeKeys) -> None:
    # The image's build stage: a wheel of this checkout ...
    code = f"import hatchling.build as h; print(h.build_wheel({str(tmp_path / 'wheels')!r}))"
    built = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    wheel = tmp_path / "wheels" / built.stdout.strip().splitlines()[-1]
    assert "akscan/_rules/alibaba.toml" in zipfile.ZipFile(wheel).namelist()
    # ... installed with pip from local files only (the dependencies come from this environment here,
    # from the wheel folder in the image), then the entry point on a mounted repository.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    import sysconfig

    inner = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # This environment's packages stand in for the image's wheel folder: appended to sys.path, with no
    # .pth of theirs processed, so the checkout (an editable install here) stays out of the way.
    (inner / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet"]
    install += ["--no-deps", "--no-index", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    repo = Repo(tmp_path / "src")
    key_id = keys.alibaba_id()
    repo.commit("leak", app_py=f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run = subprocess.run(
        [str(venv / "bin" / "akscan"), "git", str(repo.path), "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1 and key_id in run.stdout, run.stderr
    assert (
        str(venv)
        in subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import akscan; print(akscan.__file__)"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )  # the installed copy ran, not this checkout


def _action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text())


def test_action_inputs_are_documented() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
    uses = [step.get("uses", "") for step in action["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)


def _scan_step() -> dict:
    return next(step for step in _action()["runs"]["steps"] if step.get("name") == "Scan")


def run_action(repo: Repo, extra_env: dict[str, str] | None = None, **inputs: str) -> tuple[int, dict, str]:
    step = _scan_step()
    defaults = {name: str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    values = {**defaults, **{k.replace("_", "-"): v for k, v in inputs.items()}}
    outside = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI_"))}
    env = {**outside, **ENV, "PYTHONPATH": str(REPO / "scanner"), **(extra_env or {})}
    if "range" not in inputs and not extra_env:
        values["range"] = "all"  # no event here: a local run of the whole history
    for name, expression in step["env"].items():  # ${{ inputs.x }} as GitHub fills it in
        env[name] = values[expression.split("inputs.", 1)[1].rstrip("} ").strip()]
    command = akscan_command()
    folder = repo.path.parent / "bin"
    folder.mkdir(exist_ok=True)
    (folder / "akscan").write_text(f'#!/bin/sh\nexec {" ".join(command)} "$@"\n')
    (folder / "akscan").chmod(0o755)
    env["PATH"] = f"{folder}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo.path, env=env, capture_output=True, text=True)
    sarif_path = repo.path / values["sarif"]
    sarif = json.loads(sarif_path.read_text())
    sarif_path.unlink()
    return proc.returncode, sarif, proc.stderr


def _keys_in(sarif: dict) -> set[str]:
    return {r["properties"]["keyId"] for r in sarif["runs"][0]["results"]}


@pytest.fixture
def history(tmp_path: Path, keys: FakeKeys) -> tuple[Repo, str, str, str]:
    repo = Repo(tmp_path / "repo")
    (repo.path / ".git" / "info" / "exclude").write_text("*.sarif\n")
    old_id = keys.alibaba_id()
    base = repo.commit("old", settings_py=f"auth = oss2.Auth('{old_id}', '{keys.alibaba_secret()}')\n")
    new_id = keys.alibaba_id()
    repo.commit("new", app_py=f"auth = oss2.Auth('{new_id}', '{keys.alibaba_secret()}')\n")
    return repo, base, old_id, new_id


def test_action_scans_a_range_the_history_and_the_files(history: tuple[Repo, str, str, str]) -> None:
    repo, base, old_id, new_id = history
    code, sarif, _ = run_action(repo, range=f"{base}..HEAD")
    states = {r["properties"]["keyId"]: r["baselineState"] for r in sarif["runs"][0]["results"]}
    assert code == 1 and states == {new_id: "new", old_id: "unchanged"}
    code, sarif, _ = run_action(repo)
    assert code == 1 and _keys_in(sarif) == {old_id, new_id}
    code, sarif, _ = run_action(repo, command="scan", sarif="files.sarif")
    assert code == 1 and _keys_in(sarif) == {old_id, new_id}
    code, sarif, _ = run_action(repo, range="all")
    assert code == 1 and _keys_in(sarif) == {old_id, new_id}
    # the default, auto: a pull request's event (it has no "before") gives its base..head
    event = repo.path.parent / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": base}, "head": {"sha": repo.head()}}}))
    github = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}
    code, sarif, err = run_action(repo, extra_env={**github, "GITHUB_SHA": repo.head()})
    assert code == 1 and "pull request" in err
    assert {r["properties"]["keyId"]: r["baselineState"] for r in sarif["runs"][0]["results"]} == {
        new_id: "new",
        old_id: "unchanged",
    }


def test_action_applies_the_baseline_and_fail_on(history: tuple[Repo, str, str, str]) -> None:
    repo, _, _, _ = history
    env = {**os.environ, "PYTHONPATH": str(REPO / "scanner")}
    create = [*akscan_command(), "baseline", "create", ".", "--baseline", "known.json"]
    subprocess.run(create, cwd=repo.path, env=env, check=True, capture_output=True)
    code, sarif, _ = run_action(repo, baseline="known.json")
    assert code == 0 and _keys_in(sarif) == set()
    code, _, _ = run_action(repo, fail_on="critical")
    assert code == 0  # high findings, a critical gate


def _step(name: str) -> dict:
    return next(step for step in _action()["runs"]["steps"] if step.get("name") == name)


def test_action_installs_akscan_in_a_virtualenv_of_its_own(tmp_path: Path, keys: FakeKeys) -> None:
    """The runner's system Python refuses `pip install` (PEP 668): the Install step makes a virtualenv in
    RUNNER_TEMP, installs there, and puts its bin/ on GITHUB_PATH for the Scan step. Run as GitHub runs it,
    with a wheel of this checkout as the action's path and this environment's packages as the index."""
    code = f"import hatchling.build as h; print(h.build_wheel({str(tmp_path / 'wheels')!r}))"
    built = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    wheel = tmp_path / "wheels" / built.stdout.strip().splitlines()[-1]
    runner_temp, github_path = tmp_path / "runner-temp", tmp_path / "github-path"
    runner_temp.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_PATH": str(github_path),
        "GITHUB_ACTION_PATH": str(wheel),
        "PIP_NO_DEPS": "1",  # no registry in a test: the dependencies come from this environment below
        "PIP_NO_INDEX": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    install = subprocess.run(
        ["bash", "-e", "-c", _step("Install akscan")["run"]], env=env, capture_output=True, text=True, timeout=300
    )
    assert install.returncode == 0, install.stderr
    (added,) = github_path.read_text().splitlines()
    venv_bin = Path(added)
    assert venv_bin.parent.parent == runner_temp and (venv_bin / "akscan").exists()
    purelib = subprocess.run(
        [str(venv_bin / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    import sysconfig

    (Path(purelib) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    repo = Repo(tmp_path / "src")
    key_id = keys.alibaba_id()
    repo.commit("leak", app_py=f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    scan_env = {**env, "PATH": f"{venv_bin}{os.pathsep}/usr/bin:/bin"}
    run = subprocess.run(
        ["akscan", "git", ".", "--format", "json"], cwd=repo.path, env=scan_env, capture_output=True, text=True
    )
    assert run.returncode == 1 and key_id in run.stdout, run.stderr


def test_action_uses_current_action_versions() -> None:
    uses = {
        step["uses"].split("@")[0]: step["uses"].split("@")[1] for step in _action()["runs"]["steps"] if "uses" in step
    }
    assert uses["github/codeql-action/upload-sarif"] == "v4"
    readme = (REPO / "README.md").read_text()
    for stale in ("actions/checkout@v4", "actions/setup-python@v5", "upload-sarif@v3", "@v0.1.0"):
        assert stale not in readme, stale
