"""JUnit XML, for CI systems that show test reports: one test case per finding (a failure), named by
rule and place, and one passing case when there is nothing to report, so the suite is never empty."""

from __future__ import annotations

from typing import TextIO
from xml.sax.saxutils import quoteattr

from akscan.model import redact
from akscan.report import Report, safe
from akscan.report.text import summary_line


def write(report: Report, stream: TextIO) -> None:
    cases = []
    for f in report.findings:
        secret = redact(f.secret) if report.redact else f.secret
        # Every field from content or config made safe: XML 1.0 cannot carry most control characters even
        # escaped, so one in a custom rule's match or title would make the whole report unreadable.
        detail = safe(f"{f.title} ({f.kind}), key ID {f.key_id}" + (f", secret {secret}" if secret else ""))
        if f.git is not None and f.git.commit:
            detail += f"; introduced in {f.git.commit[:12]} by {safe(f.git.author_name)}"
        name = f"{safe(f.rule_id)} at {safe(f.location.path)}:{f.location.line}"
        cases.append(
            f"    <testcase classname={quoteattr(safe(f.provider))} name={quoteattr(name)}>\n"
            f"      <failure type={quoteattr(str(f.severity))} message={quoteattr(detail)}>"
            f"{_text(f.remediation)}</failure>\n"
            "    </testcase>\n"
        )
    if not cases:
        cases.append('    <testcase classname="akscan" name="no leaked keys"/>\n')
    failures = len(report.findings)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(f'<testsuites name="akscan" tests="{len(cases)}" failures="{failures}">\n')
    stream.write(
        f'  <testsuite name="akscan {report.command}" tests="{len(cases)}" failures="{failures}" errors="0" '
        f'time="{report.duration:.3f}">\n'
    )
    stream.write(f"    <system-out>{_text(summary_line(report))}</system-out>\n")
    stream.writelines(cases)
    stream.write("  </testsuite>\n</testsuites>\n")


def _text(value: str) -> str:
    return safe(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
