"""CSV for spreadsheets: one row per finding, secrets redacted unless --no-redact."""

from __future__ import annotations

import csv
from typing import TextIO

from akscan.model import redact
from akscan.report import Report, safe

COLUMNS = (
    "severity",
    "kind",
    "rule_id",
    "provider",
    "key_id",
    "secret",
    "path",
    "line",
    "column",
    "confidence",
    "fingerprint",
    "commit",
    "author",
    "date",
    "verification",
)


def write(report: Report, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in report.findings:
        writer.writerow(
            (
                str(f.severity),
                str(f.kind),
                f.rule_id,
                f.provider,
                f.key_id or "",
                (redact(f.secret) if report.redact else f.secret) or "",
                safe(f.location.path),
                f.location.line,
                f.location.column,
                f.confidence,
                f.fingerprint,
                f.git.commit if f.git and f.git.commit else "",
                f"{f.git.author_name} <{f.git.author_email}>" if f.git and f.git.author_name else "",
                f.git.date if f.git and f.git.date else "",
                f.verification.status if f.verification else "",
            )
        )
