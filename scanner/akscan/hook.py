"""The pre-commit hook: scan the staged (index) version of the files being committed.

A finding whose credential is already in the file's HEAD version is reported one severity lower, marked
``present_at_head``: this commit does not add it, but it should not be forgotten. ``--fail-on`` decides
whether it blocks."""

from __future__ import annotations

import dataclasses
import time

from akscan.model import Finding, GitProvenance, ScanStats, Severity
from akscan.rules import Ruleset
from akscan.scan import ScanResult, apply_allowlist, scan_chunks, sort_findings
from akscan.sources.catfile import cat_objects
from akscan.sources.files import stream_chunks
from akscan.sources.staged import StagedFile, head_blobs_for, repository_top, staged_files
from akscan.suppress import Allowlist


def _scan_blobs(
    top: str, wanted: dict[str, str], ruleset: Ruleset, stats: ScanStats, source: str
) -> dict[str, list[Finding]]:
    """Scan blobs given as {sha: path}; returns findings per path."""
    found: dict[str, list[Finding]] = {}
    for sha, kind, body in cat_objects(top, list(wanted)):
        path = wanted[sha]
        if body is None or kind != "blob":
            stats.skip(
                f"{kind}-object" if kind in ("missing", "corrupt") else "unreadable",
                path,
                f"{path}: staged object {sha} is {kind}",
            )
            continue
        findings = scan_chunks(stream_chunks(body, path, stats, source), ruleset, stats)  # type: ignore[arg-type]
        if findings:
            found[path] = findings
    return found


def lower(severity: Severity) -> Severity:
    return Severity(max(Severity.INFO, severity - 1))


def run_hook(files: list[str], ruleset: Ruleset, allowlist: Allowlist) -> ScanResult:
    started = time.monotonic()
    stats = ScanStats()
    top = repository_top()
    staged: list[StagedFile] = staged_files(top, files, stats)
    by_sha: dict[str, str] = {}
    for entry in staged:
        by_sha.setdefault(entry.sha, entry.path)
    found = _scan_blobs(top, by_sha, ruleset, stats, "staged")
    # Same blob staged at several paths: report it at each.
    for entry in staged:
        first = by_sha[entry.sha]
        if first != entry.path and first in found:
            found[entry.path] = [
                dataclasses.replace(f, location=dataclasses.replace(f.location, path=entry.path)) for f in found[first]
            ]
    head = head_blobs_for(top, list(found))
    head_stats = ScanStats()
    before = _scan_blobs(top, {sha: path for path, sha in head.items()}, ruleset, head_stats, "head") if head else {}
    findings: list[Finding] = []
    sha_of = {e.path: e.sha for e in staged}
    for path, path_findings in found.items():
        committed = {f.fingerprint for f in before.get(path, [])}
        for finding in path_findings:
            already = finding.fingerprint in committed
            provenance = GitProvenance(blob=sha_of.get(path, ""), path=path, source="staged", present_at_head=already)
            severity = lower(finding.severity) if already else finding.severity
            findings.append(dataclasses.replace(finding, git=provenance, severity=severity))
    findings = apply_allowlist(findings, allowlist, stats)
    return ScanResult(sort_findings(findings), stats, time.monotonic() - started)
