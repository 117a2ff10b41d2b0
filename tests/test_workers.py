"""The worker pool: results as they finish, and a worker that dies mid-run does not hang the scan or
lose its work (multiprocessing.Pool would wait forever for the dead worker's task)."""

from __future__ import annotations

import os

import pytest

from akscan.runs.workers import run_pooled

_parent = os.getpid()


def _setup(offset: int) -> None:
    global _offset
    _offset = offset


_offset = 0


def _square(task: int) -> tuple[int, int]:
    if task == 7 and os.getpid() != _parent:
        os._exit(1)  # the worker dies as an OOM kill would end it
    return task, task * task + _offset


def _square_here(task: int) -> tuple[int, int]:
    return task, task * task + 100


def test_every_task_is_done_once() -> None:
    results = list(run_pooled(range(40), _square_here, 2, _setup, (100,), _square_here))
    assert sorted(results) == [(n, n * n + 100) for n in range(40)]


def test_a_dead_worker_costs_no_result(capfd: pytest.CaptureFixture[str]) -> None:
    results = dict(run_pooled(range(30), _square, 2, _setup, (100,), _square_here))
    assert results == {n: n * n + 100 for n in range(30)}  # task 7 (and what was in flight) redone here
    assert "a worker process died" in capfd.readouterr().err
