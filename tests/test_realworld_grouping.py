"""benchmarks/realworld.py groups what two tools report into credentials: a piece of a token one tool read
whole is the same credential (betterleaks reads a session token cut over `"…" +` lines as several values)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def realworld() -> Iterator[ModuleType]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        yield importlib.import_module("realworld")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


def _finding(module: ModuleType, tool: str, key_id: str | None, secret: str | None) -> object:
    kind = "pair" if key_id and secret else ("key-id" if key_id else "secret")
    return module.Finding(tool, "rule", "baidu", kind, key_id, secret, [module.Location("a.go", "c0ffee", 1)])


@pytest.mark.parametrize(
    ("piece", "joined"),
    [
        ("ZjkyZmQ2YmQxZTQ3NDcyNjk0ZTg1ZjY", True),  # a line's worth of the token
        ("G%2FfhP%2BlWF9RNJhYFABpfrg8sJ5Dc75", True),  # percent-encoded as the URL has it
        ("ZjkyZmQ2YmQxZTQ3NDcyNjk", True),  # FRAGMENT_MIN (23 >= 20)
        ("ZjkyZmQ2YmQxZTQ3NDcy", True),  # exactly FRAGMENT_MIN
        ("ZjkyZmQ2YmQxZTQ3NDc", False),  # one short: too short to say
        ("aGVsbG8gd29ybGQgZnJvbSBlbHNld2hlcmU", False),  # not in the token
    ],
)
def test_a_piece_of_a_token_is_the_same_credential(realworld: ModuleType, piece: str, joined: bool) -> None:
    token = "ZjkyZmQ2YmQxZTQ3NDcyNjk0ZTg1ZjYyYjlkZjNjODB8AAAAAM0BAABgG/fhP+lWF9RNJhYFABpfrg8sJ5Dc75AlLyVko5U4"
    whole = _finding(realworld, "akscan", "4a2cac88da9411edaf1a4f67d1cbc0fc", token)
    part = _finding(realworld, "betterleaks", None, piece)
    groups = realworld.credentials([whole], [part])
    assert (len(groups) == 1) is joined
