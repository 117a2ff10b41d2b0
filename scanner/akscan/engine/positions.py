"""Where things are in one blob's bytes: the line and column of an offset (counted from the nearest
offset already placed), the lines around a value, whether a value's line is a comment, whether a value
starts inside an escape sequence or sits deep in a base64 run."""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

from akscan.model import Blob, Location

if TYPE_CHECKING:
    from akscan.engine.pairing import Candidate

_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_COMMENT_STARTS = (b"//", b"#", b";", b"*", b"/*", b"<!--", b"REM ", b"-- ")  # SQL's, Lua's, Haskell's "-- "
MAX_COMMENT_DEPTH = 3
LINE_HEAD = 4096  # how far back a value's line is read for its comment markers
# A comment after code on the value's own line (`field = '…'; // GOOG1E…`), read in one pass over the line
# up to the value: a quoted string is skipped whole; a quote that opens a string the line does not close
# means the value is inside it (no comment); the first marker outside quotes means a comment. Markers:
# `//` after a blank, `;`, `,` or a bracket (never a URL's `://`, nor a host after `//` as in
# `endpoint = //oss-cn-hangzhou.aliyuncs.com`); `#` after a blank (never Ruby's `#{`, an issue's `#12` or
# a colour's `#fff`).
_TRAILING_SCAN = re.compile(
    rb'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\\n]|\\.)*`'  # a whole quoted string
    rb"|(?P<open>[\"'`])"  # a quote the line does not close before the value
    rb"|(?P<marker>(?<=[ \t;,)\]}])//(?![\w-]+\.[\w-])|(?<=[ \t])#(?![{0-9]|[0-9A-Fa-f]{3,8}\b))"
)
_BASE64_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
# A key ID with this much unbroken base64 on a side of it is inside a blob, not a key (see _inside_base64).
BASE64_SURROUND = 64
URL_REACH = 2048  # how far back on its line a value's URL may begin
# What a URL's host and path hold between its "://" and a value inside them: no query, no user information.
_URL_HOST_PATH = re.compile(rb"[A-Za-z0-9.\-_~%/:]*")
# A URL query's signature parameter (x-oss-signature=, Signature=, X-Amz-Signature=, sign=): an HMAC, never a key.
_SIGNATURE_PARAM = re.compile(rb"[?&;](?:[A-Za-z0-9\-_]*[Ss]ignature|[Ss]ign|[Ss]ig)=\Z")


def line_window(
    data: bytes, start: int, end: int, lines: int, floor: int = 0, ceiling: int | None = None
) -> tuple[int, int]:
    """From ``lines`` lines above ``start`` to ``lines`` lines below ``end``, never past ``floor`` and
    ``ceiling`` (so a long line costs a bounded search, not one back to the start of the blob)."""
    top = len(data) if ceiling is None else min(ceiling, len(data))
    lo = start
    for _ in range(lines + 1):
        if lo <= floor:
            break
        lo = max(data.rfind(b"\n", floor, max(lo - 1, floor)) + 1, floor)
    hi = end
    for _ in range(lines + 1):
        found = data.find(b"\n", hi + 1, top)
        if found < 0:
            return lo, top
        hi = found
    return lo, hi


# A run of blank lines (spaces, tabs, CRs), each ended by its newline: skipped in one C-level step.
_BLANK_LINES = re.compile(rb"(?:[ \t\r]*\n)+")


def _nonblank_window(data: bytes, start: int, end: int, lines: int, floor: int, ceiling: int) -> tuple[int, int]:
    """As ``line_window``, counting only lines that hold more than spaces and tabs. A run of blank lines is
    crossed in one step (a search), not one line at a time: a file of IDs each followed by hundreds of empty
    lines costs what one without them costs."""
    top = min(ceiling, len(data))
    lo, counted = start, 0
    while counted <= lines and lo > floor:
        line_end = lo - 1
        lo = max(data.rfind(b"\n", floor, max(lo - 1, floor)) + 1, floor)
        if counted == 0 or data[lo:line_end].strip(b" \t\r"):
            counted += 1
            continue
        # A blank line: to the start of the whole run of blank lines above it (after the last line of text).
        text_end = floor + len(data[floor:lo].rstrip(b" \t\r\n"))
        if text_end <= floor:
            lo = floor
            break
        lo = data.find(b"\n", text_end, lo) + 1
    hi, counted = end, 0
    while counted <= lines:
        found = data.find(b"\n", hi + 1, top)
        if found < 0:
            return lo, top
        if counted == 0 or data[hi + 1 : found].strip(b" \t\r"):
            counted += 1
            hi = found
            continue
        run = _BLANK_LINES.match(data, hi + 1, top)
        hi = run.end() - 1 if run else found
    return lo, hi


