"""``--range auto``: what a CI job's push, pull request or merge request adds, worked out from the CI's own
event instead of from template expressions.

GitHub's ``github.event.before`` is empty on a pull request and all zeros on a branch's first push, so a
workflow that writes ``${{ github.event.before }}..${{ github.sha }}`` hands git ``..SHA`` — an empty
range — and the gate passes a pull request it never scanned. Here each event gives its own range:

- GitHub ``pull_request``/``pull_request_target``: the pull request's base commit ``..`` the commit checked
  out (the merge commit GitHub built, or the head);
- GitHub ``push``: ``before..after``; a new branch (no ``before``) is compared with the default branch
  (``origin/<default>..after``); the repository's first push (no default branch yet) is the whole history;
- GitLab merge request pipelines: ``CI_MERGE_REQUEST_DIFF_BASE_SHA..CI_COMMIT_SHA``; branch pipelines:
  ``CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA``, a new branch against ``origin/$CI_DEFAULT_BRANCH``;
- any other event (a schedule, a manual run): the whole history.

The choice and its reason are said on stderr every time: a gate must show what it judged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from akscan.errors import UsageError

ZEROS = "0" * 40
MAX_EVENT_BYTES = 16 * 1024 * 1024  # GitHub caps a webhook payload at 25 MB; real push events are far smaller


@dataclass(frozen=True)
class CiRange:
    revision_range: str | None  # "A..B", or None for the whole history
    reason: str
    # A pull or merge request is judged with its base's config and baseline (akscan.config.base): this
    # base, and the head it is compared with. None for pushes, whose config is the repository's own.
    judged_by: str | None = None
    head: str = "HEAD"


def _missing(sha: str | None) -> bool:
    return not sha or set(sha) == {"0"}


def _read_event(path: str) -> dict[str, object]:
    from pathlib import Path

    from akscan.storage import read_regular

    try:
        document = json.loads(read_regular(Path(path), MAX_EVENT_BYTES, "CI event"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--range auto: cannot read GitHub's event file {path} ({exc})") from None
    if not isinstance(document, dict):
        raise UsageError(f"--range auto: GitHub's event file {path} is not a JSON object")
    return document


def _field(document: Mapping[str, object], *names: str) -> str | None:
    value: object = document
    for name in names:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value if isinstance(value, str) and value else None


def _new_branch(default: str | None, branch: str | None, head: str, has_ref: Callable[[str], bool]) -> CiRange:
    """A branch pushed for the first time: what it adds to the default branch, or everything."""
    if default and branch != default and has_ref(f"refs/remotes/origin/{default}"):
        return CiRange(f"origin/{default}..{head}", f"a new branch: what it adds to origin/{default}")
    return CiRange(None, "a first push with nothing to compare with: the whole history")


def resolve(env: Mapping[str, str], has_ref: Callable[[str], bool]) -> CiRange:
    """The range for the CI event described by ``env``; ``has_ref`` says whether the clone holds a ref."""
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_EVENT_PATH"):
        return _github(env, has_ref)
    if env.get("GITLAB_CI") == "true" or env.get("CI_COMMIT_SHA"):
        return _gitlab(env, has_ref)
    raise UsageError(
        "--range auto: no CI event here (GITHUB_EVENT_PATH or GitLab's CI_COMMIT_SHA): give the range as A..B"
    )


def _github(env: Mapping[str, str], has_ref: Callable[[str], bool]) -> CiRange:
    name = env.get("GITHUB_EVENT_NAME", "")
    path = env.get("GITHUB_EVENT_PATH")
    event = _read_event(path) if path else {}
    checked_out = env.get("GITHUB_SHA") or "HEAD"
    if name in ("pull_request", "pull_request_target"):
        base = _field(event, "pull_request", "base", "sha")
        if _missing(base):
            raise UsageError(f"--range auto: the {name} event names no base commit ({path})")
        head = checked_out if name == "pull_request" else (_field(event, "pull_request", "head", "sha") or "HEAD")
        why = f"pull request: its base {base[:12]}..{head[:12]}"  # type: ignore[index]
        return CiRange(f"{base}..{head}", why, judged_by=base, head=head)
    if name == "push":
        after = _field(event, "after") or checked_out
        if _missing(after):  # a deleted branch: nothing was added
            raise UsageError("--range auto: this push deletes a branch; there is nothing to scan")
        before = _field(event, "before")
        if not _missing(before):
            return CiRange(f"{before}..{after}", f"push: {before[:12]}..{after[:12]}")  # type: ignore[index]
        branch = (env.get("GITHUB_REF") or "").removeprefix("refs/heads/") or None
        return _new_branch(_field(event, "repository", "default_branch"), branch, after, has_ref)
    return CiRange(None, f"a {name or 'GitHub'} event is no push or pull request: the whole history")


def _gitlab(env: Mapping[str, str], has_ref: Callable[[str], bool]) -> CiRange:
    head = env.get("CI_COMMIT_SHA") or "HEAD"
    base = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
    if not _missing(base):
        why = f"merge request: its base {base[:12]}..{head[:12]}"  # type: ignore[index]
        return CiRange(f"{base}..{head}", why, judged_by=base, head=head)
    if env.get("CI_PIPELINE_SOURCE") not in (None, "", "push"):
        return CiRange(None, f"a {env['CI_PIPELINE_SOURCE']} pipeline is no push or merge request: the whole history")
    before = env.get("CI_COMMIT_BEFORE_SHA")
    if not _missing(before):
        return CiRange(f"{before}..{head}", f"push: {before[:12]}..{head[:12]}")  # type: ignore[index]
    return _new_branch(env.get("CI_DEFAULT_BRANCH"), env.get("CI_COMMIT_BRANCH"), head, has_ref)
