"""Text escapes as decoding layers: percent-encoding (URLs, query strings, form bodies), JSON and
JavaScript string escapes (``\\u004c``, ``\\x4c``, ``\\/``), HTML character references (``&#76;``,
``&amp;``) and quoted-printable (``=3D``, soft line breaks ``=\\n`` in ``.eml`` files).

Like the base64 layer, these rewrite only the lines around a hit, in place and line for line: a decoded
newline becomes a space and a quoted-printable soft break is moved to the end of the joined line, so
every line keeps its number and findings point at the encoded text's line. Decoding never makes text
longer than it was (each escape stands for fewer bytes than its own), never adds a line, and is applied
at most ``MAX_ROUNDS`` times to the same window (``%253D`` → ``%3D`` → ``=``), so it cannot loop or blow up.
"""

from __future__ import annotations

import re

from akscan.engine.decode import concat

MAX_ROUNDS = 2

_PERCENT = re.compile(rb"%([0-9A-Fa-f]{2})")
# One pass, left to right, as a JSON or JavaScript parser reads them: an escaped backslash is consumed
# before what follows it (``\\u002b`` is a backslash and "u002b", until the next round).
_STRING_ESCAPE = re.compile(rb"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|([/\"'\\]))")
_ENTITY = re.compile(rb"&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,9});")
# A soft break is one "=" at a line's end: "==" is base64 padding (quoted-printable writes a literal "=" as
# =3D, so two in a row never end one of its lines).
_SOFT_BREAK = re.compile(rb"(?<!=)=\r?\n")
_QP_BYTE = re.compile(rb"=([0-9A-F]{2})")

# Cheap signs that a window holds escapes at all (plain `in` tests before any regex).
# Concatenation's first: most code holds one, and `any` stops at the first marker found (a marker absent from
# a 500 KB bundle costs a pass over it).
MARKERS = (*concat.MARKERS, b"%", b"\\", b"&", b"=\n", b"=\r\n", b"=3D")


def _char(code: int) -> bytes:
    if code in (10, 13):  # a decoded line end would renumber every later line
        return b" "
    if code < 128:
        return bytes((code,))
    try:
        return chr(code).encode("utf-8")[:6]
    except (ValueError, OverflowError):
        return b"?"


def percent(text: bytes) -> bytes:
    return _PERCENT.sub(lambda m: _char(int(m.group(1), 16)), text)


def string_escapes(text: bytes) -> bytes:
    def one(match: re.Match[bytes]) -> bytes:
        code = match.group(1) or match.group(2)
        return _char(int(code, 16)) if code else match.group(3)

    return _STRING_ESCAPE.sub(one, text)


def entities(text: bytes) -> bytes:
    import html  # lazy: its entity table costs the pre-commit hook's start-up a millisecond

    def one(match: re.Match[bytes]) -> bytes:
        decoded = html.unescape(match.group(0).decode("ascii"))
        if decoded == match.group(0).decode("ascii"):
            return match.group(0)  # not a reference html knows: left as it is
        out = b"".join(_char(ord(c)) for c in decoded)
        return out if len(out) < len(match.group(0)) else match.group(0)

    return _ENTITY.sub(one, text)


# Character codes spell a key out (String.fromCharCode(…), a byte array): a run of at least CHAR_CODES_MIN
# codes of printable characters (32-126), comma-separated (a line break allowed after a comma: an array
# wrapped over lines), right after an opening bracket or parenthesis: a row of a CSV of numbers is no array.
# Candidates are found with one character class (a repeated group kept backtracking state for every code:
# 100 bytes of memory per byte of input) and checked code by code.
CHAR_CODES_MIN = 8
_CODE_RUN = re.compile(rb"(?<=[\[({])[ \t\r\n]{0,8}[0-9][0-9 \t\r\n,]*[0-9]")
_CODE_SPLIT = re.compile(rb"[ \t]*,[ \t\r\n]*")


def char_codes(text: bytes) -> bytes:
    """Each run of character codes written as its characters, in place of its first code (columns of what
    the run spells start where it starts), the run's line breaks kept after it: later lines keep their
    numbers, and the text only shrinks (each code took at least 3 bytes)."""

    def one(match: re.Match[bytes]) -> bytes:
        run = match.group(0)
        lead = len(run) - len(run.lstrip())
        parts = _CODE_SPLIT.split(run[lead:])
        if len(parts) < CHAR_CODES_MIN or not all(p.isdigit() and 32 <= int(p) <= 126 for p in parts):
            return run
        spelled = bytes(int(p) for p in parts).replace(b"\\", b"/")
        return run[:lead] + spelled + b"\n" * run.count(b"\n", lead)

    return _CODE_RUN.sub(one, text)


def quoted_printable(text: bytes) -> bytes:
    """Soft line breaks joined (the removed line ends are put back after the joined line, so later lines
    keep their numbers), then ``=XX`` bytes decoded."""
    if not (_SOFT_BREAK.search(text) and _QP_BYTE.search(text)):  # both, or it is not quoted-printable
        return text
    out = text.split(b"\n")
    joined: list[bytes] = []
    carry = b""
    owed = 0
    for index, line in enumerate(out):
        last = index == len(out) - 1
        body = line[:-1] if line.endswith(b"\r") else line
        if body.endswith(b"=") and not body.endswith(b"==") and not last:
            carry += body[:-1]
            owed += 1
            continue
        joined.append(carry + line + b"\n" * owed)
        carry, owed = b"", 0
    if carry:
        joined.append(carry)
    return _QP_BYTE.sub(lambda m: _char(int(m.group(1), 16)), b"\n".join(joined))


LAYERS = (
    (concat.NAME, concat.join),  # first: a value split over literals is joined before its escapes are read
    ("percent", percent),
    ("escape", string_escapes),
    ("char-codes", char_codes),
    ("html", entities),
    ("quoted-printable", quoted_printable),
)


def unescape(window: bytes, codes: bool = False) -> tuple[bytes, str] | None:
    """``window`` with every kind of escape it holds decoded (up to ``MAX_ROUNDS`` rounds) and the chain of
    layers applied (``"percent>escape"``), or None when nothing changed. Character codes only with
    ``codes``: where a key-ID anchor is spelled in them (the caller knows where, from the rules); an
    unrelated array must not move its line's columns under a key another layer found."""
    if not codes and not any(marker in window for marker in MARKERS):
        return None
    applied: list[str] = []
    text = window
    for _ in range(MAX_ROUNDS):
        changed = False
        for name, decode in LAYERS:
            if decode is char_codes and not codes:
                continue
            decoded = decode(text)
            if decoded != text:
                text = decoded
                changed = True
                if name not in applied:
                    applied.append(name)
        if not changed:
            break
    return (text, ">".join(applied)) if applied else None