def line_windows(data: bytes, positions: list[int], lines: int) -> list[tuple[int, int]]:
    """``line_window(data, p, p, lines)`` for every one of ``positions`` (sorted), by bisecting the blob's
    newlines found once: a search per position from each to its window's ends cost the whole line each
    time, and a file that is one long line of anchors (``QUtJR QUtJR …``) made that quadratic (10 s per
    MB). A few positions (the usual case) are each searched from as before: listing every newline of a large
    blob costs more than a few bounded searches."""
    if len(positions) <= FEW_POSITIONS:
        return [line_window(data, position, position, lines) for position in sorted(positions)]
    newlines = [match.start() for match in _NEWLINE.finditer(data)]
    count, size = len(newlines), len(data)
    windows: list[tuple[int, int]] = []
    for position in sorted(positions):
        lo = position
        for _ in range(lines + 1):  # as line_window: the start of the line above, `lines` + 1 times
            if lo <= 0:
                break
            below = bisect.bisect_left(newlines, max(lo - 1, 0)) - 1
            lo = newlines[below] + 1 if below >= 0 else 0
        hi, after = position, bisect.bisect_right(newlines, position)
        for _ in range(lines + 1):  # the next newline after hi, `lines` + 1 times, or the blob's end
            if after >= count:
                hi = size
                break
            hi, after = newlines[after], after + 1
        windows.append((lo, hi))
    return windows


_NEWLINE = re.compile(rb"\n")
FEW_POSITIONS = 16


