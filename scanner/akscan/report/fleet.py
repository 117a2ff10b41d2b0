"""The fleet report: one entry per unique credential across every repository (a key copied into five
repositories is one key with five places), and one status entry per repository. Built by reading the
per-repository result files one at a time, so the coordinator holds the credentials, not every record."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from akscan import __version__
from akscan.model import Finding, GitProvenance, Kind, Location, ScanStats, Severity, Verification
from akscan.report import Report, safe

FORMATS = ("text", "json", "html", "markdown")
PLACES_SHOWN = 5  # per credential in text output; JSON and HTML list every place


def finding_from_dict(entry: dict[str, Any]) -> Finding:
    """A finding back from its report dict (as the fleet stores and ships them)."""
    git_entry = entry.get("git")
    git = None
    if isinstance(git_entry, dict):
        author = git_entry.get("author") or {}
        names = {f.name for f in GitProvenance.__dataclass_fields__.values()}
        values = {k: v for k, v in git_entry.items() if k in names and k not in ("author",)}
        values["refs"] = tuple(values.get("refs") or ())
        values["paths"] = tuple(values.get("paths") or ())
        git = GitProvenance(author_name=author.get("name"), author_email=author.get("email"), **values)
    checked = entry.get("verification")
    verification = Verification(**checked) if isinstance(checked, dict) else None
    secret_line = entry.get("secret_line")
    return Finding(
        rule_id=entry["rule_id"],
        provider=entry["provider"],
        kind=Kind(entry["kind"]),
        severity=Severity.parse(entry["severity"]),
        confidence=entry.get("confidence", "medium"),
        key_id=entry.get("key_id"),
        location=Location(entry.get("path", ""), entry.get("line", 0), entry.get("column", 0), 0),
        secret=entry.get("secret"),
        security_token=entry.get("security_token"),
        secret_location=(
            Location(entry.get("path", ""), secret_line, entry.get("secret_column", 0), 0) if secret_line else None
        ),
        title=entry.get("title", ""),
        remediation=entry.get("remediation", ""),
        git=git,
        verification=verification,
        encoding=entry.get("encoding"),
        expires_at=entry.get("expires_at"),
        expires_in=entry.get("expires_in_seconds"),
        unverifiable=entry.get("unverifiable") or "",
    )


@dataclass
class FleetCredential:
    entry: dict[str, Any]  # the most severe occurrence's dict (secret redacted)
    places: list[dict[str, Any]] = field(default_factory=list)

    def add(self, repository: str, finding: dict[str, Any]) -> None:
        if Severity.parse(finding["severity"]) > Severity.parse(self.entry["severity"]):
            self.entry = finding
        git = finding.get("git") or {}
        place = {"repository": repository, "path": finding.get("path"), "line": finding.get("line"), "git": git}
        for name in ("commit", "date", "present_at_head", "ref_count", "removed_in"):
            if git.get(name) is not None:
                place[name] = git[name]
        if git.get("author"):
            place["author"] = git["author"].get("name")
        self.places.append(place)


@dataclass
class FleetSummary:
    credentials: dict[str, FleetCredential] = field(default_factory=dict)
    repositories: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        findings = record.get("findings") or []
        self.repositories.append(
            {
                "repository": record.get("repository"),
                "status": record.get("status"),
                "reason": record.get("reason", ""),
                "findings": len(findings),
                "duration_seconds": round(float(record.get("duration") or 0.0), 3),
                "commits": record.get("commits", 0),
                "blobs": record.get("blobs", 0),
                "bytes": record.get("bytes", 0),
                "suppressed": record.get("suppressed") or {},
            }
        )
        for finding in findings:
            key = finding["fingerprint"]
            if key not in self.credentials:
                self.credentials[key] = FleetCredential(finding)
            self.credentials[key].add(str(record.get("repository")), finding)

    def ordered(self) -> list[FleetCredential]:
        return sorted(
            self.credentials.values(),
            key=lambda c: (-Severity.parse(c.entry["severity"]), -len(c.places), c.entry.get("key_id") or ""),
        )


def summarise(records: Iterable[dict[str, Any]]) -> FleetSummary:
    summary = FleetSummary()
    for record in records:
        summary.add(record)
    summary.repositories.sort(key=lambda r: str(r["repository"]))
    return summary


def document(summary: FleetSummary, meta: dict[str, Any]) -> dict[str, Any]:
    credentials = summary.ordered()
    by_status = Counter(str(r["status"]) for r in summary.repositories)
    findings = []
    for credential in credentials:
        # Where it was and whether HEAD has it belong to each place, not to the credential.
        local = ("path", "line", "column", "git", "secret_line", "secret_column", "present_at_head")
        entry = {k: v for k, v in credential.entry.items() if k not in local}
        entry["repositories"] = len({p["repository"] for p in credential.places})
        entry["places"] = [
            {k: safe(v) if isinstance(v, str) else v for k, v in p.items() if k != "git"} for p in credential.places
        ]
        findings.append(entry)
    return {
        "tool": "akscan",
        "version": __version__,
        "command": "fleet",
        "redacted": True,
        "summary": {
            "repositories": len(summary.repositories),
            "by_status": dict(sorted(by_status.items())),
            "credentials": len(credentials),
            "places": sum(len(c.places) for c in credentials),
            "by_severity": dict(Counter(c.entry["severity"] for c in credentials)),
            "incomplete": any(r["status"] != "scanned" for r in summary.repositories) or meta.get("interrupted", False),
            **meta,
        },
        "findings": findings,
        "repositories": [{k: safe(v) if isinstance(v, str) else v for k, v in r.items()} for r in summary.repositories],
    }


def write(fmt: str, summary: FleetSummary, meta: dict[str, Any], stream: TextIO) -> None:
    if fmt == "json":
        json.dump(document(summary, meta), stream, indent=2)
        stream.write("\n")
    elif fmt in ("html", "markdown"):
        from akscan.report import writer

        writer(fmt)(as_report(summary, meta), stream)
    else:
        _text(summary, meta, stream)


def as_report(summary: FleetSummary, meta: dict[str, Any]) -> Report:
    """The fleet as a ``Report`` for the audit formats: one finding per place, grouped by credential."""
    findings: list[Finding] = []
    groups: dict[int, str] = {}
    for key, credential in summary.credentials.items():
        for place in credential.places:
            entry = dict(credential.entry)
            entry["path"] = f"{place['repository']}: {place.get('path') or ''}"
            entry["line"] = place.get("line") or 0
            entry["git"] = {**place["git"], "paths": []} if place.get("git") else None
            finding = finding_from_dict(entry)
            groups[id(finding)] = key
            findings.append(finding)
    states = Counter(str(r["status"]) for r in summary.repositories if r["status"] != "scanned")
    stats = ScanStats(incomplete=bool(states) or bool(meta.get("interrupted")))
    stats.skipped = {f"repositories {state}": count for state, count in states.items()}
    if meta.get("interrupted"):
        stats.skipped["repositories not scanned (interrupted)"] = int(meta.get("not_scanned", 0))
    stats.bytes = sum(int(r.get("bytes") or 0) for r in summary.repositories)
    stats.extra["fleet"] = {"repositories": summary.repositories, **meta}
    return Report(
        findings,
        stats,
        float(meta.get("duration_seconds", 0.0)),
        command="fleet",
        scope=(f"{len(summary.repositories)} repositories",),
        group_key=lambda finding: groups.get(id(finding), finding.fingerprint),
        repositories=summary.repositories,
    )


def _text(summary: FleetSummary, meta: dict[str, Any], stream: TextIO) -> None:
    credentials = summary.ordered()
    for credential in credentials:
        entry = credential.entry
        repositories = len({p["repository"] for p in credential.places})
        status = (entry.get("verification") or {}).get("status", "not verified")
        stream.write(
            f"{entry['severity'].upper():8} {safe(entry.get('key_id') or entry['rule_id'])} ({entry['provider']}, "
            f"secret {safe(entry.get('secret') or '-')}, {status}): {len(credential.places)} place(s) in "
            f"{repositories} repositor{'y' if repositories == 1 else 'ies'}\n"
        )
        for place in credential.places[:PLACES_SHOWN]:
            commit = f" @ {str(place['commit'])[:12]}" if place.get("commit") else ""
            stream.write(
                f"    {safe(place['repository'])}: {safe(str(place.get('path')))}:{place.get('line')}{commit}\n"
            )
        if len(credential.places) > PLACES_SHOWN:
            stream.write(f"    … and {len(credential.places) - PLACES_SHOWN} more (see --format json)\n")
    for repository in summary.repositories:
        if repository["status"] != "scanned":
            stream.write(
                f"{repository['status'].upper()}: {safe(str(repository['repository']))}: {safe(repository['reason'])}\n"
            )
    stream.write(summary_line(summary, meta) + "\n")


def summary_line(summary: FleetSummary, meta: dict[str, Any]) -> str:
    by_status = Counter(str(r["status"]) for r in summary.repositories)
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    line = (
        f"{len(summary.credentials)} unique credential(s) in {len(summary.repositories)} repositories "
        f"({statuses}) in {float(meta.get('duration_seconds', 0.0)):.1f} s"
    )
    if meta.get("interrupted"):
        line += f"; INTERRUPTED: {meta.get('not_scanned', 0)} not scanned (run the same command again to resume)"
    return line
