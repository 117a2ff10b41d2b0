"""The config that judges a pull request is its base's, not its own.

A pull request is the hostile input here: if the gate read the config and baseline the pull request
brings, a pull request that adds a key could add an ``.akscan.toml`` allowlisting ``**`` (or excluding
``*``, or a regex that hangs the scan) beside it, and pass. For a pull request or merge request,
``--range auto`` therefore reads the config (``.akscan.toml``, or ``pyproject.toml``'s ``[tool.akscan]``),
the rule folders it names and the default baseline as they are at the base commit, and says when the
pull request changes them: the change takes effect once it is merged, after review.
"""

from __future__ import annotations

import os
from pathlib import Path

from akscan.config.files import CONFIG_NAMES, DEFAULT_BASELINE
from akscan.sources import gitcmd

MAX_FILE = 64 * 1024 * 1024  # bytes of one file taken from the base (a baseline can be large)
MAX_RULE_FILES = 500


def _blob(repo: str, rev: str, path: str) -> bytes | None:
    probe = gitcmd.run(["cat-file", "-s", f"{rev}:{path}"], repo, check=False)
    if probe.returncode != 0:
        return None
    if int(probe.stdout.strip() or 0) > MAX_FILE:
        return None
    shown = gitcmd.run(["cat-file", "blob", f"{rev}:{path}"], repo, check=False)
    return shown.stdout if shown.returncode == 0 else None


def _write(folder: Path, path: str, data: bytes) -> None:
    target = (folder / path).resolve()
    if not target.is_relative_to(folder.resolve()):  # a name with .. cannot leave the folder
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _rule_dirs(config: bytes, is_pyproject: bool) -> list[str]:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        document = tomllib.loads(config.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # the config's own error is reported when it is loaded
    table = document.get("tool", {}).get("akscan", {}) if is_pyproject else document
    rules = table.get("rules", []) if isinstance(table, dict) else []
    return [r for r in rules if isinstance(r, str)] if isinstance(rules, list) else []


def materialise(repo: str, base: str, head: str, folder: Path) -> tuple[Path | None, Path | None, list[str]]:
    """Write the base's config, the rule folders it names and its default baseline into ``folder``:
    (config file or None, baseline file or None, the names of those the head changes)."""
    config: Path | None = None
    watched = [DEFAULT_BASELINE]
    for name in CONFIG_NAMES:
        data = _blob(repo, base, name)
        if data is None or (name == "pyproject.toml" and b"[tool.akscan" not in data):
            continue
        _write(folder, name, data)
        config = folder / name
        watched.append(name)
        for directory in _rule_dirs(data, name == "pyproject.toml"):
            watched.append(directory)
            listing = gitcmd.run(["ls-tree", "-r", "-z", "--full-tree", base, "--", directory], repo, check=False)
            for record in listing.stdout.split(b"\0")[:MAX_RULE_FILES]:
                meta, _, path = record.partition(b"\t")
                if meta.split()[1:2] == [b"blob"]:
                    name_in_tree = os.fsdecode(path)
                    blob = _blob(repo, base, name_in_tree)
                    if blob is not None:
                        _write(folder, name_in_tree, blob)
        break
    baseline_data = _blob(repo, base, DEFAULT_BASELINE)
    baseline = None
    if baseline_data is not None:
        _write(folder, DEFAULT_BASELINE, baseline_data)
        baseline = folder / DEFAULT_BASELINE
    watched += [name for name in CONFIG_NAMES if name not in watched]
    diff = gitcmd.run(["diff", "--name-only", "--no-renames", "-z", base, head, "--", *watched], repo, check=False)
    changed = sorted({os.fsdecode(p) for p in diff.stdout.split(b"\0") if p})
    if "pyproject.toml" in changed and not any(
        b"[tool.akscan" in (_blob(repo, rev, "pyproject.toml") or b"") for rev in (base, head)
    ):
        changed.remove("pyproject.toml")  # changed, but holds no akscan config on either side
    return config, baseline, changed
