"""The command line: a thin adapter. Parse options, call the library, render, return an exit code.

``main`` owns every exit code (click runs with ``standalone_mode=False``), so click's own paths (Ctrl-C,
broken pipe, --help) are never mistaken for "findings". Heavy modules are imported inside commands so
``akscan --help`` and ``akscan hook`` stay fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from scanner import __version__
from scanner.errors import AkscanError, ExitCode, UsageError

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}
FORMATS = ("text", "json", "jsonl")
MAX_ERROR_LINES = 20


def parse_size(text: str) -> int:
    value = text.strip().lower()
    number = value.rstrip("bkmg")
    unit = value[len(number) :]
    try:
        if unit not in _SIZE_UNITS:
            raise ValueError
        return int(float(number) * _SIZE_UNITS[unit])
    except ValueError:
        raise UsageError(f"--max-file-size {text!r}: use a number of bytes or e.g. 512k, 10MB, 1G") from None


def _load_rules(rule_dirs: tuple[str, ...]) -> Any:
    from scanner.rules import load_ruleset

    return load_ruleset(tuple(Path(d) for d in rule_dirs))


def _open_output(output: str | None) -> Any:
    if output is None or output == "-":
        return click.get_text_stream("stdout")
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output {output}: cannot write ({exc.strerror})") from None


def emit(report: Any, fmt: str, output: str | None) -> None:
    from scanner.report import writer

    stream = _open_output(output)
    try:
        writer(fmt)(report, stream)
    finally:
        if stream is not sys.stdout and output not in (None, "-"):
            stream.close()
        else:
            stream.flush()


def print_errors(stats: Any, quiet: bool) -> None:
    if quiet or not stats.errors:
        return
    err = click.get_text_stream("stderr")
    for entry in stats.errors[:MAX_ERROR_LINES]:
        err.write(f"akscan: warning: {entry['detail']}\n")
    if len(stats.errors) > MAX_ERROR_LINES:
        err.write(f"akscan: warning: … and {len(stats.errors) - MAX_ERROR_LINES} more (see the JSON summary)\n")


def exit_code_for(findings: list[Any], stats: Any) -> ExitCode:
    if findings:
        return ExitCode.FINDINGS
    if stats.skipped.get("missing"):
        return ExitCode.ERROR
    return ExitCode.CLEAN


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="akscan")
def cli() -> None:
    """akscan finds leaked cloud AccessKey pairs in files and git history.

    Exit codes: 0 no findings, 1 findings, 2 error.
    """


def common_output_options(func: Any) -> Any:
    options = [
        click.option(
            "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format."
        ),
        click.option("--output", "-o", type=str, default=None, help="Write the report to FILE instead of stdout."),
        click.option("--no-redact", is_flag=True, help="Show secrets in full (they are redacted by default)."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar and no warnings on stderr."),
        click.option(
            "--rules",
            "rule_dirs",
            multiple=True,
            type=click.Path(file_okay=False),
            help="Extra folder of *.toml rule files (repeatable).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.command()
@click.argument("paths", nargs=-1, type=str)
@common_output_options
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes (0: one per core).")
@click.option("--exclude", multiple=True, help="Skip paths matching this gitignore-style pattern (repeatable).")
@click.option("--max-file-size", default="0", help="Skip files larger than this (e.g. 50MB); 0 = no limit.")
@click.option("--gitignore", is_flag=True, help="Honour .gitignore files (off: an ignored file still leaks).")
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links while walking.")
def scan(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    no_redact: bool,
    quiet: bool,
    rule_dirs: tuple[str, ...],
    jobs: int,
    exclude: tuple[str, ...],
    max_file_size: str,
    gitignore: bool,
    follow_symlinks: bool,
) -> int:
    """Scan files and directories (default: .) or stdin (-) for leaked keys."""
    from scanner.report import Report
    from scanner.scan import ScanOptions, scan_paths, scan_stream
    from scanner.sources.files import WalkOptions, stream_chunks

    ruleset = _load_rules(rule_dirs)
    walk_options = WalkOptions(
        excludes=exclude, gitignore=gitignore, follow_symlinks=follow_symlinks, max_file_size=parse_size(max_file_size)
    )
    progress = fmt == "text" and not quiet and sys.stderr.isatty()
    options = ScanOptions(walk=walk_options, jobs=jobs, progress=progress)
    targets = list(paths) or ["."]
    if "-" in targets:
        if len(targets) > 1:
            raise UsageError("'-' (stdin) cannot be combined with other paths: scan them separately")
        from scanner.model import ScanStats

        stats = ScanStats()
        result = scan_stream(stream_chunks(sys.stdin.buffer, "<stdin>", stats, "stdin"), ruleset, options)
        result.stats.merge(stats)
    else:
        result = scan_paths(targets, ruleset, options)
    print_errors(result.stats, quiet)
    report = Report(result.findings, result.stats, result.duration, redact=not no_redact, ruleset_digest=ruleset.digest)
    emit(report, fmt, output)
    return exit_code_for(result.findings, result.stats)


@cli.command("git")
@click.argument("repo", default=".", type=str)
@common_output_options
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes (0: one per core).")
@click.option("--since", "since", default=None, metavar="REV", help="Only what commits after REV (up to HEAD) added.")
@click.option("--range", "rev_range", default=None, metavar="A..B", help="Only what commits in A..B added.")
@click.option(
    "--branch",
    "branches",
    multiple=True,
    metavar="REF",
    help="Only history reachable from REF (repeatable).",
)
@click.option("--no-unreachable", is_flag=True, help="Skip objects that no ref reaches (amended or force-pushed away).")
@click.option("--no-cache", is_flag=True, help="Rescan every object instead of skipping those scanned before.")
def git_command(
    repo: str,
    fmt: str,
    output: str | None,
    no_redact: bool,
    quiet: bool,
    rule_dirs: tuple[str, ...],
    jobs: int,
    since: str | None,
    rev_range: str | None,
    branches: tuple[str, ...],
    no_unreachable: bool,
    no_cache: bool,
) -> int:
    """Audit a repository's whole history (default: .): every blob once, with the commit that introduced it."""
    from scanner.history import GitScanOptions, scan_history
    from scanner.report import Report

    ruleset = _load_rules(rule_dirs)
    revisions = _revisions(since, rev_range, branches)
    progress = fmt == "text" and not quiet and sys.stderr.isatty()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit="B", unit_scale=True, desc="history", file=sys.stderr, leave=False)
    options = GitScanOptions(
        revisions=revisions, unreachable=not no_unreachable and revisions is None, cache=not no_cache, jobs=jobs
    )
    try:
        result = scan_history(repo, ruleset, options, on_progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    print_errors(result.stats, quiet)
    if result.stats.incomplete and not quiet:
        click.echo(
            "akscan: warning: history is incomplete (shallow or partial clone, or missing objects); see summary.git",
            err=True,
        )
    report = Report(
        result.findings,
        result.stats,
        result.duration,
        redact=not no_redact,
        ruleset_digest=ruleset.digest,
        command="git",
    )
    emit(report, fmt, output)
    return ExitCode.FINDINGS if result.findings else ExitCode.CLEAN


def _revisions(since: str | None, rev_range: str | None, branches: tuple[str, ...]) -> list[str] | None:
    if rev_range and since:
        raise UsageError("--since and --range cannot be combined: use --range A..B alone")
    if rev_range:
        if ".." not in rev_range:
            raise UsageError(f"--range {rev_range!r}: expected A..B (e.g. origin/main..HEAD)")
        return [rev_range]
    if since:
        return [*(branches or ("HEAD",)), f"^{since}"]
    if branches:
        return list(branches)
    return None


@cli.group()
def rules() -> None:
    """Inspect the loaded rules."""


@rules.command("list")
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Extra folder of *.toml rule files (repeatable).",
)
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
def rules_list(rule_dirs: tuple[str, ...], fmt: str) -> int:
    """List the loaded rules."""
    ruleset = _load_rules(rule_dirs)
    out = click.get_text_stream("stdout")
    if fmt == "json":
        import json

        rows = [
            {
                "id": r.id,
                "provider": r.provider,
                "kind": r.kind,
                "title": r.title,
                "severity": str(r.severity),
                "source": r.source,
            }
            for r in ruleset.rules
        ]
        json.dump({"ruleset": ruleset.digest, "rules": rows}, out, indent=2)
        out.write("\n")
        return ExitCode.CLEAN
    for rule in ruleset.rules:
        pairs = f" pairs with {rule.pair.secret}" if rule.pair else ""
        out.write(f"{rule.id:28} {rule.provider:8} {rule.kind:7} {rule.title}{pairs}\n")
    out.write(f"{len(ruleset.rules)} rules, ruleset {ruleset.digest}\n")
    return ExitCode.CLEAN


def main(argv: list[str] | None = None) -> int:
    try:
        result = cli.main(args=argv, prog_name="akscan", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return ExitCode.ERROR
    except click.exceptions.Abort:
        click.echo("akscan: interrupted", err=True)
        return ExitCode.ERROR
    except AkscanError as exc:
        click.echo(f"akscan: error: {exc}", err=True)
        return int(exc.exit_code)
    except BrokenPipeError:
        return ExitCode.ERROR
    except Exception as exc:  # a bug, not a finding: never let it look like exit 1
        if os.environ.get("AKSCAN_DEBUG"):
            raise
        click.echo(
            f"akscan: internal error: {type(exc).__name__}: {exc} (set AKSCAN_DEBUG=1 for a traceback)", err=True
        )
        return ExitCode.ERROR
    return int(result) if isinstance(result, int) else ExitCode.CLEAN


def run() -> None:
    sys.exit(main())
