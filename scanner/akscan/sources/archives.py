"""Archives as sources: the members of zip (jar, whl, apk …), tar (plain, gz, bz2, xz), and single-file
gzip, bzip2 and xz files, scanned as blobs named ``outer.zip!inner/path``. A key shipped in a build
artifact or a backup is as leaked as one in the tree.

Bounded: members over ``member_limit`` are skipped (counted), a top-level archive expands to at most
``total_limit`` bytes (zip bombs), nesting stops at ``max_depth``. A broken archive is counted and
reported; its raw bytes were scanned anyway by the file source.
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


class _Budget:
    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, size: int) -> bool:
        self.left -= size
        return self.left >= 0


def expand(
    handle: IO[bytes], display: str, stats: ScanStats, limits: ArchiveLimits = ArchiveLimits()
) -> Iterator[Blob]:
    """The members of the archive open as ``handle`` (positioned at its start), recursively."""
    yield from _expand(handle, display, stats, limits, _Budget(limits.total_limit), 1)


def _expand(
    handle: IO[bytes], display: str, stats: ScanStats, limits: ArchiveLimits, budget: _Budget, depth: int
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
            members = _tar_or_stream(handle, kind, display, stats, limits)
        else:  # pragma: no cover - archive_kind returns only the kinds above
            return
        for name, data in members:
            if not budget.take(len(data)):
                stats.skip(
                    "archive-budget",
                    display,
                    f"{display}: expands past {limits.total_limit} bytes; the rest was not scanned (a zip bomb?)",
                )
                return
            stats.archive_members += 1
            stats.bytes += len(data)
            yield Blob(data, Origin(name, "archive"))
            if depth < limits.max_depth and archive_kind(data[:512]) is not None:
                yield from _expand(io.BytesIO(data), name, stats, limits, budget, depth + 1)
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
    handle: IO[bytes], kind: str, display: str, stats: ScanStats, limits: ArchiveLimits
) -> Iterator[tuple[str, bytes]]:
    import tarfile

    try:
        archive = tarfile.open(fileobj=handle, mode="r:*")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError:
        if kind == "tar":
            raise
        handle.seek(0)
        yield _single_stream(handle, kind, display, limits)
        return
    with archive:
        for member in archive:
            if not member.isfile():
                continue
            name = f"{display}!{member.name}"
            if member.size > limits.member_limit:
                stats.skip("archive-member-too-large", name, f"{name}: {member.size} bytes, over the member limit")
                continue
            extracted = archive.extractfile(member)
            if extracted is not None:
                yield name, extracted.read()


def _single_stream(handle: IO[bytes], kind: str, display: str, limits: ArchiveLimits) -> tuple[str, bytes]:
    """A lone compressed file (x.json.gz): its one member, named after it."""
    if kind == "gzip":
        import gzip

        stream: Any = gzip.GzipFile(fileobj=handle, mode="rb")
    elif kind == "bzip2":
        import bz2

        stream = bz2.BZ2File(handle)
    else:
        import lzma

        stream = lzma.LZMAFile(handle)  # noqa: SIM115 - closed by the with below
    with stream:
        data = stream.read(limits.member_limit)
    base = display.rsplit("/", 1)[-1]
    for suffix in (".gz", ".tgz", ".bz2", ".xz"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return f"{display}!{base}", data
