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


def cell(value: object) -> object:
    """A cell a spreadsheet shows as text: a string that would start a formula (=, +, -, @, tab, CR) is
    prefixed with an apostrophe, and control characters are escaped."""
    if not isinstance(value, str):
        return value
    shown = safe(value) if value else value
    return "'" + shown if value.startswith(("=", "+", "-", "@", "\t", "\r")) else shown


def write(report: Report, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in report.findings:
        writer.writerow(
            cell(value)
            for value in (
                str(f.severity),
                str(f.kind),
                f.rule_id,
                f.provider,
                f.key_id or "",
                (redact(f.secret) if report.redact else f.secret) or "",
                f.location.path,
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
