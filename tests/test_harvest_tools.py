"""benchmarks/harvest.py's fakes keep what the rules rely on: a harvested file whose fake broke its shape (an AWS
ID with digits outside base32, a session token whose fixed head was randomised, a UUID given letters past f)
measures the fake, not the engine (the nineteenth sitting mended 30 such labels by hand)."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from akscan.engine.rules import Ruleset
from tests.conftest import REPO, scan_text

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def harvest() -> Iterator[ModuleType]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        yield importlib.import_module("harvest")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("AKIAJUTBJQQ16X5BCISM", r"AKIA[A-Z2-7]{16}"),
        ("ASIA5CM4SLOU49070VQV", r"ASIA[A-Z2-7]{16}"),
        ("TOKEN_0a999cd8-aca6-4464-aa5f-17d8ce006a3c", r"TOKEN_" + UUID),
        ("IQoJb3JpZ2luX2VjEJz//////////wEaCXVzLWVhc3QtMSJHMEU", r"IQoJb3JpZ2luX2Vj[A-Za-z0-9/+]+"),
        ("FwoGZXIvYXdzEBYaDHhBTk2Yl3Jt0ZsaWSKBAb", r"FwoGZXIvYXdzE[A-Za-z0-9]+"),
        ("e7ef7b566b9c89b08f649854c27351ac", r"[0-9a-f]{32}"),
        ("LTAI5tAbcDef12345678XyZ0", r"LTAI5t[A-Za-z0-9]{18}"),  # the family its head marks stays
        ("LTAI4FxYz0AbcDef1234567", r"LTAI4[A-Za-z0-9]{18}"),
        ("GOOG1EABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVW", r"GOOG1E[A-Z0-9]{55}"),
        # an SES SMTP password keeps its version head (B[A-P]; A[g-v] for the old signature)
        ("BPkRNNa8azP3xKSW+iITnjcNAxJQeL4VY+SNx/3CSXwQ", r"BP[A-Za-z0-9+/]{42}"),
        ("AiPkRNNa8azP3xKSW+iITnjcNAxJQeL4VY+SNx/3CSXw", r"Ai[A-Za-z0-9+/]{42}"),
        # UCloud's classic public key names itself by its head (ucloud + an e-mail + digits)
        ("ucloudsomeone@example.com1296235120854146120", r"ucloud[a-z]{7}@[a-z]{7}\.[a-z]{3}[0-9]{19}"),
    ],
)
def test_a_fake_keeps_its_values_shape(harvest: ModuleType, value: str, shape: str) -> None:
    for _ in range(20):
        made = harvest.fake(value)
        assert len(made) == len(value) and re.fullmatch(shape, made), made
    assert len({harvest.fake(value) for _ in range(5)}) == 5  # random each time


def test_a_faked_aws_pair_is_still_found(harvest: ModuleType, ruleset: Ruleset) -> None:
    """The fake of a real-looking AWS pair is found as the real one would be (an ID with a 1 or a 0 is not)."""
    key_id = harvest.fake("AKIAJUTBJQQ16X5BCISM")
    secret = harvest.fake("x/xdvMHYvFaXq9Zr2Lp9Tx4Nc1Vb6Ym3Hd8Fg5Js")
    text = f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]
