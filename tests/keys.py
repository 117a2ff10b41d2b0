"""Generate fake credentials in the right formats: uniform random draws, seeded per test for
reproducibility; never a real key.

The generator does not call the engine's own filters (entropy, placeholder, character-class checks):
a key drawn the way a cloud draws one must be found, so a filter made stricter than real keys shows up
as a failing test instead of being hidden by a generator that skips what the filter rejects."""

from __future__ import annotations

import base64
import random
import string

ALNUM = string.ascii_letters + string.digits


class FakeKeys:
    def __init__(self, seed: int = 0) -> None:
        self.random = random.Random(seed)

    def _text(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.random.choice(alphabet) for _ in range(n))

    def alibaba_id(self, length: int = 24) -> str:
        return "LTAI" + self._text(length - 4)

    def alibaba_secret(self) -> str:
        return self._text(30)

    def sts_id(self) -> str:
        return "STS.NT" + self._text(23)

    def sts_secret(self) -> str:
        return self._text(43)

    def sts_token(self) -> str:
        payload = bytes(self.random.getrandbits(8) for _ in range(388))
        signature = bytes(self.random.getrandbits(8) for _ in range(128))
        raw = b"\x08\x02\x12\x84\x03" + payload + b"\x1a\x80\x01" + signature
        return base64.b64encode(raw).decode()

    def aws_id(self, prefix: str = "AKIA") -> str:
        return prefix + self._text(16, string.ascii_uppercase + "234567")

    def aws_secret(self) -> str:
        return self._text(40, ALNUM + "+/")

    def tencent_id(self) -> str:
        return "AKID" + self._text(32)

    def tencent_secret(self) -> str:
        return self._text(32)
