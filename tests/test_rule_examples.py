"""Every rule's examples must be found, and its negative examples must not, by the real engine."""

from __future__ import annotations

import pytest

from akscan.engine.rules import load_ruleset
from tests.conftest import scan_text

RULESET = load_ruleset()
POSITIVE = [(r.id, i, ex) for r in RULESET.rules for i, ex in enumerate(r.examples)]
NEGATIVE = [(r.id, i, ex) for r in RULESET.rules for i, ex in enumerate(r.negative_examples)]


@pytest.mark.parametrize(("rule_id", "index", "example"), POSITIVE, ids=[f"{r}-{i}" for r, i, _ in POSITIVE])
def test_rule_finds_its_examples(rule_id: str, index: int, example: str) -> None:
    found = [f for f in scan_text(example, RULESET) if f.rule_id == rule_id]
    assert found, f"{rule_id} example {index} was not found"


@pytest.mark.parametrize(("rule_id", "index", "example"), NEGATIVE, ids=[f"{r}-{i}" for r, i, _ in NEGATIVE])
def test_rule_ignores_its_negative_examples(rule_id: str, index: int, example: str) -> None:
    assert [f for f in scan_text(example, RULESET) if f.rule_id == rule_id] == []


def test_every_reportable_rule_has_examples_both_ways() -> None:
    for rule in RULESET.rules:
        reportable = rule.kind == "key-id" or rule.lone_severity is not None
        if reportable:
            assert rule.examples, rule.id
            assert rule.negative_examples, rule.id


def test_rule_ids_are_unique_and_stable_shape() -> None:
    ids = [r.id for r in RULESET.rules]
    assert len(ids) == len(set(ids))
    assert all(i == i.lower() and " " not in i for i in ids)


def test_every_bundled_pattern_compiles_with_a_value_group() -> None:
    for rule in RULESET.rules:
        compiled = rule.pattern.get()
        assert compiled.groups == 1, rule.id  # a second group can match with the first empty
        if rule.context_pattern is not None:
            assert rule.context_pattern.get().groups >= 1, rule.id


def test_rule_files_do_not_trip_akscan_itself() -> None:
    from tests.conftest import REPO, run_akscan

    result = run_akscan("scan", str(REPO / "rules"), "--format", "json")
    assert result.code == 0, result.out
