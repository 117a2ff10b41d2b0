"""GitLab's secret-detection report (``gl-secret-detection-report.json``, security report schema 15.x),
so findings show in merge requests and the vulnerability report.

Written to what GitLab's scanner-integration documentation states (the published JSON schema lives on
GitLab's own host): a top-level ``version`` and ``scan`` (analyzer and scanner with id, name, vendor and
version; ``type: secret_detection``; start and end time; status) and ``vulnerabilities``, each with an
``id``, ``category``, ``name``, ``severity`` (Critical … Info), ``identifiers`` (the first is the primary
one that tracks the finding across commits), ``location`` (``file``, ``start_line``, ``end_line``, and
``commit``, which the secret-detection schema requires in every location: the introducing commit in a
history scan; for a scan of files, the work tree's HEAD, else ``$CI_COMMIT_SHA``, else forty zeros), and a
``solution``. Fields 15.0.0 removed from a vulnerability (``confidence``, ``scanner``, ``message``,
``cve``) are not written. Secrets stay redacted unless --no-redact.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from typing import Any, TextIO

from akscan import __version__
from akscan.model import Finding, Severity, redact
from akscan.report import Report, safe

SCHEMA_VERSION = "15.0.7"
ZERO_SHA = "0" * 40
_SEVERITY = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}
_TOOL = {"id": "akscan", "name": "akscan", "vendor": {"name": "akscan"}, "version": __version__}


def _timestamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")  # the schema's pattern: no fraction, no zone


def _repository_path(path: str, report: Report) -> str:
    """GitLab maps ``file`` inside the repository: relative to the scanned repository's top."""
    shown = safe(path)
    if report.root and not report.paths_from_root and not shown.startswith("<"):
        absolute = os.path.abspath(shown)
        root = os.path.abspath(report.root)
        if absolute.startswith(root.rstrip(os.sep) + os.sep):
            return os.path.relpath(absolute, root).replace(os.sep, "/")
    return shown


def vulnerability(finding: Finding, report: Report, commit: str = ZERO_SHA) -> dict[str, Any]:
    secret = redact(finding.secret) if report.redact else finding.secret
    location: dict[str, Any] = {
        "file": _repository_path(finding.location.path, report),
        "start_line": finding.location.line,
        "end_line": max(finding.location.line, finding.secret_location.line if finding.secret_location else 0),
    }
    if finding.git is not None and finding.git.commit:
        location["commit"] = {
            "sha": finding.git.commit,
            "author": safe(f"{finding.git.author_name} <{finding.git.author_email}>"),
            "date": finding.git.date or "",
            "message": safe(finding.git.summary),
        }
    else:
        location["commit"] = {"sha": commit}
    described = f"{finding.title}: key ID {finding.key_id}" if finding.key_id else finding.title
    if secret:
        described += f", secret {secret}"
    return {
        # Stable across runs for the same credential at the same place, as GitLab tracks by it.
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"akscan:{finding.fingerprint}:{finding.location.path}")),
        "category": "secret_detection",
        "name": finding.title,
        "description": f"{described} in {safe(finding.location.path)}",
        "severity": _SEVERITY[finding.severity],
        "solution": finding.remediation,
        "location": location,
        "identifiers": [
            {"type": "akscan_rule_id", "name": f"akscan rule {finding.rule_id}", "value": finding.rule_id},
            {"type": "akscan_fingerprint", "name": "akscan fingerprint", "value": finding.fingerprint},
        ],
    }


def scanned_commit(report: Report) -> str:
    """The commit a scan of files stands for: HEAD of the work tree scanned, else the CI's commit."""
    if report.root:
        from akscan.errors import AkscanError
        from akscan.sources import gitcmd

        try:
            head = gitcmd.run(["rev-parse", "--verify", "-q", "HEAD"], report.root, check=False)
        except AkscanError:
            head = None
        sha = head.stdout.decode("ascii", "replace").strip() if head is not None and head.returncode == 0 else ""
        if len(sha) in (40, 64) and all(c in "0123456789abcdef" for c in sha):
            return sha
    ci = os.environ.get("CI_COMMIT_SHA", "")
    return ci if len(ci) in (40, 64) and all(c in "0123456789abcdef" for c in ci) else ZERO_SHA


def document(report: Report, now: dt.datetime | None = None) -> dict[str, Any]:
    end = now or dt.datetime.now(dt.timezone.utc)
    commit = scanned_commit(report) if any(f.git is None or not f.git.commit for f in report.findings) else ZERO_SHA
    start = end - dt.timedelta(seconds=report.duration)
    return {
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": _TOOL,
            "scanner": _TOOL,
            "type": "secret_detection",
            "start_time": _timestamp(start),
            "end_time": _timestamp(end),
            "status": "success",
        },
        "vulnerabilities": [vulnerability(f, report, commit) for f in report.findings],
    }


def write(report: Report, stream: TextIO) -> None:
    json.dump(document(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
