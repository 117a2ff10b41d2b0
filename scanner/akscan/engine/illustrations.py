"""Hand-typed illustrations: a key whose partner slot holds what no cloud issues.

A docstring that sketches an STS answer (``'SecretAccessKey': 'kKJ(324kljd,sfs.sl32423489/dakwu423nsdf'``)
or a demo that seeds a vault with generated pairs (``aws_access_key_id = "AKIAE2647DD83A384175"``, hex,
which no AWS key ID is) writes a credential-shaped value beside an impossible one. The impossible half
says the whole block is made up: its other half, found alone, is not reported. Only lone halves are
judged here; a whole pair is never dropped."""

from __future__ import annotations

import re

# A value under a secret's name, of a secret's length, quoted.
_SECRET_SLOT = re.compile(rb"""(?i:secret)[A-Za-z_]{0,24}["']?[ \t]*(?:[:=]|=>)[ \t]*["']([^"'\r\n]{30,64})["']""")
# Punctuation no cloud's secret holds (AWS's use + and /, Qiniu's - and _, none these), hand-typed filler.
_FILLER = frozenset(b"(),.;!#$^&*|~`")
# An AWS key ID's shape with a character outside its base32 alphabet (0, 1, 8, 9): generated, not issued.
_IMPOSSIBLE_AWS_ID = re.compile(rb"(?<![A-Za-z0-9])A[KS]IA(?=[A-Z2-7]{0,15}[0189])[A-Z0-9]{16}(?![A-Za-z0-9])")


def hand_typed_secret(data: bytes, lo: int, hi: int) -> bool:
    """Whether ``data[lo:hi]`` names a secret whose value is random-looking filler with punctuation (two
    or more of ``(),.;…`` and four digits): the ID beside it belongs to the same sketch."""
    for match in _SECRET_SLOT.finditer(data, lo, hi):
        value = match.group(1)
        if sum(byte in _FILLER for byte in value) >= 2 and sum(48 <= byte <= 57 for byte in value) >= 4:
            return True
    return False


def impossible_id(data: bytes, lo: int, hi: int) -> bool:
    """Whether ``data[lo:hi]`` holds an AWS key ID's shape that AWS never issues (a digit outside base32)."""
    return _IMPOSSIBLE_AWS_ID.search(data, lo, hi) is not None
