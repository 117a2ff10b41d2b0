"""Walk paths into regular files, and read files as bounded, overlapping chunks.

A leaked key in an ignored or binary file is still leaked on disk, so the walk ignores nothing by
default but ``.git/``: ``.gitignore`` rules apply only when asked for, and binaries are scanned too.
Every file that is not scanned is counted with its reason; nothing is dropped silently.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from akscan.config.excludes import PathExcludes
from akscan.engine.decode.text import Utf16Reader, looks_binary, utf16_encoding
from akscan.model import Blob, Origin, ScanStats

if TYPE_CHECKING:  # pathspec costs ~30 ms to import (it pulls asyncio); loaded only when patterns are used
    import pathspec

CHUNK_SIZE = 8 * 1024 * 1024
# Must exceed the widest pairing window (ID to secret, ID to STS token) so a pair that straddles two
# chunks is seen whole by the second one.
CHUNK_OVERLAP = 64 * 1024
SKIP_DIRS = frozenset({".git"})


@dataclass(frozen=True)
class WalkOptions:
    excludes: tuple[str, ...] = ()
    gitignore: bool = False
    follow_symlinks: bool = False
    max_file_size: int = 0  # 0: no limit
    skip_files: frozenset[tuple[int, int]] = frozenset()  # (device, inode) of akscan's own files
    archives: bool = True  # also scan the members of zip/tar/gz/bz2/xz files


@dataclass(frozen=True)
class Target:
    path: str  # the path to open
    display: str  # the path to report
    size: int
    expand: bool = True  # scan archive members too
    folder: str | None = None  # the name of the folder holding it, when ``display`` does not show it


@dataclass
class _IgnoreFrame:
    base: str
    spec: pathspec.PathSpec[Any] = field(repr=False)


def file_identities(paths: list[str | None]) -> frozenset[tuple[int, int]]:
    """(device, inode) of the files that exist among ``paths``: compared with the stat the walk already
    has, so skipping akscan's own files costs nothing per file."""
    found = set()
    for path in paths:
        if path and path != "-":
            try:
                st = os.stat(path)
            except OSError:
                continue
            found.add((st.st_dev, st.st_ino))
    return frozenset(found)


def walk(paths: list[str], options: WalkOptions, stats: ScanStats) -> Iterator[Target]:
    """Yield the regular files below ``paths``; count everything else in ``stats``."""
    excludes = PathExcludes(options.excludes)
    for root in paths:
        try:
            st = os.stat(root) if options.follow_symlinks else os.lstat(root)
        except OSError as exc:
            stats.skip("missing", root, f"cannot open {root}: {exc.strerror or exc}")
            continue
        if stat.S_ISLNK(st.st_mode):
            # A path named on the command line is meant: follow it even without --follow-symlinks.
            try:
                st = os.stat(root)
            except OSError as exc:
                stats.skip("broken-symlink", root, f"{root}: broken symlink ({exc.strerror})")
                continue
        if stat.S_ISDIR(st.st_mode):
            seen = {(st.st_dev, st.st_ino)}
            yield from _walk_dir(root, root, options, excludes, stats, seen, [])
        else:
            target = _file_target(root, root, st, options, stats)
            if target is not None:
                yield target


def _relative(base: str, path: str) -> str:
    return os.path.relpath(path, base).replace(os.sep, "/")


def _excluded(excludes: PathExcludes, root: str, path: str, is_dir: bool) -> bool:
    if not excludes:
        return False
    rel = _relative(root, path)
    return excludes.excludes(rel + "/" if is_dir else rel)


def _ignored(frames: list[_IgnoreFrame], path: str, is_dir: bool) -> bool:
    ignored = False
    for frame in frames:
        rel = _relative(frame.base, path) + ("/" if is_dir else "")
        result = frame.spec.check_file(rel)
        if result.include is not None:
            ignored = result.include
    return ignored


