"""Report writers, one module per format, each ``write(report, stream)``; resolved lazily so a run
imports only the writer it uses."""

from __future__ import annotations

import importlib
import re
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
    "gitlab": "akscan.report.gitlab:write",
    "junit": "akscan.report.junit:write",
    "html": "akscan.report.html:write",
    "markdown": "akscan.report.markdown:write",
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
    colour: bool = True  # off with --no-color (NO_COLOR and a non-terminal turn it off too)
    hidden: dict[str, int] = field(default_factory=dict)  # e.g. filtered by --only-live
    rules: dict[str, Any] = field(default_factory=dict)  # rule id -> Rule, for formats that describe rules
    # The folder report paths are relative to (a repository's top for git and hook; for scan, the
    # repository or folder scanned): SARIF's %SRCROOT%. None: the working directory.
    root: str | None = None
    paths_from_root: bool = False
    scope: tuple[str, ...] | None = None  # the paths a scan was given (None: the whole tree or repository)
    # Fleet reports: how findings group into credentials (their stored fingerprints), and each
    # repository's status entry.
    group_key: Callable[[Finding], str] | None = None
    repositories: list[dict[str, Any]] = field(default_factory=list)


# Characters that could make a terminal or a reader see something other than what is there: C0 and C1
# controls (ESC sequences, OSC-8 links, \r overwrites, forged \n lines), DEL, and the bidirectional
# overrides and isolates that reorder text on screen.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe(text: str | None) -> str:
    """Any string from scanned content or a server (a path, a member name, a commit author or subject,
    an ARN) as a terminal can show it: bytes that were not UTF-8 as \\xNN, control and bidi characters
    as visible escapes, so no scanned name can move the cursor, colour, link or reorder the report."""
    if text is None:
        return ""
    shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _UNSAFE.sub(_escape, shown)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def writer(name: str) -> Callable[[Report, TextIO], None]:
    module_name, _, attribute = WRITERS[name].partition(":")
    return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
