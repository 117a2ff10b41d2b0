"""A pair's window counts lines that hold something: decompiled smali spaces every instruction with a blank line,
and an anonymous AWSCredentials' two getters put the ID's ``const-string`` and the secret's ten lines apart (two
real apps' keys were left alone). The window is still bounded in bytes and in lines with text, at its edge."""

from __future__ import annotations

import pytest

from akscan.engine.positions import Positions, line_window
from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys

LINES = 8  # aws-access-key's pair window in lines (rules/aws.toml)


def _pairs(findings: list) -> set[tuple[str, str]]:
    return {(f.key_id, f.secret) for f in findings if f.kind == Kind.PAIR}


def _getters(key_id: str, secret: str) -> str:
    return (
        ".method public getAWSAccessKeyId()Ljava/lang/String;\n    .locals 1\n\n    .prologue\n    .line 66\n"
        f'    const-string v0, "{key_id}"\n\n    return-object v0\n.end method\n\n'
        ".method public getAWSSecretKey()Ljava/lang/String;\n    .locals 1\n\n    .prologue\n    .line 71\n"
        f'    const-string v0, "{secret}"\n\n    return-object v0\n.end method\n'
    )


def test_smali_getters_pair_across_their_blank_lines(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.aws_id(), keys.aws_secret()
    assert _pairs(scan_text(_getters(key_id, secret), ruleset, "AWSHelper$1.smali")) == {(key_id, secret)}


@pytest.mark.parametrize(("between", "paired"), [(LINES - 2, True), (LINES - 1, True), (LINES, False)])
def test_lines_with_text_still_bound_the_window(ruleset: Ruleset, keys: FakeKeys, between: int, paired: bool) -> None:
    """At the window's edge: the secret on the window's last line pairs, one line of text more and it does not;
    a blank line after every line of text changes neither."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    filler = "".join(f"    .line {n}\n\n" for n in range(between))
    text = f'    const-string v0, "{key_id}"\n\n{filler}    const-string v1, "{secret}"\n'
    assert bool(_pairs(scan_text(text, ruleset, "Keys.smali"))) is paired


def test_without_blank_lines_the_window_is_the_line_window() -> None:
    data = b"".join(b"line %d\n" % n for n in range(40))
    start = data.index(b"line 20")
    for lines in range(6):
        window = Positions(data).pair_window(start, start + 7, lines, 10_000)
        assert window == line_window(data, start, start + 7, lines, 0, len(data))


def test_blank_lines_never_widen_it_past_its_bytes() -> None:
    data = b"x\n" + b"\n" * 5000 + b"ID\n" + b"\n" * 5000 + b"y\n"
    start = data.index(b"ID")
    lo, hi = Positions(data).pair_window(start, start + 2, 8, 1500)
    assert start - lo <= 1500 and hi - (start + 2) <= 1501
