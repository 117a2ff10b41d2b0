"""Human output: findings grouped per file, loudest first within the run, secrets redacted."""

from __future__ import annotations

import os
from itertools import groupby
from typing import TextIO

from akscan.model import Finding, Kind, Severity, redact
from akscan.report import Report, safe

_ANSI = {"red": 31, "green": 32, "yellow": 33, "magenta": 35, "cyan": 36, "white": 37}


def _style(text: str, fg: str | None = None, bold: bool = False, reverse: bool = False) -> str:
    """ANSI colour for a terminal (the text itself has already been made safe)."""
    codes = [str(_ANSI[fg])] if fg else []
    codes += ["1"] * bold + ["7"] * reverse
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m" if codes else text


def wants_colour(report: Report, stream: TextIO) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or --no-color."""
    return report.colour and not os.environ.get("NO_COLOR") and stream.isatty()


_COLOURS = {
    Severity.CRITICAL: ("magenta", True),
    Severity.HIGH: ("red", True),
    Severity.MEDIUM: ("yellow", False),
    Severity.LOW: ("cyan", False),
    Severity.INFO: ("white", False),
}
_KIND_LABEL = {
    Kind.PAIR: "key pair",
    Kind.STS: "STS credentials",
    Kind.KEY_ID: "key ID only",
    Kind.SECRET: "secret only",
}


def _kind_label(finding: Finding) -> str:
    if finding.kind == Kind.KEY_ID and finding.security_token is not None:  # a presigned URL's ID and token
        return "temporary key ID and token"
    return _KIND_LABEL[finding.kind]


def _human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"


def _line(finding: Finding, report: Report, colour: bool) -> list[str]:
    fg, bold = _COLOURS[finding.severity]
    severity = (
        _style(f"{str(finding.severity).upper():8}", fg=fg, bold=bold)
        if colour
        else f"{str(finding.severity).upper():8}"
    )
    secret = finding.secret if not report.redact else redact(finding.secret)
    parts = [
        f"  {finding.location.line}:{finding.location.column}",
        severity,
        safe(finding.title),  # a custom rule's title is config: it must not paint the terminal either
        f"({_kind_label(finding)})",
    ]
    lines = [" ".join(parts)]
    detail = []
    if finding.key_id:
        detail.append(f"key ID {safe(finding.key_id)}")
    if secret:
        where = ""
        if finding.secret_location is not None and finding.secret_location.line != finding.location.line:
            where = f" (line {finding.secret_location.line})"
        detail.append(f"secret {safe(secret)}{where}")
    if finding.security_token:
        detail.append(f"token {safe(redact(finding.security_token) if report.redact else finding.security_token)}")
    lines.append("      " + ", ".join(detail) + f"  [{safe(finding.rule_id)}]")
    if finding.expires_at is not None:
        lines.append("      " + _expiry_line(finding))
    if finding.verification is not None:
        v = finding.verification
        who = " ".join(safe(x) for x in (v.identity_type, v.arn) if x)
        reason = f" ({safe(v.reason)})" if v.reason else ""
        lines.append(f"      verified: {v.status}{' — ' + who if who else ''}{reason}")
        if v.access is not None:
            from akscan.respond.access import reaches

            lines.append(f"      reaches: {safe(reaches(v.access))}")
    if finding.git is not None and finding.git.source == "staged":
        lines.append(
            "      already committed at HEAD: this commit does not add it, but the key is in the repository"
            if finding.git.present_at_head
            else "      NEW in this commit"
        )
    if finding.git is not None and finding.git.never_committed:
        lines.append(
            "      in a blob no commit holds (staged, never committed): it never left this machine in a "
            "commit; `git gc --prune=now` deletes it"
        )
    if finding.git is not None and finding.git.present_before_range:
        lines.append("      already present before the range: these commits did not add it, but it is still there")
    if finding.git is not None and finding.git.commit:
        g = finding.git
        head = "still at HEAD" if g.present_at_head else "not at HEAD"
        if g.removed_in:
            head += f", last removed in {g.removed_in[:12]} on {safe(g.removed_date)}"
        lines.append(
            f"      introduced in {(g.commit or '')[:12]} by {safe(g.author_name)} <{safe(g.author_email)}> on "
            f"{safe(g.date)} ({head}): {safe(g.summary)}"
        )
    return lines


def _live_first(report: Report, stream: TextIO, colour: bool) -> None:
    live = [f for f in report.findings if f.verification is not None and f.verification.status == "live"]
    if not live:
        return
    title = f"LIVE KEYS ({len(live)}): these work right now. Disable them first, then clean up the code."
    stream.write((_style(title, fg="red", bold=True, reverse=True) if colour else title) + "\n")
    for finding in sorted(live, key=lambda f: (-f.severity, f.location.path)):
        v = finding.verification
        assert v is not None
        root = " — the ACCOUNT's own key (root): worst case" if finding.severity == Severity.CRITICAL else ""
        line = f"  {str(finding.severity).upper():8} {safe(finding.key_id)} {safe(v.identity_type)} {safe(v.arn)}{root}"
        stream.write((_style(line, fg="red", bold=True) if colour else line) + "\n")
        stream.write(f"           at {safe(finding.location.path)}:{finding.location.line}\n")
    stream.write("\n")


def write(report: Report, stream: TextIO) -> None:
    colour = wants_colour(report, stream)
    _live_first(report, stream, colour)
    ordered = sorted(report.findings, key=lambda f: (f.location.path, -f.severity, f.location.line))
    for path, group in groupby(ordered, key=lambda f: f.location.path):
        shown = safe(path)
        stream.write((_style(shown, bold=True) if colour else shown) + "\n")
        for finding in sorted(group, key=lambda f: (f.location.line, f.location.column)):
            for line in _line(finding, report, colour):
                stream.write(line + "\n")
        stream.write("\n")
    stream.write(summary_line(report) + "\n")
    if report.findings:
        stream.write(what_to_do(report.findings, akscan_invocation() if report.command == "hook" else "akscan"))


# How to take a leaked key out of service, per provider: the console path and the CLI command.
ROTATE = {
    "alibaba": (
        "Alibaba Cloud: RAM console > Identities > Users > the user > AccessKey > Disable, then create a "
        "new one; or `aliyun ram UpdateAccessKey --UserName USER --UserAccessKeyId {key} --Status Inactive`"
    ),
    "aws": (
        "AWS: IAM console > Users > the user > Security credentials > Make inactive; or "
        "`aws iam update-access-key --user-name USER --access-key-id {key} --status Inactive`"
    ),
    "tencent": (
        "Tencent Cloud: CAM console > Users > the user > API keys > Disable; or "
        "`tccli cam UpdateAccessKey --TargetUin UIN --AccessKeyId {key} --Status Inactive`"
    ),
    "volcengine": "Volcengine: IAM console > Users > the user > Keys > Disable {key}, then delete it",
    "kingsoft": "Kingsoft Cloud: IAM console > Users > the user > Access keys > Disable {key}",
    "baidu": "Baidu AI Cloud: console > Security Authentication > Access Key > Disable {key}",
    "jdcloud": "JD Cloud: console > Access Key management > Disable {key}",
    "gcp": "Google Cloud: `gcloud storage hmac update {key} --deactivate`, then delete the HMAC key",
    "huawei": "Huawei Cloud: console > My Credentials > Access Keys > delete {key} (after rotating)",
}


def _expiry_line(finding: Finding) -> str:
    from akscan.engine.expiry import describe

    left = finding.expires_in
    if left is None:
        return f"expires {safe(finding.expires_at)}"
    if left <= 0:
        return f"expired {safe(finding.expires_at)} ({describe(left)} ago): no longer usable; find how it leaked"
    return f"valid until {safe(finding.expires_at)}: still usable for {describe(left)}"


MAX_KEYS_PER_PROVIDER = 10


def inert(value: str | None) -> str:
    """A value from scanned content, made safe to print inside a command in backticks: control characters
    escaped (``safe``), and a backtick — which would close the code span in markdown and let the rest become
    a link or an image — escaped too."""
    return safe(value).replace("`", "\\x60")


def akscan_invocation() -> str:
    """How to run akscan from where the user is: ``akscan`` when that name on PATH is this installation;
    otherwise (under pre-commit, akscan lives in a virtual environment of pre-commit's own, not on the
    user's PATH) this interpreter with ``-m akscan``, which always is."""
    import os
    import shlex
    import shutil
    import sys

    found = shutil.which("akscan")
    here = os.path.dirname(os.path.abspath(sys.executable))
    # pre-commit puts its environment's bin/ first on PATH while the hook runs (and says PRE_COMMIT=1):
    # `akscan` resolves here, but not in the user's shell afterwards.
    if found and os.path.dirname(os.path.abspath(found)) == here and os.environ.get("PRE_COMMIT") != "1":
        return "akscan"
    return f"{shlex.quote(sys.executable)} -m akscan"


def what_to_do(findings: list[Finding], invocation: str = "akscan") -> str:
    """What a person should do next: for a real leak first (every key, by provider), then for a false
    positive (with a command that runs where they are)."""
    keys: dict[str, list[str]] = {}
    temporary = False
    for finding in findings:
        if finding.temporary:
            temporary = True  # temporary credentials cannot be disabled: they expire
        elif finding.provider in ROTATE and finding.key_id:
            named = keys.setdefault(finding.provider, [])
            if finding.key_id not in named:
                named.append(finding.key_id)
    lines = [
        "If a key is real: remove it from the code and read it from the environment, or better use a RAM "
        "role / STS credentials (short-lived); if it was ever pushed, shared or left this machine, disable "
        "and rotate it FIRST — removing it from the code does not take it out of history:"
    ]
    for provider, named in sorted(keys.items()):
        for key in named[:MAX_KEYS_PER_PROVIDER]:
            lines.append(f"  - {ROTATE[provider].format(key=inert(key))}")
        if len(named) > MAX_KEYS_PER_PROVIDER:
            lines.append(f"  - … and {len(named) - MAX_KEYS_PER_PROVIDER} more {provider} keys (see the report)")
    if temporary:
        lines.append(
            "  - STS temporary credentials expire on their own (minutes to hours) and cannot be disabled: "
            "until then, restrict or delete the role that issued them, and find what leaked them"
        )
    lines.append(
        "If it is a false positive: add `akscan:allow` in a comment on its line, or record it with "
        f"`{invocation} baseline create` (it writes .akscan-baseline.json, which every akscan command, the "
        "hook included, then applies; commit it)."
    )
    return "\n".join(lines) + "\n"


def summary_line(report: Report) -> str:
    stats = report.stats
    counts: dict[str, int] = {}
    for finding in report.findings:
        counts[str(finding.severity)] = counts.get(str(finding.severity), 0) + 1
    by_severity = ", ".join(f"{counts[str(s)]} {s}" for s in sorted(Severity, reverse=True) if str(s) in counts)
    head = f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''}"
    if by_severity:
        head += f" ({by_severity})"
    line = (
        f"{head} in {stats.files} file{'s' if stats.files != 1 else ''}, {_human_bytes(stats.bytes)} scanned"
        f" in {report.duration:.2f} s"
    )
    extras = []
    if stats.skipped:
        extras.append("skipped: " + ", ".join(f"{n} {reason}" for reason, n in sorted(stats.skipped.items())))
    if stats.suppressed:
        extras.append("suppressed: " + ", ".join(f"{n} {r}" for r, n in sorted(stats.suppressed.items())))
    for name, count in report.hidden.items():
        extras.append(f"hidden by {name}: {count}")
    if stats.incomplete:
        extras.append("INCOMPLETE")
    return line + ("; " + "; ".join(extras) if extras else "")
