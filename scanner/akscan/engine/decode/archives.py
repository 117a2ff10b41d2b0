"""Archives as sources: the members of zip (jar, whl, apk …), tar (plain, gz, bz2, xz), and single-file
gzip, bzip2 and xz files, scanned as blobs named ``outer.zip!inner/path``. A key shipped in a build
artifact or a backup is as leaked as one in the tree.

Bounded: members over ``member_limit`` are skipped (counted); a top-level archive expands to at most
``total_limit`` bytes, to at most ``max_ratio`` times its own size (past ``ratio_floor``), and to at
most ``max_members`` members; every archive of a scan draws on one ``ArchiveBudget`` (per worker
process); nesting stops at ``max_depth``. Over a limit: stop that archive, count, go on. A broken
archive is counted and reported; its raw bytes were scanned anyway.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from akscan.model import Blob, Origin, ScanStats

_ZIP = b"PK\x03\x04"
_GZIP = b"\x1f\x8b"
_BZIP2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"


@dataclass(frozen=True)
class ArchiveLimits:
    member_limit: int = 64 * 1024 * 1024
    total_limit: int = 1024 * 1024 * 1024
    max_depth: int = 3
    max_members: int = 20_000
    max_ratio: int = 1000  # expanded bytes per compressed byte: real archives stay far below
    ratio_floor: int = 16 * 1024 * 1024  # small archives may expand this much whatever their ratio
    scan_total: int = 4 * 1024 * 1024 * 1024  # all archives of one scan, per worker process


class ArchiveBudget:
    """Bytes all the archives of one scan may still expand to (shared by the scan's archives)."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, size: int) -> bool:
        self.left -= size
        return self.left >= 0


def archive_kind(head: bytes) -> str | None:
    if head.startswith(_ZIP):
        return "zip"
    if head.startswith(_GZIP):
        return "gzip"
    if head.startswith(_BZIP2) and len(head) > 3 and head[3:4].isdigit():
        return "bzip2"
    if head.startswith(_XZ):
        return "xz"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    return None


class _Allowance:
    """What one top-level archive may still expand to: bytes (its own cap, its ratio cap, the scan's
    budget) and members."""

    def __init__(self, limits: ArchiveLimits, compressed: int | None, scan: ArchiveBudget | None) -> None:
        ratio_cap = max(limits.ratio_floor, limits.max_ratio * compressed) if compressed else limits.total_limit
        self.cap = self.bytes_left = min(limits.total_limit, ratio_cap)
        self.members_left = limits.max_members
        self.scan = scan

    def take(self, size: int) -> str | None:
        """None while within every limit; else the name of the limit crossed."""
        self.bytes_left -= size
        self.members_left -= 1
        if self.members_left < 0:
            return "archive-members"
        if self.bytes_left < 0:
            return "archive-budget"
        if self.scan is not None and not self.scan.take(size):
            return "archive-scan-budget"
        return None


_LIMIT_WORDS = {
    "archive-members": "has more members than the limit",
    "archive-budget": "expands past its size limit or ratio (a zip bomb?)",
    "archive-scan-budget": "would take the scan past its total archive budget",
}


def expand(
    handle: IO[bytes],
    display: str,
    stats: ScanStats,
    limits: ArchiveLimits = ArchiveLimits(),
    compressed_size: int | None = None,
    scan_budget: ArchiveBudget | None = None,
) -> Iterator[Blob]:
    """The members of the archive open as ``handle`` (positioned at its start), recursively."""
    yield from _expand(handle, display, stats, limits, _Allowance(limits, compressed_size, scan_budget), 1)


def _expand(
    handle: IO[bytes], display: str, stats: ScanStats, limits: ArchiveLimits, budget: _Allowance, depth: int
) -> Iterator[Blob]:
    head = handle.read(512)
    handle.seek(0)
    kind = archive_kind(head)
    if kind is None:
        return
    try:
        if kind == "zip":
            members = _zip_members(handle, display, stats, limits)
        elif kind in ("tar", "gzip", "bzip2", "xz"):
            members = _tar_or_stream(handle, kind, display, stats, limits, budget)
        else:  # pragma: no cover - archive_kind returns only the kinds above
            return
        for name, data in members:
            crossed = budget.take(len(data))
            if crossed is not None:
                stats.skip(crossed, display, f"{display}: {_LIMIT_WORDS[crossed]}; the rest was not scanned")
                stats.incomplete = True
                return
            stats.archive_members += 1
            stats.bytes += len(data)
            yield Blob(data, Origin(name, "archive"))
            if archive_kind(data[:512]) is not None:
                if depth < limits.max_depth:
                    yield from _expand(io.BytesIO(data), name, stats, limits, budget, depth + 1)
                else:  # its raw bytes were scanned, its members not: said, and the report incomplete
                    stats.skip(
                        "archive-too-deep",
                        name,
                        f"{name}: an archive nested over {limits.max_depth} levels deep; its members were not scanned",
                    )
    except Exception as error:  # every archive library raises its own family; none may stop the scan
        stats.skip(
            "broken-archive", display, f"{display}: broken {kind} archive ({type(error).__name__}: {str(error)[:120]})"
        )


def _zip_members(
    handle: IO[bytes], display: str, stats: ScanStats, limits: ArchiveLimits
) -> Iterator[tuple[str, bytes]]:
    import zipfile

    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = f"{display}!{info.filename}"
            if info.file_size > limits.member_limit:
                stats.skip("archive-member-too-large", name, f"{name}: {info.file_size} bytes, over the member limit")
                continue
            if info.flag_bits & 0x1:
                stats.skip("encrypted-archive-member", name, f"{name}: encrypted, not scanned")
                continue
            with archive.open(info) as member:
                yield name, member.read(limits.member_limit + 1)[: limits.member_limit]


def _tar_or_stream(
    handle: IO[bytes], kind: str, display: str, stats: ScanStats, limits: ArchiveLimits, budget: _Allowance
) -> Iterator[tuple[str, bytes]]:
    import tarfile

    try:
        archive = tarfile.open(fileobj=handle, mode="r:*")  # noqa: SIM115 - closed by the with below
    except Exception:  # not a tar inside (TarError), or a damaged stream (EOFError, zlib/lzma errors)
        if kind == "tar":
            raise
        handle.seek(0)
        name, data, damage = _single_stream(handle, kind, display, limits, budget)
        if damage is not None:
            stats.skip("broken-archive", display, f"{display}: {damage}; scanned the {len(data)} bytes that decoded")
        if data or damage is None:
            yield name, data
        return
    with archive:
        for member in archive:
            # Reaching the next header of a compressed tar means decompressing this member, even one
            # that is skipped: stop before the stream would expand past the archive's allowance.
            if member.offset_data + member.size > budget.cap:
                stats.skip("archive-budget", display, f"{display}: {_LIMIT_WORDS['archive-budget']}; rest not scanned")
                stats.incomplete = True
                return
            if not member.isfile():
                continue
            name = f"{display}!{member.name}"
            if member.size > limits.member_limit:
                stats.skip("archive-member-too-large", name, f"{name}: {member.size} bytes, over the member limit")
                continue
            extracted = archive.extractfile(member)
            if extracted is not None:
                yield name, extracted.read()


def _single_stream(
    handle: IO[bytes], kind: str, display: str, limits: ArchiveLimits, budget: _Allowance
) -> tuple[str, bytes, str | None]:
    """A lone compressed file (x.json.gz): its one member, named after it, decompressed in blocks and
    only as far as the archive's allowance reaches (a 4 KB bzip2 bomb stops after a few MB, not 1 GB).
    A truncated stream gives what decoded before the damage."""
    if kind == "gzip":
        import gzip

        stream: Any = gzip.GzipFile(fileobj=handle, mode="rb")
    elif kind == "bzip2":
        import bz2

        stream = bz2.BZ2File(handle)
    else:
        import lzma

        stream = lzma.LZMAFile(handle)  # noqa: SIM115 - closed by the with below
    cap = max(0, min(limits.member_limit, budget.bytes_left))
    parts: list[bytes] = []
    size = 0
    damage = None
    with stream:
        try:
            while size < cap:
                # Small blocks: a damaged stream loses at most the block it breaks in.
                block = stream.read(min(64 * 1024, cap - size))
                if not block:
                    break
                parts.append(block)
                size += len(block)
        except Exception as error:  # truncated or damaged (each library raises its own)
            damage = f"broken {kind} stream ({type(error).__name__})"
    return lone_member_name(display), b"".join(parts), damage


def lone_member_name(display: str) -> str:
    """``dir/x.json.gz`` → ``dir/x.json.gz!x.json``: the one member of a compressed file, named after it."""
    base = display.rsplit("/", 1)[-1]
    for suffix in (".gz", ".tgz", ".bz2", ".xz"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return f"{display}!{base}"
