"""Path excludes: gitignore-style patterns from the config's ``exclude`` and ``--exclude``, one
implementation for every source."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from akscan.errors import ConfigError
from akscan.model import Finding, ScanStats


class PathExcludes:
    """gitignore-style ``exclude`` patterns (config and ``--exclude``), matched against paths relative to
    the scanned root: the walk applies them before reading; the hook to staged paths; history to every
    path a credential was seen at (excluded only when all of them are)."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self.patterns = tuple(patterns)
        self._spec: Any = None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    # Only the patterns travel (to a fleet's Dask workers): the compiled matcher may hold a Hyperscan
    # database, which cannot be pickled; each process compiles its own on first use.
    def __getstate__(self) -> dict[str, Any]:
        return {"patterns": self.patterns}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.patterns = tuple(state["patterns"])
        self._spec = None

    def excludes(self, path: str) -> bool:
        if not self.patterns:
            return False
        if self._spec is None:
            import pathspec  # ~30 ms: only when there are patterns

            try:
                self._spec = pathspec.GitIgnoreSpec.from_lines(self.patterns)
            except Exception:  # pathspec raises its own families; name the culprit
                raise ConfigError(
                    f"exclude pattern {_first_bad(self.patterns)!r} is not a valid gitignore pattern"
                ) from None
        return bool(self._spec.match_file(path))

    def filter_findings(self, findings: list[Finding], stats: ScanStats) -> list[Finding]:
        """Drop findings seen only at excluded paths (for history: every path that held it)."""
        if not self.patterns:
            return findings
        kept = []
        for finding in findings:
            paths = (finding.git.paths if finding.git is not None else ()) or (finding.location.path,)
            if all(self.excludes(path) for path in paths):
                stats.suppress("excluded-path")
            else:
                kept.append(finding)
        return kept


def _first_bad(patterns: tuple[str, ...]) -> str:
    import pathspec

    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except Exception:
            return pattern
    return patterns[0]
