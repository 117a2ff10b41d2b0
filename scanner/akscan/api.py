"""akscan as a library: the same engine, rules and suppression as the command line, for programs —
an upload filter, a log scrubber, a guard on a language model's output.

Build a :class:`Scanner` once (rules and config are compiled then) and ask it many times::

    >>> import akscan
    >>> scanner = akscan.Scanner()
    >>> text = "oss2.Auth('LTAI5tQ8xK2mZpN7vR3wY9aB', 'Xk9mQ2pL7vN4rT8wY3zB6cD1fG5hJ0')"  # akscan:allow
    >>> [(f.provider, f.kind.value, f.key_id) for f in scanner.scan_text(text)]
    [('alibaba', 'pair', 'LTAI5tQ8xK2mZpN7vR3wY9aB')]
    >>> scanner.redact(text)
    "oss2.Auth('LTAI5tQ8xK2mZpN7vR3wY9aB', 'Xk9m****************')"

Findings are frozen :class:`akscan.model.Finding` values (typed; ``finding.secret`` holds the secret in
full: redact it before logging). The names in ``__all__`` follow semantic versioning from 1.0: a minor
release only adds; anything else in the package is internal and may change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from akscan.model import Finding, Kind, ScanStats, Severity, Verification
from akscan.model import redact as _redact_value

__all__ = ["Finding", "Kind", "Scanner", "Severity", "Verification", "redact", "verify"]


class Scanner:
    """The engine with its rules and one configuration, built once.

    ``rules``: extra folders of ``*.toml`` rule files (beside the built-in ones). ``config``: an
    ``.akscan.toml`` (or ``pyproject.toml``) to apply — its excludes, allowlists and rule settings —
    or None for none. ``inline_markers``: honour ``akscan:allow`` comments (off for untrusted text).

        >>> Scanner().scan_text("no keys here")
        []
    """

    def __init__(
        self,
        rules: Sequence[str | Path] = (),
        config: str | Path | None = None,
        *,
        archives: bool = True,
        inline_markers: bool = True,
    ) -> None:
        from akscan.config.files import load_config
        from akscan.config.suppress import Allowlist, PathExcludes
        from akscan.engine.pipeline import ContentOptions
        from akscan.engine.rules import load_ruleset

        self.config = load_config(Path(config) if config is not None else None)
        inline = tuple((rule, f"{self.config.source} [[custom_rules]]") for rule in self.config.custom_rules)
        self.ruleset = load_ruleset(tuple(Path(r) for r in rules) + self.config.rule_dirs, inline=inline)
        self.config.rule_settings.check_rule_ids((r.id for r in self.ruleset.rules), self.config.source or "config")
        self.ruleset.leave_unread(self.config.rule_settings.is_on)
        self.content = ContentOptions(
            archives=archives, line_allow=self.config.rule_settings.line_lists, inline_markers=inline_markers
        )
        self.allowlist = Allowlist.build(
            self.config.allow_key_ids, self.config.allow_secrets, self.config.allow_secret_hashes
        )
        self.excludes = PathExcludes(self.config.exclude)
        self.last_stats = ScanStats()  # what the last call read and skipped

    # -- content -----------------------------------------------------------------------------------
    def scan_text(self, text: str, path: str = "<text>") -> list[Finding]:
        """Findings in a string (``path`` is what the findings are reported at)."""
        return self.scan_bytes(text.encode("utf-8", "surrogateescape"), path)

    def scan_bytes(self, data: bytes, path: str = "<bytes>") -> list[Finding]:
        """Findings in bytes: archives, UTF-16 and encoded layers are decoded as for files.

        >>> import base64
        >>> line = "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tQ8xK2mZpN7vR3wY9aB"  # akscan:allow
        >>> [f.encoding for f in Scanner().scan_bytes(base64.b64encode(line.encode()))]
        ['base64']
        """
        import io

        from akscan.engine.pipeline import scan_bytes, scan_content

        stats = ScanStats()
        found = scan_bytes(data, path, "api", self.ruleset, stats, self.content)
        if found is None:
            found = scan_content(io.BytesIO(data), path, "api", self.ruleset, stats, self.content, size=len(data))
        return self._finish(found, stats)

    def scan_paths(self, *paths: str | Path, jobs: int = 1) -> list[Finding]:
        """Findings in files and folders (walked as ``akscan scan`` walks them; the config's excludes apply)."""
        from akscan.runs.scan import ScanOptions, scan_paths
        from akscan.sources.files import WalkOptions

        options = ScanOptions(walk=WalkOptions(excludes=self.excludes.patterns), jobs=jobs, content=self.content)
        result = scan_paths([str(p) for p in paths] or ["."], self.ruleset, options)
        return self._finish(result.findings, result.stats)

    def scan_repository(self, path: str | Path = ".", range: str | None = None, *, cache: bool = True) -> list[Finding]:
        """Findings in a git repository's history: every object (``range=None``), or what ``A..B`` adds;
        each history finding names the commit that introduced it (``finding.git``)."""
        from akscan.runs.history import GitScanOptions, scan_history

        revisions = [range] if range else None
        options = GitScanOptions(
            revisions=revisions,
            unreachable=revisions is None,
            cache=cache,
            jobs=1,
            content=self.content,
            excludes=self.excludes,
        )
        result = scan_history(str(path), self.ruleset, options)
        return self._finish(result.findings, result.stats)

    def redact(self, text: str) -> str:
        """``text`` with every secret and session token it holds masked (key IDs kept: they name the key
        without unlocking it). For logs and model output.

            >>> Scanner().redact("nothing to hide")
            'nothing to hide'
        """
        return _masked(text, self.scan_text(text))

    # -- shared tail -------------------------------------------------------------------------------
    def _finish(self, findings: list[Finding], stats: ScanStats) -> list[Finding]:
        from akscan.config.suppress import apply_allowlist

        kept = self.excludes.filter_findings(findings, stats)
        kept = self.config.rule_settings.filter_findings(kept, stats)
        kept = apply_allowlist(kept, self.allowlist, stats)
        self.last_stats = stats
        return sorted(kept, key=lambda f: (f.location.path, f.location.offset, f.rule_id))


def _masked(text: str, findings: Iterable[Finding]) -> str:
    values = {v for f in findings for v in (f.secret, f.security_token) if v}
    for value in sorted(values, key=len, reverse=True):  # longest first: a secret inside a token stays masked
        text = text.replace(value, _redact_value(value) or "")
    return text


_default: Scanner | None = None


def redact(text: str) -> str:
    """``text`` with every secret masked, by a scanner with the built-in rules and no config.

    >>> redact("AccessKeySecret=Xk9mQ2pL7vN4rT8wY3zB6cD1fG5hJ0")  # akscan:allow
    'AccessKeySecret=Xk9m****************'
    """
    global _default
    if _default is None:
        _default = Scanner()
    return _default.redact(text)


def verify(
    findings: Iterable[Finding],
    *,
    endpoints: dict[str, str] | None = None,
    timeout: float = 10.0,
    region: str | None = None,
) -> list[Finding]:
    """Ask each provider's STS ``GetCallerIdentity`` whether the pairs among ``findings`` are live (the
    network: only the signature and key ID leave, never the secret); returns the findings with
    ``finding.verification`` set where it could be asked. ``endpoints``: ``{"alibaba": "https://…"}``."""
    from akscan.verify import Verifier, VerifyOptions

    options = VerifyOptions(endpoints=dict(endpoints or {}), region=region, timeout=timeout)
    return Verifier(options).verify(list(findings))
