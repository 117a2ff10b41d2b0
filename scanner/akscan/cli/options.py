"""The options the commands share (output, walking, verification) and how their values become a run's
settings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from akscan.report import FORMATS

if TYPE_CHECKING:  # the engine is imported by the commands that run it, not by `akscan --help`
    from akscan.config.settings import Flags, RunConfig
    from akscan.verify import VerifyOptions

SEVERITIES = ("info", "low", "medium", "high", "critical")
DEFAULT_BASELINE = ".akscan-baseline.json"


def _progress_wanted(settings: RunConfig) -> bool:
    return settings.fmt == "text" and not settings.quiet and sys.stderr.isatty()


def output_options(func: Any) -> Any:
    options = [
        click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format (default text)."),
        click.option(
            "--output",
            "-o",
            type=str,
            default=None,
            metavar="FILE",
            help="Write the report to FILE instead of stdout (a one-line summary still goes to stderr).",
        ),
        click.option("--no-redact", is_flag=True, help="Show secrets in full (they are redacted by default)."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar and no warnings on stderr."),
        click.option(
            "--no-color", is_flag=True, help="No colour in text output (NO_COLOR in the environment works too)."
        ),
        click.option(
            "--rules",
            "rule_dirs",
            multiple=True,
            type=click.Path(file_okay=False),
            help="Extra folder of *.toml rule files (repeatable).",
        ),
        click.option(
            "--config",
            type=str,
            default=None,
            help="Config file (default: nearest .akscan.toml or pyproject.toml [tool.akscan] in the repository).",
        ),
        click.option(
            "--no-config",
            is_flag=True,
            help="Ignore every config file (for audits of untrusted trees, whose config could exclude paths).",
        ),
        click.option(
            "--baseline",
            type=str,
            default=None,
            metavar="FILE",
            help="Report only findings not recorded in this baseline file.",
        ),
        click.option(
            "--no-inline-markers",
            is_flag=True,
            help="Ignore akscan:allow and the other inline markers (audits of trees whose authors are not "
            "trusted: a marker could hide any key); they are still counted in the summary.",
        ),
        click.option(
            "--fail-on-incomplete",
            is_flag=True,
            help="Exit 2 when some content could not be read (missing git objects, archive limits) and "
            "nothing was found: a CI gate must not pass on what it never saw.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(SEVERITIES),
            default=None,
            help="Exit 1 only for findings of this severity or higher (default: any).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _apply(func: Any, options: list[Any]) -> Any:
    for option in reversed(options):
        func = option(func)
    return func


def pair_rules_option(func: Any) -> Any:
    """`--rules` of the one-pair commands (`akscan verify`, `akscan map`): a user's rule that says its pairs
    are never sent (`unverifiable`) is heard there as in a scan."""
    return click.option(
        "--rules",
        "rule_dirs",
        multiple=True,
        type=click.Path(file_okay=False),
        help="Extra folder of *.toml rule files: a pair one of them calls unverifiable is never sent.",
    )(func)


def endpoint_options(func: Any) -> Any:
    """Where and how verification asks: shared by `--verify` on the scans and by `akscan verify`."""
    return _apply(
        func,
        [
            click.option(
                "--endpoint",
                "endpoints",
                multiple=True,
                metavar="PROVIDER=URL",
                help="Verification endpoint, e.g. alibaba=https://sts.cn-shanghai.aliyuncs.com.",
            ),
            click.option("--verify-region", default=None, metavar="REGION", help="Alibaba regional STS endpoint."),
            click.option("--verify-vpc", is_flag=True, help="With --verify-region: the VPC endpoint (sts-vpc.…)."),
            click.option(
                "--verify-timeout",
                type=click.FloatRange(min=0.1),
                default=10.0,
                show_default=True,
                metavar="SECONDS",
                help="Time limit of one request.",
            ),
            click.option(
                "--verify-retries",
                type=click.IntRange(min=0),
                default=3,
                show_default=True,
                help="Retries for throttling and 5xx answers.",
            ),
        ],
    )


def verify_options(func: Any) -> Any:
    return _apply(
        endpoint_options(func),
        [
            click.option(
                "--verify", is_flag=True, help="Ask each provider's STS whether found pairs are live (network)."
            ),
            click.option("--only-live", is_flag=True, help="With --verify: report only live keys (says how many hid)."),
            click.option(
                "--access-map",
                is_flag=True,
                help="With --verify: for each live Alibaba key, ask (read-only, as the key itself) who it is, its "
                "policies, its last use and how many buckets, ApsaraMQ and ECS instances it reaches.",
            ),
            click.option(
                "--verify-workers",
                type=click.IntRange(min=1),
                default=8,
                show_default=True,
                help="Requests in flight at once.",
            ),
            click.option(
                "--verify-rps",
                type=click.FloatRange(min=0),
                default=10.0,
                show_default=True,
                help="Requests per second, all providers together (0: no limit).",
            ),
            click.option("--verify-cache", default=None, metavar="FILE", help="Persistent result cache (hashed keys)."),
            click.option(
                "--verify-ttl",
                type=click.FloatRange(min=0),
                default=3600.0,
                show_default=True,
                metavar="SECONDS",
                help="Seconds a cached result stays valid.",
            ),
        ],
    )


def walk_options(func: Any) -> Any:
    options = [
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=0),
            default=0,
            metavar="N",
            help="Worker processes (0: one per core).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="PATTERN",
            help="Skip paths matching a gitignore-style pattern (repeatable).",
        ),
        click.option(
            "--max-file-size",
            default="0",
            metavar="SIZE",
            help="Skip files larger than this (e.g. 50MB); 0 = no limit.",
        ),
        click.option("--gitignore", is_flag=True, help="Honour .gitignore files (off: an ignored file still leaks)."),
        click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links while walking."),
        click.option("--no-archives", is_flag=True, help="Do not look inside zip/tar/gz/bz2/xz files."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def notify_options(func: Any) -> Any:
    """Notifications of new findings (scan, git, fleet; never the hook, which stays offline)."""
    options = [
        click.option(
            "--notify",
            "notify",
            multiple=True,
            metavar="[FORMAT=]URL",
            help="Send one message listing the new credentials to this webhook (repeatable; also AKSCAN_NOTIFY_URL "
            "and the config's notify). FORMAT: dingtalk, feishu, wecom, slack, webhook (default: by the host).",
        ),
        click.option(
            "--notify-format",
            type=click.Choice(("dingtalk", "feishu", "wecom", "slack", "webhook")),
            default=None,
            help="The format of --notify URLs given without one (default: by the URL's host).",
        ),
        click.option("--notify-link", default=None, metavar="URL", help="A link to the report, put in the message."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _flags(opts: dict[str, Any], verify: VerifyOptions | None = None) -> Flags:
    """click's option values as the typed flags the rest of akscan reads."""
    from akscan.config.settings import Flags

    return Flags(
        config_file=opts.get("config"),
        no_config=bool(opts.get("no_config")),
        rule_dirs=tuple(opts.get("rule_dirs", ())),
        fmt=opts.get("fmt"),
        output=opts.get("output"),
        no_redact=bool(opts.get("no_redact")),
        quiet=bool(opts.get("quiet")),
        baseline=opts.get("baseline"),
        fail_on=opts.get("fail_on"),
        excludes=tuple(opts.get("exclude", ())),
        archives=not opts.get("no_archives", False),
        verify=verify,
        only_live=bool(opts.get("only_live")),
        fail_on_incomplete=bool(opts.get("fail_on_incomplete")),
        no_color=bool(opts.get("no_color")),
        block_committed=bool(opts.get("block_committed")),
        inline_markers=not opts.get("no_inline_markers"),
        notify_enabled="notify" in opts,
        notify=tuple(opts.get("notify") or ()),
        notify_format=opts.get("notify_format"),
        notify_link=opts.get("notify_link"),
    )


