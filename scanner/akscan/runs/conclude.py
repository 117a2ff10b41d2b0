"""The run-wide stages every scanning command ends with, in this order: path excludes and allowlist,
baseline, verification, report, exit code."""

from __future__ import annotations

import sys
from typing import Any

from akscan.config.settings import RunConfig
from akscan.errors import ExitCode, UsageError
from akscan.model import Finding, ScanResult
from akscan.report import safe

MAX_ERROR_LINES = 20


def _open_output(output: str | None) -> Any:
    if output is None or output == "-":
        return sys.stdout
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output {output}: cannot write ({exc.strerror})") from None


def _note(message: str) -> None:
    sys.stderr.write(f"akscan: note: {message}\n")


def suppress_findings(result: ScanResult, settings: RunConfig, command: str = "scan") -> None:
    """Path excludes and the allowlist, for every source alike (the walk has applied the excludes to
    files already; the hook to staged paths; history to the paths each credential was seen at)."""
    from akscan.config.suppress import apply_allowlist

    findings = settings.excludes.filter_findings(result.findings, result.stats)
    findings = settings.rule_settings.filter_findings(findings, result.stats)
    result.findings = apply_allowlist(findings, settings.allowlist, result.stats)
    # An entry that matches nothing is dead weight or a typo (a hash of the secret with its newline): say
    # so, when the run saw everything the entry could match (a hook sees staged files only, a range
    # scan a few commits, a scan of some paths part of the tree).
    whole = (command == "scan" and _covers_config(result, settings)) or (command == "git" and not _is_range(result))
    unused = settings.allowlist.unused(findings) if whole else 0
    if unused:
        result.stats.extra["allowlist_unused"] = unused
        if not settings.quiet:
            _note(
                f"{unused} [allowlist] entr{'y' if unused == 1 else 'ies'} of the config matched nothing "
                "(rotated away? a secret_sha256 must hash the secret alone: `printf %s SECRET | akscan hash`)"
            )


def _covers_config(result: ScanResult, settings: RunConfig) -> bool:
    """Whether a scan of files covered the whole tree its config speaks for (the config's folder)."""
    if result.scope is None:
        return True
    if settings.config_path is None:
        return False
    import os

    folder = os.path.realpath(settings.config_path.parent)
    for root in result.scope:
        real = os.path.realpath(root)
        if os.path.isdir(real) and (folder == real or folder.startswith(real.rstrip(os.sep) + os.sep)):
            return True
    return False


def _is_range(result: ScanResult) -> bool:
    return bool(result.stats.extra.get("git", {}).get("range"))


