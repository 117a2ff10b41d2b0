"""The report contract shared by the machine-readable formats: one dict per finding, one summary."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from akscan import __version__
from akscan.model import Finding, Severity, redact
from akscan.report import Report, safe

SCHEMA_VERSION = "1"


def finding_dict(finding: Finding, redact_secrets: bool) -> dict[str, Any]:
    def shown(value: str | None) -> str | None:
        return redact(value) if redact_secrets else value

    out: dict[str, Any] = {
        "rule_id": finding.rule_id,
        "provider": finding.provider,
        "kind": str(finding.kind),
        "severity": str(finding.severity),
        "confidence": finding.confidence,
        "title": finding.title,
        "key_id": finding.key_id,
        "secret": shown(finding.secret),
        "path": safe(finding.location.path),
        "line": finding.location.line,
        "column": finding.location.column,
        "fingerprint": finding.fingerprint,
    }
    if finding.security_token is not None:
        out["security_token"] = shown(finding.security_token)
    if finding.encoding is not None:
        out["encoding"] = finding.encoding
    if finding.expires_at is not None:
        out["expires_at"] = finding.expires_at
        if finding.expires_in is not None:
            out["expires_in_seconds"] = finding.expires_in
            out["expired"] = finding.expires_in <= 0
    if finding.secret_location is not None:
        out["secret_line"] = finding.secret_location.line
        out["secret_column"] = finding.secret_location.column
    if finding.git is not None:
        if finding.git.present_at_head is not None:
            out["present_at_head"] = finding.git.present_at_head  # the same as git.present_at_head
        git = dataclasses.asdict(finding.git)
        git["refs"] = list(finding.git.refs)
        git["author"] = {"name": git.pop("author_name"), "email": git.pop("author_email")}
        git["path"] = safe(git["path"]) if git["path"] else git["path"]
        git["paths"] = [safe(p) for p in git["paths"]]
        out["git"] = git
    if finding.verification is not None:
        verification = finding.verification
        out["verification"] = {
            k: v for k, v in dataclasses.asdict(verification).items() if v is not None and k != "access"
        }
        if verification.access is not None:
            from akscan.respond.access import as_dict

            out["verification"]["access"] = as_dict(verification.access)
    out["remediation"] = finding.remediation
    if finding.unverifiable:
        out["unverifiable"] = finding.unverifiable
    return out


def summary_dict(report: Report) -> dict[str, Any]:
    stats = report.stats
    severities = Counter(str(f.severity) for f in report.findings)
    summary: dict[str, Any] = {
        "files": stats.files,
        "bytes": stats.bytes,
        "binary_files": stats.binary_files,
        "decoded_files": stats.decoded_files,
        "archive_members": stats.archive_members,
        "skipped": dict(sorted(stats.skipped.items())),
        "errors": [{k: safe(v) for k, v in e.items()} for e in stats.errors],
        "suppressed": dict(sorted(stats.suppressed.items())),
        "findings": len(report.findings),
        "by_severity": {str(s): severities[str(s)] for s in sorted(Severity, reverse=True) if severities[str(s)]},
        "duration_seconds": round(report.duration, 3),
        "incomplete": stats.incomplete,
    }
    summary.update(stats.extra)
    if report.hidden:
        summary["hidden"] = report.hidden
    if report.baseline:
        summary["baseline"] = report.baseline
    return summary


def document(report: Report) -> dict[str, Any]:
    return {
        "tool": "akscan",
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "command": report.command,
        "ruleset": report.ruleset_digest,
        "redacted": report.redact,
        "summary": summary_dict(report),
        "findings": [finding_dict(f, report.redact) for f in report.findings],
    }
