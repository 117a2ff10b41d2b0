"""``--format markdown``: a summary for a CI job page (``$GITHUB_STEP_SUMMARY``) or an issue comment —
one row per unique credential, secrets redacted unless ``--no-redact``.

Scanned text (paths, authors) is escaped so it cannot close the table, start a link or an HTML tag, or
mention someone: GitHub renders HTML inside Markdown.
"""

from __future__ import annotations

import re
from typing import TextIO

from akscan.model import Severity
from akscan.report import Report, safe
from akscan.report.audit import credentials, header
from akscan.report.text import _human_bytes, what_to_do

ROW_LIMIT = 100  # a step summary is capped at 1 MiB; the JSON, SARIF or HTML report holds every row
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # what can start emphasis, code, a link or end a cell


def _md(text: object) -> str:
    shown = safe(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", shown).replace("@", "&#64;")


def write(report: Report, stream: TextIO) -> None:
    facts = header(report)
    entries = credentials(report.findings, report.group_key)
    counts = ", ".join(
        f"{facts['by_severity'][str(s)]} {s}"
        for s in sorted(Severity, reverse=True)
        if facts["by_severity"].get(str(s))
    )
    title = f"{len(entries)} leaked credential{'s' if len(entries) != 1 else ''}" if entries else "no credentials found"
    out = [f"## akscan: {title}" + (f" ({counts})" if counts else ""), ""]
    scope = f"`akscan {facts['command']}` of {_md(facts['target'])}: "
    git = facts["git"]
    if git:
        scope += f"{git.get('commits', 0)} commits, {git.get('blobs', 0)} blobs, "
    else:
        scope += f"{facts['files']} files, "
    scope += f"{_human_bytes(facts['bytes'])} covered in {facts['duration']:.1f} s"
    if git and git.get("cached_objects"):
        scope += (
            f" ({git.get('scanned_objects', 0)} objects read now, {git['cached_objects']} known clean from the cache)"
        )
    scope += "."
    out.append(scope)
    if not facts["complete"]:
        skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(facts["skipped"].items()))
        out += ["", f"> **Incomplete scan**: some content could not be read ({_md(skipped or 'see the log')})."]
    if entries:
        out += [
            "",
            "| Severity | Provider | Key ID | Secret | Where | Introduced | At HEAD | Verified |",
            "|---" * 8 + "|",
        ]
        for entry in entries[:ROW_LIMIT]:
            lead = entry.lead
            where = f"{_md(lead.location.path)}:{lead.location.line}"
            introduced = entry.introduced
            git_info = introduced.git if introduced is not None else None
            when = "—"
            if git_info is not None:
                commit, date = (git_info.commit or "")[:12], (git_info.date or "")[:10]
                when = f"{_md(commit)} {_md(date)} by {_md(git_info.author_name or '')}"
            at_head = {None: "—", True: "**yes**", False: "no"}[entry.present_at_head]
            status = entry.status + (f" ({_md(entry.identity)})" if entry.identity else "")
            status += f"; reaches: {_md(entry.reaches)}" if entry.reaches else ""
            out.append(
                f"| {entry.severity} | {_md(lead.provider)} | {_md(entry.key_id or lead.rule_id)} | "
                f"{_md(entry.secret_shown(report.redact))} | {where} | {when} | {at_head} | {status} |"
            )
        if len(entries) > ROW_LIMIT:
            out.append(f"\n…and {len(entries) - ROW_LIMIT} more: see the JSON, SARIF or HTML report.")
        out += ["", "### What to do", ""]
        # Our own words, per provider (key IDs have the rules' strict shapes): code spans are kept.
        out.append(what_to_do(report.findings).replace("<", "&lt;").replace(">", "&gt;"))
    stream.write("\n".join(out) + "\n")
