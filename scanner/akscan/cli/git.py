"""`akscan git`: a repository's history, whole or a range (a CI push or pull request), local or by URL."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from akscan.cli.options import _progress_wanted, _settings, notify_options, output_options, verify_options
from akscan.errors import AkscanError, UsageError


def _revisions(since: str | None, rev_range: str | None, branches: tuple[str, ...]) -> list[str] | None:
    if rev_range and since:
        raise UsageError("--since and --range cannot be combined: use --range A..B alone")
    if rev_range:
        if ".." not in rev_range:
            raise UsageError(f"--range {rev_range!r}: expected A..B (e.g. origin/main..HEAD), or auto in CI")
        base, _, head = rev_range.partition("...") if "..." in rev_range else rev_range.partition("..")
        if not base.strip() or not head.strip():
            # git reads "..B" as "HEAD..B" and "A.." as "A..HEAD": in CI, an empty "before" made a gate that
            # scanned nothing and passed.
            raise UsageError(
                f"--range {rev_range!r}: both sides are needed (A..B); an empty side is what CI gives on a pull "
                "request or a branch's first push: use --range auto there"
            )
        return [rev_range]
    if since:
        return [*(branches or ("HEAD",)), f"^{since}"]
    if branches:
        return list(branches)
    return None


@click.command("git")
@click.argument("repo", default=".", type=str)
@output_options
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes (0: automatic).")
@click.option("--since", default=None, metavar="REV", help="Only what commits after REV (up to HEAD) added.")
@click.option(
    "--range",
    "rev_range",
    default=None,
    metavar="A..B|auto",
    help="Only what commits in A..B added; auto: what the CI's push, pull request or merge request adds "
    "(GitHub Actions, GitLab CI).",
)
@click.option("--branch", "branches", multiple=True, metavar="REF", help="Only history reachable from REF.")
@click.option(
    "--range-fallback",
    type=click.Choice(("error", "all")),
    default="error",
    show_default=True,
    help="When a --range/--since/--branch revision is not in the clone (a force-push removed the old tip): "
    "stop with exit 2, or scan the whole history instead.",
)
@click.option("--no-unreachable", is_flag=True, help="Skip objects no ref reaches (amended or force-pushed away).")
@click.option("--no-cache", is_flag=True, help="Rescan every object instead of skipping those scanned before.")
@verify_options
@notify_options
def git_command(repo: str, **opts: Any) -> int:
    """Audit a repository's whole history (default: .): every blob once, with the commit that introduced it.
    REPO may be a URL (https, ssh, git, file): it is mirrored into akscan's cache and updated on later runs."""
    from akscan.sources import git as git_source
    from akscan.sources.remote import is_url

    whole_store = not (is_url(repo) or opts["since"] or opts["rev_range"] or opts["branches"] or opts["no_unreachable"])
    if whole_store:  # git lists and walks the store on the other core while the rest is imported
        git_source.start_early(repo, skip_if_cached=not opts["no_cache"])
    try:
        return _git_command(repo, **opts)
    finally:
        git_source.cancel_early()


def _say_where(path: str, quiet: bool) -> None:
    """A `.git` file (a linked worktree, a submodule, or a planted one) can point at a repository elsewhere
    on the machine: the audit says which one it reads, so its report is never taken for this tree's."""
    from akscan.report import safe
    from akscan.sources.git import git_common_dir, open_repository

    try:
        common = os.path.realpath(git_common_dir(open_repository(path)))
    except AkscanError:
        return  # the scan itself reports what is wrong
    here = os.path.realpath(path)
    if not quiet and not (common == here or common.startswith(here.rstrip(os.sep) + os.sep)):
        sys.stderr.write(
            f"akscan: note: {safe(path)} is a repository stored at {safe(common)}: that is what is audited\n"
        )


def _looks_like_commit_id(name: str) -> bool:
    return 7 <= len(name) <= 64 and all(c in "0123456789abcdefABCDEF" for c in name)


def _ci_range(repo: str, quiet: bool) -> Any:
    """``--range auto``: the range the CI event adds (None: the whole history), said on stderr."""
    from akscan.runs import ci_event
    from akscan.sources.git import has_ref, open_repository

    resolved = open_repository(repo)
    chosen = ci_event.resolve(os.environ, lambda ref: has_ref(resolved, ref))
    if not quiet:
        from akscan.report import safe

        what = chosen.revision_range or "the whole history"
        sys.stderr.write(f"akscan: --range auto: {safe(what)} ({safe(chosen.reason)})\n")
    return chosen


