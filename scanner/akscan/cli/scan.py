"""`akscan scan`: files, directories and stdin."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from akscan.cli.options import _progress_wanted, _settings, notify_options, output_options, verify_options, walk_options
from akscan.errors import AkscanError, UsageError

if TYPE_CHECKING:
    from akscan.config.settings import RunConfig
    from akscan.model import ScanResult


def _scan_paths(paths: list[str], settings: RunConfig, opts: dict[str, Any]) -> ScanResult:
    from akscan.config.settings import parse_size
    from akscan.model import ScanResult, ScanStats
    from akscan.runs.scan import ScanOptions, scan_paths, scan_stream
    from akscan.sources.files import WalkOptions, file_identities

    # akscan's own files are not scanned: the report being written (with --no-redact it holds secrets),
    # the baseline in use, the baseline being written.
    own = [settings.output, settings.baseline.path if settings.baseline else None, opts.get("file")]
    walk = WalkOptions(
        excludes=settings.excludes.patterns,
        gitignore=opts.get("gitignore", False),
        follow_symlinks=opts.get("follow_symlinks", False),
        max_file_size=parse_size(opts.get("max_file_size", "0")),
        skip_files=file_identities(own),
        archives=settings.content.archives,
    )
    options = ScanOptions(
        walk=walk, jobs=opts.get("jobs", 0), progress=_progress_wanted(settings), content=settings.content
    )
    if "-" in paths:
        if len(paths) > 1:
            raise UsageError("'-' (stdin) cannot be combined with other paths: scan them separately")
        name = opts.get("stdin_name") or "<stdin>"
        if settings.excludes.excludes(name):
            return ScanResult([], ScanStats(skipped={"excluded": 1}))
        return scan_stream(sys.stdin.buffer, name, settings.ruleset, options)
    result = scan_paths(paths, settings.ruleset, options)
    result.scope = _scope(paths)
    if settings.fmt in ("sarif", "gitlab"):  # formats that map paths into the repository
        result.root = _source_root(paths[0])
    return result


def _source_root(path: str) -> str:
    """What SARIF paths are relative to: the top of the git work tree holding ``path``, else the folder
    scanned (or the folder of the file scanned)."""
    from akscan.sources import gitcmd

    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    try:
        top = gitcmd.run(["rev-parse", "--show-toplevel"], folder, check=False)
    except AkscanError:
        top = None
    if top is not None and top.returncode == 0 and top.stdout.strip():
        return top.stdout.decode("utf-8", "surrogateescape").strip()
    return os.path.abspath(folder)


def _scope(paths: list[str]) -> tuple[str, ...] | None:
    """The scanned roots as the walk reports paths under them; None when one of them is the whole tree."""
    roots = tuple(os.path.normpath(path) for path in paths)
    return None if "." in roots else roots


@click.command()
@click.argument("paths", nargs=-1, type=str)
@output_options
@walk_options
@click.option(
    "--stdin-name",
    metavar="PATH",
    default=None,
    help="With '-': the path to report stdin's content at (`git show REV:PATH | akscan scan - --stdin-name PATH`).",
)
@verify_options
@notify_options
def scan(paths: tuple[str, ...], **opts: Any) -> int:
    """Scan files and directories (default: .) or stdin (-) for leaked keys."""
    from akscan.runs.conclude import finish

    targets = list(paths) or ["."]
    settings = _settings(opts, Path(targets[0] if targets[0] != "-" else "."))
    result = _scan_paths(targets, settings, opts)
    return finish(settings, result, "scan")


command = scan