def finish(settings: RunConfig, result: ScanResult, command: str) -> int:
    """Suppression, baseline, verification, report, exit code: the common tail of every scanning command."""
    from akscan.report import Report, writer

    suppress_findings(result, settings, command)
    findings = result.findings
    baseline_summary: dict[str, Any] = {}
    if settings.baseline is not None:
        from akscan.config.suppress import apply_baseline

        findings, suppressed, stale = apply_baseline(findings, settings.baseline, result.scope)
        if suppressed:
            result.stats.suppressed["baseline"] = suppressed
        baseline_summary = {"file": settings.baseline.path, "suppressed": suppressed}
        if command != "hook":  # a hook sees only staged files: every other entry would look stale
            baseline_summary["stale"] = [
                {"fingerprint": e.fingerprint, "rule_id": e.rule_id, "key_hint": e.key_hint, "path": e.path}
                for e in stale
            ]
            if stale and not settings.quiet:
                _note(
                    f"{len(stale)} baseline entr{'y' if len(stale) == 1 else 'ies'} no longer "
                    f"match anything (run `akscan baseline update` to drop them)"
                )
    if any(f.expires_at for f in findings):
        import datetime as dt

        from akscan.engine.expiry import apply_expiry

        findings = apply_expiry(findings, dt.datetime.now(dt.timezone.utc))
    result.findings = findings
    hidden = run_verification(result, settings)
    findings = result.findings
    if hidden and not settings.quiet:
        reasons = ", ".join(f"{n} {r}" for r, n in sorted(hidden.items()))
        _note(
            f"--only-live hid {sum(hidden.values())} finding(s) that are not live or could not be verified: {reasons}"
        )
    print_errors(result.stats, settings.quiet)
    if settings.notify:
        announce(result, settings, [f for f in findings if not _not_added(f, settings)], command)
    report = Report(
        findings,
        result.stats,
        result.duration,
        redact=settings.redact,
        ruleset_digest=settings.ruleset.digest,
        command=command,
        baseline=baseline_summary,
        rules={r.id: r for r in settings.ruleset.rules},
        hidden=hidden,
        colour=settings.colour,
        root=result.root,
        paths_from_root=result.paths_from_root,
        scope=result.scope,
    )
    stream = _open_output(settings.output)
    where = settings.output if settings.output not in (None, "-") else "standard output"
    try:
        try:
            writer(settings.fmt)(report, stream)
        finally:
            if settings.output not in (None, "-"):
                stream.close()
            else:
                stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:  # a full disk, /dev/full, a closed descriptor
        raise UsageError(f"cannot write the report to {where}: {exc.strerror or exc}") from None
    if settings.output not in (None, "-") and not settings.quiet:
        # The report went to a file: the CI log still says what happened, in one line.
        from akscan.report.text import summary_line

        sys.stderr.write(f"akscan: {summary_line(report)} (report: {safe(settings.output or '')})\n")
        _list_where(findings, settings)
    missing = result.stats.skipped.get("missing", 0)
    if missing:  # a path named on the command line that is not there: a typo must not pass as "clean"
        sys.stderr.write(
            f"akscan: error: {missing} path(s) given do not exist (named above); the rest was scanned and "
            "reported, and the exit code is 2\n"
        )
        return ExitCode.ERROR
    failing = [f for f in findings if f.severity >= settings.fail_on and not _not_added(f, settings)]
    if not failing and not settings.quiet:
        _warn_committed(findings, settings)
    if failing:
        return ExitCode.FINDINGS
    if settings.fail_on_incomplete and result.stats.incomplete:
        sys.stderr.write(
            "akscan: error: the scan is incomplete (content it could not read: see the summary's skipped "
            "counts), and --fail-on-incomplete makes that a failure\n"
        )
        return ExitCode.ERROR
    return ExitCode.CLEAN


def announce(result: ScanResult, settings: RunConfig, new: list[Finding], command: str) -> None:
    """Tell the owners about the new findings (the baseline's and those present before a range are not new):
    one message per target; the outcome goes to stderr and ``summary.notifications``, never into the exit
    code."""
    from akscan.notify import notify
    from akscan.report.fields import finding_dict

    entries = [finding_dict(finding, redact_secrets=True) for finding in new]
    shown = (result.stats.extra.get("git") or {}).get("repository")  # a URL's own name, not its local mirror
    roots = [shown] if shown else result.scope or ([result.root] if result.root else ["."])
    context = f"akscan {command} " + ", ".join(without_credentials(str(root)) for root in roots)
    outcomes = notify(list(settings.notify), entries, context.strip(), report_link(settings))
    if not entries:
        result.stats.extra["notifications"] = [{"status": "nothing new", "targets": len(settings.notify)}]
        return
    result.stats.extra["notifications"] = [outcome.as_dict() for outcome in outcomes]
    say_notified(outcomes, settings.quiet)


def report_link(settings: RunConfig) -> str:
    """What a notification points to: --notify-link, else the report's file, else nothing."""
    return settings.notify_link or (settings.output if settings.output not in (None, "-") else "") or ""


def say_notified(outcomes: list[Any], quiet: bool) -> None:
    for outcome in outcomes:
        if outcome.status != "sent":
            sys.stderr.write(
                f"akscan: warning: the notification to {outcome.target} failed after {outcome.attempts} tries "
                f"({safe(outcome.reason)}); the scan's result and exit code stand\n"
            )
        elif not quiet:
            sys.stderr.write(f"akscan: notified {outcome.target} of {outcome.credentials} new credential(s)\n")


