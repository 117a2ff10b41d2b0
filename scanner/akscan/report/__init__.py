"""Report writers, one module per format, each ``write(report, stream)``; resolved lazily so a run
imports only the writer it uses."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from akscan.model import Finding, ScanStats

WRITERS = {
    "text": "akscan.report.text:write",
    "json": "akscan.report.json_:write",
    "jsonl": "akscan.report.json_:write_lines",
    "sarif": "akscan.report.sarif:write",
    "csv": "akscan.report.csv_:write",
}
FORMATS = tuple(WRITERS)


@dataclass
class Report:
    findings: list[Finding]
    stats: ScanStats
    duration: float
    redact: bool = True
    ruleset_digest: str = ""
    command: str = "scan"
    baseline: dict[str, Any] = field(default_factory=dict)
    hidden: dict[str, int] = field(default_factory=dict)  # e.g. filtered by --only-live
    rules: dict[str, Any] = field(default_factory=dict)  # rule id -> Rule, for formats that describe rules


def safe(text: str) -> str:
    """A path as people and encoders can take it: bytes that were not UTF-8 in a file name (kept as
    surrogates by the file system layer) are shown as \\xNN escapes instead of crashing the writer."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def writer(name: str) -> Callable[[Report, TextIO], None]:
    module_name, _, attribute = WRITERS[name].partition(":")
    return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
