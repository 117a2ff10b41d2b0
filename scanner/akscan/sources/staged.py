"""Staged content for the pre-commit hook: the index version of files (what is being committed), read
with git plumbing only — no GitPython, no network — so the hook starts fast."""

from __future__ import annotations

from dataclasses import dataclass

from akscan.errors import SourceError
from akscan.model import ScanStats
from akscan.sources import gitcmd

GITLINK = "160000"


@dataclass(frozen=True)
class StagedFile:
    path: str  # relative to the repository top
    sha: str
    mode: str


def _git(*args: str, cwd: str | None = None, check: bool = True) -> bytes:
    return gitcmd.run(args, cwd=cwd, check=check).stdout


def repository_top() -> str:
    proc = gitcmd.run(["rev-parse", "--show-toplevel"], check=False)
    if proc.returncode != 0:
        raise SourceError("akscan hook must run inside a git repository (it scans what is staged for commit)")
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def _split(raw: bytes) -> list[str]:
    return [p.decode("utf-8", "surrogateescape") for p in raw.split(b"\0") if p]


def staged_files(top: str, files: list[str], stats: ScanStats) -> list[StagedFile]:
    """Index entries for ``files`` (relative to the current folder, as pre-commit passes them), or for
    every added, copied, modified or renamed file when none are given."""
    if not files:
        diff = gitcmd.run(
            ["diff", "--cached", "--no-ext-diff", "--name-only", "-z", "--diff-filter=ACMR", "--no-renames"],
            cwd=top,
            check=False,
        )
        if diff.returncode == 0:
            changed = _split(diff.stdout)
        else:
            # HEAD cannot be compared (a tree of it is missing: a broken or partial clone, which akscan
            # never lets git fetch): what changed is unknown, so every staged file is scanned.
            _head_unreadable(stats, diff.stderr, diff.returncode)
            changed = _split(_git("ls-files", "-z", "--full-name", cwd=top))
        if not changed:
            return []
        files, cwd = changed, top
    else:
        cwd = None
    entries: dict[str, StagedFile] = {}
    unmerged: set[str] = set()
    out = _git("ls-files", "--stage", "-z", "--full-name", "--", *files, cwd=cwd)
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path_bytes = record.partition(b"\t")
        mode, sha, stage = meta.decode().split()
        path = path_bytes.decode("utf-8", "surrogateescape")
        if stage != "0":
            unmerged.add(path)
            continue
        if mode == GITLINK:
            stats.skip("submodule")
            continue
        entries[path] = StagedFile(path, sha, mode)
    for path in unmerged:
        stats.skip("unmerged", path, f"{path}: unresolved merge conflict, not scanned until it is resolved")
    # Files pre-commit names that the index does not hold (deleted, or never added) have nothing to commit.
    for _ in range(len(files) - len(entries) - len(unmerged) - stats.skipped.get("submodule", 0)):
        stats.skip("not-staged")
    return list(entries.values())


def _head_unreadable(stats: ScanStats, stderr: bytes, code: int) -> None:
    reason = gitcmd.last_line(stderr, code)
    if "head-unreadable" not in stats.skipped:
        stats.skip("head-unreadable", "HEAD", f"HEAD cannot be read ({reason}): staged files are judged as new")
    stats.incomplete = True


def head_blobs_for(top: str, paths: list[str], stats: ScanStats | None = None) -> dict[str, str]:
    """Blob ids of ``paths`` in HEAD (and of the HEAD path a staged file was renamed from); none when HEAD
    cannot be read, so every finding counts as added by this commit."""
    if not paths or gitcmd.run(["rev-parse", "--verify", "-q", "HEAD"], top, check=False).returncode != 0:
        return {}
    renames: dict[str, str] = {}
    diff = gitcmd.run(
        ["diff", "--cached", "--no-ext-diff", "--no-textconv", "--name-status", "-z", "-M"], cwd=top, check=False
    )
    if diff.returncode != 0:  # HEAD cannot be read whole: no finding can be shown to be already committed
        if stats is not None:
            _head_unreadable(stats, diff.stderr, diff.returncode)
        return {}
    status = diff.stdout.split(b"\0")
    index = 0
    while index < len(status) - 1:
        code = status[index].decode()
        if code.startswith(("R", "C")):
            old, new = status[index + 1], status[index + 2]
            renames[new.decode("utf-8", "surrogateescape")] = old.decode("utf-8", "surrogateescape")
            index += 3
        else:
            index += 2
    wanted = {path: renames.get(path, path) for path in paths}
    out = _git("ls-tree", "-z", "--full-tree", "HEAD", "--", *set(wanted.values()), cwd=top, check=False)
    at_head: dict[str, str] = {}
    for record in out.split(b"\0"):
        meta, _, name = record.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            at_head[name.decode("utf-8", "surrogateescape")] = parts[2].decode()
    return {path: at_head[old] for path, old in wanted.items() if old in at_head}