def _base_config(repo: str, base: str, head: str, opts: dict[str, Any]) -> dict[str, Any]:
    """A pull request is judged by its base's config and baseline (akscan.config.base), never its own."""
    import atexit
    import shutil
    import tempfile

    from akscan.config import base as base_config
    from akscan.report import safe
    from akscan.sources.git import open_repository

    folder = Path(tempfile.mkdtemp(prefix="akscan-base-config-"))
    atexit.register(shutil.rmtree, folder, True)
    config, baseline, changed = base_config.materialise(open_repository(repo), base, head, folder)
    if not opts.get("quiet"):
        sys.stderr.write(
            f"akscan: the config and baseline are the pull request's base's ({base[:12]}): a pull request cannot "
            "change what judges it\n"
        )
        if changed:
            sys.stderr.write(
                f"akscan: warning: this pull request changes {', '.join(safe(name) for name in changed)}: not "
                "applied to it; review the change (it applies once merged)\n"
            )
    updated = {**opts, "config": str(config) if config else None, "no_config": config is None}
    if baseline is not None and not opts.get("baseline"):
        updated["baseline"] = str(baseline)
    return updated


def _git_command(repo: str, **opts: Any) -> int:
    from akscan.runs.conclude import finish
    from akscan.runs.history import GitScanOptions, scan_history
    from akscan.sources.git import open_repository, unknown_revisions
    from akscan.sources.remote import ambiguous, is_url

    if ambiguous(repo):
        raise UsageError(
            f"{repo!r} is both an ssh URL and a local path: write ./{repo} for the folder, or ssh://… for the URL"
        )
    url = None
    if is_url(repo):  # mirrored into the cache, then audited like a local clone
        url, repo = repo, _mirror(repo, opts)
    else:
        _say_where(repo, bool(opts.get("quiet")))
    if opts["rev_range"] == "auto":
        chosen = _ci_range(repo, bool(opts.get("quiet")))
        opts = {**opts, "rev_range": chosen.revision_range}
        if chosen.judged_by is not None and not (opts.get("config") or opts.get("no_config")):
            opts = _base_config(repo, chosen.judged_by, chosen.head, opts)
    settings = _settings(opts, Path(repo))
    revisions = _revisions(opts["since"], opts["rev_range"], opts["branches"])
    if revisions is not None:
        missing = unknown_revisions(open_repository(repo), revisions)
        names = [m for m in missing if not _looks_like_commit_id(m)]
        if names:  # a typo or a branch that is not fetched: no fallback hides it
            raise UsageError(
                f"unknown revision {', '.join(repr(m) for m in names)}: no branch, tag or commit of that name in "
                "this clone (a remote branch is origin/NAME; fetch it first)"
            )
        if missing and opts["range_fallback"] == "all":
            sys.stderr.write(
                f"akscan: note: {', '.join(repr(m) for m in missing)} is not in this clone; "
                "--range-fallback all: scanning the whole history instead\n"
            )
            revisions = None
        elif missing:
            raise UsageError(
                f"unknown revision {', '.join(repr(m) for m in missing)}: not a commit in this clone (a force-push "
                "removes the old tip; a shallow clone may not have it): fetch it or deepen the clone (git fetch "
                "--unshallow), "
                "or add --range-fallback all to scan the whole history instead"
            )
    bar = None
    if _progress_wanted(settings):
        from tqdm import tqdm

        bar = tqdm(unit="B", unit_scale=True, desc="history", file=sys.stderr, leave=False)
    options = GitScanOptions(
        revisions=revisions,
        unreachable=not opts["no_unreachable"] and revisions is None,
        cache=not opts["no_cache"],
        jobs=opts["jobs"],
        content=settings.content,
        excludes=settings.excludes,
    )
    try:
        result = scan_history(repo, settings.ruleset, options, on_progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    if url is not None:
        from akscan.sources.remote import shown_url

        result.stats.extra["git"].update(repository=shown_url(url), mirror=repo)
    counts = result.stats.extra.get("git", {})
    if revisions is not None and not any(counts.get(kind) for kind in ("commits", "blobs", "tags")):
        # A gate that judged nothing must say so (an empty range used to pass as "0 findings").
        from akscan.report import safe

        sys.stderr.write(
            f"akscan: warning: {safe(' '.join(revisions))} holds no commits: nothing was scanned (0 objects)\n"
        )
    if result.stats.incomplete and not settings.quiet:
        click.echo(
            "akscan: warning: history is incomplete (shallow or partial clone, or missing objects); "
            "see summary.git in the JSON report",
            err=True,
        )
    return finish(settings, result, "git")


def _mirror(url: str, opts: dict[str, Any]) -> str:
    from akscan.report import safe
    from akscan.sources.remote import mirror, shown_url

    if not opts.get("quiet"):
        sys.stderr.write(f"akscan: mirroring {safe(shown_url(url))}\n")
    path, _ = mirror(url)
    return path


command = git_command
