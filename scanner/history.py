"""Orchestration of a history scan: inventory → scan unseen objects on both cores (each worker with its
own ``git cat-file --batch``) → cache → attribute only the blobs that hold findings → one finding per
credential, credited to the commit that first introduced it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from scanner.model import Blob, Finding, GitProvenance, Origin, ScanStats
from scanner.rules import Ruleset
from scanner.scan import ScanResult, apply_allowlist, pool_context, scan_blob, scan_chunks, sort_findings
from scanner.sources.catfile import cat_objects
from scanner.sources.files import stream_chunks
from scanner.sources.git import (
    GitObject,
    Introduction,
    attribute,
    git_dir,
    head_blobs,
    inventory,
    message_of,
    open_repository,
    refs_containing,
)
from scanner.suppress import Allowlist

# git's own inflate and delta resolution usually dominates a history scan, and a second cat-file
# redoes most of the first one's delta chains (measured: a half of the blobs costs ~80% of all of
# them). Workers pay off only when there is a lot of scanning per byte git produces.
PARALLEL_MIN_BYTES = 256 * 1024 * 1024
TASKS_PER_WORKER = 2
MESSAGE_LIMIT = 1 << 20


@dataclass(frozen=True)
class GitScanOptions:
    revisions: list[str] | None = None  # None: every ref, the reflog and (by default) unreachable objects
    unreachable: bool = True
    cache: bool = True
    jobs: int = 0
    progress: bool = False
    allowlist: Allowlist = field(default_factory=Allowlist)


@dataclass
class TaskResult:
    findings: list[Finding]
    clean: list[str]  # objects scanned without findings: cacheable
    stats: ScanStats
    scanned_bytes: int


def _tag(findings: list[Finding], provenance: GitProvenance) -> list[Finding]:
    return [dataclasses.replace(f, git=provenance) for f in findings]


def scan_objects(repo: str, objects: list[GitObject], ruleset: Ruleset) -> TaskResult:
    stats = ScanStats()
    findings: list[Finding] = []
    clean: list[str] = []
    by_sha = {o.sha: o for o in objects}
    for sha, kind, body in cat_objects(repo, [o.sha for o in objects]):
        if body is None:
            stats.skip("missing-object", sha, f"git object {sha} is missing (shallow or partial clone?)")
            stats.incomplete = True
            continue
        known = by_sha.get(sha)
        if kind == "blob":
            path = known.path if known and known.path else f"<unreachable blob {sha[:12]}>"
            found = scan_chunks(stream_chunks(body, path, stats, "git"), ruleset, stats)  # type: ignore[arg-type]
            found = _tag(found, GitProvenance(blob=sha, path=known.path if known else None))
        elif kind in ("commit", "tag"):
            raw = body.read(MESSAGE_LIMIT)
            message, _ = message_of(raw)
            stats.bytes += len(message)
            label = f"<{kind} message {sha[:12]}>"
            # Lines count within the message, as people read it in `git log`.
            found = scan_blob(Blob(message, Origin(label, f"{kind}-message", sha)), ruleset, stats)
            found = _tag(
                found, GitProvenance(blob=sha, commit=sha if kind == "commit" else None, source=f"{kind}-message")
            )
        else:
            continue
        if found:
            findings.extend(found)
        else:
            clean.append(sha)
    return TaskResult(findings, clean, stats, sum(o.size for o in objects))


def _tasks(objects: list[GitObject], parts: int) -> list[list[GitObject]]:
    """Split into ``parts`` contiguous runs of about equal bytes. Contiguous, not interleaved: each
    worker's ``cat-file`` then resolves delta chains of neighbouring objects with a warm cache (an
    interleaved split costs ~40% more git CPU)."""
    total = sum(o.size for o in objects) or 1
    tasks: list[list[GitObject]] = [[]]
    filled = 0
    for obj in objects:
        if filled >= total * len(tasks) / parts and len(tasks) < parts:
            tasks.append([])
        tasks[-1].append(obj)
        filled += obj.size
    return [t for t in tasks if t]


_worker: tuple[str, Ruleset] | None = None


def _init(repo: str, ruleset: Ruleset) -> None:
    global _worker
    _worker = (repo, ruleset)


def _run(batch: list[GitObject]) -> TaskResult:
    assert _worker is not None
    return scan_objects(_worker[0], batch, _worker[1])


def _results(repo: str, objects: list[GitObject], ruleset: Ruleset, jobs: int) -> Iterator[TaskResult]:
    workers = jobs or os.cpu_count() or 1
    if workers <= 1 or sum(o.size for o in objects) < PARALLEL_MIN_BYTES:
        if objects:
            yield scan_objects(repo, objects, ruleset)
        return
    tasks = _tasks(objects, workers * TASKS_PER_WORKER)
    with pool_context().Pool(workers, initializer=_init, initargs=(repo, ruleset)) as pool:
        yield from pool.imap_unordered(_run, tasks)


# -- cache ---------------------------------------------------------------------------------------------
def _cache_path(repo: str, ruleset: Ruleset) -> str:
    return os.path.join(git_dir(repo), "akscan", f"scanned-{ruleset.digest}.bin")


def load_cache(path: str) -> set[str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return set()
    width = 32 if data[:1] == b"\x01" else 20
    body = data[1:]
    return {body[i : i + width].hex() for i in range(0, len(body) - width + 1, width)}


def save_cache(path: str, shas: set[str]) -> None:
    if not shas:
        return
    width = len(next(iter(shas))) // 2
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(b"\x01" if width == 32 else b"\x00")
        handle.write(b"".join(bytes.fromhex(s) for s in sorted(shas)))
    os.replace(temporary, path)


# -- attribution ---------------------------------------------------------------------------------------
def _commit_info(repo: str, commit: str) -> Introduction | None:
    """Author and date of a commit whose message holds a finding (rare, so GitPython's import is paid
    only then)."""
    import git as gitpython

    try:
        with gitpython.Repo(repo) as handle:
            found = handle.commit(commit)
            summary = found.summary if isinstance(found.summary, str) else found.summary.decode("utf-8", "replace")
            return Introduction(
                found.hexsha,
                "",
                found.author.name or "",
                found.author.email or "",
                found.authored_datetime.isoformat(),
                summary,
                found.committed_date,
            )
    except (ValueError, gitpython.BadName, gitpython.GitCommandError):
        return None


def _attribution_cache(repo: str) -> str:
    return os.path.join(git_dir(repo), "akscan", "introductions.json")


def _load_introductions(path: str) -> dict[str, Introduction]:
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
        return {sha: Introduction(**{**fields, "paths": tuple(fields.get("paths", ()))}) for sha, fields in raw.items()}
    except (OSError, ValueError, TypeError):
        return {}


def _save_introductions(path: str, introductions: dict[str, Introduction]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({sha: dataclasses.asdict(i) for sha, i in introductions.items()}, handle)
    os.replace(temporary, path)


def attribute_findings(
    repo: str, findings: list[Finding], unreachable_commits: list[str], use_cache: bool = True
) -> list[Finding]:
    """Credit each finding to the commit that introduced it, then keep one finding per credential.
    Which commit introduced a blob is cached (blob ids and commit metadata only, nothing secret); refs
    and presence at HEAD change with every push, so they are always worked out afresh."""
    blobs = {f.git.blob for f in findings if f.git is not None and f.git.source == "blob"}
    cache_file = _attribution_cache(repo)
    introductions = _load_introductions(cache_file) if use_cache else {}
    unknown = blobs - set(introductions)
    if unknown:
        introductions.update(attribute(repo, unknown, unreachable_commits))
        if use_cache:
            with contextlib.suppress(OSError):
                _save_introductions(cache_file, {b: introductions[b] for b in blobs if b in introductions})
    at_head = head_blobs(repo)
    refs_cache: dict[str, tuple[str, ...]] = {}
    attributed = []
    for finding in findings:
        provenance = finding.git
        assert provenance is not None
        intro = introductions.get(provenance.blob) if provenance.source == "blob" else None
        if provenance.source == "commit-message":
            intro = _commit_info(repo, provenance.blob)
        if intro is not None:
            if intro.commit not in refs_cache:
                refs_cache[intro.commit] = refs_containing(repo, intro.commit)
            provenance = dataclasses.replace(
                provenance,
                commit=intro.commit,
                path=intro.path or provenance.path,
                author_name=intro.author_name,
                author_email=intro.author_email,
                date=intro.date,
                summary=intro.summary,
                refs=refs_cache[intro.commit],
                paths=intro.paths,
            )
        provenance = dataclasses.replace(provenance, present_at_head=provenance.blob in at_head)
        attributed.append((intro.timestamp if intro else float("inf"), dataclasses.replace(finding, git=provenance)))
    return _one_per_credential(attributed)


def _one_per_credential(attributed: list[tuple[float, Finding]]) -> list[Finding]:
    groups: dict[str, list[tuple[float, Finding]]] = {}
    for timestamp, finding in attributed:
        groups.setdefault(finding.fingerprint, []).append((timestamp, finding))
    result = []
    for members in groups.values():
        members.sort(key=lambda m: (m[0], m[1].location.path))
        first = members[0][1]
        assert first.git is not None
        paths = sorted({p for m in members if m[1].git is not None for p in (m[1].git.paths or (m[1].git.path,)) if p})
        git_info = dataclasses.replace(
            first.git,
            occurrences=len(members),
            paths=tuple(paths),
            present_at_head=any(m[1].git.present_at_head for m in members if m[1].git),
        )
        location = (
            first.location if first.git.path is None else dataclasses.replace(first.location, path=first.git.path)
        )
        result.append(dataclasses.replace(first, git=git_info, location=location))
    return result


def scan_history(
    path: str, ruleset: Ruleset, options: GitScanOptions, on_progress: Callable[[int], None] | None = None
) -> ScanResult:
    started = time.monotonic()
    repo = open_repository(path)
    inv = inventory(repo, options.revisions, options.unreachable)
    stats = ScanStats()
    cache_file = _cache_path(repo, ruleset)
    cached = load_cache(cache_file) if options.cache else set()
    todo = [o for o in inv.objects if o.sha not in cached]
    findings: list[Finding] = []
    clean: set[str] = set()
    for result in _results(repo, todo, ruleset, options.jobs):
        stats.merge(result.stats)
        findings.extend(result.findings)
        clean.update(result.clean)
        if on_progress:
            on_progress(result.scanned_bytes)
    if options.cache:
        try:
            save_cache(cache_file, cached | clean)
        except OSError as exc:
            stats.errors.append({"path": cache_file, "reason": "cache", "detail": f"cannot write cache: {exc}"})
    for sha in inv.missing:
        stats.skip("missing-object", sha, f"git object {sha} is missing (shallow or partial clone?)")
    stats.incomplete = stats.incomplete or bool(inv.missing) or inv.shallow or inv.partial
    findings = apply_allowlist(findings, options.allowlist, stats)
    findings = attribute_findings(repo, findings, inv.unreachable_commits, options.cache) if findings else []
    kinds = [o.kind for o in inv.objects]
    stats.extra["git"] = {
        "repository": repo,
        "blobs": kinds.count("blob"),
        "commits": kinds.count("commit"),
        "tags": kinds.count("tag"),
        "scanned_objects": len(todo),
        "cached_objects": len(inv.objects) - len(todo),
        "missing_objects": stats.skipped.get("missing-object", 0),
        "unreachable_commits": len(inv.unreachable_commits),
        "shallow": inv.shallow,
        "partial": inv.partial,
    }
    return ScanResult(sort_findings(findings), stats, time.monotonic() - started)