def without_credentials(where: str) -> str:
    """A repository URL as a message may show it: a user name or token in it is dropped."""
    import re

    return re.sub(r"(?<=://)[^/@\s]*@", "", where)


MAX_LISTED = 20


def _list_where(findings: list[Finding], settings: RunConfig) -> None:
    """With the report in a file, the CI log still says where each key is (the report may be an artifact
    nobody opens): path:line, provider, key ID, commit; the ones that fail the gate first."""
    ordered = sorted(findings, key=lambda f: (_not_added(f, settings), -f.severity, f.location.path, f.location.line))
    for finding in ordered[:MAX_LISTED]:
        where = f"{safe(finding.location.path)}:{finding.location.line}"
        commit = f" commit {finding.git.commit[:12]}" if finding.git is not None and finding.git.commit else ""
        note = " (already there before; not failing)" if _not_added(finding, settings) else ""
        sys.stderr.write(
            f"akscan:   {finding.severity} {where} {finding.provider} {safe(finding.key_id or '(secret only)')}"
            f"{commit}{note}\n"
        )
    if len(ordered) > MAX_LISTED:
        sys.stderr.write(f"akscan:   … and {len(ordered) - MAX_LISTED} more (see the report)\n")


def _not_added(finding: Finding, settings: RunConfig) -> bool:
    """A credential this change did not add: a range scan's key that was there before the range, or a key
    a commit touches that HEAD already holds. Reported (it is still a leak, and code scanning must keep its
    alert open) but never failing the gate (the hook's ``--block-committed`` makes committed keys fail)."""
    if finding.git is None:
        return False
    if finding.git.present_before_range:
        return True
    return finding.git.source == "staged" and bool(finding.git.present_at_head) and not settings.block_committed


def _warn_committed(findings: list[Finding], settings: RunConfig) -> None:
    """The hook lets a commit through that touches keys already committed: say which, and how to rotate."""
    from akscan.report.text import ROTATE

    committed = [f for f in findings if f.git is not None and f.git.source == "staged" and f.git.present_at_head]
    if not committed:
        return
    sys.stderr.write(
        f"akscan: warning: this commit adds no key, but touches {len(committed)} already committed at HEAD "
        "(not blocking; --block-committed to refuse such commits):\n"
    )
    for finding in committed[:MAX_ERROR_LINES]:
        how = ROTATE.get(finding.provider, "rotate it in the provider's console").format(key=safe(finding.key_id))
        sys.stderr.write(
            f"akscan:   {safe(finding.location.path)}:{finding.location.line} {finding.provider} "
            f"{safe(finding.key_id or '(secret only)')} — {how}\n"
        )
    if len(committed) > MAX_ERROR_LINES:
        sys.stderr.write(f"akscan:   … and {len(committed) - MAX_ERROR_LINES} more\n")


def print_errors(stats: Any, quiet: bool) -> None:
    if quiet or not stats.errors:
        return
    err = sys.stderr
    from akscan.report import safe

    for entry in stats.errors[:MAX_ERROR_LINES]:
        err.write(f"akscan: warning: {safe(entry['detail'])}\n")
    if len(stats.errors) > MAX_ERROR_LINES:
        err.write(f"akscan: warning: … and {len(stats.errors) - MAX_ERROR_LINES} more (see the JSON summary)\n")


def run_verification(result: ScanResult, settings: RunConfig) -> dict[str, Any]:
    """Verify the findings in place; returns what the report should say it hid."""
    if settings.verify is None:
        return {}
    from akscan.verify import Verifier

    verifier = Verifier(settings.verify)
    result.findings = verifier.verify(result.findings)
    result.stats.extra["verification"] = verifier.summary(result.findings)
    hidden: dict[str, int] = {}
    if settings.only_live:
        kept = []
        for finding in result.findings:
            if finding.verification is not None and finding.verification.status == "live":
                kept.append(finding)
            else:
                reason = "not-verifiable" if finding.verification is None else f"verified-{finding.verification.status}"
                hidden[reason] = hidden.get(reason, 0) + 1
        result.findings = kept
    return hidden
