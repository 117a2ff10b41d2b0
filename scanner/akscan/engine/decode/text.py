"""Text decoders: UTF-16 (either byte order, with or without a BOM) read as a UTF-8 stream, and the
binary sniff that decides when to try it. Classic-Mac CR-only line ends are handled where chunks are cut
(``akscan.sources.files``), since they change no byte offsets."""

from __future__ import annotations

import codecs
from typing import BinaryIO

from akscan.model import ScanStats

BINARY_SNIFF = 8192


def looks_binary(head: bytes) -> bool:
    return b"\0" in head[:BINARY_SNIFF]


def utf16_encoding(head: bytes) -> str | None:
    """How a blob is UTF-16, from its first bytes: ``utf-16`` (a BOM), ``utf-16-le`` or ``utf-16-be``
    (mostly ASCII-range text stored without a BOM), or None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[: min(len(head), 512) // 2 * 2]
    if len(sample) >= 16:
        half = len(sample) // 2
        odd_zeros, even_zeros = sample[1::2].count(0), sample[0::2].count(0)
        if odd_zeros > half * 0.9 and even_zeros == 0:
            return "utf-16-le"
        if even_zeros > half * 0.9 and odd_zeros == 0:
            return "utf-16-be"
    return None


class Utf16Reader:
    """A UTF-16 stream read as UTF-8, decoded incrementally: a UTF-16 file of any size is chunked like
    any other, and a dangling odd byte or a broken pair becomes U+FFFD instead of losing the file."""

    def __init__(self, head: bytes, inner: BinaryIO, encoding: str, stats: ScanStats) -> None:
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self.pending = self.decoder.decode(head).encode("utf-8")
        self.inner = inner
        self.stats = stats
        self.done = False

    def read(self, size: int) -> bytes:
        while len(self.pending) < size and not self.done:
            raw = self.inner.read(max(size, 1 << 16))
            self.stats.bytes += len(raw)
            if raw:
                self.pending += self.decoder.decode(raw).encode("utf-8")
            else:
                self.pending += self.decoder.decode(b"", final=True).encode("utf-8")
                self.done = True
        out, self.pending = self.pending[:size], self.pending[size:]
        return out
