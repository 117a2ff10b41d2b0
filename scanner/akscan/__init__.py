"""akscan: find leaked cloud AccessKey pairs in files and git history, and check them live.

As a library (``akscan.api``, re-exported here): ``akscan.Scanner().scan_text(…)``, ``akscan.redact(…)``,
``akscan.verify(…)``. The names are loaded on first use, so the command line's start-up pays nothing.
"""

from __future__ import annotations

__version__ = "0.2.0"
# Where the project lives: every link akscan prints or writes points here, never at a package index.
PROJECT_URL = "https://github.com/akscan/akscan"

__all__ = ["Finding", "Kind", "Scanner", "Severity", "Verification", "__version__", "redact", "verify"]
_API = frozenset({"Finding", "Kind", "Scanner", "Severity", "Verification", "redact", "verify"})


def __getattr__(name: str) -> object:  # (no typing import: the hook's start-up must not pay for it)
    if name == "verify":  # the verify package, callable as the API's verify(findings)
        import importlib

        return importlib.import_module("akscan.verify")
    if name in _API:
        from akscan import api

        return getattr(api, name)
    raise AttributeError(f"module 'akscan' has no attribute {name!r}")
