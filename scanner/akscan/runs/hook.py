"""The pre-commit hook: scan the staged (index) version of the files being committed.

A finding whose credential is already in the file's HEAD version is reported one severity lower, marked
``present_at_head``: this commit does not add it, but it should not be forgotten. ``--fail-on`` decides
whether it blocks."""

from __future__ import annotations

import dataclasses
import time

from akscan.config.suppress import PathExcludes
from akscan.engine.pipeline import ContentOptions, scan_content, sort_findings
from akscan.engine.rules import Ruleset
from akscan.model import Finding, GitProvenance, ScanResult, ScanStats, Severity
from akscan.sources.catfile import cat_objects
from akscan.sources.staged import StagedFile, head_blobs_for, repository_top, staged_files


def _scan_blobs(
    top: str, wanted: dict[str, str], ruleset: Ruleset, stats: ScanStats, source: str, content: ContentOptions
) -> dict[str, list[Finding]]:
    """Scan each blob once, given as {sha: a path it is at}; returns findings per blob id."""
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
        findings = scan_content(body, path, source, ruleset, stats, content)  # type: ignore[arg-type]
        if findings:
            found[sha] = findings
    return found


def at_path(findings: list[Finding], scanned_as: str, path: str) -> list[Finding]:
    """The findings of a blob scanned under one path, placed at another path holding the same blob
    (archive members keep their ``!member`` part)."""
    if scanned_as == path:
        return findings
    return [
        dataclasses.replace(f, location=dataclasses.replace(f.location, path=path + f.location.path[len(scanned_as) :]))
        for f in findings
    ]


def lower(severity: Severity) -> Severity:
    return Severity(max(Severity.INFO, severity - 1))


def run_hook(
    files: list[str], ruleset: Ruleset, content: ContentOptions, excludes: PathExcludes | None = None
) -> ScanResult:
    started = time.monotonic()
    stats = ScanStats()
    top = repository_top()
    staged: list[StagedFile] = staged_files(top, files, stats)
    if excludes:
        kept = [entry for entry in staged if not excludes.excludes(entry.path)]
        for _ in range(len(staged) - len(kept)):
            stats.skip("excluded")
        staged = kept
    scanned_as: dict[str, str] = {}  # each staged blob is read once, however many paths hold it
    for entry in staged:
        scanned_as.setdefault(entry.sha, entry.path)
    found = _scan_blobs(top, scanned_as, ruleset, stats, "staged", content)
    leaky = [entry for entry in staged if entry.sha in found]
    head = head_blobs_for(top, [entry.path for entry in leaky], stats)  # path -> blob id at HEAD
    head_paths: dict[str, str] = {}
    for path, sha in head.items():
        head_paths.setdefault(sha, path)
    before = _scan_blobs(top, head_paths, ruleset, ScanStats(), "head", content) if head else {}
    findings: list[Finding] = []
    for entry in leaky:
        committed = {f.fingerprint for f in before.get(head.get(entry.path, ""), [])}
        for finding in at_path(found[entry.sha], scanned_as[entry.sha], entry.path):
            already = finding.fingerprint in committed
            provenance = GitProvenance(blob=entry.sha, path=entry.path, source="staged", present_at_head=already)
            severity = lower(finding.severity) if already else finding.severity
            findings.append(dataclasses.replace(finding, git=provenance, severity=severity))
    return ScanResult(sort_findings(findings), stats, time.monotonic() - started, root=top, paths_from_root=True)
