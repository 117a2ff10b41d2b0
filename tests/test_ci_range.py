"""``--range auto``: each CI event scans what it adds, never nothing.

Real repositories with a main branch (also as ``origin/main``, as a CI clone has it), a feature branch
with a key, and GitHub event files / GitLab variables as each platform writes them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys

ZEROS = "0" * 40
# Variables a CI runner sets that must not leak into the test from the machine running it.
CI_VARIABLES = [
    name for name in os.environ if name.startswith(("GITHUB_", "CI_")) or name in ("GITLAB_CI", "GITHUB_ACTIONS", "CI")
]


@pytest.fixture(autouse=True)
def _no_ci_of_our_own(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


class Project:
    """main holds an old key; the feature branch adds a new one."""

    def __init__(self, tmp_path: Path, keys: FakeKeys) -> None:
        self.repo = Repo(tmp_path / "repo")
        self.old_id, self.new_id = keys.alibaba_id(), keys.alibaba_id()
        self.first = self.repo.commit(
            "old", settings_py=f"auth = oss2.Auth('{self.old_id}', '{keys.alibaba_secret()}')\n"
        )
        self.main = self.repo.commit("docs", readme="hello\n")
        self.repo.git("update-ref", "refs/remotes/origin/main", self.main)
        self.repo.git("checkout", "-q", "-b", "feature")
        self.head = self.repo.commit(
            "feature", app_py=f"auth = oss2.Auth('{self.new_id}', '{keys.alibaba_secret()}')\n"
        )
        self.events = tmp_path / "event.json"

    def github(self, name: str, event: dict, ref: str = "refs/heads/feature") -> dict[str, str]:
        self.events.write_text(json.dumps(event))
        return {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": name,
            "GITHUB_EVENT_PATH": str(self.events),
            "GITHUB_SHA": self.head,
            "GITHUB_REF": ref,
        }

    def scan(self, env: dict[str, str]) -> tuple[int, set[str], str]:
        result = run_akscan("git", str(self.repo.path), "--range", "auto", "--format", "json", env=env)
        assert result.code in (0, 1), result.err
        return result.code, {f["key_id"] for f in json.loads(result.out)["findings"]}, result.err


@pytest.fixture
def project(tmp_path: Path, keys: FakeKeys) -> Project:
    return Project(tmp_path, keys)


def test_github_pull_request_scans_base_to_head(project: Project) -> None:
    # before is missing from a pull_request event: the range comes from the pull request itself
    event = {"pull_request": {"base": {"sha": project.main}, "head": {"sha": project.head}}}
    code, found, err = project.scan(project.github("pull_request", event))
    assert code == 1 and project.new_id in found and "pull request" in err
    pr_target = project.scan(project.github("pull_request_target", event))
    assert pr_target[0] == 1 and project.new_id in pr_target[1]


def test_github_push_scans_before_to_after(project: Project) -> None:
    event = {"before": project.main, "after": project.head, "repository": {"default_branch": "main"}}
    code, found, err = project.scan(project.github("push", event))
    assert code == 1 and project.new_id in found and f"{project.main[:12]}..{project.head[:12]}" in err


def test_github_first_push_of_a_branch_compares_with_the_default_branch(project: Project) -> None:
    event = {"before": ZEROS, "after": project.head, "repository": {"default_branch": "main"}}
    code, found, err = project.scan(project.github("push", event))
    assert code == 1 and project.new_id in found and "origin/main" in err
    # the range is feature's own commits: the key main already had is no new leak of this push
    result = run_akscan(
        "git", str(project.repo.path), "--range", "auto", "--format", "json", env=project.github("push", event)
    )
    fresh = [f for f in json.loads(result.out)["findings"] if not f["git"].get("present_before_range")]
    assert {f["key_id"] for f in fresh} == {project.new_id}


def test_github_first_push_of_a_repository_scans_everything(project: Project) -> None:
    project.repo.git("update-ref", "-d", "refs/remotes/origin/main")
    event = {"before": ZEROS, "after": project.head, "repository": {"default_branch": "main"}}
    code, found, err = project.scan(project.github("push", event))
    assert code == 1 and found == {project.old_id, project.new_id} and "whole history" in err


def test_github_schedule_scans_everything(project: Project) -> None:
    code, found, err = project.scan(project.github("schedule", {"schedule": "0 3 * * *"}))
    assert code == 1 and found == {project.old_id, project.new_id} and "whole history" in err


def test_github_broken_event_files_are_one_line_errors(project: Project) -> None:
    env = project.github("pull_request", {"pull_request": {"base": {}}})
    result = run_akscan("git", str(project.repo.path), "--range", "auto", env=env)
    assert result.code == 2 and "names no base commit" in result.err
    project.events.write_text("{not json")
    result = run_akscan("git", str(project.repo.path), "--range", "auto", env=env)
    assert result.code == 2 and "cannot read GitHub's event file" in result.err


def test_gitlab_merge_request_and_push(project: Project) -> None:
    mr = {"GITLAB_CI": "true", "CI_COMMIT_SHA": project.head, "CI_MERGE_REQUEST_DIFF_BASE_SHA": project.main}
    code, found, err = project.scan(mr)
    assert code == 1 and project.new_id in found and "merge request" in err
    push = {"GITLAB_CI": "true", "CI_COMMIT_SHA": project.head, "CI_COMMIT_BEFORE_SHA": project.main}
    code, found, err = project.scan({**push, "CI_PIPELINE_SOURCE": "push"})
    assert code == 1 and project.new_id in found and "push" in err
    new_branch = {**push, "CI_COMMIT_BEFORE_SHA": ZEROS, "CI_DEFAULT_BRANCH": "main", "CI_COMMIT_BRANCH": "feature"}
    code, found, err = project.scan(new_branch)
    assert code == 1 and project.new_id in found and "origin/main" in err
    code, found, err = project.scan({**push, "CI_PIPELINE_SOURCE": "schedule"})
    assert found == {project.old_id, project.new_id} and "whole history" in err


def test_auto_outside_ci_is_a_usage_error(project: Project) -> None:
    result = run_akscan("git", str(project.repo.path), "--range", "auto")
    assert result.code == 2 and "no CI event here" in result.err


@pytest.mark.parametrize(
    "switch_off",
    [
        '[[rule_allowlist]]\npaths = ["**"]\n',
        'exclude = ["*"]\n',
        '[[rule_allowlist]]\nlines = ["(a|aa)+$"]\n',
        'disable_rules = ["alibaba-access-key"]\n',
    ],
)
def test_a_pull_request_cannot_switch_off_its_own_gate(project: Project, switch_off: str) -> None:
    """A pull request that adds a key and a config to hide it is judged by its base's config."""
    project.repo.write(".akscan.toml", switch_off)
    project.head = project.repo.commit("quiet, please", **{})  # the key is already on the branch
    event = {"pull_request": {"base": {"sha": project.main}, "head": {"sha": project.head}}}
    code, found, err = project.scan(project.github("pull_request", event))
    assert code == 1 and project.new_id in found, err
    assert "changes .akscan.toml" in err and "base's" in err


