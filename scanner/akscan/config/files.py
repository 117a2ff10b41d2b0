"""Project configuration: ``.akscan.toml``, or ``[tool.akscan]`` in ``pyproject.toml``, turned into one
typed ``Config``. Unknown keys and wrong types are errors that name the file and the key."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from akscan.config.rule_settings import RuleSettings, parse_rule_settings
from akscan.errors import ConfigError
from akscan.model import Severity
from akscan.report import FORMATS
from akscan.storage import read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAMES = (".akscan.toml", "pyproject.toml")


@dataclass(frozen=True)
class Config:
    source: str | None = None
    exclude: tuple[str, ...] = ()
    rule_dirs: tuple[Path, ...] = ()
    fail_on: Severity = Severity.INFO
    format: str | None = None
    redact: bool = True
    baseline: Path | None = None
    allow_key_ids: tuple[str, ...] = ()
    allow_secrets: tuple[str, ...] = field(default=(), repr=False)
    allow_secret_hashes: tuple[str, ...] = ()
    rule_settings: RuleSettings = field(default_factory=RuleSettings)
    custom_rules: tuple[dict[str, Any], ...] = ()
    notify: tuple[str, ...] = field(default=(), repr=False)  # webhook URLs or $VARIABLES: secrets


_SCHEMA: dict[str, type | tuple[type, ...]] = {
    "exclude": list,
    "rules": list,
    "fail_on": str,
    "format": str,
    "redact": bool,
    "baseline": str,
    "allowlist": dict,
    "disable_rules": list,
    "enable_rules": list,
    "rule_allowlist": (list,),  # a list of tables: checked in rule_config, not as a list of strings
    "custom_rules": (list,),  # rule tables, as in rules/*.toml: checked by the rule compiler
    "notify": list,
}
_ALLOWLIST_SCHEMA = {"key_ids": list, "secrets": list, "secret_sha256": list}


MAX_CONFIG_BYTES = 1024 * 1024


def find_config(start: Path) -> Path | None:
    """The nearest ``.akscan.toml``, or a ``pyproject.toml`` with a ``[tool.akscan]`` table, from
    ``start`` up to the root of the git repository holding it — or in ``start``'s own folder only when
    no repository holds it: a config in some parent folder of an unpacked tarball is not the tree's."""
    directory = start if start.is_dir() else start.parent
    chain = [directory, *directory.parents]
    top = next((i for i, folder in enumerate(chain) if (folder / ".git").exists()), None)
    for folder in chain[: top + 1] if top is not None else chain[:1]:
        candidate = folder / ".akscan.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                text = read_regular(pyproject, MAX_CONFIG_BYTES, "config")
            except (OSError, ConfigError):
                continue
            if b"[tool.akscan" in text:
                return pyproject
    return None


DEFAULT_BASELINE = ".akscan-baseline.json"


def find_default_baseline(start: Path) -> Path | None:
    """``.akscan-baseline.json`` at the top of the git work tree holding ``start`` (or in ``start``'s own
    folder when no repository holds it), when it is there: what `akscan baseline create` writes and the
    hook's refusal tells people to create, so every command finds it without being told."""
    directory = start if start.is_dir() else start.parent
    chain = [directory, *directory.parents]
    top = next((folder for folder in chain if (folder / ".git").exists()), directory)
    candidate = top / DEFAULT_BASELINE
    return candidate if candidate.is_file() else None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        document = tomllib.loads(read_regular(path, MAX_CONFIG_BYTES, "config").decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("akscan")
        if table is None:
            return Config()
        where = f"{path} [tool.akscan]"
    else:
        table = document
        where = str(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    return _parse(table, where, path.parent)


def _check(table: dict[str, Any], schema: dict[str, Any], where: str, prefix: str = "") -> None:
    for key, value in table.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise ConfigError(f"{where}: unknown key '{prefix}{key}' (known keys: {known})")
        expected = schema[key]
        if not isinstance(value, expected):
            kind = expected[0] if isinstance(expected, tuple) else expected
            raise ConfigError(f"{where}: '{prefix}{key}' must be a {kind.__name__}, not {type(value).__name__}")
        if expected is list and not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{where}: every entry of '{prefix}{key}' must be a string")


def _inside(base: Path, value: str, key: str, where: str) -> Path:
    """A path a config file names stays inside the config's own folder: a scanned tree's config must not
    point akscan at devices or at files elsewhere on the machine."""
    path = (base / value).resolve()
    if not path.is_relative_to(base.resolve()):
        raise ConfigError(f"{where}: {key} {value!r} is outside the folder of the config file; use a path inside it")
    return path


def _parse(table: dict[str, Any], where: str, base: Path) -> Config:
    _check(table, _SCHEMA, where)
    allowlist = table.get("allowlist", {})
    _check(allowlist, _ALLOWLIST_SCHEMA, where, "allowlist.")
    fail_on = Severity.INFO
    if "fail_on" in table:
        try:
            fail_on = Severity.parse(table["fail_on"])
        except KeyError:
            choices = "info, low, medium, high or critical"
            raise ConfigError(f"{where}: fail_on {table['fail_on']!r}: use {choices}") from None
    fmt = table.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(f"{where}: format {fmt!r}: use one of {', '.join(FORMATS)}")
    for digest in allowlist.get("secret_sha256", []):
        cleaned = digest.lower().removeprefix("sha256:")
        if len(cleaned) != 64 or any(c not in "0123456789abcdef" for c in cleaned):
            raise ConfigError(f"{where}: allowlist.secret_sha256 entry {digest!r} is not a SHA-256 hex digest")
    return Config(
        source=where,
        exclude=tuple(table.get("exclude", [])),
        rule_dirs=tuple(_inside(base, d, "rules", where) for d in table.get("rules", [])),
        fail_on=fail_on,
        format=fmt,
        redact=table.get("redact", True),
        baseline=_inside(base, table["baseline"], "baseline", where) if "baseline" in table else None,
        allow_key_ids=tuple(allowlist.get("key_ids", [])),
        allow_secrets=tuple(allowlist.get("secrets", [])),
        allow_secret_hashes=tuple(allowlist.get("secret_sha256", [])),
        rule_settings=parse_rule_settings(table, where),
        custom_rules=_tables(table.get("custom_rules", []), f"{where}: custom_rules"),
        notify=tuple(table.get("notify", [])),
    )


def _tables(value: Any, where: str) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise ConfigError(f"{where} must be a list of tables ([[custom_rules]])")
    return tuple(value)
