"""A persistent cache of verification results, keyed by a hash of the credential (never the credential
itself), each with a time to live. Inconclusive results (``unknown``) are never cached."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from akscan.storage import read_cache, write_atomic
from akscan.verify.clock import Clock, SystemClock
from akscan.verify.outcome import Credential, Outcome

VERSION = 1
MAX_BYTES = 64 * 1024 * 1024


def cache_key(credential: Credential) -> str:
    material = "\0".join((credential.provider, credential.key_id, credential.secret, credential.token or ""))
    return hashlib.sha256(material.encode()).hexdigest()


class ResultCache:
    def __init__(self, path: str | None, ttl: float, clock: Clock | None = None) -> None:
        self.path = path
        self.ttl = ttl
        self.clock: Clock = clock or SystemClock()
        self.lock = threading.Lock()
        self.entries: dict[str, dict[str, Any]] = {}
        if path:
            data = read_cache(path, MAX_BYTES)
            try:
                document = json.loads(data) if data else None
            except ValueError:
                document = None
            if isinstance(document, dict) and document.get("version") == VERSION:
                entries = document.get("entries", {})
                self.entries = dict(entries) if isinstance(entries, dict) else {}

    def get(self, credential: Credential) -> tuple[Outcome, str] | None:
        entry = self.entries.get(cache_key(credential))
        if not entry or entry.get("expires", 0) < self.clock.time():
            return None
        fields = {k: entry.get(k) for k in ("status", "reason", "account_id", "arn", "identity_type", "user_id")}
        return Outcome(**{k: v for k, v in fields.items() if v is not None}), str(entry.get("checked_at", ""))

    def put(self, credential: Credential, outcome: Outcome, checked_at: str) -> None:
        if outcome.status == "unknown":
            return
        with self.lock:
            self.entries[cache_key(credential)] = {
                "status": outcome.status,
                "reason": outcome.reason,
                "account_id": outcome.account_id,
                "arn": outcome.arn,
                "identity_type": outcome.identity_type,
                "user_id": outcome.user_id,
                "checked_at": checked_at,
                "expires": self.clock.time() + self.ttl,
            }

    def save(self) -> None:
        if not self.path:
            return
        now = self.clock.time()
        live = {k: v for k, v in self.entries.items() if v.get("expires", 0) >= now}
        document = {"version": VERSION, "note": "sha256 of provider, key ID, secret, token -> result", "entries": live}
        write_atomic(self.path, json.dumps(document).encode("utf-8"), private=True)
