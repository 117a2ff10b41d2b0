"""Git history as a source: every unique blob once, from every ref (and by default the objects no ref
reaches), plus commit and tag messages; attribution of the blobs that hold findings.

Why blobs and not ``git log -p``: patches skip content that only a merge introduced, re-read the same
text on every branch, miss pure renames, and see an ID and its secret only if one commit added both.
A blob is scanned whole, once, however many commits and branches carry it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from akscan.errors import SourceError
from akscan.sources import gitcmd


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 3x (flask's 15k: 15 -> 5 ms)
class GitObject:
    sha: str
    kind: str  # blob | commit | tag
    size: int
    path: str | None = None
    base: str | None = None  # the object git stored this one as a delta against, if any


@dataclass
class Inventory:
    """What a history scan covers, and what it could not see."""

    objects: list[GitObject]
    missing: list[str] = field(default_factory=list)
    shallow: bool = False
    partial: bool = False
    unreachable_commits: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # what git said when a walk of history broke off
    reachable_commits: set[str] | None = None  # commits some ref or reflog reaches (None: not listed)


def git(repo: str, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    return gitcmd.run(args, repo, input=input, check=check).stdout


def git_output(repo: str, *args: str) -> bytes:
    """Output of a git command that may fail (empty then)."""
    return git(repo, *args, check=False)


def open_repository(path: str) -> str:
    """The repository's top folder (or git dir for a bare one); a clear error when it is not a repo."""
    early = _early_repos.pop(path, None)
    if early is not None:
        repo, facts = early
        if facts is not None:
            _known_facts.setdefault(repo, facts)
        return repo
    if not os.path.isdir(path):
        raise SourceError(f"{path} is not a git repository (no such directory): pass the path of a repository")
    # A work tree (nearly always) answers in one git process; a bare clone or a path inside .git makes
    # --show-toplevel fail, and is asked step by step below.
    together = gitcmd.run(
        ["rev-parse", "--is-bare-repository", "--is-shallow-repository", "--git-common-dir", "--show-toplevel"],
        path,
        check=False,
    )
    lines = together.stdout.decode("utf-8", "surrogateescape").splitlines()
    if together.returncode == 0 and len(lines) == 4 and lines[0] == "false":
        common = lines[2] if os.path.isabs(lines[2]) else os.path.join(os.path.abspath(path), lines[2])
        _known_facts[lines[3]] = _read_facts(lines[3], [lines[1], common])
        return lines[3]
    bare = gitcmd.run(["rev-parse", "--is-bare-repository"], path, check=False)
    if bare.returncode != 0:
        raise SourceError(f"{path} is not a git repository: run `akscan git` inside one or pass its path")
    if bare.stdout.strip() == b"true":  # a bare or --mirror clone: the usual way to audit a remote
        return os.path.abspath(path)
    top = gitcmd.run(["rev-parse", "--show-toplevel"], path, check=False)
    lines = top.stdout.decode("utf-8", "surrogateescape").splitlines()
    if top.returncode != 0 or not lines:  # inside .git itself, say
        return os.path.abspath(path)
    return lines[0]


def unknown_revisions(repo: str, revisions: list[str]) -> list[str]:
    """The revisions named in rev-list arguments (``A..B``, ``^A``, ``REF``) that are not commits here."""
    names: list[str] = []
    for argument in revisions:
        for part in argument.lstrip("^").split(".."):
            if part and part not in names:
                names.append(part)
    return [name for name in names if not _is_commit(repo, name)]


def has_ref(repo: str, ref: str) -> bool:
    return gitcmd.run(["show-ref", "--verify", "--quiet", ref], repo, check=False).returncode == 0


def _is_commit(repo: str, name: str) -> bool:
    probe = ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"]
    return gitcmd.run(probe, repo, check=False).returncode == 0


