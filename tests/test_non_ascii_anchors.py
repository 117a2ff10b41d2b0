"""A provider named only in Chinese (``// 阿里云 OSS 配置`` above ``accessKeyId = "…"``): rule words outside
ASCII are held as their UTF-8 bytes, so the gate, the spotter and the automaton (which all search bytes)
find them in UTF-8 files, through either gate engine. Words in scripts with case cannot be matched in any
case by byte-wise lowering, and are refused with a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from akscan.engine.rules import load_ruleset
from tests.conftest import run_akscan, scan_text
from tests.keys import FakeKeys

RULESET = load_ruleset()
CHINESE = [(rule, word) for rule in RULESET.rules for word in rule.anchors if not word.isascii()]


def _as_text(word: str) -> str:
    """A rule's word as written in its rule file (the engine holds its UTF-8 bytes, one per character)."""
    return word.encode("latin-1").decode("utf-8")


def test_every_provider_without_a_prefix_of_its_own_has_its_chinese_name() -> None:
    named = {rule.provider for rule, _ in CHINESE}
    assert named == {"alibaba", "baidu", "huawei", "jdcloud", "kingsoft", "qiniu", "ucloud"}
    assert all(_as_text(word) for _, word in CHINESE)  # each is the UTF-8 of its text


@pytest.mark.parametrize(("rule", "word"), CHINESE, ids=lambda v: getattr(v, "id", None) or _as_text(v))
def test_the_chinese_name_alone_makes_the_context(rule, word) -> None:  # type: ignore[no-untyped-def]
    """Each example that holds the word is found by its rule, and not once every Chinese name in it is
    replaced by a neutral word: the Chinese name is what made the context."""
    text = _as_text(word)
    ascii_words = [a for a in rule.anchors if a.isascii()]
    examples = [ex for ex in rule.examples if text in ex and not any(a in ex.lower() for a in ascii_words)]
    assert examples, f"{rule.id}: give {text} an example of its own (no other word of the rule in it)"
    for example in examples:
        assert rule.id in {f.rule_id for f in scan_text(example, RULESET)}, example
        plain = example
        for _, other in CHINESE:
            plain = plain.replace(_as_text(other), "config")
        assert rule.id not in {f.rule_id for f in scan_text(plain, RULESET)}, plain


@pytest.mark.parametrize("engine", ["python", "hyperscan"])
def test_a_chinese_name_opens_either_gate_engine(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bytes after which Hyperscan takes over, and on the pure engine: the same finding."""
    from akscan.engine import fastgate

    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
        monkeypatch.setattr(fastgate, "_engines", {})
        monkeypatch.setattr(fastgate, "_gated_bytes", fastgate.AFTER_BYTES)
        monkeypatch.setattr(fastgate, "_forced_python", False)
    else:
        monkeypatch.setattr(fastgate, "_forced_python", True)
    filler = "".join(f"# 第{i}行说明\nvalue_{i} = {i}\n" for i in range(300))
    pair = '# 华为云 OBS 上传\nAK = "QZ7RKW2M5TXN8VBH3LJD"\nSK = "p4Wz8Rq2Lk6Tx9Nc3Vb7Ym1Hd5Fg0Js2Ea4Uo7Q"\n'
    for text, wanted in [(filler + pair, True), (filler + pair.replace("华为云", "华为"), False)]:
        found = [(f.rule_id, f.key_id) for f in scan_text(text, RULESET)]
        assert (found == [("huawei-context-access-key", "QZ7RKW2M5TXN8VBH3LJD")]) == wanted, found


CUSTOM = """
[[custom_rules]]
id = "acme-key"
provider = "acme"
kind = "key-id"
anchors = [{anchor}]
{sensitive}
pattern = '(?:key[ \\t]*=[ \\t]*")([A-Za-z0-9]{{24}})'
min_entropy = 3.0
lone_severity = "high"
description = "ACME API key"
remediation = "Revoke it in the ACME console."
"""


def test_a_users_rule_may_name_a_provider_in_chinese(tmp_path: Path, keys: FakeKeys) -> None:
    (tmp_path / ".akscan.toml").write_text(CUSTOM.format(anchor='"艾克米云"', sensitive=""), encoding="utf-8")
    (tmp_path / "named.py").write_text('# 艾克米云\nkey = "Zx8Qp2Lm4Nv6Bc1Df3Gh5Jk7"\n', encoding="utf-8")
    (tmp_path / "unnamed.py").write_text('# 云\nkey = "Yw7Rp3Kn5Mb8Xc2Vf4Gt6Hj9"\n', encoding="utf-8")
    result = run_akscan("scan", ".", "--format", "json", cwd=tmp_path)
    assert result.code == 1, result.err
    found = [(f["rule_id"], f["path"]) for f in json.loads(result.out)["findings"]]
    assert found == [("acme-key", "named.py")]


@pytest.mark.parametrize(
    ("anchor", "sensitive"),
    [
        ('"Schlüssel"', ""),  # a script with case: byte-wise lowering would miss SCHLÜSSEL
        ('"艾克米云"', "anchors_case_sensitive = true"),  # its bytes would join the gate's reduced alphabet
    ],
)
def test_a_word_the_engine_cannot_match_is_refused_in_one_line(tmp_path: Path, anchor: str, sensitive: str) -> None:
    (tmp_path / ".akscan.toml").write_text(CUSTOM.format(anchor=anchor, sensitive=sensitive), encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_akscan("scan", ".", cwd=tmp_path)
    assert result.code == 2, result.out
    assert "outside ASCII must be case-insensitive" in result.err and len(result.err.strip().splitlines()) == 1
