"""Temporary credentials carry their end: when an ``Expiration`` was found next to them, the run compares
it with its clock. An expired pair needs no network call and drops to ``info`` (it can no longer be used;
what leaked it may still leak the next one); one still valid says for how long — Alibaba's RAM guidance
asks for short STS lifetimes precisely because a leaked token is dangerous until it expires."""

from __future__ import annotations

import dataclasses
import datetime as dt

from akscan.model import Finding, Severity


def parse(value: str) -> dt.datetime | None:
    """ISO 8601 with ``Z``, an offset, or none (read as UTC, as STS answers are)."""
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def apply_expiry(findings: list[Finding], now: dt.datetime) -> list[Finding]:
    out = []
    for finding in findings:
        when = parse(finding.expires_at) if finding.expires_at else None
        if when is None:
            out.append(finding)
            continue
        left = int((when - now).total_seconds())
        severity = Severity.INFO if left <= 0 else finding.severity
        out.append(dataclasses.replace(finding, expires_in=left, severity=severity))
    return out


def describe(seconds: int) -> str:
    """``5.2 h``, ``3 days``, ``40 min``."""
    span = abs(seconds)
    if span >= 2 * 86400:
        return f"{span // 86400} days"
    if span >= 3600:
        return f"{span / 3600:.1f} h"
    return f"{max(span // 60, 1)} min"
