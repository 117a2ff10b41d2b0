"""The bundled rules' parsed tables are kept as JSON in the user's cache (TOML parsing was ~11 ms of every
start): named by the files' bytes, trusted only in a private folder, any odd copy ignored."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from akscan.engine import rules as rules_module
from akscan.engine.rules import _builtin_entries, builtin_rules_dir


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), folder)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    monkeypatch.setenv("AKSCAN_CACHE_DIR", str(cache))
    return folder


def _cached(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "rules").glob("*.json"))


def _no_toml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path, data: bytes) -> list[dict[str, object]]:
        raise AssertionError(f"{path} parsed again")

    monkeypatch.setattr(rules_module, "_parse_rule_file", refuse)


def test_the_second_start_reads_the_cached_tables(
    rules_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _builtin_entries(rules_copy)
    (copy,) = _cached(tmp_path)
    assert os.stat(copy).st_mode & 0o077 == 0
    _no_toml(monkeypatch)
    assert _builtin_entries(rules_copy) == first


def test_an_edited_rule_file_is_parsed_again(rules_copy: Path, tmp_path: Path) -> None:
    _builtin_entries(rules_copy)
    path = rules_copy / "alibaba.toml"
    path.write_text(path.read_text().replace('severity = "high"', 'severity = "medium"', 1))
    entries = _builtin_entries(rules_copy)
    assert len(_cached(tmp_path)) == 2
    assert next(e["severity"] for e, where in entries if where.endswith("alibaba.toml")) == "medium"


def test_a_cache_others_can_write_is_not_used(
    rules_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy planted in a shared folder could drop a rule: it is neither read nor written there."""
    count = len(_builtin_entries(rules_copy))
    (copy,) = _cached(tmp_path)
    copy.write_text(json.dumps([[] for _ in rules_copy.glob("*.toml")]))  # every rule gone
    os.chmod(copy.parent, 0o777)
    assert len(_builtin_entries(rules_copy)) == count


@pytest.mark.parametrize("shape", ["not json", "no tables", "tables not lists", "entries not tables"])
def test_an_odd_cached_copy_is_ignored(rules_copy: Path, tmp_path: Path, shape: str) -> None:
    expected = _builtin_entries(rules_copy)
    (copy,) = _cached(tmp_path)
    files = len(list(rules_copy.glob("*.toml")))
    content = {
        "not json": "{not json",
        "no tables": "[]",
        "tables not lists": json.dumps([{"id": "x"}] * files),
        "entries not tables": json.dumps([["alibaba-access-key"]] * files),
    }[shape]
    copy.write_text(content)
    assert _builtin_entries(rules_copy) == expected
