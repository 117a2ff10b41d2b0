"""Best edges first is a greedy assignment: a live ID bound to its name grabbed the bare secret of an old pair kept
in a javadoc above the live secret (two lines away, against five), and the old ID in the comment above was left
the live secret. Both pairs wrong. Two pairs whose partners swapped cost clearly less together are swapped
(``akscan.engine.pairing._uncross``); layouts greedy already pairs right stay as they are."""

from __future__ import annotations

import pytest

from akscan.engine.pairing import UNCROSS_MARGIN, Candidate, assign
from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys


def _pairs(findings: list) -> set[tuple[str, str]]:
    return {(f.key_id, f.secret) for f in findings if f.kind == Kind.PAIR}


def test_an_old_pair_in_javadocs_above_the_fields_pairs_with_itself(ruleset: Ruleset, keys: FakeKeys) -> None:
    old_id, old_secret = keys.alibaba_id(16), keys.alibaba_secret()
    new_id, new_secret = keys.alibaba_id(16), keys.alibaba_secret()
    text = (
        "public class MyConfiguration {\n"
        "    /**\n"
        f"     * {old_id}\n"
        "     * 阿里key\n"
        "     */\n"
        f'    private String  accessKeyId="{new_id}";\n'
        "    /**\n"
        f"     * {old_secret}\n"
        "     * 阿里密钥\n"
        "     */\n"
        f'    private String  accessKeySecret="{new_secret}";\n'
        "}\n"
    )
    assert _pairs(scan_text(text, ruleset, "MyConfiguration.java")) == {(old_id, old_secret), (new_id, new_secret)}


@pytest.mark.parametrize("marker", ["//", "#"])
def test_an_old_pair_commented_out_above_the_live_one_stays_apart(
    ruleset: Ruleset, keys: FakeKeys, marker: str
) -> None:
    old_id, old_secret = keys.alibaba_id(), keys.alibaba_secret()
    new_id, new_secret = keys.alibaba_id(), keys.alibaba_secret()
    text = (
        f'{marker} access_key_id = "{old_id}"\n'
        f'access_key_id = "{new_id}"\n'
        f'{marker} access_key_secret = "{old_secret}"\n'
        f'access_key_secret = "{new_secret}"\n'
    )
    assert _pairs(scan_text(text, ruleset, "settings.txt")) == {(old_id, old_secret), (new_id, new_secret)}


def test_pairs_written_one_after_another_keep_their_neighbours(ruleset: Ruleset, keys: FakeKeys) -> None:
    rows = [(keys.alibaba_id(), keys.alibaba_secret()) for _ in range(4)]
    text = "".join(f"ak{n} = '{i}'\nsk{n} = '{s}'\n\n" for n, (i, s) in enumerate(rows))
    assert _pairs(scan_text(text, ruleset, "keys.py")) == set(rows)


@pytest.mark.parametrize(
    ("saving", "swapped"), [(UNCROSS_MARGIN - 1, False), (UNCROSS_MARGIN, False), (UNCROSS_MARGIN + 1, True)]
)
def test_the_swap_needs_to_save_more_than_its_margin(saving: float, swapped: bool) -> None:
    """At the margin's edge: greedy takes the cheapest edge (A-Y, 0) and leaves B the costly X; swapping gives A-X
    and B-Y, cheaper together by ``saving``."""
    id_a, id_b = Candidate(0, "a", 0, 1), Candidate(0, "b", 10, 11)  # both before both secrets: one direction
    secret_x, secret_y = Candidate(1, "x", 50, 51), Candidate(1, "y", 150, 151)
    greedy_total = 0.0 + 1000.0
    edges = [
        (id_a, secret_y, 0.0),
        (id_b, secret_x, 1000.0),
        (id_a, secret_x, 10.0),
        (id_b, secret_y, greedy_total - 10.0 - saving),
    ]
    chosen = {(i.value, s.value) for i, s in assign(edges)}
    assert chosen == ({("a", "x"), ("b", "y")} if swapped else {("a", "y"), ("b", "x")})


@pytest.mark.parametrize(("above", "below"), [(1, 1), (3, 2), (6, 6)])
def test_a_secret_planted_above_and_an_id_below_do_not_split_a_pair(
    ruleset: Ruleset, keys: FakeKeys, above: int, below: int
) -> None:
    """Nested around a real pair (planted secret … ID, secret … planted ID), the swap looks two lines cheaper in one
    dimension: only pairs laid out one way (both IDs before both secrets, or after) are ever swapped."""
    real_id, real_secret = keys.alibaba_id(), keys.alibaba_secret()
    planted_id, planted_secret = keys.alibaba_id(), keys.alibaba_secret()
    text = (
        f'accessKeySecret = "{planted_secret}"\n'
        + "\n" * above
        + f'accessKeyId = "{real_id}"\naccessKeySecret = "{real_secret}"\n'
        + "\n" * below
        + f'accessKeyId = "{planted_id}"\n'
    )
    assert (real_id, real_secret) in _pairs(scan_text(text, ruleset, "settings.txt"))