class Positions:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self._known_lines: list[tuple[int, int]] = []  # (offset, line) pairs already counted
        self._known_columns: dict[int, list[tuple[int, int]]] = {}  # line start -> (offset, column) pairs

    def pair_window(self, start: int, end: int, lines: int, max_bytes: int) -> tuple[int, int]:
        """``lines`` lines either side, blank lines not counted (decompiled smali spaces every instruction with one:
        a getter's ``const-string`` of the ID and the next getter's of the secret stand ten lines apart), never past
        ``max_bytes``."""
        return _nonblank_window(self.data, start, end, lines, max(0, start - max_bytes), end + max_bytes)

    def inside_base64(self, start: int, end: int) -> bool:
        """Whether a key ID sits deep inside a long base64 run (an embedded font, an image, a data: URI):
        there its anchor is chance (four letters turn up in every few kilobytes of base64), not a key. A
        key encoded in base64 is found by the decoding layer instead, which decodes the run."""
        data = self.data
        left = start
        while left > 0 and start - left <= BASE64_SURROUND and data[left - 1] in _BASE64_BYTES:
            left -= 1
        right = end
        while right < len(data) and right - end <= BASE64_SURROUND and data[right] in _BASE64_BYTES:
            right += 1
        return start - left > BASE64_SURROUND or right - end > BASE64_SURROUND

    def commented(self, start: int) -> int:
        """How deeply the value's line is commented out: the comment markers it starts with (after
        indentation), 0 for a live line. ``//    //`` is an older pair commented out twice, beside a pair
        commented once: each pairs within its own depth (``akscan.engine.pairing``)."""
        line_start = self.data.rfind(b"\n", max(0, start - LINE_HEAD), start) + 1
        if line_start == 0 and start > LINE_HEAD:
            return 0  # deep inside a line longer than that (a minified bundle, one-line JSON): live
        head = self.data[line_start:start]
        depth = 0
        while depth < MAX_COMMENT_DEPTH:
            head = head.lstrip(b" \t")
            marker = next((m for m in _COMMENT_STARTS if head.startswith(m)), None)
            if marker is None:
                break
            head = head[len(marker) :]
            depth += 1
        if depth == 0 and _in_trailing_comment(head):
            return 1  # code, then `// …` or `  # …` holding the value: as commented out as a comment line
        return depth

    def in_url_path(self, start: int) -> bool:
        """Whether a value begins in a URL's host or path (``…tos-cn-shanghai.volces.com/research/…`` read
        as a 48-character base64 secret beside a presigned URL's key ID), or is its query's signature. No
        secret is written there: a URL carries the ID in its query and a secret only as user information
        (``s3n://ID:SECRET@bucket``), after a colon and before an ``@``."""
        if start > 0 and self.data[start - 1] == 0x3D and _SIGNATURE_PARAM.search(self.data, max(0, start - 48), start):
            return True  # a signature in the query beside the ID (x-oss-signature=…): an HMAC of the request
        if start == 0 or self.data[start - 1] not in b"./":
            return False
        # Never past URL_REACH back, and nothing copied: a long line of values is read in bounded steps.
        lowest = max(0, start - URL_REACH)
        line_start = max(lowest, self.data.rfind(b"\n", lowest, start) + 1)
        scheme = self.data.rfind(b"://", line_start, start - 1)
        return scheme >= 0 and _URL_HOST_PATH.fullmatch(self.data, scheme + 3, start - 1) is not None

    def in_escape(self, start: int) -> bool:
        """Whether a value begins inside an escape sequence: the ``2F…`` of ``%2F…``, the ``u002b…`` of
        ``\\u002b…``. Such a value is a fragment of escaped text, never a key (read raw, it would pair an
        ID with a wrong secret); the escape layer decodes the real one around key-ID anchors."""
        if start == 0:
            return False
        before, data = self.data[start - 1], self.data
        if before == 0x25:  # %XX
            return all(b in _HEX_DIGITS for b in data[start : start + 2])
        if before != 0x5C:
            return False
        # After a backslash, only a real escape: \uXXXX, \xXX, \UXXXXXXXX or a one-letter one (\n, \t …).
        # Anything else is the value itself once a shell or JavaScript drops the backslash
        # (KEY=\LTAI… in a .env is the key: a backslash must not hide it).
        letter = data[start]
        digits = {0x75: 4, 0x78: 2, 0x55: 8}.get(letter)  # u, x, U
        if digits is not None:
            hex_run = data[start + 1 : start + 1 + digits]
            return len(hex_run) == digits and all(b in _HEX_DIGITS for b in hex_run)
        return letter in b"nrtbfv0"

    def same_line(self, a: Candidate, b: Candidate) -> bool:
        lo, hi = min(a.end, b.end), max(a.start, b.start)
        return self.data.find(b"\n", lo, hi) < 0

    # -- output -----------------------------------------------------------------------------------
    def line_of(self, offset: int) -> int:
        """1-based line of ``offset``, counted from the nearest offset already placed: findings in a big
        blob cost the bytes between them, not a count from the start of the blob each."""
        known = self._known_lines
        index = bisect.bisect_right(known, (offset, float("inf"))) - 1
        base_offset, base_line = known[index] if index >= 0 else (0, 1)
        line = base_line + self.data.count(b"\n", base_offset, offset)
        bisect.insort(known, (offset, line))
        return line

    def location(self, blob: Blob, offset: int) -> Location:
        line_start = self.data.rfind(b"\n", 0, offset) + 1
        line = self.line_of(offset) + blob.line_base
        column = self.column(line_start, offset)
        if line_start == 0:
            column += blob.column_base
        return Location(blob.origin.path, line, column, offset + blob.offset_base)

    def column(self, line_start: int, offset: int) -> int:
        """1-based column (in characters) of ``offset``, counted from the nearest offset already placed on
        the same line: 100,000 findings on one minified line cost the line once, not once per finding."""
        known = self._known_columns.setdefault(line_start, [(line_start, 1)])
        index = bisect.bisect_right(known, (offset, float("inf"))) - 1
        base_offset, base_column = known[index]
        column = base_column + len(self.data[base_offset:offset].decode("utf-8", "replace"))
        bisect.insort(known, (offset, column))
        return column


def _in_trailing_comment(head: bytes) -> bool:
    """Whether a comment marker outside every quoted string comes before the value on its line
    (``head``: the line up to the value, at most LINE_HEAD bytes). One pass, C speed."""
    for match in _TRAILING_SCAN.finditer(head):
        if match.group("marker") is not None:
            return True
        if match.group("open") is not None:
            return False
    return False
