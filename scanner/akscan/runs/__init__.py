"""Driving a source through the engine: a directory scan, a git history (with its range and its cache),
the pre-commit hook, a fleet of repositories, and what every run does at the end (``conclude``:
suppression, baseline, verification, exit code)."""
