"""Decoding layers: credentials stored base64-encoded (Kubernetes Secret manifests, AMQP usernames
built from an AccessKey ID, CI variables, docker configs) are found by decoding them in place.

The automaton knows the base64 forms of every case-sensitive key-ID anchor (``LTAI`` encodes to
``TFRBS``, ``xUQU`` or ``MVEFJ`` depending on its alignment), so decoding happens only around such a hit:
the lines nearby are rewritten with every base64 value decoded, and scanned again, so an ID and its
secret encoded as two separate values still pair by their key names.

Like every other anchor search, this runs only in blobs the engine's gate lets through (a word such as
``secret``, or a plain key-ID anchor, somewhere in the blob): a Kubernetes ``kind: Secret`` manifest is
let through, a file holding nothing but an encoded ID is not.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

LAYER = "base64"
RUN_MIN = 16
_RUN_PATTERN = rb"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{%d,}={0,2}(?![A-Za-z0-9+/=])" % RUN_MIN
# Layers decoded inside one another, at most: base64 inside base64 (a .dockerconfigjson or a Helm value
# holding a base64 .env), an escaped secret inside a decoded value. Each layer only shrinks the text.
MAX_DEPTH = 3


def base64_variants(anchor: str) -> list[str]:
    """The parts of base64(x + anchor + y) that depend on the anchor alone, for the three alignments."""
    word = anchor.encode("latin-1")
    variants = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + word)
        start = (shift * 8 + 5) // 6
        end = (shift + len(word)) * 8 // 6
        part = encoded[start:end].decode()
        if len(part) >= 4:
            variants.append(part)
    return variants


def _printable(data: bytes) -> bool:
    if not data:
        return False
    text = sum(32 <= b < 127 or b in (9, 10, 13) for b in data)
    return text >= len(data) * 0.9


# A signature's MAC before the text it signs, in one base64 value: HMAC-SHA1's 20 bytes (Tencent VOD's upload
# signature: base64(HMAC-SHA1 + "secretId=AKID…&currentTimeStamp=…")) or HMAC-SHA256's 32.
SIGNED_HEADS = (20, 32)


def decode_run(run: bytes) -> bytes | None:
    """The text a base64 run encodes (after a MAC that heads it, if any), or None when it is not base64 of
    printable text."""
    padded = run + b"=" * (-len(run) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if _printable(decoded):
        return decoded
    for head in SIGNED_HEADS:
        tail = decoded[head:]
        # Cheap tests first: an image's bytes fail on their first 64 before the count over all of them.
        if len(tail) >= RUN_MIN and b"=" in tail and _printable(tail[:64]) and _printable(tail):
            return tail
    return None


def _value_in(run: bytes) -> tuple[bytes, bytes] | None:
    """(what to keep, decoded text) for a base64 run: the run itself, or else the value after the slashes
    that a URL or path put before it (``amqp://<base64 username>:<password>@host``: ``/`` is a base64
    character, so the run starts at ``//``)."""
    decoded = decode_run(run)
    if decoded is not None:
        return b"", decoded
    for cut in (len(run) - len(run.lstrip(b"/")), run.rfind(b"/") + 1):
        if cut > 0 and len(run) - cut >= RUN_MIN:
            decoded = decode_run(run[cut:])
            if decoded is not None:
                return run[:cut], decoded
    return None


# Base64 hard-wrapped by the tool that made it: `base64` (76 columns), openssl and PEM (64), some 60. Every
# full line is a whole number of 4-character groups, so lines decode alone, but a key that crosses a line end
# comes out in two halves: such a block is joined and decoded as one value.
WRAP_MIN = 40
_WRAPPED_LINE = rb"[ \t]*[A-Za-z0-9+/]{2,}={0,2}[ \t]*\r?$"  # a last line may be `Zg==`


def _wrapped_blocks(lines: list[bytes]) -> Iterator[tuple[int, int]]:
    """(first, end) line indexes of each hard-wrapped base64 block in ``lines``: two or more full lines of
    one width (a multiple of 4, at least WRAP_MIN) and one indentation, then an optional shorter last line."""
    import regex

    line_pattern = regex.compile(_WRAPPED_LINE)
    index = 0
    while index < len(lines):
        line = lines[index].rstrip(b"\r\n")
        body = line.strip()
        width = len(body)
        if width < WRAP_MIN or width % 4 or b"=" in body or not line_pattern.fullmatch(line):
            index += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        end = index + 1
        while end < len(lines):
            following = lines[end].rstrip(b"\r\n")
            if not following.startswith(indent) or not line_pattern.fullmatch(following):
                break
            size = len(following.strip())
            if size > width or (size < width and end == index + 1):
                break
            end += 1
            if size < width or b"=" in following:  # the short last line ends the block
                break
        if end - index >= 2:
            yield index, end
        index = max(end, index + 1)


def _unwrap(window: bytes) -> list[tuple[bytes, bool]]:
    """``window`` split into segments, each hard-wrapped block decoded in place as one value (its newlines
    kept after it so lines keep their numbers): (segment, whether it is decoded text)."""
    lines = window.splitlines(keepends=True)
    segments: list[tuple[bytes, bool]] = []
    last = 0
    for first, end in _wrapped_blocks(lines):
        joined = b"".join(line.strip() for line in lines[first:end])
        decoded = decode_run(joined)
        if decoded is None:
            continue
        segments.append((b"".join(lines[last:first]), False))
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        ending = b"\n" if lines[end - 1].endswith(b"\n") else b""
        placed = _placed(decoded, len(lines[first].strip()) // 4 * 3, end - first)
        segments.append((indent + b"\n".join(placed) + ending, True))
        last = end
    segments.append((b"".join(lines[last:]), False))
    return segments


def _placed(decoded: bytes, per_line: int, count: int) -> list[bytes]:
    """``decoded`` laid over the ``count`` lines of the block it came from: each of its own lines on the block's
    line where its bytes start (``per_line`` decoded bytes a line), never cut, so a finding points at the
    encoded line that holds it and line numbers after the block stay right."""
    placed: list[list[bytes]] = [[] for _ in range(count)]
    offset = 0
    for line in decoded.replace(b"\r", b"\n").split(b"\n"):
        placed[min(offset // per_line, count - 1)].append(line)
        offset += len(line) + 1
    return [b" ".join(parts) for parts in placed]


def rewrite(window: bytes) -> bytes | None:
    """``window`` with every base64 value of printable text replaced by that text (its newlines turned
    into spaces, so line numbers stay those of the original). None when nothing decoded."""
    changed = False

    def replace(match: regex.Match[bytes]) -> bytes:
        nonlocal changed
        run: bytes = match.group(0)
        split = _value_in(run)
        if split is None:
            return run
        changed = True
        kept, decoded = split
        return kept + decoded.replace(b"\r", b" ").replace(b"\n", b" ")

    import regex  # only here: decoding is rare, and the regex module is slow to import

    run_pattern = regex.compile(_RUN_PATTERN)
    segments = _unwrap(window) if b"\n" in window else [(window, False)]
    changed = len(segments) > 1
    # A decoded block is text already: decoding the runs in it again is the next layer's work.
    out = b"".join(segment if decoded else run_pattern.sub(replace, segment) for segment, decoded in segments)
    return out if changed else None
