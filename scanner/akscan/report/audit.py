"""What the audit formats (HTML, Markdown) show: one entry per unique credential, not per occurrence,
with its exposure (introduced, removed from HEAD, still reachable) and what to do about it."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from akscan.model import AccessMap, Finding, Severity, redact
from akscan.report import Report, safe
from akscan.report.text import ROTATE

# A history scan's git section, for the header.
_GIT_COUNTS = ("refs", "blobs", "commits", "tags", "scanned_objects", "cached_objects", "unreachable_commits")


@dataclass
class Place:
    """One place a credential was seen: a path and line, and in history the commit that put it there."""

    path: str
    line: int
    commit: str | None = None


@dataclass
class Credential:
    findings: list[Finding]  # every occurrence reported, most severe first

    @property
    def lead(self) -> Finding:
        return self.findings[0]

    @property
    def severity(self) -> Severity:
        return self.lead.severity

    @property
    def key_id(self) -> str:
        return self.lead.key_id or ""

    def secret_shown(self, redacted: bool = True) -> str:
        return (redact(self.lead.secret) if redacted else self.lead.secret) or ""

    @property
    def status(self) -> str:
        found = [f.verification.status for f in self.findings if f.verification is not None]
        return found[0] if found else "not verified"

    @property
    def identity(self) -> str:
        for finding in self.findings:
            check = finding.verification
            if check is not None and check.status == "live":
                if check.identity_type == "Account" or (check.arn or "").endswith(":root"):
                    return "the account's own key (root)"
                return safe(check.arn or check.user_id or check.identity_type or "")
        return ""

    @property
    def access(self) -> AccessMap | None:
        """What the key reaches (``--access-map``), from the first occurrence that was mapped."""
        return next((f.verification.access for f in self.findings if f.verification and f.verification.access), None)

    @property
    def reaches(self) -> str:
        if self.access is None:
            return ""
        from akscan.respond.access import reaches

        return safe(reaches(self.access))

    @property
    def introduced(self) -> Finding | None:
        """The earliest-dated occurrence in history (None outside history scans)."""
        dated = [(f.git.date, f) for f in self.findings if f.git is not None and f.git.date]
        return min(dated, key=lambda pair: pair[0])[1] if dated else None

    @property
    def present_at_head(self) -> bool | None:
        values = [f.git.present_at_head for f in self.findings if f.git is not None]
        known = [v for v in values if v is not None]
        return any(known) if known else None

    @property
    def removed_date(self) -> str | None:
        if self.present_at_head:
            return None
        dates = [f.git.removed_date for f in self.findings if f.git is not None and f.git.removed_date]
        return max(dates) if dates else None

    @property
    def refs(self) -> list[str]:
        """Names of the refs (branches, tags) that reach a commit introducing it."""
        names = {safe(r) for f in self.findings if f.git is not None for r in f.git.refs}
        return sorted(names)

    @property
    def ref_count(self) -> int:
        return max((f.git.ref_count for f in self.findings if f.git is not None), default=0)

    @property
    def occurrences(self) -> int:
        return sum(f.git.occurrences if f.git is not None else 1 for f in self.findings)

    def places(self) -> list[Place]:
        seen: list[Place] = []
        for finding in self.findings:
            commit = finding.git.commit if finding.git is not None else None
            seen.append(Place(safe(finding.location.path), finding.location.line, commit))
            if finding.git is not None:
                seen.extend(Place(safe(p), 0, None) for p in finding.git.paths if p != finding.location.path)
        return seen

    def paths(self) -> list[str]:
        return sorted({p.path for p in self.places()})

    def steps(self) -> list[str]:
        """What to do, in order: take the key out of service first, then clean up."""
        lead = self.lead
        if lead.temporary:
            first = (
                "These are STS temporary credentials: they expire on their own and cannot be disabled. Until "
                "they expire, restrict or delete the role that issued them, and find what leaked them."
            )
        elif lead.provider in ROTATE and self.key_id:
            first = "Disable and rotate the key first. " + ROTATE[lead.provider].format(key=self.key_id) + "."
        else:
            first = "Disable and rotate the key first, in the provider's console."
        steps = [
            first,
            "Rotation comes before any clean-up: every clone, fork, CI cache and mirror keeps a copy of the "
            "history, so removing the key from the repository never takes it out of service.",
            "Replace it: code reads credentials from the environment or a secrets manager; for Alibaba Cloud "
            "use a RAM user with least privilege, or better a RAM role with short-lived STS credentials — never "
            "the account's own AccessKey.",
        ]
        if lead.git is not None:
            steps.append(
                "Then purge it from history: `git filter-repo --replace-text expressions.txt` (a line "
                "`KEY==>REDACTED` per leaked value), force-push every branch and tag, and ask the hosting "
                "service to drop cached views and pull-request refs."
            )
        else:
            steps.append("Remove it from the files listed, and check their git history with `akscan git`.")
        return steps


def credentials(findings: list[Finding], key: Callable[[Finding], str] | None = None) -> list[Credential]:
    """One entry per credential (same rule, key ID and secret), most severe and oldest first."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(key(finding) if key is not None else finding.fingerprint, []).append(finding)
    entries = [Credential(sorted(group, key=lambda f: -f.severity)) for group in groups.values()]

    def order(entry: Credential) -> tuple[int, str, str]:
        introduced = entry.introduced
        when = introduced.git.date if introduced is not None and introduced.git is not None else ""
        return (-entry.severity, when or "", entry.key_id)

    return sorted(entries, key=order)


def header(report: Report) -> dict[str, Any]:
    """The facts an auditor reads first: what was scanned, how completely, what was found."""
    stats = report.stats
    git = stats.extra.get("git") or {}
    entries = credentials(report.findings, report.group_key)
    return {
        "command": report.command,
        "target": safe(git.get("repository") or ", ".join(report.scope or ()) or report.root or "."),
        "git": {name: git[name] for name in _GIT_COUNTS if name in git},
        "repositories": report.repositories,
        "files": stats.files,
        "bytes": stats.bytes,
        "duration": report.duration,
        "complete": not stats.incomplete,
        "skipped": dict(stats.skipped),
        "ruleset": report.ruleset_digest,
        "findings": len(report.findings),
        "credentials": len(entries),
        "by_severity": Counter(str(e.severity) for e in entries),
        "by_status": Counter(e.status for e in entries),
        "generated": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
    }
