"""Fleet audits: many repositories' histories on a Dask cluster, one report.

A fleet is one more source driving the normal pipeline: each repository is one Dask task
(``akscan.runs.fleet_task.scan_repository``: mirror or open, then the history scanner), on a ``LocalCluster``
of this machine's cores by default or on an existing cluster (``--scheduler tcp://host:8786``). Results
stream back as tasks finish and go to disk at once, one file per repository, redacted: a 10,000-repository
audit neither holds every finding in memory nor loses finished work. An interrupted run (Ctrl-C, a
crash) is resumed by running the same command again; a worker that dies mid-task has its task rerun
elsewhere by the scheduler (``retries`` bounds it), and a result is stored once per repository however
many times its task ran.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from akscan.engine.rules import Ruleset
from akscan.errors import UsageError
from akscan.runs.fleet_task import TaskSettings, scan_repository, spec_key
from akscan.storage import user_cache_dir, write_atomic
from akscan.verify import VerifyOptions

INSTALL_HINT = (
    "akscan fleet needs Dask's distributed scheduler: pip install 'distributed>=2024.1' 'bokeh>=3.1' 'cryptography>=42'"
)
RESULT_LIMIT = 64 * 1024 * 1024  # one repository's stored result, at most, when read back
_RESULT_NAME = re.compile(r"[0-9a-f]{24}\.json")


@dataclass(frozen=True)
class FleetOptions:
    scheduler: str | None = None  # tcp://host:8786; None: a LocalCluster on this machine
    workers: int = 0  # LocalCluster worker processes (0: one per core)
    results: Path | None = None  # where per-repository results go (None: the cache, per list of repositories)
    fresh: bool = False  # ignore the results of an interrupted run instead of resuming it
    retries: int = 2  # reruns of a task whose worker died
    verify: VerifyOptions | None = None
    progress: bool = False
    task: TaskSettings = field(default_factory=TaskSettings)


@dataclass
class FleetRun:
    results: Path
    total: int
    resumed: int = 0
    interrupted: bool = False
    dashboard: str | None = None
    duration: float = 0.0
    verification: dict[str, Any] = field(default_factory=dict)


def read_list(path: str) -> list[str]:
    """Repositories from a file: one per line; blank lines and ``#`` comments skipped."""
    from akscan.storage import read_regular

    try:
        text = read_regular(path, 16 * 1024 * 1024, "--list").decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"--list {path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"--list {path}: not UTF-8 text") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


class ResultStore:
    """One JSON file per repository, written atomically; ``run.json`` says whether the run finished."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_specs(cls, specs: list[str], chosen: Path | None) -> ResultStore:
        if chosen is not None:
            return cls(chosen)
        digest = hashlib.sha256("\n".join(sorted(specs)).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        return cls(user_cache_dir() / "fleet" / digest)

    def state(self) -> dict[str, Any]:
        """The run's state, from akscan's own ``run.json`` only: a planted one, a link (to /dev/zero, a FIFO)
        or a file another user could have written is no state at all."""
        from akscan.storage import read_cache

        path = self.folder / "run.json"
        data = read_cache(path, STATE_LIMIT) if _own_file(path) else None
        try:
            loaded = json.loads(data) if data is not None else {}
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) and loaded.get("tool") == "akscan" else {}

    def _results(self) -> list[Path]:
        """This store's own result files only (``<24 hex>.json``, regular files of this user that only it
        can write): ``--results`` may name a folder that holds other files, and nothing else in it is
        ever read or deleted; a link is never followed."""
        return sorted(p for p in self.folder.glob("*.json") if _RESULT_NAME.fullmatch(p.name) and _own_file(p))

    def check_folder(self) -> None:
        """A results folder others can write could be seeded with records that call a leaky repository
        clean: refused (with what to do) unless it is this user's and only this user's."""
        try:
            info = os.lstat(self.folder)
        except FileNotFoundError:
            return  # made private on first write
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or not _private(info):
            raise UsageError(
                f"--results {self.folder}: not a folder of yours that only you can write (a link, another "
                "user's, or group/world-writable): results there could be planted; choose a private folder"
            )

    def begin(self, total: int, fresh: bool) -> set[str]:
        """Start a run; returns the repositories an interrupted run already finished (resumed)."""
        self.check_folder()
        previous = self.state()
        done: set[str] = set()
        if previous.get("state") == "running" and not fresh:
            done = {str(record["spec_key"]) for record in self.records()}
        else:
            for stale in self._results():
                stale.unlink()
        self._write_state({"state": "running", "repositories": total, "started": time.time()})
        return done

    def finish(self) -> None:
        self._write_state({**self.state(), "state": "finished", "finished": time.time()})

    def put(self, record: dict[str, Any]) -> bool:
        """Store a repository's result; False when it was stored already (a task that ran twice)."""
        target = self.folder / f"{record['spec_key']}.json"
        if any(r["spec_key"] == record["spec_key"] for r in self._records_at(target)):
            return False  # this run's own record is there already; anything else in its place is replaced
        write_atomic(target, json.dumps(record, sort_keys=True).encode(), private=True)
        return True

    def records(self) -> Iterator[dict[str, Any]]:
        """The stored results that are akscan's own: a record must name the file it is in."""
        for path in self._results():
            yield from self._records_at(path)

    def _records_at(self, path: Path) -> Iterator[dict[str, Any]]:
        from akscan.storage import read_cache

        if _own_file(path):
            data = read_cache(path, RESULT_LIMIT)
            with contextlib.suppress(ValueError):
                record = json.loads(data) if data is not None else None
                if (
                    isinstance(record, dict)
                    and record.get("spec_key") == path.stem
                    and isinstance(record.get("repository"), str)
                    and record.get("status") in ("scanned", "incomplete", "failed")
                    and isinstance(record.get("findings", []), list)
                ):
                    yield record

    def _write_state(self, state: dict[str, Any]) -> None:
        write_atomic(self.folder / "run.json", json.dumps({**state, "tool": "akscan"}).encode(), private=True)


