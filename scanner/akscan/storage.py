"""Every file akscan writes or reads for itself goes through here: atomic writes that never follow a
planted symlink, bounded reads of regular files only, and the user's cache directory.

Caches live in the user's cache directory (``$AKSCAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/akscan``, else
``~/.cache/akscan``), never inside the scanned repository: a repository's owner must not be able to
pre-seed a cache that tells akscan every object is clean.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path

from akscan.errors import ConfigError


def user_cache_dir() -> Path:
    explicit = os.environ.get("AKSCAN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "akscan"


def repository_cache_dir(git_common_dir: str) -> Path:
    """One folder per repository, keyed by the real path of its git directory."""
    identity = hashlib.sha256(os.path.realpath(git_common_dir).encode("utf-8", "surrogateescape")).hexdigest()
    return user_cache_dir() / "repos" / identity[:32]


def write_atomic(path: str | os.PathLike[str], data: bytes, private: bool = False) -> None:
    """Write ``data`` to ``path`` whole or not at all: a fresh temporary file in the same folder (created
    exclusively, so a symlink planted at a guessable name is never followed), then a rename over the
    target (which replaces a symlink at the target rather than writing through it)."""
    import tempfile  # lazy: the hook imports this module but never writes

    target = Path(path)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        if not private:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def read_regular(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; a device, FIFO, directory or an
    oversized file is a ``ConfigError`` naming ``what`` it was meant to be (never a hang, never a
    memory blow-up)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot open ({exc.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{what} {path}: not a regular file")
        if info.st_size > limit:
            raise ConfigError(f"{what} {path}: {info.st_size} bytes, over the {limit} byte limit")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ConfigError(f"{what} {path}: over the {limit} byte limit")
    return data


def read_cache(path: str | os.PathLike[str], limit: int) -> bytes | None:
    """A cache file's bytes, or None when it is missing, not a regular file, or too large (a cache is
    only ever an optimisation: anything odd means "no cache")."""
    try:
        return read_regular(path, limit, "cache")
    except (OSError, ConfigError):
        return None


def private_folder(path: Path, top: Path) -> str | None:
    """Why ``path`` (and every folder from ``top`` down to it) is not safe to trust for caches, or None:
    each that exists must be a real folder of this user that nobody else can write. Files planted in a
    folder others can write (a list of "clean" objects) could hide keys from later audits."""
    current = path
    chain = [path]
    while current != top and top in current.parents:
        current = current.parent
        chain.append(current)
    for folder in chain:
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            continue
        except OSError as exc:
            return f"{folder}: {exc.strerror}"
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            return f"{folder} is not a folder"
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return f"{folder} belongs to another user"
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return f"{folder} can be written by other users"
    return None
