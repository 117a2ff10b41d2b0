"""What one run will do: the command-line flags merged over the project configuration, built once into
a typed ``RunConfig`` that every stage below the CLI reads (nothing below the CLI sees click or loose
option dictionaries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from akscan.config.files import Config
from akscan.config.rule_settings import RuleSettings
from akscan.config.suppress import Allowlist, Baseline, PathExcludes
from akscan.engine.pipeline import ContentOptions
from akscan.engine.rules import Ruleset
from akscan.errors import UsageError
from akscan.model import Severity

if TYPE_CHECKING:
    from akscan.notify import Target
    from akscan.verify import VerifyOptions

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


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


@dataclass(frozen=True)
class Flags:
    """The flags the scanning commands share, as typed values (None: not given on the command line)."""

    config_file: str | None = None
    no_config: bool = False
    rule_dirs: tuple[str, ...] = ()
    fmt: str | None = None
    output: str | None = None
    no_redact: bool = False
    quiet: bool = False
    baseline: str | None = None
    fail_on: str | None = None
    excludes: tuple[str, ...] = ()
    archives: bool = True
    verify: VerifyOptions | None = None
    only_live: bool = False
    fail_on_incomplete: bool = False
    no_color: bool = False
    block_committed: bool = False
    inline_markers: bool = True
    notify_enabled: bool = False  # the command notifies (scan, git, fleet; never the hook)
    notify: tuple[str, ...] = ()
    notify_format: str | None = None
    notify_link: str | None = None


@dataclass(frozen=True)
class RunConfig:
    """One run's configuration, built once from the config file and the flags."""

    ruleset: Ruleset
    config: Config
    fmt: str
    redact: bool
    quiet: bool
    output: str | None
    fail_on: Severity
    allowlist: Allowlist
    excludes: PathExcludes
    content: ContentOptions
    baseline: Baseline | None = None
    verify: VerifyOptions | None = None
    only_live: bool = False
    config_path: Path | None = field(default=None)
    rule_settings: RuleSettings = field(default_factory=RuleSettings)
    fail_on_incomplete: bool = False
    colour: bool = True
    default_baseline: Path | None = None  # the baseline file found beside the repository's top, when used
    block_committed: bool = False  # hook: keys already committed at HEAD fail it too
    notify: tuple[Target, ...] = ()  # where new findings are announced
    notify_link: str | None = None


def prepare(flags: Flags, anchor: Path) -> RunConfig:
    from akscan.config.files import find_config, find_default_baseline, load_config
    from akscan.config.suppress import load_baseline
    from akscan.engine.rules import load_ruleset

    if flags.only_live and flags.verify is None:
        raise UsageError("--only-live needs --verify")
    if flags.no_config and flags.config_file:
        raise UsageError("--config and --no-config cannot be combined: choose one")
    if flags.no_config:
        config_path = None
    else:
        config_path = Path(flags.config_file) if flags.config_file else find_config(anchor.resolve())
    if flags.config_file and not Path(flags.config_file).is_file():
        raise UsageError(f"--config {flags.config_file}: no such file")
    config = load_config(config_path)
    inline = tuple((rule, f"{config.source} [[custom_rules]]") for rule in config.custom_rules)
    ruleset = load_ruleset(tuple(Path(d) for d in flags.rule_dirs) + config.rule_dirs, inline=inline)
    config.rule_settings.check_rule_ids((rule.id for rule in ruleset.rules), config.source or "config")
    ruleset.leave_unread(config.rule_settings.is_on)
    baseline_file = flags.baseline or (str(config.baseline) if config.baseline else None)
    default_baseline = None
    if baseline_file is None and not flags.no_config:
        default_baseline = find_default_baseline(anchor.resolve())
        baseline_file = str(default_baseline) if default_baseline else None
    return RunConfig(
        ruleset=ruleset,
        config=config,
        fmt=flags.fmt or config.format or "text",
        redact=not flags.no_redact and config.redact,
        quiet=flags.quiet,
        output=flags.output,
        fail_on=Severity.parse(flags.fail_on) if flags.fail_on else config.fail_on,
        allowlist=Allowlist.build(config.allow_key_ids, config.allow_secrets, config.allow_secret_hashes),
        excludes=PathExcludes((*flags.excludes, *config.exclude)),
        content=ContentOptions(
            archives=flags.archives, line_allow=config.rule_settings.line_lists, inline_markers=flags.inline_markers
        ),
        baseline=load_baseline(baseline_file) if baseline_file else None,
        verify=flags.verify,
        only_live=flags.only_live,
        config_path=config_path,
        rule_settings=config.rule_settings,
        fail_on_incomplete=flags.fail_on_incomplete,
        colour=not flags.no_color,
        default_baseline=default_baseline,
        block_committed=flags.block_committed,
        notify=_notify_targets(flags, config, config_path),
        notify_link=flags.notify_link,
    )


def _notify_targets(flags: Flags, config: Config, config_path: Path | None) -> tuple[Target, ...]:
    """The run's notification targets. A config's ``notify`` counts only from a config given with --config
    or found from the current folder up: a scanned tree's own config must not send its report anywhere."""
    import os

    if not flags.notify_enabled or not (flags.notify or config.notify or os.environ.get("AKSCAN_NOTIFY_URL")):
        return ()  # the common case: nothing to import
    from akscan.notify import parse_targets

    configured = config.notify
    inside_scan = config_path is not None and not Path.cwd().resolve().is_relative_to(config_path.parent.resolve())
    if configured and config_path is not None and not flags.config_file and inside_scan:
        configured = ()
        if not flags.quiet:
            import sys

            from akscan.report import safe

            sys.stderr.write(
                f"akscan: note: the notify of {safe(str(config_path))} is ignored: a config inside the scanned "
                "tree does not choose where reports go (pass it with --config to use it)\n"
            )
    return tuple(parse_targets(flags.notify, configured, flags.notify_format))
