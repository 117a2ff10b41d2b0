"""`akscan baseline create|update`: record known findings, from a scan or from a report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from akscan.cli.options import DEFAULT_BASELINE, _settings, walk_options
from akscan.cli.scan import _scan_paths
from akscan.errors import ExitCode, UsageError


@click.group()
def baseline() -> None:
    """Record known findings so later scans report only new ones."""


def _baseline_from_report(report: str, target: str, update: bool, paths: tuple[str, ...]) -> int:
    """A baseline of the findings in an akscan report (history audits, hooks, fleets): nothing is rescanned."""
    from akscan.config.suppress import entries_from_report, load_baseline, write_baseline
    from akscan.engine.rules import load_ruleset

    if paths:
        raise UsageError("--from REPORT records the report's findings: give no PATHS with it")
    entries = entries_from_report(report)
    previous = load_baseline(target).entries if update else {}
    kept = {**previous, **{entry.fingerprint: entry for entry in entries}}
    count = write_baseline(target, [], load_ruleset().digest, keep=kept.values())
    message = f"akscan: wrote {count} entr{'y' if count == 1 else 'ies'} to {target} from {report}"
    if update:
        message += f" ({len(set(kept) - set(previous))} new)"
    click.echo(message + " — it holds fingerprints only, never a secret; commit it.", err=True)
    return ExitCode.CLEAN


def _baseline_write(paths: tuple[str, ...], opts: dict[str, Any], update: bool) -> int:
    import dataclasses

    from akscan.config.suppress import in_scope, load_baseline, write_baseline
    from akscan.runs.conclude import print_errors, suppress_findings

    target = opts["file"]
    if update and not os.path.exists(target):
        raise UsageError(f"{target} does not exist: use `akscan baseline create` first")
    if opts.get("from_report"):
        return _baseline_from_report(opts["from_report"], target, update, paths)
    opts = {**opts, "baseline": None, "fmt": "text", "output": None}
    settings = dataclasses.replace(
        _settings(opts, Path(paths[0] if paths else "."), uses_baseline=False), baseline=None
    )
    result = _scan_paths(list(paths) or ["."], settings, opts)
    suppress_findings(result, settings)
    print_errors(result.stats, settings.quiet)
    previous = load_baseline(target).entries if update else {}
    before = set(previous)
    # Entries outside the paths rescanned were not looked at: they stay.
    outside = [entry for entry in previous.values() if not in_scope(entry.path, result.scope)]
    count = write_baseline(target, result.findings, settings.ruleset.digest, keep=outside)
    after = {f.fingerprint for f in result.findings} | {entry.fingerprint for entry in outside}
    message = f"akscan: wrote {count} entr{'y' if count == 1 else 'ies'} to {target}"
    if update:
        message += f" ({len(after - before)} new, {len(before - after)} stale removed)"
    click.echo(message + " — it holds fingerprints only, never a secret; commit it.", err=True)
    return ExitCode.CLEAN


def _baseline_options(func: Any) -> Any:
    func = click.option(
        "--baseline",
        "--file",
        "-f",
        "file",
        default=DEFAULT_BASELINE,
        show_default=True,
        metavar="FILE",
        help="The baseline file to write (--file is the same option).",
    )(func)
    func = click.option("--config", type=str, default=None, metavar="FILE", help="Config file.")(func)
    func = click.option("--no-config", is_flag=True, help="Ignore every config file (its excludes and allowlist too).")(
        func
    )
    func = click.option(
        "--rules",
        "rule_dirs",
        multiple=True,
        type=click.Path(file_okay=False),
        metavar="DIR",
        help="Extra folder of *.toml rule files (repeatable).",
    )(func)
    func = click.option("--quiet", "-q", is_flag=True, help="No warnings on stderr.")(func)
    func = click.option(
        "--from",
        "from_report",
        default=None,
        metavar="REPORT",
        help="Record the findings of an akscan report (JSON, JSON lines or SARIF of scan, git, hook or fleet) "
        "instead of scanning: how a history audit's findings are baselined.",
    )(func)
    return walk_options(func)


@baseline.command("create")
@click.argument("paths", nargs=-1, type=str)
@_baseline_options
def baseline_create(paths: tuple[str, ...], **opts: Any) -> int:
    """Scan PATHS (default: .), or read --from REPORT, and record every finding in the baseline file."""
    if os.path.exists(opts["file"]):
        raise UsageError(f"{opts['file']} already exists: use `akscan baseline update` to refresh it")
    return _baseline_write(paths, opts, update=False)


@baseline.command("update")
@click.argument("paths", nargs=-1, type=str)
@_baseline_options
def baseline_update(paths: tuple[str, ...], **opts: Any) -> int:
    """Rescan PATHS and rewrite the baseline: new findings added, stale entries dropped."""
    return _baseline_write(paths, opts, update=True)


command = baseline
