"""Project configuration: ``.akscan.toml``, or ``[tool.akscan]`` in ``pyproject.toml``, turned into one
typed ``Config``. Unknown keys and wrong types are errors that name the file and the key."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from akscan.errors import ConfigError
from akscan.model import Severity
from akscan.report import FORMATS

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


_SCHEMA: dict[str, type | tuple[type, ...]] = {
    "exclude": list,
    "rules": list,
    "fail_on": str,
    "format": str,
    "redact": bool,
    "baseline": str,
    "allowlist": dict,
}
_ALLOWLIST_SCHEMA = {"key_ids": list, "secrets": list, "secret_sha256": list}


def find_config(start: Path) -> Path | None:
    """The nearest ``.akscan.toml``, or a ``pyproject.toml`` with a ``[tool.akscan]`` table, walking up
    from ``start`` to the repository (or file system) root."""
    directory = start if start.is_dir() else start.parent
    for folder in [directory, *directory.parents]:
        candidate = folder / ".akscan.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and b"[tool.akscan" in pyproject.read_bytes():
            return pyproject
        if (folder / ".git").exists():
            break
    return None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
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
            raise ConfigError(f"{where}: '{prefix}{key}' must be a {expected.__name__}, not {type(value).__name__}")
        if expected is list and not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{where}: every entry of '{prefix}{key}' must be a string")


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
        rule_dirs=tuple(base / d for d in table.get("rules", [])),
        fail_on=fail_on,
        format=fmt,
        redact=table.get("redact", True),
        baseline=base / table["baseline"] if "baseline" in table else None,
        allow_key_ids=tuple(allowlist.get("key_ids", [])),
        allow_secrets=tuple(allowlist.get("secrets", [])),
        allow_secret_hashes=tuple(allowlist.get("secret_sha256", [])),
    )