def test_a_pull_request_cannot_baseline_its_own_key(project: Project) -> None:
    import json as json_module

    audit = run_akscan("git", str(project.repo.path), "--format", "json", "--no-config")
    report = project.repo.path.parent / "audit.json"
    report.write_text(audit.out)
    made = run_akscan(
        "baseline", "create", "--from", str(report), "--baseline", str(project.repo.path / ".akscan-baseline.json")
    )
    assert made.code == 0
    project.head = project.repo.commit("baseline everything")
    event = {"pull_request": {"base": {"sha": project.main}, "head": {"sha": project.head}}}
    code, found, err = project.scan(project.github("pull_request", event))
    assert code == 1 and project.new_id in found and "changes .akscan-baseline.json" in err
    # on a push (a maintainer's), the repository's own baseline applies
    push = {"before": project.main, "after": project.head, "repository": {"default_branch": "main"}}
    result = run_akscan(
        "git", str(project.repo.path), "--range", "auto", "--format", "json", env=project.github("push", push)
    )
    assert result.code == 0 and json_module.loads(result.out)["summary"]["suppressed"]["baseline"] >= 1


def test_the_base_config_still_applies_to_a_pull_request(project: Project) -> None:
    """What the base allows (a documented test key), the pull request may carry."""
    project.repo.git("checkout", "-q", "main")
    project.repo.write(".akscan.toml", f'[allowlist]\nkey_ids = ["{project.new_id}"]\n')
    project.main = project.repo.commit("allow the documented test key")
    project.repo.git("checkout", "-q", "feature")
    project.repo.git("merge", "-q", "--no-edit", "main")
    project.head = project.repo.head()
    event = {"pull_request": {"base": {"sha": project.main}, "head": {"sha": project.head}}}
    code, found, err = project.scan(project.github("pull_request", event))
    assert code == 0 and project.new_id not in found and "changes" not in err


def test_a_gitlab_merge_request_is_judged_by_its_base_config(project: Project) -> None:
    project.repo.write(".akscan.toml", '[[rule_allowlist]]\npaths = ["**"]\n')
    project.head = project.repo.commit("quiet")
    mr = {"GITLAB_CI": "true", "CI_COMMIT_SHA": project.head, "CI_MERGE_REQUEST_DIFF_BASE_SHA": project.main}
    code, found, err = project.scan(mr)
    assert code == 1 and project.new_id in found and "changes .akscan.toml" in err
