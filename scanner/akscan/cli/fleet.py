"""`akscan fleet`: many repositories' histories on a Dask cluster, one report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from akscan.cli.options import _settings, notify_options, output_options, verify_options
from akscan.errors import ExitCode, UsageError


@click.command()
@click.argument("repos", nargs=-1, type=str, metavar="[REPO]...")
@click.option(
    "--list", "list_file", default=None, metavar="FILE", help="Repositories to audit, one per line (# comments)."
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="An existing Dask scheduler (tls://host:8786, with Dask's TLS settings: DASK_DISTRIBUTED__COMM__TLS__"
    "CA_FILE, __CLIENT__CERT, __CLIENT__KEY, and DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=True); default: "
    "a local cluster of this machine's cores, on loopback, over TLS with credentials made for the run.",
)
@click.option(
    "--workers", type=click.IntRange(min=0), default=0, help="Local cluster worker processes (0: one per core)."
)
@click.option("--results", default=None, metavar="DIR", help="Where per-repository results go (default: the cache).")
@click.option("--fresh", is_flag=True, help="Redo every repository instead of resuming an interrupted run.")
@click.option(
    "--retries", type=click.IntRange(min=0), default=2, show_default=True, help="Reruns of a task whose worker died."
)
@click.option("--no-unreachable", is_flag=True, help="Skip objects no ref reaches.")
@output_options
@verify_options
@notify_options
def fleet(repos: tuple[str, ...], **opts: Any) -> int:
    """Audit many repositories' histories on a Dask cluster: local paths or any URL git can clone.

    One report, one entry per unique credential across the fleet with every place it was seen; results
    are kept per repository as they arrive, and re-running an interrupted audit resumes it.

    Config: the fleet applies ONE config to every repository — --config FILE, or the .akscan.toml found
    from the current folder — never a config inside an audited repository (an audited repository must not
    silence its own keys). Baselines are per repository: use akscan git REPO --baseline FILE.
    """
    from akscan.model import Severity
    from akscan.report import fleet as fleet_report
    from akscan.runs.fleet import FleetOptions, read_list, run_fleet, task_settings
    from akscan.storage import user_cache_dir

    named = [*repos, *(read_list(opts["list_file"]) if opts["list_file"] else [])]
    specs = list(dict.fromkeys(named))  # a repository named twice is audited once
    if not specs:
        raise UsageError("no repositories: pass paths or URLs, or --list FILE")
    fmt = opts.get("fmt") or "text"
    if fmt not in fleet_report.FORMATS:
        raise UsageError(f"--format {fmt}: a fleet report is one of {', '.join(fleet_report.FORMATS)}")
    if opts.get("no_redact"):
        raise UsageError(
            "--no-redact: fleet results are stored redacted; audit one repository with akscan git for that"
        )
    settings = _settings(opts, Path("."), uses_baseline=False)
    options = FleetOptions(
        scheduler=opts["scheduler"],
        workers=opts["workers"],
        results=Path(opts["results"]) if opts["results"] else None,
        fresh=opts["fresh"],
        retries=opts["retries"],
        verify=settings.verify,
        progress=not settings.quiet and sys.stderr.isatty(),
        task=task_settings(
            cache_dir=str(user_cache_dir()) if not opts["scheduler"] else None,
            unreachable=not opts["no_unreachable"],
            keep_secrets=settings.verify is not None,
            content=settings.content,
            excludes=settings.excludes,
            rules=settings.rule_settings,
            allowlist=settings.allowlist,
        ),
    )

    def note(message: str) -> None:
        if not settings.quiet:
            sys.stderr.write(f"akscan: {message}\n")

    run = run_fleet(specs, settings.ruleset, options, note)
    summary = fleet_report.summarise(run_results(run.results))
    meta = {
        "duration_seconds": round(run.duration, 3),
        "results": str(run.results),
        "resumed": run.resumed,
        "interrupted": run.interrupted,
        "not_scanned": run.total - len(summary.repositories),
        "duplicates_skipped": len(named) - len(specs),
    }
    if run.verification:
        meta["verification"] = run.verification
    _announce(run, summary, meta, settings, len(specs))
    from akscan.runs.conclude import _open_output

    stream = _open_output(settings.output)
    try:
        fleet_report.write(fmt, summary, meta, stream)
    finally:
        if settings.output not in (None, "-"):
            stream.close()
    if settings.output not in (None, "-") or run.interrupted:
        note(fleet_report.summary_line(summary, meta))
    severities = [Severity.parse(c.entry["severity"]) for c in summary.credentials.values()]
    if any(severity >= settings.fail_on for severity in severities):
        return ExitCode.FINDINGS
    if run.interrupted or any(r["status"] == "failed" for r in summary.repositories):
        return ExitCode.ERROR
    return ExitCode.CLEAN


# A baseline is per repository: the fleet has no --baseline (a config's `baseline` is not applied either).
fleet.params = [param for param in fleet.params if param.name != "baseline"]


def _announce(run: Any, summary: Any, meta: dict[str, Any], settings: Any, repositories: int) -> None:
    """Notify of the credentials the previous run of this fleet did not report (kept beside the results);
    what was announced, or was there before, is remembered for the next run — except new credentials whose
    every notification failed, which stay new."""
    from akscan.notify import notify
    from akscan.report import fleet as fleet_report
    from akscan.runs.conclude import report_link, say_notified
    from akscan.runs.fleet import known_fingerprints, remember_fingerprints

    entries = fleet_report.document(summary, meta)["findings"]
    known = known_fingerprints(run.results)
    new = [entry for entry in entries if entry.get("fingerprint") not in known]
    context = f"akscan fleet of {repositories} repositories"
    outcomes = notify(list(settings.notify), new, context, report_link(settings)) if settings.notify else []
    failed_everywhere = bool(outcomes) and all(outcome.status != "sent" for outcome in outcomes)
    current = {str(entry.get("fingerprint")) for entry in entries}
    if failed_everywhere:
        current -= {str(entry.get("fingerprint")) for entry in new}
    remember_fingerprints(run.results, known | current)
    if settings.notify:
        meta["notifications"] = (
            [o.as_dict() for o in outcomes] if new else [{"status": "nothing new", "targets": len(settings.notify)}]
        )
        say_notified(outcomes, settings.quiet)


def run_results(folder: Path) -> Any:
    from akscan.runs.fleet import ResultStore

    return ResultStore(folder).records()


command = fleet
