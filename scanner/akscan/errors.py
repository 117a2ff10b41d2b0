"""One exception family for what the user must fix; each maps to exit code 2."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    CLEAN = 0
    FINDINGS = 1
    ERROR = 2


class AkscanError(Exception):
    """A problem the user must fix (bad path, bad flag, bad config). The message is one line."""

    exit_code = ExitCode.ERROR


class UsageError(AkscanError):
    """A command-line argument or option is wrong."""


class ConfigError(AkscanError):
    """A configuration or rule file is malformed; the message names the file and key."""


class RuleError(ConfigError):
    """A rule file is malformed or a rule is invalid."""


class SourceError(AkscanError):
    """A scan target cannot be used at all (e.g. not a git repository)."""