def _load_gitignore(directory: str, stats: ScanStats) -> _IgnoreFrame | None:
    import pathspec

    path = os.path.join(directory, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return _IgnoreFrame(directory, pathspec.GitIgnoreSpec.from_lines(handle))
    except FileNotFoundError:
        return None
    except OSError as exc:
        stats.skip("unreadable", path, f"{path}: {exc.strerror}")
        return None
    except Exception as exc:  # a pattern pathspec cannot compile: ignore nothing rather than stop
        stats.skip("bad-gitignore", path, f"{path}: {exc}; none of its patterns were applied")
        return None


def _walk_dir(
    root: str,
    directory: str,
    options: WalkOptions,
    excludes: PathExcludes,
    stats: ScanStats,
    seen: set[tuple[int, int]],
    frames: list[_IgnoreFrame],
) -> Iterator[Target]:
    if options.gitignore:
        frame = _load_gitignore(directory, stats)
        if frame is not None:
            frames = [*frames, frame]
    try:
        with os.scandir(directory) as handle:
            entries = sorted(handle, key=lambda e: e.name)
    except OSError as exc:
        stats.skip("unreadable", directory, f"{directory}: cannot list directory ({exc.strerror})")
        return
    for entry in entries:
        path = entry.path
        try:
            is_link = entry.is_symlink()
            if is_link and not options.follow_symlinks:
                stats.skip("symlink")
                continue
            st = entry.stat(follow_symlinks=True) if is_link else entry.stat(follow_symlinks=False)
        except OSError as exc:
            stats.skip("broken-symlink" if entry.is_symlink() else "unreadable", path, f"{path}: {exc.strerror}")
            continue
        is_dir = stat.S_ISDIR(st.st_mode)
        if is_dir and entry.name in SKIP_DIRS:
            continue
        if _excluded(excludes, root, path, is_dir):
            stats.skip("excluded")
            continue
        if frames and _ignored(frames, path, is_dir):
            stats.skip("gitignored")
            continue
        if is_dir:
            key = (st.st_dev, st.st_ino)
            if key in seen:
                stats.skip("symlink-loop", path, f"{path}: directory already visited (symlink loop)")
                continue
            yield from _walk_dir(root, path, options, excludes, stats, seen | {key}, frames)
        else:
            target = _file_target(path, os.path.normpath(path), st, options, stats)
            if target is not None:
                yield target


def _hidden_folder(path: str, display: str) -> str | None:
    """The name of the folder holding the file when ``display`` does not show it (aip.php or ./aip.php,
    scanned from inside config/; ../aip.php), else None. A file's folder decides whether it is a config file."""
    parent = os.path.basename(os.path.dirname(display))
    if parent not in ("", ".", ".."):
        return None
    return os.path.basename(os.path.dirname(os.path.abspath(path))) or None


def _file_target(path: str, display: str, st: os.stat_result, options: WalkOptions, stats: ScanStats) -> Target | None:
    if not stat.S_ISREG(st.st_mode):
        stats.skip("not-regular-file", display, f"{display}: not a regular file (FIFO, socket or device)")
        return None
    if options.skip_files and (st.st_dev, st.st_ino) in options.skip_files:
        stats.skip("akscan-output")
        return None
    if options.max_file_size and st.st_size > options.max_file_size:
        stats.skip("too-large")  # counted once in the summary, not a warning per file
        return None
    return Target(path, display, st.st_size, options.archives, _hidden_folder(path, display))


def _is_utf16(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return looks_binary(head) and utf16_encoding(head) is not None


@dataclass(frozen=True)
class Piece:
    """A byte range of one file: big files are split so both cores share them."""

    target: Target
    index: int
    count: int
    start: int  # first byte this piece owns
    stop: int  # one past the last byte it owns (it also reads ``overlap`` bytes before ``start``)


def pieces(target: Target, size: int = CHUNK_SIZE) -> list[Piece]:
    if target.size <= size or _is_utf16(target.path):
        # UTF-16 is decoded as one stream (its pieces' raw bytes would read as binary).
        return [Piece(target, 0, 1, 0, max(target.size, 0))]
    starts = list(range(0, target.size, size))
    return [Piece(target, i, len(starts), s, min(s + size, target.size)) for i, s in enumerate(starts)]


@dataclass
class PieceRead:
    blob: Blob
    overlap_newlines: int  # newlines in the overlap read before ``start``
    own_newlines: int  # newlines in [start, stop)


def read_piece(piece: Piece, stats: ScanStats, overlap: int = CHUNK_OVERLAP) -> PieceRead | None:
    """Read one piece of a file (with ``overlap`` bytes before it, so pairs across the cut are seen)."""
    target = piece.target
    begin = max(0, piece.start - overlap)
    try:
        with open(target.path, "rb", buffering=0) as handle:
            handle.seek(begin)
            data = read_full(handle, piece.stop - begin)
    except OSError as exc:
        stats.skip(
            "unreadable" if piece.index == 0 else "read-error",
            target.display,
            f"{target.display}: {exc.strerror or exc}",
        )
        return None
    own = data[piece.start - begin :]
    if piece.index == 0:
        stats.files += 1
        if looks_binary(own):
            stats.binary_files += 1
    stats.bytes += len(own)
    return PieceRead(
        Blob(data, Origin(target.display, folder=target.folder), offset_base=begin),
        data.count(b"\n", 0, piece.start - begin),
        own.count(b"\n"),
    )


def stream_chunks(
    handle: BinaryIO,
    display: str,
    stats: ScanStats,
    source: str = "file",
    chunk_size: int = CHUNK_SIZE,
    overlap: int = CHUNK_OVERLAP,
    folder: str | None = None,
) -> Iterator[Blob]:
    """Chunk an open binary stream (a file, stdin, a git object stream)."""
    try:
        first = read_full(handle, chunk_size)
        stats.files += 1
        stats.bytes += len(first)
        if looks_binary(first):
            encoding = utf16_encoding(first)
            if encoding is not None:
                stats.decoded_files += 1
                reader = Utf16Reader(first, handle, encoding, stats)
                text = reader.read(chunk_size)
                yield from _chunk_loop(
                    text,
                    cast(BinaryIO, reader),
                    Origin(display, source, decoded="utf-16", folder=folder),
                    None,
                    chunk_size,
                    overlap,
                )
                return
            stats.binary_files += 1
        yield from _chunk_loop(first, handle, Origin(display, source, folder=folder), stats, chunk_size, overlap)
    except OSError as exc:
        stats.skip("read-error", display, f"{display}: read failed ({exc.strerror or exc})")


def _chunk_loop(
    first: bytes, handle: BinaryIO, origin: Origin, stats: ScanStats | None, chunk_size: int, overlap: int
) -> Iterator[Blob]:
    """Overlapping chunks of a stream whose first ``chunk_size`` bytes are ``first``; ``stats`` counts
    the bytes read (None when the reader counts them itself)."""
    # Classic Mac text ends its lines with CR alone: read CR as the line end (one byte for one, so
    # every offset and column stays where it is), or every key would be reported on line 1.
    cr_only = b"\n" not in first and b"\r" in first
    data, offset, line_base, column_base = first, 0, 0, 0
    while True:
        if cr_only:
            data = data.replace(b"\r", b"\n")
        yield Blob(data, origin, line_base=line_base, offset_base=offset, column_base=column_base)
        # A short read means end of file: the file (or its last chunk) has been seen.
        more = read_full(handle, chunk_size - overlap) if len(data) >= chunk_size else b""
        if not more:
            return
        if stats is not None:
            stats.bytes += len(more)
        keep = data[-overlap:]
        cut = len(data) - len(keep)
        last_newline = data.rfind(b"\n", 0, cut)
        column_base = (column_base if last_newline < 0 else 0) + _chars(data[last_newline + 1 : cut])
        line_base += data.count(b"\n", 0, cut)
        offset += cut
        data = keep + more


def _chars(data: bytes) -> int:
    return len(data.decode("utf-8", "replace"))


_CONTINUATION = bytes(range(0x80, 0xC0))


def column_at(path: str, offset: int, block: int = 1 << 16) -> int:
    """The 1-based character column of byte ``offset`` in a file, found by reading backwards to the
    previous newline, block by block. Characters are counted per block (UTF-8 lead bytes), so a
    400 MB single-line file costs one block of memory, not the whole line."""
    count = 0
    position = offset
    with open(path, "rb") as handle:
        while position > 0:
            start = max(0, position - block)
            handle.seek(start)
            data = handle.read(position - start)
            newline = data.rfind(b"\n")
            if newline >= 0:
                data = data[newline + 1 :]
            count += len(data.translate(None, _CONTINUATION))
            if newline >= 0:
                break
            position = start
    return count + 1


class Bounded:
    """At most ``limit`` bytes of a stream: a file that grows while it is scanned (a log being written)
    is read up to the size the walk saw, not forever."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self.inner = inner
        self.left = limit

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        data = self.inner.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data


def read_full(handle: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, however many short reads the stream gives them in."""
    parts = []
    remaining = size
    while remaining > 0:
        block = handle.read(remaining)
        if not block:
            break
        parts.append(block)
        remaining -= len(block)
    return b"".join(parts)
