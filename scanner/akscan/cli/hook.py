"""`akscan hook`: the pre-commit hook, on the staged version of files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from akscan.cli.options import _settings, output_options
from akscan.errors import UsageError


@click.command(context_settings={"allow_interspersed_args": False})
@click.argument("files", nargs=-1, type=str, metavar="[--] [FILE]...")
@output_options
@click.option(
    "--block-committed",
    is_flag=True,
    help="Also refuse a commit that only touches a file holding a key already committed at HEAD (by default "
    "that is a warning: the commit does not add the key).",
)
def hook(files: tuple[str, ...], **opts: Any) -> int:
    """Pre-commit hook: scan the staged version of FILES (default: every staged file).

    A commit that adds a key is refused. Keys already committed in a touched file are reported one severity
    lower with a warning on how to rotate them, and do not block (--block-committed: they do). Uses
    .akscan-baseline.json at the repository's top when it exists. Offline by construction: no verification,
    no network; never rewrites files or the baseline. Put `--` before the file names, so that no file name
    is read as an option.
    """
    from akscan.runs.conclude import finish
    from akscan.runs.hook import run_hook

    for name in files:
        if name.startswith("-") and not os.path.lexists(name):
            raise UsageError(
                f"{name!r} was given as a file name but no such file exists: options go before `--` "
                "(in .pre-commit-config.yaml: `entry: akscan hook --fail-on high --`, not `args:`), "
                "or in .akscan.toml"
            )
    settings = _settings(opts, Path("."))
    result = run_hook(list(files), settings.ruleset, settings.content, settings.excludes)
    return finish(settings, result, "hook")


command = hook
