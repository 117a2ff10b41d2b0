"""A lone secret beside an ID no issuer makes: AWS key IDs are base32 after their prefix (A-Z, 2-7), so an
``AKIA``/``ASIA`` ID with a 0, 1, 8 or 9 was typed by a person (a CTF write-up's IMDS answer, a storage tool's
docs, a vault demo) and the secret beside it is the other half of that made-up pair (``made_up_ids``)."""

from __future__ import annotations

import random
import string

import pytest

from akscan.engine.detect import MADE_UP_LINES
from akscan.engine.rules import RuleError, Ruleset, compile_rules
from tests.conftest import scan_text

BASE64 = string.ascii_letters + string.digits + "+/"
BASE32 = string.ascii_uppercase + "234567"


def _secret(rng: random.Random) -> str:
    return "".join(rng.choice(BASE64) for _ in range(40))


def _made_up_id(rng: random.Random, prefix: str = "ASIA") -> str:
    body = [rng.choice(BASE32) for _ in range(16)]
    body[rng.randrange(16)] = rng.choice("0189")
    return prefix + "".join(body)


@pytest.mark.parametrize("prefix", ["AKIA", "ASIA"])
def test_a_secret_beside_a_made_up_id_is_not_reported(prefix: str, ruleset: Ruleset) -> None:
    rng = random.Random(prefix)
    text = (
        '{\n  "Code": "Success",\n'
        f'  "AccessKeyId": "{_made_up_id(rng, prefix)}",\n  "SecretAccessKey": "{_secret(rng)}",\n'
        '  "Token": "IQoJb3JpZ2luX2VjEHQaCXVzLWVhc3...",\n  "Expiration": "2026-06-23T03:20:55Z"\n}\n'
    )
    assert scan_text(text, ruleset) == []


def test_a_valid_id_keeps_the_pair_and_the_secret(ruleset: Ruleset) -> None:
    rng = random.Random(2)
    key_id = "AKIA" + "".join(rng.choice(BASE32) for _ in range(16))
    secret = _secret(rng)
    text = f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]


@pytest.mark.parametrize(
    ("lines_between", "reported"), [(MADE_UP_LINES - 2, False), (MADE_UP_LINES - 1, False), (MADE_UP_LINES, True)]
)
def test_the_made_up_id_counts_within_its_lines(lines_between: int, reported: bool, ruleset: Ruleset) -> None:
    """The made-up ID on the 2nd or 3rd line from the secret makes the pair made up; on the 4th it is another's."""
    rng = random.Random(lines_between)
    secret = _secret(rng)
    filler = "".join(f"setting_{n} = {n}\n" for n in range(lines_between))
    text = f"access_key = {_made_up_id(rng)}\n{filler}aws_secret_access_key = '{secret}'\n"
    found = [(f.rule_id, f.secret) for f in scan_text(text, ruleset)]
    assert found == ([("aws-secret-access-key", secret)] if reported else [])


def test_made_up_ids_is_checked_when_rules_load() -> None:
    base = {"id": "acme", "provider": "acme", "kind": "secret", "anchors": [], "description": "d", "remediation": "r"}
    base["pattern"] = "([A-Za-z0-9]{24})"
    with pytest.raises(RuleError, match="made_up_ids is a pattern"):
        compile_rules([({**base, "made_up_ids": "ACME[0-9]"}, "test", True)])  # no lone_severity
    with pytest.raises(RuleError, match="bad made_up_ids pattern"):
        compile_rules([({**base, "lone_severity": "low", "made_up_ids": "ACME(["}, "test", True)])
    with pytest.raises(RuleError, match="counted repeat"):
        compile_rules([({**base, "lone_severity": "low", "made_up_ids": "a{100000}"}, "test", True)])
    good = {**base, "lone_severity": "low", "made_up_ids": "ACME[0-9]{4}"}
    rule = compile_rules([(good, "test", True)]).rules[0]
    assert rule.made_up_ids is not None and rule.made_up_ids.source == b"ACME[0-9]{4}"


def test_the_blob_is_searched_once_for_made_up_ids(ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dump of a thousand lone secrets: the made-up IDs are looked for once in the blob, not per secret."""
    from akscan.engine.rules import LazyPattern

    source = ruleset.rules[ruleset.by_id["aws-secret-access-key"]].made_up_ids
    assert source is not None
    calls: list[int] = []
    finditer = LazyPattern.finditer

    def counted(self: LazyPattern, data: bytes, pos: int, endpos: int, **kwargs: object) -> object:
        if self.source == source.source:
            calls.append(endpos - pos)
        return finditer(self, data, pos, endpos, **kwargs)

    monkeypatch.setattr(LazyPattern, "finditer", counted)
    rng = random.Random(9)
    text = "".join(f'aws_secret_access_key = "{_secret(rng)}"\n' for _ in range(1000))
    assert len(scan_text(text, ruleset)) > 990
    assert len(calls) == 1
