"""One fleet task, run on a Dask worker: mirror or open one repository and scan its whole history with the
normal history scanner (so the worker's blob cache makes a re-audit read only new objects).

The result is plain data (JSON-ready dicts) so it crosses the cluster as it will be stored. Secrets stay
on the worker unless the coordinator must verify them (``keep_secrets``, only with ``--verify``): then
they travel to the coordinator once, are checked there (one STS request per unique pair for the whole
fleet), and are never written to disk.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from akscan.config.excludes import PathExcludes
from akscan.config.rule_settings import RuleSettings
from akscan.config.suppress import Allowlist
from akscan.engine.pipeline import ContentOptions
from akscan.engine.rules import Ruleset


@dataclass(frozen=True)
class TaskSettings:
    cache_dir: str | None = None  # the workers' AKSCAN_CACHE_DIR (None: each worker's own default)
    unreachable: bool = True
    keep_secrets: bool = False
    content: ContentOptions = field(default_factory=ContentOptions)
    excludes: PathExcludes = field(default_factory=PathExcludes)
    # The config's disable/enable_rules, per-rule allowlists and allowlisted keys: applied here, where
    # the secrets are (an allowlist of secret hashes needs them), as every other command applies them.
    rules: RuleSettings = field(default_factory=RuleSettings)
    allowlist: Allowlist = field(default_factory=Allowlist)


def scan_repository(spec: str, ruleset: Ruleset, settings: TaskSettings) -> dict[str, Any]:
    """``{"repository", "status": scanned|incomplete|failed, "reason", "findings": [...], ...}``."""
    from akscan.errors import AkscanError
    from akscan.report.fields import finding_dict
    from akscan.runs.history import GitScanOptions, scan_history
    from akscan.sources.git import open_repository
    from akscan.sources.remote import is_url, mirror, shown_url

    started = time.monotonic()
    if settings.cache_dir:
        os.environ["AKSCAN_CACHE_DIR"] = settings.cache_dir
    shown = shown_url(spec) if is_url(spec) else os.path.abspath(spec)
    record: dict[str, Any] = {"repository": shown, "spec_key": spec_key(spec), "worker_pid": os.getpid()}
    try:
        path = mirror(spec)[0] if is_url(spec) else open_repository(spec)
        options = GitScanOptions(
            unreachable=settings.unreachable, jobs=1, content=settings.content, excludes=settings.excludes
        )
        result = scan_history(path, ruleset, options)
    except AkscanError as error:
        return {**record, "status": "failed", "reason": str(error), "duration": time.monotonic() - started}
    except Exception as error:  # a bug on one repository must not cost the fleet; it is reported
        reason = f"internal error: {type(error).__name__}: {error}"
        return {**record, "status": "failed", "reason": reason, "duration": time.monotonic() - started}
    stats = result.stats
    findings = _suppressed_and_aged(result.findings, settings, stats)
    git = stats.extra.get("git", {})
    reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(stats.skipped.items()))
    return {
        **record,
        "status": "incomplete" if stats.incomplete else "scanned",
        "reason": reasons if stats.incomplete else "",
        "duration": time.monotonic() - started,
        "commits": git.get("commits", 0),
        "blobs": git.get("blobs", 0),
        "bytes": stats.bytes,
        "suppressed": dict(stats.suppressed),
        "findings": [finding_dict(f, redact_secrets=not settings.keep_secrets) for f in findings],
    }


def _suppressed_and_aged(findings: list[Any], settings: TaskSettings, stats: Any) -> list[Any]:
    """What ``conclude.finish`` does for the other commands: rule settings, the allowlist, and the
    Expiration of temporary credentials against the clock."""
    import datetime as dt

    from akscan.config.suppress import apply_allowlist
    from akscan.engine.expiry import apply_expiry

    kept = apply_allowlist(settings.rules.filter_findings(findings, stats), settings.allowlist, stats)
    if any(f.expires_at for f in kept):
        kept = apply_expiry(kept, dt.datetime.now(dt.timezone.utc))
    return kept


def spec_key(spec: str) -> str:
    """A stable file name for a repository's result: a hash of the URL without its credentials (a hash of
    a token-bearing URL would let anyone holding the results folder test guesses of the token)."""
    import hashlib

    from akscan.sources.remote import is_url, shown_url

    named = shown_url(spec) if is_url(spec) else spec
    return hashlib.sha256(named.encode("utf-8", "surrogateescape")).hexdigest()[:24]
