"""Per-rule configuration, as gitleaks users expect it: switch rules off (or keep only some), and
allowlists that apply to some rules only — by path, by a regex on the secret or the key ID, by a
regex on the line, or by stopwords in the value.

```toml
disable_rules = ["aws-access-key"]          # or: enable_rules = ["alibaba-access-key", …] (only these)

[[rule_allowlist]]
rules = ["alibaba-access-key"]              # which rules (omitted: every rule)
description = "documented sample keys"
paths = ["docs/**", "*.md"]                 # gitignore-style, against the reported path
secrets = ["^Example"]                      # regexes on the secret
key_ids = ["^LTAI5tEXAMPLE"]                # regexes on the key ID
lines = ["# fake credentials for tests"]    # regexes on the finding's line
stopwords = ["sample", "dummy"]             # in the secret or key ID, any case
```

Every value is checked when the config is read (types, valid regexes, known keys) and every rule id
against the loaded rules, with one clear line for each mistake.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from akscan.config.excludes import PathExcludes
from akscan.errors import ConfigError
from akscan.model import Finding, ScanStats

_ALLOW_KEYS = {"rules", "description", "paths", "secrets", "key_ids", "lines", "stopwords"}


# A config's regex gets this long per value (secret, key ID, line) it is asked about. A pattern that
# backtracks catastrophically ((a+)+$ on a long line) stops at the limit, allows nothing, and is not asked
# again for the rest of the run: a config found in a scanned tree must not be able to hang the scan.
ALLOW_TIMEOUT = 0.25


class BoundedPattern:
    """A regex from a config, run with a time limit; after its first timeout it allows nothing (a timeout
    means "not allowed") and says so once through ``timed_out``."""

    __slots__ = ("_compiled", "dead", "source")

    def __init__(self, source: str | bytes) -> None:
        import regex

        self.source = source
        self._compiled = regex.compile(source)
        self.dead = False

    def search(self, text: Any) -> bool:
        if self.dead:
            return False
        try:
            return self._compiled.search(text, timeout=ALLOW_TIMEOUT) is not None
        except TimeoutError:
            self.dead = True
            return False

    @property
    def pattern(self) -> str | bytes:
        return self.source

    def __getstate__(self) -> tuple[str | bytes, bool]:
        return self.source, self.dead

    def __setstate__(self, state: tuple[str | bytes, bool]) -> None:
        import regex

        self.source, self.dead = state
        self._compiled = regex.compile(self.source)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BoundedPattern) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)


@dataclass(frozen=True)
class RuleAllowlist:
    rules: frozenset[str] = frozenset()  # empty: every rule
    paths: PathExcludes = field(default_factory=PathExcludes, compare=False)
    secrets: tuple[BoundedPattern, ...] = ()
    key_ids: tuple[BoundedPattern, ...] = ()
    lines: tuple[BoundedPattern, ...] = ()
    stopwords: tuple[str, ...] = ()

    def timed_out(self) -> list[str]:
        """The patterns of this list that ran past their time limit (and now allow nothing)."""
        return [str(p.source) for p in (*self.secrets, *self.key_ids, *self.lines) if p.dead]

    def applies_to(self, rule_id: str) -> bool:
        return not self.rules or rule_id in self.rules

    def allows(self, finding: Finding) -> bool:
        """Whether this list silences ``finding`` (its line is judged where the content is: see
        ``allows_line``)."""
        if not self.applies_to(finding.rule_id):
            return False
        # A history finding holds every path the credential was ever at: it is allowed by path only when all
        # of them are (a key first committed under tests/ and later in src/ is a leak in src/).
        places = (finding.git.paths if finding.git is not None else ()) or (finding.location.path,)
        if self.paths and all(self.paths.excludes(path) for path in places):
            return True
        if finding.secret is not None and any(p.search(finding.secret) for p in self.secrets):
            return True
        if finding.key_id is not None and any(p.search(finding.key_id) for p in self.key_ids):
            return True
        values = " ".join(v for v in (finding.secret, finding.key_id) if v).lower()
        return any(word in values for word in self.stopwords)

    def allows_line(self, rule_id: str, line: bytes) -> bool:
        return self.applies_to(rule_id) and any(p.search(line) for p in self.lines)


@dataclass(frozen=True)
class RuleSettings:
    disabled: frozenset[str] = frozenset()
    enabled: frozenset[str] | None = None  # None: every rule not disabled
    allowlists: tuple[RuleAllowlist, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.disabled or self.enabled is not None or self.allowlists)

    def is_on(self, rule_id: str) -> bool:
        return rule_id not in self.disabled and (self.enabled is None or rule_id in self.enabled)

    @property
    def line_lists(self) -> tuple[RuleAllowlist, ...]:
        return tuple(a for a in self.allowlists if a.lines)

    def check_rule_ids(self, known: Iterable[str], where: str) -> None:
        names = set(known)
        mentioned = set(self.disabled) | set(self.enabled or ()) | {r for a in self.allowlists for r in a.rules}
        unknown = sorted(mentioned - names)
        if unknown:
            raise ConfigError(f"{where}: unknown rule id(s) {', '.join(unknown)} (see `akscan rules list`)")

    def filter_findings(self, findings: list[Finding], stats: ScanStats) -> list[Finding]:
        if not self:
            return findings
        kept = []
        for finding in findings:
            if not self.is_on(finding.rule_id):
                stats.suppress("rule-disabled")
            elif any(a.allows(finding) for a in self.allowlists):
                stats.suppress("rule-allowlist")
            else:
                kept.append(finding)
        self.report_timeouts(stats)
        return kept

    def report_timeouts(self, stats: ScanStats) -> None:
        """Each allowlist regex that ran past its limit, once: it allowed nothing from then on."""
        for source in sorted({p for a in self.allowlists for p in a.timed_out()}):
            key = f"allowlist regex {source[:60]!r}"
            if not any(e.get("path") == key for e in stats.errors):
                stats.errors.append(
                    {
                        "path": key,
                        "reason": "allowlist-timeout",
                        "detail": f"[[rule_allowlist]] regex {source[:60]!r} ran past {ALLOW_TIMEOUT:g} s and was "
                        "switched off: it allowed nothing after that (fix the pattern)",
                    }
                )


def parse_rule_settings(table: dict[str, Any], where: str) -> RuleSettings:
    disabled = _strings(table.get("disable_rules", []), f"{where}: disable_rules")
    enabled = table.get("enable_rules")
    if disabled and enabled is not None:
        raise ConfigError(f"{where}: use disable_rules or enable_rules, not both")
    lists = table.get("rule_allowlist", [])
    if not isinstance(lists, list) or not all(isinstance(entry, dict) for entry in lists):
        raise ConfigError(f"{where}: rule_allowlist must be a list of tables ([[rule_allowlist]])")
    return RuleSettings(
        disabled=frozenset(disabled),
        enabled=frozenset(_strings(enabled, f"{where}: enable_rules")) if enabled is not None else None,
        allowlists=tuple(
            _allowlist(entry, f"{where}: rule_allowlist {index + 1}") for index, entry in enumerate(lists)
        ),
    )


def _allowlist(entry: dict[str, Any], where: str) -> RuleAllowlist:
    unknown = set(entry) - _ALLOW_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(_ALLOW_KEYS))})"
        )
    if not set(entry) & {"paths", "secrets", "key_ids", "lines", "stopwords"}:
        raise ConfigError(f"{where}: names no paths, secrets, key_ids, lines or stopwords to allow")
    paths = PathExcludes(_strings(entry.get("paths", []), f"{where}: paths"))
    if paths:
        paths.excludes("")  # compile now: a bad pattern is named here, not in the middle of a scan
    return RuleAllowlist(
        rules=frozenset(_strings(entry.get("rules", []), f"{where}: rules")),
        paths=paths,
        secrets=tuple(_regex(p, f"{where}: secrets") for p in _strings(entry.get("secrets", []), f"{where}: secrets")),
        key_ids=tuple(_regex(p, f"{where}: key_ids") for p in _strings(entry.get("key_ids", []), f"{where}: key_ids")),
        lines=tuple(
            _regex(p.encode("utf-8"), f"{where}: lines") for p in _strings(entry.get("lines", []), f"{where}: lines")
        ),
        stopwords=tuple(w.lower() for w in _strings(entry.get("stopwords", []), f"{where}: stopwords")),
    )


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"{where} must be a list of non-empty strings")
    return value


MAX_ALLOW_PATTERN = 4096  # characters: an allowlist regex names a value or a line, never a book


def _regex(pattern: str | bytes, where: str) -> BoundedPattern:
    import regex

    shown = pattern.decode("utf-8", "replace") if isinstance(pattern, bytes) else pattern
    if len(pattern) > MAX_ALLOW_PATTERN:
        raise ConfigError(f"{where}: a regex of {len(pattern)} characters (at most {MAX_ALLOW_PATTERN})")
    try:
        return BoundedPattern(pattern)
    except (regex.error, re.error, OverflowError, MemoryError, RecursionError) as exc:
        raise ConfigError(f"{where}: {shown[:80]!r} is not a valid regex ({exc})") from None