class PendingInventory:
    """A whole-store inventory in two halves: the object listing (ids, types, sizes, delta bases) at once,
    so scanning can start; the history walk (each blob's path, reachable and dangling commits) in a
    thread meanwhile, since only findings need paths — and then, with ``start_log``, the attribution log,
    which must include the dangling commits, once ``want_log`` says a finding needs it. ``result()`` waits
    for the walk."""

    def __init__(self, repo: str, start_log: bool = False) -> None:
        import threading

        self.repo = repo
        self.start_log = start_log
        self.log: HistoryLog | None = None
        early = _early_listings.pop(repo, None)
        listing = early or _listing(repo)
        self._error: BaseException | None = None
        self._inventory: Inventory | None = None
        self._listed = threading.Event()
        self._thread = threading.Thread(target=self._walk, daemon=True)
        self._begun = False
        self._log_decided = threading.Event()
        self._log_wanted = False
        if early is None:  # git's walk is not under way yet: start it now
            self.begin()
        self.objects: list[GitObject] = []
        self.unreadable: list[str] = []
        try:
            out = listing.read()
            if early is not None:
                # git's walk starts once its listing is done (both on the other core, one after the other:
                # side by side, the walk delayed the listing the scan waits for), while this parses it.
                _early_walks[(repo, WHOLE_STORE)] = Background(repo, _walk_args(list(WHOLE_STORE), False), errors=True)
            self.objects, self.unreadable = _listed_objects(out)
        finally:
            self._listed.set()  # the walk must never wait forever on a listing that failed

    def _walk(self) -> None:
        try:
            walked = _walk_history(self.repo, list(WHOLE_STORE))
            self._listed.wait()
            self._inventory = _complete(self.repo, self.objects, self.unreadable, *walked)
            if self.start_log:
                self._log_decided.wait()
                if self._log_wanted:
                    self.log = HistoryLog(self.repo, self._inventory.unreachable_commits)
        except BaseException as error:  # re-raised in the caller's thread by result()
            self._error = error

    def begin(self) -> None:
        """Start the walk's thread (when git's walk was started early, once the scan is under way)."""
        if not self._begun:
            self._begun = True
            self._thread.start()

    def want_log(self) -> None:
        """Some blob holds a finding: start the attribution log as soon as the walk is done (it must
        include the dangling commits the walk names). Until then none is started: most scans find nothing,
        and even at idle priority the log took ~20 ms from flask's workers."""
        self._log_wanted = True
        self._log_decided.set()

    def result(self) -> Inventory:
        self._log_decided.set()  # nothing will ask for the log any more
        self.begin()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._inventory is not None
        return self._inventory


_SCANNED = ("blob", "commit", "tag")
WHOLE_STORE = ("--all", "--reflog")  # the revisions a whole-store scan walks


def _walk_history(repo: str, rev_args: list[str]) -> tuple[dict[str, str], list[str], list[str], list[str], bool, bool]:
    shallow = _facts(repo)[0]
    promisor = git(repo, "config", "--get-regexp", r"^(remote\..*\.promisor|extensions\.partialclone)$", check=False)
    broken: list[str] = []
    paths, missing, commits = _reachable(repo, rev_args, [], broken)
    return paths, missing, commits, broken, shallow, bool(promisor.strip())


def _complete(
    repo: str,
    listed: list[GitObject],
    unreadable: list[str],
    paths: dict[str, str],
    missing: list[str],
    commits: list[str],
    broken: list[str],
    shallow: bool,
    partial: bool,
) -> Inventory:
    """Every object in the store, so blobs no commit reaches any more are scanned too. Commits no ref
    reaches (amended, rebased, force-pushed away) are walked for their blobs' paths; this set difference
    is what `git fsck --unreachable` would say, at a fraction of its cost."""
    reachable_commits = set(commits)
    dangling = [o.sha for o in listed if o.kind == "commit" and o.sha not in reachable_commits]
    if dangling:
        extra_paths, extra_missing, _ = _reachable(repo, ["--not", "--all", "--reflog"], dangling, broken)
        for sha, path in extra_paths.items():
            paths.setdefault(sha, path)
        missing.extend(extra_missing)
    # The listed objects are named in place (the scan's workers hold their own copies; one scanning in
    # this process shows a blob by a placeholder until it has its path, akscan.runs.history._named).
    for obj in listed:
        obj.path = paths.get(obj.sha)
    missing.extend(unreadable)
    return Inventory(listed, sorted(set(missing)), shallow, partial, dangling, broken, reachable_commits)


