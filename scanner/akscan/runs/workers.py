"""The pipeline's worker pool, shared by every source that has enough work for both cores.

Tasks stream in lazily (a tree still being walked), at most a few per worker in flight, and results come
back as they finish. A worker that dies (killed by the OOM killer, a crash in a C library) does not hang
the run, as a ``multiprocessing.Pool`` would: the executor notices, and the tasks it had not finished are
run again here, in this process.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # concurrent.futures.process costs ~15 ms to import: only runs that use the pool pay it
    from concurrent.futures import Future

Task = TypeVar("Task")
Result = TypeVar("Result")

IN_FLIGHT_PER_WORKER = 3


def start_method() -> str:
    # fork shares the compiled ruleset with the workers for free; spawn where fork is unavailable.
    import multiprocessing

    return "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin" else "spawn"


def run_pooled(
    tasks: Iterable[Task],
    work: Callable[[Task], Result],
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    local: Callable[[Task], Result],
    started: Callable[[], None] | None = None,
) -> Iterator[Result]:
    """``work(task)`` for every task on ``workers`` processes (each set up by ``initializer``), results
    in the order they finish. ``local`` does the same work in this process, for tasks a dead worker
    left unfinished. ``started`` is called once the workers exist (with the first tasks handed out)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context(start_method())
    pending = iter(tasks)
    running: dict[Future[Result], Task] = {}
    leftovers: list[Task] = []
    broken = False
    setup = (initializer, *initargs)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_setup, initargs=setup) as pool:
        try:
            for task in pending:
                try:
                    running[pool.submit(work, task)] = task
                except BrokenProcessPool:
                    leftovers.append(task)
                    raise
                if len(running) >= workers * IN_FLIGHT_PER_WORKER:
                    started = _begun(started)
                    yield from _collect(running, wait(running, return_when=FIRST_COMPLETED)[0])
            started = _begun(started)
            while running:
                yield from _collect(running, wait(running, return_when=FIRST_COMPLETED)[0])
        except BrokenProcessPool:
            broken = True
            for future, task in list(running.items()):
                if _succeeded(future):
                    yield future.result()
                else:
                    leftovers.append(task)
            running.clear()
    if broken:
        sys.stderr.write("akscan: warning: a worker process died; its unfinished work is redone in this process\n")
        for task in itertools.chain(leftovers, pending):
            yield local(task)


def _begun(callback: Callable[[], None] | None) -> Callable[[], None] | None:
    """Call ``callback`` if it has not been called yet; what to hold instead of it (None)."""
    if callback is not None:
        callback()
    return None


def _worker_setup(initializer: Callable[..., None], *initargs: Any) -> None:
    """In each worker: SIGTERM ends it quietly (the parent's handler, inherited through fork, would print
    a traceback when the pool stops a worker), then the caller's own set-up."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    initializer(*initargs)


def _collect(running: dict[Future[Result], Any], done: set[Future[Result]]) -> Iterator[Result]:
    for future in done:
        result = future.result()  # BrokenProcessPool here when the worker died
        del running[future]
        yield result


def _succeeded(future: Future[Any]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None
