"""Generate fake credentials in the right formats. Random every run (seeded per test for
reproducibility); never a real key."""

from __future__ import annotations

import base64
import random
import string

from akscan.filters import looks_random

ALNUM = string.ascii_letters + string.digits


class FakeKeys:
    def __init__(self, seed: int = 0) -> None:
        self.random = random.Random(seed)

    def _text(self, n: int, alphabet: str = ALNUM, min_entropy: float = 0.0) -> str:
        # Regenerate the rare draw that the placeholder filters would (rightly) reject: a real key
        # generator would not be drawn to such a value either.
        while True:
            value = "".join(self.random.choice(alphabet) for _ in range(n))
            if alphabet != ALNUM or looks_random(value, min_entropy):
                return value

    def alibaba_id(self, length: int = 24) -> str:
        while True:
            value = "LTAI" + self._text(length - 4)
            if looks_random(value, 2.5):
                return value

    def alibaba_secret(self) -> str:
        return self._text(30, min_entropy=3.9)

    def sts_id(self) -> str:
        return "STS.NT" + self._text(23, min_entropy=3.0)

    def sts_secret(self) -> str:
        return self._text(43, min_entropy=3.9)

    def sts_token(self) -> str:
        payload = bytes(self.random.getrandbits(8) for _ in range(388))
        signature = bytes(self.random.getrandbits(8) for _ in range(128))
        raw = b"\x08\x02\x12\x84\x03" + payload + b"\x1a\x80\x01" + signature
        return base64.b64encode(raw).decode()

    def aws_id(self, prefix: str = "AKIA") -> str:
        while True:
            value = prefix + self._text(16, string.ascii_uppercase + "234567")
            if looks_random(value, 2.5, 1):
                return value

    def aws_secret(self) -> str:
        while True:
            value = self._text(40, ALNUM + "+/")
            if looks_random(value, 4.2):
                return value

    def tencent_id(self) -> str:
        return "AKID" + self._text(32, min_entropy=3.5)

    def tencent_secret(self) -> str:
        return self._text(32, min_entropy=3.9)