def inventory(repo: str, revisions: list[str] | None, unreachable: bool) -> Inventory:
    """List the blobs, commits and tags to scan. ``revisions`` None means every ref (and the reflog);
    otherwise the rev-list arguments of a range or branch."""
    if revisions is None and unreachable:
        return PendingInventory(repo).result()
    paths, missing, commits, broken, shallow, partial = _walk_history(
        repo, ["--all", "--reflog"] if revisions is None else revisions
    )
    objects: list[GitObject] = []
    sizes = _sizes(repo, [*paths, *commits])
    for sha, (kind, size, base) in sizes.items():
        if kind in _SCANNED:  # trees hold names, not content: never scanned or counted
            objects.append(GitObject(sha, kind, size, paths.get(sha), base))
    missing.extend(sha for sha in [*paths, *commits] if sha not in sizes)
    return Inventory(objects, sorted(set(missing)), shallow, partial, [], broken, set(commits))


def _walk_args(rev_args: list[str], stdin: bool) -> list[str]:
    return ["rev-list", "--objects", "--missing=print", *(["--stdin"] if stdin else []), *rev_args]


# Whole-store scans started early (start_early): git's listing and walk, by repository.
_early_listings: dict[str, Background] = {}
_early_walks: dict[tuple[str, tuple[str, ...]], Background] = {}
_early_repos: dict[str, tuple[str, tuple[bool, str] | None]] = {}  # a path given -> its repository, facts
_early_exit_hook: list[object] = []


def start_early(path: str, skip_if_cached: bool) -> None:
    """Start git's object listing for a whole-store scan of ``path`` before the rest of akscan is
    imported, so git works on the other core meanwhile (requests: the listing's ~35 ms were waited for
    after ~45 ms of imports); the history walk follows it (PendingInventory). ``skip_if_cached``: not
    when akscan has scanned this repository before (the cache may make the listing unnecessary). Best
    effort: on any doubt the scan starts them itself."""
    import atexit

    try:
        repo = open_repository(path)
        _early_repos[path] = (repo, _known_facts.get(repo))  # the scan asks again: one answer is enough
        if skip_if_cached:
            from akscan.storage import repository_cache_dir

            if repository_cache_dir(git_common_dir(repo)).exists():
                return
        _early_listings[repo] = _listing(repo)
    except (SourceError, OSError):
        cancel_early()
        return
    if not _early_exit_hook:
        _early_exit_hook.append(atexit.register(cancel_early))


def cancel_early() -> None:
    """Stop what ``start_early`` started and the scan did not use (an error, a cache hit)."""
    for running in [*_early_listings.values(), *_early_walks.values()]:
        with contextlib.suppress(OSError):
            running.cancel()
    _early_listings.clear()
    _early_walks.clear()
    _early_repos.clear()


def _has_head(repo: str) -> bool:
    return bool(git(repo, "rev-parse", "--verify", "--quiet", "HEAD", check=False).strip())


def _reachable(
    repo: str, rev_args: list[str], extra: list[str], broken: list[str]
) -> tuple[dict[str, str], list[str], list[str]]:
    """Blob → first path seen, missing objects, and commits, for the given revisions. A walk that breaks
    off (a missing commit or tree in a damaged clone) keeps what it listed and notes git's reason in
    ``broken``; an unknown revision is the user's error."""
    early = _early_walks.pop((repo, tuple(rev_args)), None) if not extra else None
    if early is not None:
        code, out, errors = early.finish()
    else:
        stdin = "".join(f"{sha}\n" for sha in extra).encode()
        proc = gitcmd.run(_walk_args(rev_args, bool(extra)), repo, input=stdin, check=False)
        code, out, errors = proc.returncode, proc.stdout, proc.stderr
    if code != 0:
        reason = gitcmd.last_line(errors, code)
        if any(word in reason for word in ("unknown revision", "bad revision", "ambiguous argument")):
            raise SourceError(f"git rev-list failed in {repo}: {reason}")
        broken.append(reason)
    paths: dict[str, str] = {}
    missing: list[str] = []
    commits: list[str] = []
    for raw in out.splitlines():
        if raw.startswith(b"?"):
            missing.append(raw[1:].decode())
            continue
        sha, _, path = raw.partition(b" ")
        if not path:
            commits.append(sha.decode())
        else:
            paths.setdefault(sha.decode(), path.decode("utf-8", "surrogateescape"))
    return paths, missing, commits


