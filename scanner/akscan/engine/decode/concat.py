"""String concatenation as a decoding layer: a value split over adjacent string literals, as code writes a
long STS token or a recorded answer (Java, C#, Go, JavaScript, Kotlin, Swift ``"…" +`` on each line;
PHP ``'…' .``; Lua ``..``; VB ``&``; Elixir ``<>``; Python's and C's implicit ``"…" "…"``; shell and Python ``\\``
line continuations; Objective-C's ``@"…" @"…"``; the same in ``//`` or ``#`` commented-out code).

The join is made in place and line for line, like the other text layers: the removed line ends are put
back after the joined line, so every later line keeps its number and the joined value is reported on the
line where it starts. Joining only removes bytes, so the text never grows. A false join (two literals
that were separate arguments) can only make a longer run out of two values, which no rule's boundaries
accept: the plain text is scanned as well, so nothing found there is lost.
"""

from __future__ import annotations

import re

NAME = "concat"

# A closing quote (not escaped), the operator or the line break between two literals, and the opening
# quote of the next literal of the same kind. Same-line adjacency needs a space ("a" "b"), so an empty
# literal ("") is never taken for a join. Every run of spaces is possessive (``*+``): two greedy runs side
# by side backtrack against each other, and a hostile file's `"+` before a megabyte of spaces would cost
# hours (Python's re has no time limit).
_OPERATOR = rb"(?:\+|\.\.?|&|<>)"
_SPACES = rb"[ \t]*+"
_BREAK = rb"(?:\\?\r?\n" + _SPACES + rb"(?:(?://|#)" + _SPACES + rb")?)"
_JOIN = re.compile(
    rb"(?<!\\)([\"'])"
    rb"(?:" + _SPACES + _OPERATOR + _SPACES + rb"(?:_" + _SPACES + rb")?(?:" + _BREAK + rb")?@?\1"
    rb"|" + _SPACES + _BREAK + _OPERATOR + _SPACES + rb"@?\1"
    # With no operator (Python's and C's adjacent literals), not when the next literal is a mapping's key
    # ("…"\n  "secretAccessKey": …, a comma left out): the value ends at its quote, and the key's name glued
    # to it would pass for more of a token. An explicit + or . always joins (a ternary's `"a" + "b" : ""`).
    rb"|(?:" + _SPACES + _BREAK + rb"|[ \t]++)@?\1(?![A-Za-z0-9_.\-]{1,64}\1[ \t]*:))"
)
# Cheap signs that a window holds a join at all (plain `in` tests before any regex).
MARKERS = (
    b'"\n',
    b'"+',
    b'" +',
    b"'\n",
    b"'+",
    b"' +",
    b'" .',
    b"' .",
    b'" \\',
    b"' \\",
    b'" "',
    b"' '",
    b'" <>',
    b"' <>",
)

# How far a run of joined lines may carry a window past its usual end: a token of a few KB split into
# lines of 60-100 characters.
RUN_LINES = 128
RUN_BYTES = 32768
TAIL = 64  # bytes of a line's end (and of the next line's start) that say whether it goes on
# A line that goes on in the next one: it ends with a quote and an operator or a continuation backslash.
_CONTINUES = re.compile(rb"[\"'][ \t]*(?:" + _OPERATOR + rb"|\\)[ \t]*(?:_[ \t]*)?\r?$")
# A line that carries on the previous one: it starts with an operator and a quote, or with a quote.
_CARRIES = re.compile(rb"^[ \t]*(?:(?://|#)[ \t]*)?(?:" + _OPERATOR + rb"[ \t]*)?@?[\"']")


def join(text: bytes) -> bytes:
    """``text`` with adjacent string literals joined, line for line (removed line ends put back after
    the joined line); the same object when there is nothing to join."""
    if not any(marker in text for marker in MARKERS):
        return text
    out: list[bytes] = []
    owed = 0  # line ends removed by joins, not yet put back
    last = 0
    for match in _JOIN.finditer(text):
        chunk = text[last : match.start()]
        if owed and b"\n" in chunk:
            cut = chunk.index(b"\n")
            chunk = chunk[:cut] + b"\n" * owed + chunk[cut:]
            owed = 0
        out.append(chunk)
        owed += match.group(0).count(b"\n")
        last = match.end()
    if last == 0:
        return text
    tail = text[last:]
    if owed:
        cut = tail.find(b"\n")
        tail = tail + b"\n" * owed if cut < 0 else tail[:cut] + b"\n" * owed + tail[cut:]
    out.append(tail)
    return b"".join(out)


def run_end(data: bytes, end: int, ceiling: int | None = None) -> int:
    """Where a window ending at ``end`` (a line end, or the end of ``data``) should end so that a run of
    concatenated lines crossing it is read whole: at most ``RUN_LINES`` lines and ``RUN_BYTES`` more."""
    top = min(len(data), end + RUN_BYTES if ceiling is None else min(ceiling, end + RUN_BYTES))
    # Only the last TAIL bytes before a line's end are read: the search for its start need go no further
    # (on a file that is one 4 MB line, a search back to its start from every window cost minutes).
    line_start = data.rfind(b"\n", max(0, end - TAIL), end) + 1
    for _ in range(RUN_LINES):
        if end >= top:
            return top
        # Only a line's end and the next line's start matter: a minified bundle's line is 500 KB long.
        tail = data[max(line_start, end - TAIL) : end]
        following_end = data.find(b"\n", end + 1, top)
        following_end = top if following_end < 0 else following_end
        head = data[end + 1 : min(following_end, end + 1 + TAIL)]
        if not (_CONTINUES.search(tail) or (tail.rstrip().endswith((b'"', b"'")) and _CARRIES.match(head))):
            return end
        line_start, end = end + 1, following_end
    return end