STATE_LIMIT = 1024 * 1024
KNOWN_NAME = "known.json"  # the fingerprints earlier runs reported: what a notification leaves out


def known_fingerprints(folder: Path) -> set[str]:
    """The credentials earlier runs of this fleet reported (akscan's own file only, as for results)."""
    from akscan.storage import read_cache

    path = folder / KNOWN_NAME
    data = read_cache(path, RESULT_LIMIT) if _own_file(path) else None
    try:
        loaded = json.loads(data) if data is not None else {}
    except ValueError:
        return set()
    if not isinstance(loaded, dict) or loaded.get("tool") != "akscan" or not isinstance(loaded.get("known"), list):
        return set()
    return {str(item) for item in loaded["known"]}


def remember_fingerprints(folder: Path, known: set[str]) -> None:
    document = {"tool": "akscan", "known": sorted(known)}
    write_atomic(folder / KNOWN_NAME, json.dumps(document).encode(), private=True)


def _private(info: os.stat_result) -> bool:
    """Owned by this user, writable by nobody else."""
    own = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return own and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _own_file(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and _private(info)


def _client(options: FleetOptions) -> tuple[Any, Any, str | None]:
    """A Dask client: to the given scheduler, or to a LocalCluster of worker processes on loopback."""
    distributed = _distributed()
    Client, LocalCluster = distributed.Client, distributed.LocalCluster
    if options.scheduler:
        try:
            client = Client(options.scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise UsageError(f"--scheduler {options.scheduler}: cannot connect ({error})") from None
        return client, None, _dashboard(client)
    with_dashboard = _has_bokeh()
    # TLS with temporary credentials made for this run (security=True): a scheduler listening on loopback
    # is open to every user of the machine, and whoever reaches it runs code as akscan's user.
    cluster = LocalCluster(
        n_workers=options.workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # The scheduler's HTTP server (dashboard or not: /health, /metrics) on a free loopback port: with no
        # address Dask takes port 8787, and a second cluster on the machine (the user's own) fails to start.
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": with_dashboard},
        silence_logs=logging.ERROR,
        security=True,
    )
    client = Client(cluster)
    return client, cluster, _dashboard(client) if with_dashboard else None


def _distributed() -> Any:
    """Dask's distributed module (untyped, so held as Any), or a one-line error saying how to install it."""
    import importlib

    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise UsageError(INSTALL_HINT) from None


def _has_bokeh() -> bool:
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


def _dashboard(client: Any) -> str | None:
    with contextlib.suppress(Exception):
        link = client.dashboard_link
        return str(link) if link else None
    return None


def run_fleet(
    specs: list[str],
    ruleset: Ruleset,
    options: FleetOptions,
    note: Callable[[str], None] = lambda message: None,
) -> FleetRun:
    """Scan every repository; results land in the store as they arrive. Ctrl-C stops cleanly."""
    started = time.monotonic()
    store = ResultStore.for_specs(specs, options.results)
    done = store.begin(len(specs), options.fresh)
    todo = [spec for spec in specs if spec_key(spec) not in done]
    run = FleetRun(store.folder, len(specs), resumed=len(specs) - len(todo))
    if run.resumed:
        note(
            f"resuming: {run.resumed} of {len(specs)} repositories were done by an interrupted run "
            "(--fresh redoes them)"
        )
    verifier = _Verification(options.verify) if options.verify is not None else None
    client: Any = None
    cluster: Any = None
    if todo:
        client, cluster, run.dashboard = _client(options)
    if run.dashboard:
        note(f"Dask dashboard: {run.dashboard}")
    bar = None
    if options.progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="repo", desc="fleet", file=sys.stderr, leave=False)
    futures: list[Any] = []
    try:
        if todo:
            as_completed = _distributed().as_completed
            shared = client.scatter(ruleset, broadcast=True)
            futures = [
                client.submit(
                    scan_repository,
                    spec,
                    shared,
                    options.task,
                    key=f"akscan-{spec_key(spec)}",
                    pure=False,
                    retries=options.retries,
                )
                for spec in todo
            ]
            spec_of = {future.key: spec for future, spec in zip(futures, todo, strict=True)}
            for future in as_completed(futures):
                record = _record(future, spec_of[future.key])
                if verifier is not None:
                    verifier.check(record)
                store.put(_redacted(record))
                if bar is not None:
                    bar.update(1)
        store.finish()
    except KeyboardInterrupt:
        run.interrupted = True
        for future in futures:
            future.cancel()
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
    run.duration = time.monotonic() - started
    if verifier is not None:
        run.verification = verifier.summary()
    return run


def _record(future: Any, spec: str) -> dict[str, Any]:
    """A finished task's result, or a failed record saying why (its worker died every time it ran)."""
    from akscan.sources.remote import is_url, shown_url

    try:
        result = future.result()
        if isinstance(result, dict):
            return result
        reason = "the task returned nothing"
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
    shown = shown_url(spec) if is_url(spec) else os.path.abspath(spec)
    return {"repository": shown, "spec_key": spec_key(spec), "status": "failed", "reason": reason, "findings": []}


def _redacted(record: dict[str, Any]) -> dict[str, Any]:
    """What goes to disk: never a secret or a token (their fingerprints stay, for grouping)."""
    from akscan.model import redact

    findings = []
    for finding in record.get("findings", []):
        shown = dict(finding)
        for name in ("secret", "security_token"):
            if shown.get(name):
                shown[name] = redact(shown[name])
        findings.append(shown)
    return {**record, "findings": findings}


class _Verification:
    """One STS request per unique pair for the whole fleet, with the verifier's global rate limit."""

    def __init__(self, options: VerifyOptions) -> None:
        from akscan.verify import Verifier

        self.verifier = Verifier(options)
        self.results: dict[Any, Any] = {}

    def check(self, record: dict[str, Any]) -> None:
        from akscan.report.fields import finding_dict
        from akscan.report.fleet import finding_from_dict
        from akscan.verify import apply, credential_of, unasked

        checked = []
        for entry in record.get("findings", []):
            finding = finding_from_dict(entry)
            verdict = unasked(finding)  # expired (the finding is info already), or nothing to ask
            credential = credential_of(finding) if verdict is None else None
            if verdict is not None:
                entry = {**entry, "verification": {k: v for k, v in dataclasses.asdict(verdict).items() if v}}
            if credential is not None:
                if credential not in self.results:
                    self.results[credential] = self.verifier.check(credential)
                finding = apply(finding, self.results[credential])
                entry = {**finding_dict(finding, redact_secrets=False), "git": entry.get("git")}
                entry = {k: v for k, v in entry.items() if v is not None}
            checked.append(entry)
        record["findings"] = checked

    def summary(self) -> dict[str, Any]:
        statuses: dict[str, int] = {}
        for verification in self.results.values():
            statuses[verification.status] = statuses.get(verification.status, 0) + 1
        self.verifier.cache.save()
        return {"requests": self.verifier.requests, "unique_pairs": len(self.results), "statuses": statuses}


def task_settings(**changes: Any) -> TaskSettings:
    return dataclasses.replace(TaskSettings(), **changes)
