"""Orchestration of a history scan: inventory → scan unseen objects on both cores (each worker with its
own ``git cat-file --batch``) → cache → attribute only the blobs that hold findings → one finding per
credential, credited to the commit that first introduced it."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from akscan.config.suppress import PathExcludes
from akscan.engine import fastgate
from akscan.engine.decode.archives import lone_member_name
from akscan.engine.delta import DeltaScanner
from akscan.engine.pipeline import ContentOptions, scan_blob, scan_bytes, scan_content, sort_findings
from akscan.engine.rules import Ruleset
from akscan.model import Blob, Finding, GitProvenance, Origin, ScanResult, ScanStats, Severity
from akscan.runs.history_cache import HistoryCache
from akscan.runs.history_range import mark_present_before, range_bases, still_at_head
from akscan.runs.workers import run_pooled
from akscan.sources import gitcmd
from akscan.sources.catfile import cat_objects
from akscan.sources.files import CHUNK_SIZE
from akscan.sources.git import (
    REFS_ONE_PASS_FROM,
    GitObject,
    HistoryLog,
    Introduction,
    Inventory,
    PendingInventory,
    attribute,
    forget_facts,
    git_common_dir,
    git_output,
    head_blobs,
    inventory,
    message_of,
    open_repository,
    refs_containing,
    refs_containing_all,
)

# Two workers pay off once a history holds this much: each gets whole delta families (_tasks), so neither
# git inflates the other's delta chains. Measured cold, side by side: flask (169 MB) 0.95 -> 0.77 s,
# requests (115 MB) 0.72 -> 0.61 s, the generated benchmark (84 MB) unchanged; below it, starting the pool
# costs more than it saves.
PARALLEL_MIN_BYTES = 64 * 1024 * 1024
TASKS_PER_WORKER = 1
MESSAGE_LIMIT = 1 << 20
# A blob is read whole (to scan it against its delta base, or to hold it as one) up to this size.
DELTA_MAX_BYTES = CHUNK_SIZE


@dataclass(frozen=True)
class GitScanOptions:
    revisions: list[str] | None = None  # None: every ref, the reflog and (by default) unreachable objects
    unreachable: bool = True
    cache: bool = True
    jobs: int = 0
    progress: bool = False
    content: ContentOptions = field(default_factory=ContentOptions)
    excludes: PathExcludes = field(default_factory=PathExcludes)


@dataclass
class TaskResult:
    findings: list[Finding]
    clean: list[str]  # objects scanned whole without findings, none dropped by a config: cacheable
    stats: ScanStats
    scanned_bytes: int


def _tag(findings: list[Finding], provenance: GitProvenance) -> list[Finding]:
    return [dataclasses.replace(f, git=provenance) for f in findings]


def scan_objects(
    repo: str,
    objects: list[GitObject],
    ruleset: Ruleset,
    content: ContentOptions,
    on_finding: Callable[[], None] = lambda: None,
) -> TaskResult:
    """Scan the objects read from git; ``on_finding`` is called once, at the first object with findings
    (the attribution log is started then)."""
    stats = ScanStats()
    findings: list[Finding] = []
    clean: list[str] = []
    by_sha = {o.sha: o for o in objects}
    # Scanning a version against a related one pays only while the gate is the expensive part: with the
    # Hyperscan gate a whole blob costs less than working out its changes (flask: 0.63 against 0.67 s).
    links = [] if fastgate.choose() else [(o.sha, o.base) for o in objects if o.kind == "blob"]
    deltas = DeltaScanner(links, ruleset, content)
    messages = _Messages(ruleset, content.inline_markers)
    for sha, kind, body in cat_objects(repo, [o.sha for o in objects]):
        if body is None:
            if kind == "corrupt":
                stats.skip("corrupt-object", sha, f"git object {sha} is corrupt (run `git fsck`); skipped")
            else:
                stats.skip("missing-object", sha, f"git object {sha} is missing (shallow or partial clone?)")
            stats.incomplete = True
            continue
        known = by_sha.get(sha)
        settled = stats.settled()
        if kind == "blob":
            # Before the history walk has named it (PendingInventory), a blob is shown by a placeholder
            # that _named() replaces with its path once known.
            path = known.path if known and known.path else _placeholder(sha)
            size = known.size if known else None
            if (size or 0) <= DELTA_MAX_BYTES and not links:  # versions scanned whole (Hyperscan's gate)
                data = body.read()
                found_or_none = scan_bytes(data, path, "git", ruleset, stats, content)
                if found_or_none is None:
                    found_or_none = scan_content(io.BytesIO(data), path, "git", ruleset, stats, content, size=size)
                found = found_or_none
            elif (size or 0) <= DELTA_MAX_BYTES:
                data = body.read()
                wanted = deltas.wanted(sha)
                found_or_none = deltas.scan(sha, data, path, stats) if wanted else None
                if found_or_none is None:
                    found_or_none = scan_bytes(data, path, "git", ruleset, stats, content, deltas.opening_of(sha))
                if found_or_none is None:
                    found_or_none = scan_content(io.BytesIO(data), path, "git", ruleset, stats, content, size=size)
                found = found_or_none
                deltas.done(sha, data if wanted else None, found)
            else:
                found = scan_content(body, path, "git", ruleset, stats, content, size=size)  # type: ignore[arg-type]
                deltas.done(sha, None, found)
            if found:  # most objects hold nothing: no provenance record made for them
                found = _tag(found, GitProvenance(blob=sha, path=known.path if known else None))
        elif kind in ("commit", "tag") and known is not None and known.size > MESSAGE_LIMIT:
            # A message past the batch's limit is read whole, streamed in chunks like a big blob: a key after
            # its first MiB must not pass unseen (nor be cached as clean unread).
            label = f"<{kind} message {sha[:12]}>"
            found = scan_content(body, label, f"{kind}-message", ruleset, stats, content, size=known.size)  # type: ignore[arg-type]
            if found:
                commit = sha if kind == "commit" else None
                found = _tag(found, GitProvenance(blob=sha, commit=commit, source=f"{kind}-message"))
        elif kind in ("commit", "tag"):
            message, _ = message_of(body.read(MESSAGE_LIMIT))
            stats.bytes += len(message)
            messages.add(sha, kind, message)
            if messages.full():
                messages.flush(findings, clean, stats)
            continue
        else:
            continue
        if found:
            if not findings:
                on_finding()
            findings.extend(found)
        elif stats.settled() == settled:
            clean.append(sha)
    messages.flush(findings, clean, stats)
    if findings:
        on_finding()  # (again, when only messages held findings: the callers start the log once)
    return TaskResult(findings, clean, stats, sum(o.size for o in objects))


class _Messages:
    """Commit and tag messages, gated a batch at a time: the gate finds a word in the joined messages
    whenever it finds one in any of them (and a key name and a value-shaped run both, when one message has
    both), so a closed batch is all clean — nearly every batch. One call for 256 messages instead of a
    blob, a detector call and a gate call each (requests' 6,493 commits: ~14 -> ~6 µs each)."""

    MOST = 256
    MOST_BYTES = 1 << 20

    def __init__(self, ruleset: Ruleset, markers: bool = True) -> None:
        self.ruleset = ruleset
        self.markers = markers
        self.held: list[tuple[str, str, bytes]] = []
        self.size = 0

    def add(self, sha: str, kind: str, message: bytes) -> None:
        self.held.append((sha, kind, message))
        self.size += len(message)

    def full(self) -> bool:
        return len(self.held) >= self.MOST or self.size >= self.MOST_BYTES

    def flush(self, findings: list[Finding], clean: list[str], stats: ScanStats) -> None:
        held, self.held, self.size = self.held, [], 0
        if not held:
            return
        if not self.ruleset.gate.scan(b"\n".join(message for _, _, message in held)).open:
            clean.extend(sha for sha, _, _ in held)
            return
        for sha, kind, message in held:
            label = f"<{kind} message {sha[:12]}>"
            settled = stats.settled()
            # Lines count within the message, as people read it in `git log`.
            blob = Blob(message, Origin(label, f"{kind}-message", sha))
            found = scan_blob(blob, self.ruleset, stats, markers=self.markers)
            if found:
                commit = sha if kind == "commit" else None
                findings.extend(_tag(found, GitProvenance(blob=sha, commit=commit, source=f"{kind}-message")))
            elif stats.settled() == settled:
                clean.append(sha)


def _existing_commits(repo: str, commits: set[str]) -> set[str]:
    """Those of ``commits`` the repository has (one ``cat-file --batch-check`` for all of them)."""
    wanted = sorted(c for c in commits if c)
    if not wanted:
        return set()
    listing = gitcmd.run(["cat-file", "--batch-check"], repo, input="\n".join(wanted).encode() + b"\n", check=False)
    present = set()
    for line in listing.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == b"commit":
            present.add(parts[0].decode())
    return present


def _coverage(objects: list[GitObject]) -> dict[str, int]:
    """What a scan of these objects covers: its blobs, and the bytes of every object."""
    return {"files": sum(1 for o in objects if o.kind == "blob"), "bytes": sum(o.size for o in objects)}


def _counts(objects: list[GitObject]) -> dict[str, int]:
    kinds = Counter(o.kind for o in objects)
    return {kind: kinds.get(kind, 0) for kind in ("blob", "commit", "tag")}


def _named_path(ruleset: Ruleset, obj: GitObject) -> bool:
    return obj.kind == "blob" and bool(obj.path) and bool(ruleset.file_context.rules_for(obj.path or ""))


def _rescan_named(
    repo: str,
    objects: list[GitObject],
    findings: list[Finding],
    clean: set[str],
    stats: ScanStats,
    ruleset: Ruleset,
    content: ContentOptions,
) -> list[Finding]:
    """Blobs whose path, named after they were scanned (or cached clean), puts them in a rule's context
    (``config/qiniu.yml``: akscan.engine.filecontext) are read again under it; their findings replace the
    first reading's. Few in any repository: the file name must be the provider's own."""
    named = [o for o in objects if _named_path(ruleset, o)]
    if not named:
        return findings
    again = scan_objects(repo, named, ruleset, content)
    shas = {o.sha for o in named}
    stats.errors.extend(again.stats.errors)  # (files and bytes were counted at the first reading)
    stats.incomplete = stats.incomplete or again.stats.incomplete
    clean.difference_update(shas - set(again.clean))
    kept = [f for f in findings if f.git is None or f.git.source != "blob" or f.git.blob not in shas]
    return kept + again.findings


def _placeholder(sha: str) -> str:
    return f"<blob {sha}>"


def _named(findings: list[Finding], stats: ScanStats, paths: dict[str, str | None]) -> list[Finding]:
    """Findings and messages of blobs scanned before their paths were known, with the paths put in (or
    ``<unreachable blob …>`` for a blob no commit holds)."""

    def shown(text: str) -> str:
        if "<blob " not in text:
            return text
        for sha in {part.split(">", 1)[0] for part in text.split("<blob ")[1:]}:
            path = paths.get(sha) or f"<unreachable blob {sha[:12]}>"
            # A lone compressed blob's member is named after the blob (x.json.gz!x.json).
            placeholder = _placeholder(sha)
            text = text.replace(lone_member_name(placeholder), lone_member_name(path))
            text = text.replace(placeholder, path)
        return text

    for entry in stats.errors:
        entry["path"], entry["detail"] = shown(entry.get("path", "")), shown(entry.get("detail", ""))
    named = []
    for finding in findings:
        if finding.git is None or finding.git.source != "blob" or "<blob " not in finding.location.path:
            named.append(finding)
            continue
        location = dataclasses.replace(finding.location, path=shown(finding.location.path))
        second = finding.secret_location
        second = dataclasses.replace(second, path=shown(second.path)) if second is not None else None
        git = dataclasses.replace(finding.git, path=paths.get(finding.git.blob))
        named.append(dataclasses.replace(finding, location=location, secret_location=second, git=git))
    return named


def _tasks(objects: list[GitObject], parts: int) -> list[list[GitObject]]:
    """Split into ``parts`` tasks of about equal bytes, each a set of whole delta families (the objects
    linked through git's delta bases), kept in the listing's order. A family never spans two tasks: its
    versions are scanned against each other (akscan.engine.delta), and each worker's ``cat-file`` resolves only
    its own families' delta chains (a contiguous split made both workers' git inflate shared bases: ~40%
    more git CPU for half the objects each)."""
    parent = {obj.sha: obj.base for obj in objects if obj.base}
    roots: dict[str, str] = {}

    def root(sha: str) -> str:
        """The end of the chain of delta bases from ``sha``, remembered for every object on the way."""
        passed = []
        while sha in parent:
            known = roots.get(sha)
            if known is not None:
                sha = known
                break
            passed.append(sha)
            sha = parent[sha]
        for step in passed:
            roots[step] = sha
        return sha

    # Most objects are a chain's end or one step from it: answered without a call.
    keys = [obj.sha if obj.base is None else obj.base if obj.base not in parent else root(obj.sha) for obj in objects]
    sizes: dict[str, int] = {}
    for key, obj in zip(keys, objects, strict=True):
        sizes[key] = sizes.get(key, 0) + obj.size
    loads = [0] * parts
    task_of: dict[str, int] = {}
    for key in sorted(sizes, key=lambda k: -sizes[k]):  # largest first onto the lightest task
        lightest = loads.index(min(loads))
        task_of[key] = lightest
        loads[lightest] += sizes[key]
    tasks: list[list[GitObject]] = [[] for _ in range(parts)]
    for key, obj in zip(keys, objects, strict=True):
        tasks[task_of[key]].append(obj)
    return [t for t in tasks if t]


_worker: tuple[str, list[list[GitObject]], Ruleset, ContentOptions, Any] | None = None


def _init(repo: str, tasks: list[list[GitObject]], ruleset: Ruleset, content: ContentOptions, seen: Any) -> None:
    global _worker
    _worker = (repo, tasks, ruleset, content, seen)


def _run(index: int) -> TaskResult:
    assert _worker is not None
    repo, tasks, ruleset, content, seen = _worker
    return scan_objects(repo, tasks[index], ruleset, content, seen.set)


def _results(
    repo: str,
    objects: list[GitObject],
    ruleset: Ruleset,
    jobs: int,
    content: ContentOptions,
    started: Callable[[], None] = lambda: None,
    on_finding: Callable[[], None] = lambda: None,
) -> Iterator[TaskResult]:
    """Each task's result; ``started`` is called once the scanning has begun (workers forked),
    ``on_finding`` when some object holds a finding (from a worker: by a shared event, watched here; it
    may be called more than once, the caller makes it idempotent)."""
    workers = jobs or os.cpu_count() or 1
    if workers <= 1 or sum(o.size for o in objects) < PARALLEL_MIN_BYTES:
        started()
        if objects:
            yield scan_objects(repo, objects, ruleset, content, on_finding)
        return
    import multiprocessing
    import threading

    from akscan.runs.workers import start_method

    tasks = _tasks(objects, workers * TASKS_PER_WORKER)
    seen = multiprocessing.get_context(start_method()).Event()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if seen.wait(0.05):
                on_finding()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # The workers get the task lists with their set-up (inherited through fork, not pickled: ~40 ms of
    # pickling 15k objects on flask) and only an index per task.
    try:
        yield from run_pooled(
            range(len(tasks)),
            _run,
            workers,
            _init,
            (repo, tasks, ruleset, content, seen),
            lambda index: scan_objects(repo, tasks[index], ruleset, content, on_finding),
            started,
        )
    finally:
        done.set()


def _once(callback: Callable[[], None]) -> Callable[[], None]:
    """``callback``, called at most once however often (and from whichever threads) the result is; a
    second caller returns only once the first call is done (the log it starts is then in place)."""
    import threading

    lock = threading.Lock()
    called: list[bool] = []

    def call() -> None:
        with lock:
            if not called:
                called.append(True)
                callback()

    return call


# -- attribution ---------------------------------------------------------------------------------------
def _commit_info(repo: str, commit: str) -> Introduction | None:
    """Author and date of a commit whose message holds a finding (rare, so GitPython's import is paid
    only then)."""
    import git as gitpython

    from akscan.sources.gitcmd import gitpython_repo

    try:
        with gitpython_repo(repo) as handle:
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


def attribute_findings(
    repo: str,
    findings: list[Finding],
    unreachable_commits: list[str],
    cache: HistoryCache | None = None,
    log: HistoryLog | None = None,
    repository_changed: bool = True,
    reachable: set[str] | None = None,
    facts: dict[str, Any] | None = None,
) -> list[Finding]:
    """Credit each finding to the commit that introduced it, then keep one finding per credential.
    Which commit introduced a blob is cached (blob ids and commit metadata only, nothing secret); refs,
    presence at HEAD and removal change with every push, so they are worked out afresh — except from
    ``facts``, what a scan of the repository in this very state worked out (filled in here for the next
    one: the finding blobs at HEAD, the refs reaching each credited commit)."""
    facts = {} if facts is None else facts
    known_at_head = facts.get("at_head")
    at_head = set(known_at_head) if isinstance(known_at_head, list) else head_blobs(repo)
    blobs = {f.git.blob for f in findings if f.git is not None and f.git.source == "blob"}
    messages = {f.git.blob for f in findings if f.git is not None and f.git.source == "commit-message"}
    introductions = cache.introductions() if cache is not None else {}
    if introductions:
        # A rewritten history (or another repository now at the same path) must not be credited with a
        # commit it no longer has: a cached introduction whose commit is gone is worked out again.
        present = _existing_commits(repo, {i.commit for b, i in introductions.items() if b in blobs | messages})
        introductions = {b: i for b, i in introductions.items() if i.commit in present}
    # A blob gone from HEAD may have been removed by commits made since it was cached: ask the log again,
    # but only when the repository changed since the last full scan.
    unknown = {
        b
        for b in blobs
        if b not in introductions or (repository_changed and b not in at_head and not introductions[b].removed_commit)
    }
    if unknown:
        introductions.update(attribute(repo, unknown, unreachable_commits, log, reachable))
    elif log is not None:
        log.cancel()
    for commit in messages - set(introductions):
        info = _commit_info(repo, commit)
        if info is not None:
            introductions[commit] = info
    if cache is not None and (unknown or messages):
        with contextlib.suppress(OSError):
            wanted = blobs | messages
            cache.save_introductions({b: i for b, i in introductions.items() if b in wanted})
    commits = {i.commit for b, i in introductions.items() if b in blobs or b in messages}
    refs_cache = _known_refs(facts.get("refs"), commits)
    asked = sorted(commits - set(refs_cache))
    if len(asked) >= REFS_ONE_PASS_FROM:
        refs_cache.update(refs_containing_all(repo, asked))
    elif asked:
        from concurrent.futures import ThreadPoolExecutor  # (with logging, ~3 ms to import: only here)

        with ThreadPoolExecutor(max_workers=4) as pool:  # each is a git process: let them overlap
            refs_cache.update(zip(asked, pool.map(lambda c: refs_containing(repo, c), asked), strict=True))
    facts["refs"] = {c: [list(refs), count] for c, (refs, count) in refs_cache.items()}
    facts["at_head"] = sorted(b for b in {f.git.blob for f in findings if f.git is not None} if b in at_head)
    attributed = []
    for finding in findings:
        provenance = finding.git
        assert provenance is not None
        intro = introductions.get(provenance.blob) if provenance.source in ("blob", "commit-message") else None
        removed = 0
        if intro is not None:
            refs, ref_count = refs_cache.get(intro.commit) or refs_containing(repo, intro.commit)
            provenance = dataclasses.replace(
                provenance,
                commit=intro.commit,
                path=intro.path or provenance.path,
                author_name=intro.author_name,
                author_email=intro.author_email,
                date=intro.date,
                summary=intro.summary,
                refs=refs,
                ref_count=ref_count,
                paths=intro.paths,
                removed_in=intro.removed_commit,
                removed_date=intro.removed_date,
            )
            removed = intro.removed_timestamp
            finding = _moved(finding, finding.git.path if finding.git else None, provenance.path)
        provenance = dataclasses.replace(provenance, present_at_head=provenance.blob in at_head)
        introduced = intro.age_key if intro else (NEVER, 0)
        attributed.append((introduced, removed, dataclasses.replace(finding, git=provenance)))
    return _one_per_credential(attributed)


def _known_refs(known: Any, commits: set[str]) -> dict[str, tuple[tuple[str, ...], int]]:
    """The cached refs of ``commits`` (nothing when the cache file is not what akscan wrote)."""
    try:
        return {c: (tuple(str(r) for r in refs), int(count)) for c, (refs, count) in known.items() if c in commits}
    except (AttributeError, TypeError, ValueError):
        return {}


def _moved(finding: Finding, scanned_as: str | None, path: str | None) -> Finding:
    """A finding read from a blob under one path (or none: an unreachable blob), placed at the path that
    introduced it; an archive member keeps its ``!member`` part."""
    if path is None or scanned_as == path:
        return finding
    current = finding.location.path
    label = scanned_as if scanned_as is not None else current.split("!", 1)[0]
    suffix = current[len(label) :] if current.startswith(label) else ""
    return dataclasses.replace(finding, location=dataclasses.replace(finding.location, path=path + suffix))


NEVER = 1 << 62  # the introduction time of a blob no commit holds: after every real one


def _one_per_credential(attributed: list[tuple[tuple[int, int], int, Finding]]) -> list[Finding]:
    """One finding per credential: the oldest introduction, every path, and — when no blob holding it is
    at HEAD any more — the last commit that removed one."""
    groups: dict[str, list[tuple[tuple[int, int], int, Finding]]] = {}
    for introduced, removed, finding in attributed:
        groups.setdefault(finding.fingerprint, []).append((introduced, removed, finding))
    result = []
    for members in groups.values():
        members.sort(key=lambda m: (m[0], m[2].location.path))
        first = members[0][2]
        assert first.git is not None
        infos = [m[2].git for m in members if m[2].git is not None]
        paths = sorted({p for g in infos for p in (g.paths or (g.path,)) if p})
        at_head = any(g.present_at_head for g in infos)
        last_removal = max(members, key=lambda m: m[1])
        removal = last_removal[2].git if not at_head and last_removal[1] else None
        git_info = dataclasses.replace(
            first.git,
            occurrences=len(members),
            paths=tuple(paths),
            present_at_head=at_head,
            removed_in=removal.removed_in if removal else None,
            removed_date=removal.removed_date if removal else None,
        )
        severity = first.severity
        if git_info.source == "blob" and git_info.commit is None and git_info.path is None:
            # A blob no commit ever held, reachable or not: staged and never committed (a commit the hook
            # refused, `git add` then reset) or written by `git hash-object`. It never left this machine
            # in a commit; reported at info so an audit still sees it, without failing a gate.
            git_info = dataclasses.replace(git_info, never_committed=True)
            severity = Severity.INFO
        result.append(dataclasses.replace(first, git=git_info, severity=severity))
    return result


def repository_state(repo: str) -> str:
    """A cheap fingerprint of everything a full history scan would read: every ref and where it points,
    the reflogs' sizes, the pack files and the loose objects. Unchanged means no new object to scan."""
    digest = hashlib.sha256()
    # Every ref and HEAD in one git process (show-ref exits 1 when there are none: an empty repository).
    digest.update(gitcmd.run(["show-ref", "--head"], repo, check=False).stdout)
    common = git_common_dir(repo)
    # The object stores of alternates (clone --shared, --reference) hold this repository's objects too.
    stores = [os.path.join(common, "logs"), os.path.join(common, "objects"), *_alternates(common)]
    for store in stores:
        for root, dirs, files in os.walk(store):
            dirs.sort()
            for name in sorted(files):
                try:
                    size = os.stat(os.path.join(root, name)).st_size
                except OSError:
                    continue
                digest.update(f"{root}/{name}:{size}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _alternates(common: str, depth: int = 0) -> list[str]:
    """The object folders ``objects/info/alternates`` names (and theirs, up to a few levels)."""
    path = os.path.join(common, "objects", "info", "alternates")
    try:
        with open(path, "rb") as handle:
            lines = handle.read(64 * 1024).decode("utf-8", "surrogateescape").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        store = os.path.normpath(line if os.path.isabs(line) else os.path.join(common, "objects", line))
        found.append(store)
        if depth < 4:
            found += _alternates(os.path.dirname(store), depth + 1)
    return found


def _inventory(
    repo: str, cache: HistoryCache | None, options: GitScanOptions
) -> tuple[PendingInventory | None, Inventory, set[str], str | None, dict[str, Any]]:
    """The objects to consider and the cached clean ones. When a full scan finds the repository exactly
    as the last full scan left it, only the objects that held findings are listed (and re-read, since
    findings are never cached): no rev-list, no object listing. A full scan of the whole store gets the
    object listing at once and the history walk later (``PendingInventory``): scanning starts before git
    has named every blob's path."""
    fingerprint = None
    if cache is not None and options.revisions is None:
        fingerprint = repository_state(repo)
        state = cache.state()
        if state.get("fingerprint") == fingerprint and state.get("unreachable") == options.unreachable:
            objects = [GitObject(o["sha"], o["kind"], o["size"], o.get("path")) for o in state.get("findings", [])]
            inv = Inventory(
                objects,
                [],
                state.get("shallow", False),
                state.get("partial", False),
                state.get("unreachable_commits", []),
            )
            return None, inv, set(), fingerprint, state
    cached = cache.clean_objects() if cache is not None else set()
    if options.revisions is None and options.unreachable:
        return PendingInventory(repo, start_log=True), Inventory([]), cached, fingerprint, {}
    return None, inventory(repo, options.revisions, options.unreachable), cached, fingerprint, {}


def scan_history(
    path: str, ruleset: Ruleset, options: GitScanOptions, on_progress: Callable[[int], None] | None = None
) -> ScanResult:
    started = time.monotonic()
    forget_facts()  # (before: resolving the repository learns them afresh)
    repo = open_repository(path)
    cache = HistoryCache(git_common_dir(repo), ruleset.digest) if options.cache else None
    pending, inv, cached, fingerprint, unchanged = _inventory(repo, cache, options)
    stats = ScanStats()
    if cache is not None and cache.refused:
        stats.errors.append(
            {"path": str(cache.folder), "reason": "cache", "detail": f"history cache not used: {cache.refused}"}
        )
    listed = pending.objects if pending is not None else inv.objects
    # A blob cached clean under one name is read again under a name that puts it in a rule's context
    # (config/qiniu.yml): the cache holds object ids, and the finding depends on the name.
    todo = [o for o in listed if o.sha not in cached or _named_path(ruleset, o)]
    findings: list[Finding] = []
    clean: set[str] = set()
    # A full scan will most likely need the log for attribution: let git produce it meanwhile (a pending
    # inventory starts it as soon as its walk has named the dangling commits the log must include).
    logs: list[HistoryLog] = []

    def begin_log() -> None:  # at the first finding: most scans find nothing and never need it
        if pending is not None:
            pending.want_log()
        elif not unchanged:
            logs.append(HistoryLog(repo, inv.unreachable_commits))

    start_log = _once(begin_log)

    try:
        # The history walk's parse waits until the workers are forked: run beside the listing's, it took
        # the interpreter lock from the main thread and delayed the fork (requests: ~40 ms).
        begin_walk = pending.begin if pending is not None else (lambda: None)
        for result in _results(repo, todo, ruleset, options.jobs, options.content, begin_walk, start_log):
            stats.merge(result.stats)
            findings.extend(result.findings)
            clean.update(result.clean)
            if on_progress:
                on_progress(result.scanned_bytes)
        if findings:
            start_log()  # (the watcher may not have seen the workers' event yet)
        if pending is not None:
            inv = pending.result()
            logs.extend([pending.log] if pending.log is not None else [])
            findings = _named(findings, stats, {o.sha: o.path for o in inv.objects})
            todo = [o for o in inv.objects if o.sha not in cached or _named_path(ruleset, o)]
            findings = _rescan_named(repo, inv.objects, findings, clean, stats, ruleset, options.content)
    except BaseException:
        if pending is not None:
            with contextlib.suppress(BaseException):
                pending.result()
                if pending.log is not None:
                    logs.append(pending.log)
        for running in logs:
            running.cancel()
        raise
    log = logs[0] if logs else None
    counts = unchanged.get("counts") or _counts(inv.objects)
    state: dict[str, Any] | None = None
    if cache is not None and not unchanged:
        try:
            cache.save_clean(cached | clean)
        except OSError as exc:
            stats.errors.append({"path": str(cache.folder), "reason": "cache", "detail": f"cannot write cache: {exc}"})
        if fingerprint is not None and not inv.missing and not inv.broken:
            held = [{"sha": o.sha, "kind": o.kind, "size": o.size, "path": o.path} for o in todo if o.sha not in clean]
            state = {
                "fingerprint": fingerprint,
                "unreachable": options.unreachable,
                "findings": held,
                "shallow": inv.shallow,
                "partial": inv.partial,
                "unreachable_commits": inv.unreachable_commits,
                "counts": counts,
                "coverage": _coverage(inv.objects),
            }
    # Refs and HEAD are part of the fingerprint: in a repository unchanged since the last full scan, which
    # refs reach each finding's commit and which blobs are at HEAD are what that scan worked out.
    facts: dict[str, Any] = dict(unchanged.get("facts") or {})
    for sha in inv.missing:
        stats.skip("missing-object", sha, f"git object {sha} is missing (shallow or partial clone?)")
    for reason in inv.broken:
        stats.skip(
            "broken-history",
            repo,
            f"history walk broke off ({reason}); every object in the store was still scanned"
            if options.revisions is None
            else f"history walk broke off ({reason})",
        )
    stats.incomplete = stats.incomplete or bool(inv.missing) or bool(inv.broken) or inv.shallow or inv.partial
    if findings:
        findings = attribute_findings(
            repo,
            findings,
            inv.unreachable_commits,
            cache,
            log,
            repository_changed=not unchanged,
            reachable=inv.reachable_commits,
            facts=facts,
        )
        findings = options.excludes.filter_findings(findings, stats)
        if options.revisions is not None:
            findings = mark_present_before(repo, findings, range_bases(options.revisions), ruleset, options.content)
    elif log is not None:
        log.cancel()
    if options.revisions is not None:
        earlier = still_at_head(repo, findings, options.revisions, ruleset, options.content, cached | clean, stats)
        findings.extend(options.excludes.filter_findings(earlier, stats))
    refs = unchanged.get("refs")
    if not isinstance(refs, int):
        refs = len(git_output(repo, "for-each-ref", "--format=%(refname)").splitlines())
    if state is None and unchanged and (unchanged.get("facts") != facts or unchanged.get("refs") != refs):
        state = dict(unchanged)  # (a state from before these facts were kept: keep them from now on)
    if state is not None and cache is not None:
        try:
            cache.save_state({**state, "facts": facts, "refs": refs})
        except OSError as exc:
            stats.errors.append({"path": str(cache.folder), "reason": "cache", "detail": f"cannot write cache: {exc}"})
    total = sum(counts.values())
    # What the scan covered, not only what this run read: a cached run covers what the cold one did.
    covered = unchanged.get("coverage") if unchanged else _coverage(inv.objects)
    if isinstance(covered, dict) and isinstance(covered.get("bytes"), int):
        # files: blobs; bytes: every git object covered, as git stores it (commits and tags whole), so a
        # cold and a cached run of the same repository say the same; this_run: what was read now.
        stats.extra["this_run"] = {"files": stats.files, "bytes": stats.bytes, "objects": len(todo)}
        stats.files, stats.bytes = covered["files"], covered["bytes"]
    stats.extra["git"] = {
        "repository": repo,
        "blobs": counts["blob"],
        "commits": counts["commit"],
        "tags": counts["tag"],
        "refs": refs,
        "scanned_objects": len(todo),
        # Bytes of blob versions taken over from the version git stored them against (akscan.engine.delta).
        "reused_bytes": stats.reused_bytes,
        "cached_objects": total - len(todo),
        "unchanged_since_last_scan": bool(unchanged),
        "missing_objects": stats.skipped.get("missing-object", 0),
        "range": list(options.revisions) if options.revisions is not None else None,
        "unreachable_commits": len(inv.unreachable_commits),
        "shallow": inv.shallow,
        "partial": inv.partial,
    }
    return ScanResult(sort_findings(findings), stats, time.monotonic() - started, root=repo, paths_from_root=True)