class Background:
    """A git command running in the background while the caller does other work, writing to a temporary
    file (a pipe would stall it after 64 KiB); ``read`` waits for it, ``cancel`` stops it. With
    ``errors``, its stderr is kept too (``finish`` gives the exit code, output and stderr)."""

    def __init__(
        self, repo: str, args: list[str], stdin: bytes = b"", idle: bool = False, errors: bool = False
    ) -> None:
        import tempfile

        self.output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by read() or cancel()
        self.errors = tempfile.TemporaryFile() if errors else None  # noqa: SIM115 - closed with the output
        stderr = self.errors if self.errors is not None else subprocess.DEVNULL
        self.proc = gitcmd.popen(args, repo, stdout=self.output, stderr=stderr)
        if idle:
            _lowest_priority(self.proc.pid)
        assert self.proc.stdin is not None
        self.proc.stdin.write(stdin)
        self.proc.stdin.close()

    def read(self) -> bytes:
        return self.finish()[1]

    def finish(self) -> tuple[int, bytes, bytes]:
        code = gitcmd.wait(self.proc)
        self.output.seek(0)
        data = self.output.read()
        self.output.close()
        errors = b""
        if self.errors is not None:
            self.errors.seek(0)
            errors = self.errors.read()
            self.errors.close()
        return code, data, errors

    def cancel(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.output.close()
        if self.errors is not None:
            self.errors.close()


def _lowest_priority(pid: int) -> None:
    """Let a speculative process use only CPU time nothing else wants (best effort: not on Windows)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, pid, 19)


# One line per object: id, type, size and the object git stored it as a delta against (or zeros).
_CHECK_FORMAT = "--batch-check=%(objectname) %(objecttype) %(objectsize) %(deltabase)"


def _listing(repo: str) -> Background:
    # Pack order (--unordered), which the inventory reverses: related versions sit close together, so few
    # are held at a time (akscan.engine.delta), and git serves the reversed order fastest (measured, blobs only:
    # flask 0.15 s against 0.18 s in pack or id order, requests 0.11 against 0.13, a fast-import pack
    # 0.31 against 0.47 in pack order and 0.34 in id order).
    return Background(repo, ["cat-file", "--batch-all-objects", "--unordered", _CHECK_FORMAT])


_LISTED = re.compile(rb"^([0-9a-f]{40,64}) (\S+) (\d+) ([0-9a-f]{40,64})$", re.MULTILINE)
_UNREADABLE = re.compile(rb"^([0-9a-f]{40,64}) missing$", re.MULTILINE)
_NO_BASE = frozenset({"0" * 40, "0" * 64})


def _listed_objects(out: bytes) -> tuple[list[GitObject], list[str]]:
    """The blobs, commits and tags of a whole-store listing, in reverse (see _listing), and the objects
    git listed as unreadable. The usual listing (four fields on every line) is split in C, a column at a
    time, and only the objects are made, not a tuple per line first (flask: 27 -> 17 ms)."""
    text = out.decode("ascii", "replace")
    fields = text.split()
    if len(fields) != 4 * text.count("\n") or " missing" in text:
        stored = list(_parse_listing(out))
        stored.reverse()
        objects = [GitObject(sha, kind, size, None, base) for sha, kind, size, base in stored if kind in _SCANNED]
        return objects, [sha for sha, kind, _, _ in stored if kind == "missing"]
    shas, kinds, sizes, bases = fields[0::4], fields[1::4], fields[2::4], fields[3::4]
    return [
        GitObject(shas[i], kinds[i], int(sizes[i]), None, None if bases[i] in _NO_BASE else bases[i])
        for i in range(len(kinds) - 1, -1, -1)
        if kinds[i] in _SCANNED
    ], []


def _parse_listing(out: bytes) -> Iterator[tuple[str, str, int, str | None]]:
    """``cat-file --batch-check`` output as (id, type, size, delta base). The usual listing (four fields
    on every line) is split in C, a column at a time (flask's 26k lines: 5 ms, against 40 ms for a regex
    pass with a tuple built per line); anything else is parsed line by line."""
    text = out.decode("ascii", "replace")
    fields = text.split()
    if len(fields) == 4 * text.count("\n") and " missing" not in text:
        bases = [None if base in _NO_BASE else base for base in fields[3::4]]
        yield from zip(fields[0::4], fields[1::4], map(int, fields[2::4]), bases, strict=True)
        return
    for sha, kind, size, base in _LISTED.findall(out):
        yield sha.decode(), kind.decode(), int(size), None if not base.strip(b"0") else base.decode()
    for sha in _UNREADABLE.findall(out):  # git lists an object it cannot read (corrupt) as "<id> missing"
        yield sha.decode(), "missing", 0, None


def _sizes(repo: str, shas: Iterable[str]) -> dict[str, tuple[str, int, str | None]]:
    request = "".join(f"{sha}\n" for sha in shas).encode()
    if not request:
        return {}
    listed = _parse_listing(git(repo, "cat-file", _CHECK_FORMAT, input=request))
    return {sha: (kind, size, base) for sha, kind, size, base in listed if kind != "missing"}


_C_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12, ord("r"): 13}


def unquote_path(path: bytes) -> bytes:
    """A path as ``git log --raw`` prints it, unquoted: a name with a quote, a backslash or a control
    character comes C-quoted (``"a\\"b.env"``, ``"tab\\tname"``, octal ``\\351`` bytes) whatever
    core.quotePath says; reported as the real name."""
    if len(path) < 2 or path[:1] != b'"' or path[-1:] != b'"':
        return path
    body, out, index = path[1:-1], bytearray(), 0
    while index < len(body):
        byte = body[index]
        if byte != 0x5C or index + 1 == len(body):
            out.append(byte)
            index += 1
            continue
        following = body[index + 1]
        octal = body[index + 1 : index + 4]
        if len(octal) == 3 and all(0x30 <= b <= 0x37 for b in octal):
            out.append(int(octal, 8) & 0xFF)
            index += 4
        else:
            out.append(_C_ESCAPES.get(following, following))
            index += 2
    return bytes(out)


def message_of(raw: bytes) -> tuple[bytes, int]:
    """The message of a commit or tag object, and the line it starts on (headers come first)."""
    end = raw.find(b"\n\n")
    if end < 0:
        return b"", 0
    return raw[end + 2 :], raw.count(b"\n", 0, end + 2)


def head_blobs(repo: str) -> set[str]:
    if not _has_head(repo):
        return set()
    out = git(repo, "ls-tree", "-r", "--full-tree", "HEAD", check=False)
    return {line.split()[2].decode() for line in out.splitlines() if b" blob " in line}


@dataclass(frozen=True)
class Introduction:
    commit: str
    path: str
    author_name: str
    author_email: str
    date: str
    summary: str
    timestamp: int
    paths: tuple[str, ...] = ()  # every path the blob was added at, in any commit
    removed_commit: str | None = None  # the last commit that replaced or deleted the blob at a path
    removed_date: str | None = None
    removed_timestamp: int = 0
    # Where the commit came in the log (children before parents): breaks ties between equal timestamps,
    # the later the older (commits made in one second, a rebase, a script: the true introduction wins).
    order: int = 0

    @property
    def age_key(self) -> tuple[int, int]:
        """Sorts oldest first: by time, then by the log's order."""
        return (self.timestamp, -self.order)


_LOG_ARGS = [
    "log",
    "--all",
    "--reflog",
    # Children strictly before parents: with equal commit times (a script, a rebase, one second) the log's
    # order is what tells the true introduction; by date alone, --reflog's tips come out oldest first.
    "--topo-order",
    "--raw",
    "--no-abbrev",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    "--no-show-signature",
    "--diff-merges=separate",
    "--format=%x00%H%x1f%an%x1f%ae%x1f%aI%x1f%ct%x1f%s",
    "--no-color",
]


class HistoryLog(Background):
    """``git log --raw`` over all history (merges diffed against each parent), started in the background
    at the first finding (akscan.runs.history), so it runs while the rest of the blobs are scanned. It runs
    at the lowest CPU priority, so that it does not take a core from the scan's workers (the generated
    history with keys: the same at normal priority, 0.47 against 0.46 s)."""

    def __init__(self, repo: str, extra_commits: list[str]) -> None:
        args = [*_LOG_ARGS, "--stdin"] if extra_commits else list(_LOG_ARGS)
        super().__init__(repo, args, "".join(f"{sha}\n" for sha in extra_commits).encode(), idle=True)


def attribute(
    repo: str,
    blobs: set[str],
    extra_commits: list[str],
    log: HistoryLog | None = None,
    reachable: set[str] | None = None,
) -> dict[str, Introduction]:
    """For each blob, the oldest commit whose diff (against any parent, or none for a root) brings it in,
    and the last one that replaced or deleted it. One ``git log --raw`` pass, only when some blob holds a
    finding; merges are diffed against each parent so an evil merge is credited with what only it added."""
    if not blobs:
        if log is not None:
            log.cancel()
        return {}
    raw_log = (log or HistoryLog(repo, extra_commits)).read()
    found: dict[str, Introduction] = {}
    all_paths: dict[str, set[str]] = {}
    removals: dict[str, tuple[str, str, int]] = {}
    current: Introduction | None = None
    position = 0
    for raw in raw_log.split(b"\n"):
        if raw.startswith(b"\x00"):
            fields = raw[1:].decode("utf-8", "replace").split("\x1f")
            if len(fields) >= 6:
                position += 1
                current = Introduction(
                    fields[0], "", fields[1], fields[2], fields[3], fields[5], int(fields[4]), order=position
                )
            continue
        if current is None or not raw.startswith(b":"):
            continue
        meta, _, path = raw.partition(b"\t")
        path = unquote_path(path)
        parts = meta.split()
        if len(parts) < 5:
            continue
        old_sha, new_sha = parts[2].decode(), parts[3].decode()
        if old_sha in blobs and new_sha != old_sha and current.timestamp >= removals.get(old_sha, ("", "", -1))[2]:
            removals[old_sha] = (current.commit, current.date, current.timestamp)
        if new_sha in blobs:
            text_path = path.decode("utf-8", "surrogateescape")
            all_paths.setdefault(new_sha, set()).add(text_path)
            candidate = Introduction(
                current.commit,
                text_path,
                current.author_name,
                current.author_email,
                current.date,
                current.summary,
                current.timestamp,
                order=current.order,
            )
            best = found.get(new_sha)
            if best is None or _rank(candidate, reachable) <= _rank(best, reachable):
                found[new_sha] = candidate
    result = {}
    for sha, intro in found.items():
        removed = removals.get(sha)
        result[sha] = dataclasses.replace(
            intro,
            paths=tuple(sorted(all_paths[sha])),
            removed_commit=removed[0] if removed else None,
            removed_date=removed[1] if removed else None,
            removed_timestamp=removed[2] if removed else 0,
        )
    return result


def _rank(intro: Introduction, reachable: set[str] | None) -> tuple[bool, int, int]:
    """Oldest first, but a commit a branch or tag reaches beats any commit none does (a pull request's
    leftover commits in the pack must not take the credit for a key that is on a branch)."""
    return (reachable is not None and intro.commit not in reachable, *intro.age_key)


def refs_containing(repo: str, commit: str, limit: int = 50) -> tuple[tuple[str, ...], int]:
    """Up to ``limit`` refs that reach ``commit``, and how many there are in all."""
    out = git(repo, "for-each-ref", "--format=%(refname)", f"--contains={commit}", check=False)
    refs = [line.decode("utf-8", "replace") for line in out.splitlines()]
    return tuple(refs[:limit]), len(refs)


# From this many credited commits on, the refs reaching each are found in one walk of the commit graph
# instead of a `for-each-ref --contains` per commit (each walks the graph from every ref: 50,000 refs and
# a hundred credited commits took minutes).
REFS_ONE_PASS_FROM = 4


def refs_containing_all(repo: str, commits: Iterable[str], limit: int = 50) -> dict[str, tuple[tuple[str, ...], int]]:
    """``refs_containing`` for many commits at once: one `rev-list --parents` of every commit the refs
    reach, each commit's set of wanted ancestors (a bit each) carried from parents to children, then each
    ref's tip read off. Refs are in `for-each-ref`'s order (by name); a tag is followed to its commit."""
    wanted = list(dict.fromkeys(commits))
    bit = {commit: 1 << index for index, commit in enumerate(wanted)}
    listed = git(
        repo,
        "for-each-ref",
        "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)",
        check=False,
    )
    tips: list[tuple[str, str]] = []
    deeper: list[tuple[int, str]] = []  # (index, inner tag) of a tag of a tag: peeled further below
    for line in listed.splitlines():
        kind, direct, peeled_kind, peeled, ref = line.split(b" ", 4)
        name = ref.decode("utf-8", "replace")
        if kind == b"commit" or peeled_kind == b"commit":
            tips.append(((peeled or direct).decode("ascii"), name))
        elif peeled_kind == b"tag":
            deeper.append((len(tips), peeled.decode("ascii")))
            tips.append(("", name))
    if deeper:  # to the commit at the end of the chain, if there is one (a tag of a blob reaches nothing)
        asked = b"".join(f"{inner}^{{commit}}\n".encode() for _, inner in deeper)
        answers = git(repo, "cat-file", "--batch-check=%(objectname) %(objecttype)", input=asked, check=False)
        for (index, _), answer in zip(deeper, answers.splitlines(), strict=False):
            sha, _, found_kind = answer.decode("ascii", "replace").partition(" ")
            tips[index] = (sha if found_kind == "commit" else "", tips[index][1])
    tips_known = {tip for tip, _ in tips if tip}
    if not tips_known:
        return {commit: ((), 0) for commit in wanted}
    # Oldest first (--reverse of --topo-order): every parent is seen before its children.
    graph = git(
        repo,
        "rev-list",
        "--topo-order",
        "--reverse",
        "--parents",
        "--stdin",
        input=b"\n".join(tip.encode() for tip in sorted(tips_known)) + b"\n",
        check=False,
    )
    reach: dict[str, int] = {}  # only commits that reach a wanted one (the rest would be 0: most of a history)
    for line in graph.splitlines():
        commit, *parents = line.decode("ascii").split(" ")
        mask = bit.get(commit, 0)
        for parent in parents:
            mask |= reach.get(parent, 0)
        if mask:
            reach[commit] = mask
    found: dict[str, list[str]] = {commit: [] for commit in wanted}
    for tip, name in tips:
        mask = reach.get(tip, 0)
        while mask:  # each set bit: a wanted commit this ref reaches
            lowest = mask & -mask
            found[wanted[lowest.bit_length() - 1]].append(name)
            mask ^= lowest
    return {commit: (tuple(names[:limit]), len(names)) for commit, names in found.items()}


def git_dir(repo: str) -> str:
    path = git(repo, "rev-parse", "--git-dir").decode().strip()
    return path if os.path.isabs(path) else os.path.join(repo, path)


_known_facts: dict[str, tuple[bool, str]] = {}


def forget_facts() -> None:
    _known_facts.clear()


def git_common_dir(repo: str) -> str:
    """The folder holding the object store and refs (shared by every worktree of the repository)."""
    return _facts(repo)[1]


def _facts(repo: str) -> tuple[bool, str]:
    """(shallow, common git dir) in one ``rev-parse``: each git process costs a few milliseconds. Kept
    for the length of one scan (``forget_facts`` starts each scan afresh: a clone can be deepened between
    two scans of the same process); ``open_repository`` learns them with the repository's top."""
    known = _known_facts.get(repo)
    if known is None:
        out = git(repo, "rev-parse", "--is-shallow-repository", "--git-common-dir")
        known = _known_facts[repo] = _read_facts(repo, out.decode("utf-8", "surrogateescape").splitlines())
    return known


def _read_facts(repo: str, lines: list[str]) -> tuple[bool, str]:
    path = lines[1].strip() if len(lines) > 1 else ".git"
    return lines[0].strip() == "true", os.path.abspath(path if os.path.isabs(path) else os.path.join(repo, path))
