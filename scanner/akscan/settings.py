"""What one run will do: the command-line options merged over the project configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from akscan.errors import UsageError

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


@dataclass
class Settings:
    """Command-line options merged over the project config: what one run will do."""

    ruleset: Any
    config: Any
    fmt: str
    redact: bool
    quiet: bool
    output: str | None
    fail_on: Any
    allowlist: Any
    baseline: Any = None
    exclude: tuple[str, ...] = field(default=())


def prepare(opts: dict[str, Any], anchor: Path) -> Settings:
    from akscan.config import find_config, load_config
    from akscan.model import Severity
    from akscan.rules import load_ruleset
    from akscan.suppress import Allowlist, load_baseline

    config_path = Path(opts["config"]) if opts.get("config") else find_config(anchor.resolve())
    if opts.get("config") and not config_path.is_file():  # type: ignore[union-attr]
        raise UsageError(f"--config {opts['config']}: no such file")
    config = load_config(config_path)
    ruleset = load_ruleset(tuple(Path(d) for d in opts.get("rule_dirs", ())) + config.rule_dirs)
    fmt = opts.get("fmt") or config.format or "text"
    fail_on = Severity.parse(opts["fail_on"]) if opts.get("fail_on") else config.fail_on
    allowlist = Allowlist.build(config.allow_key_ids, config.allow_secrets, config.allow_secret_hashes)
    baseline_file = opts.get("baseline") or (str(config.baseline) if config.baseline else None)
    baseline = load_baseline(baseline_file) if baseline_file else None
    redact = not opts.get("no_redact") and config.redact
    return Settings(
        ruleset,
        config,
        fmt,
        redact,
        bool(opts.get("quiet")),
        opts.get("output"),
        fail_on,
        allowlist,
        baseline,
        config.exclude,
    )
