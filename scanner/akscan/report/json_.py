"""JSON (one document) and JSON Lines (one finding per line, then a summary line)."""

from __future__ import annotations

import json
from typing import TextIO

from akscan.report import Report
from akscan.report.fields import document, finding_dict, summary_dict


def write(report: Report, stream: TextIO) -> None:
    json.dump(document(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def write_lines(report: Report, stream: TextIO) -> None:
    for finding in report.findings:
        stream.write(json.dumps({"type": "finding", **finding_dict(finding, report.redact)}, ensure_ascii=False))
        stream.write("\n")
    stream.write(json.dumps({"type": "summary", **summary_dict(report)}, ensure_ascii=False))
    stream.write("\n")