def _verify_options(opts: dict[str, Any]) -> VerifyOptions | None:
    if not opts.get("verify"):
        if opts.get("access_map"):
            from akscan.errors import UsageError

            raise UsageError("--access-map maps live keys: add --verify")
        return None
    from akscan.verify import VerifyOptions, parse_endpoints

    return VerifyOptions(
        endpoints=parse_endpoints(opts.get("endpoints", ())),
        region=opts.get("verify_region"),
        vpc=bool(opts.get("verify_vpc")),
        workers=opts["verify_workers"],
        rps=opts["verify_rps"],
        timeout=opts["verify_timeout"],
        retries=opts["verify_retries"],
        access_map=bool(opts.get("access_map")),
        cache_path=opts.get("verify_cache"),
        ttl=opts["verify_ttl"],
    )


def _settings(opts: dict[str, Any], anchor: Path, uses_baseline: bool = True) -> RunConfig:
    from akscan.config.settings import prepare

    settings = prepare(_flags(opts, _verify_options(opts)), anchor)
    if settings.config_path is not None and not settings.quiet:
        from akscan.report import safe

        # Said every run: a config found in a scanned tree can exclude paths and allowlist keys.
        sys.stderr.write(f"akscan: config: {safe(str(settings.config_path))} (--no-config to ignore it)\n")
    if settings.default_baseline is not None and uses_baseline and not settings.quiet:
        from akscan.report import safe

        sys.stderr.write(f"akscan: baseline: {safe(str(settings.default_baseline))} (--no-config to ignore it)\n")
    return settings
