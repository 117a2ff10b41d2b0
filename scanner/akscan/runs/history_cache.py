"""The history scan's caches: which objects were scanned clean, which commit introduced a blob, and
a fingerprint of the repository as the last full scan left it. Nothing secret is ever stored (object
ids, commit metadata and sizes only; findings are always recomputed).

Where: the user's cache directory, one folder per repository (``akscan.storage``), never inside the
scanned repository, whose owner could otherwise plant a list that marks every object clean.
Keyed by everything that decides a blob's findings: akscan's version, the engine's own code and the
ruleset, so a detection fix rescans what an older engine called clean.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from akscan import __version__
from akscan.sources.git import Introduction
from akscan.storage import private_folder, read_cache, repository_cache_dir, user_cache_dir, write_atomic

MAX_CACHE_BYTES = 512 * 1024 * 1024
# The modules whose code decides what a blob's findings are.
ENGINE_MODULES = (
    "engine/__init__.py",
    "engine/detect.py",
    "engine/candidates.py",
    "engine/pairs.py",
    "engine/positions.py",
    "engine/presigned.py",
    "engine/pairing.py",
    "engine/gate.py",
    "engine/filters.py",
    "engine/decode/__init__.py",
    "engine/decode/base64_layer.py",
    "engine/decode/text.py",
    "engine/pipeline.py",
    "config/suppress.py",
    "engine/rules.py",
    "engine/decode/archives.py",
    "engine/decode/escapes.py",
    "engine/decode/concat.py",
    "sources/files.py",
    "engine/fastgate.py",
    "engine/names.py",
    "engine/delta.py",
    "engine/filecontext.py",
    "engine/endpoints.py",
    "config/excludes.py",
    "config/rule_settings.py",
    "model.py",
    "runs/history.py",  # which objects are cached clean, and how commit messages are scanned
)


@cache
def engine_digest() -> str:
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent.parent  # akscan/, this file being akscan/runs/history_cache.py
    for name in ENGINE_MODULES:
        try:
            digest.update((package / name).read_bytes())
        except OSError:  # a frozen or stripped install: the version alone must do
            digest.update(name.encode())
    return digest.hexdigest()


class HistoryCache:
    def __init__(self, git_common_dir: str, ruleset_digest: str) -> None:
        self.folder = repository_cache_dir(git_common_dir)
        self.key = hashlib.sha256(f"{engine_digest()}\0{ruleset_digest}".encode()).hexdigest()[:24]
        # A cache folder others can write is not a cache: a planted clean-*.bin would hide keys. Then
        # nothing is read from it or written to it, and the run says why (``refused``).
        self.refused = private_folder(self.folder, user_cache_dir())

    # -- objects scanned clean: 1 byte of id width, then the ids as raw bytes --------------------------
    @property
    def clean_path(self) -> Path:
        return self.folder / f"clean-{self.key}.bin"

    def clean_objects(self) -> set[str]:
        if self.refused:
            return set()
        data = read_cache(self.clean_path, MAX_CACHE_BYTES)
        if not data:
            return set()
        width = 32 if data[:1] == b"\x01" else 20
        body = data[1:]
        return {body[i : i + width].hex() for i in range(0, len(body) - width + 1, width)}

    def save_clean(self, shas: set[str]) -> None:
        if not shas or self.refused:
            return
        width = len(next(iter(shas))) // 2
        body = b"".join(bytes.fromhex(s) for s in sorted(shas))
        write_atomic(self.clean_path, (b"\x01" if width == 32 else b"\x00") + body, private=True)

    # -- which commit introduced a blob (independent of the ruleset) ----------------------------------
    @property
    def introductions_path(self) -> Path:
        return self.folder / "introductions.json"

    def introductions(self) -> dict[str, Introduction]:
        raw = self._json(self.introductions_path)
        try:
            return {
                sha: Introduction(**{**fields, "paths": tuple(fields.get("paths", ()))}) for sha, fields in raw.items()
            }
        except (TypeError, AttributeError):
            return {}

    def save_introductions(self, introductions: dict[str, Introduction]) -> None:
        if self.refused:
            return
        document = {sha: dataclasses.asdict(i) for sha, i in introductions.items()}
        write_atomic(self.introductions_path, json.dumps(document).encode(), private=True)

    # -- the repository as the last full scan left it -------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.folder / f"state-{self.key}.json"

    def state(self) -> dict[str, Any]:
        return self._json(self.state_path)

    def save_state(self, state: dict[str, Any]) -> None:
        if self.refused:
            return
        write_atomic(self.state_path, json.dumps(state).encode(), private=True)

    def _json(self, path: Path) -> dict[str, Any]:
        if self.refused:
            return {}
        data = read_cache(path, MAX_CACHE_BYTES)
        if not data:
            return {}
        try:
            document = json.loads(data)
        except ValueError:
            return {}
        return document if isinstance(document, dict) else {}
