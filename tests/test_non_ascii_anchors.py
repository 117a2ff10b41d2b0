"""A provider named only in Chinese (``// 阿里云 OSS 配置`` above ``accessKeyId = "…"``): rule words outside
ASCII are held as their UTF-8 bytes, so the gate, the spotter and the automaton (which all search bytes)
find them in UTF-8 files, through either gate engine. Words in scripts with case cannot be matched in any
case by byte-wise lowering, and are refused with a message."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest

from akscan.engine.rules import load_ruleset
from tests.conftest import run_akscan, scan_text
from tests.keys import FakeKeys
from tests.test_rule_config import CUSTOM

RULESET = load_ruleset()
CHINESE = [(rule, word) for rule in RULESET.rules for word in rule.anchors if not word.isascii()]


def _as_text(word: str) -> str:
    """A rule's word as written in its rule file (the engine holds its UTF-8 bytes, one per character)."""
    return word.encode("latin-1").decode("utf-8")


def test_the_providers_named_in_chinese() -> None:
    """Only names that say the cloud product: 百度 alone is also a verb ("百度了一下": looked it up), 华为云
    and 金山云 would make any S3-compatible 20/40 pair theirs in a comment that lists clouds, 阿里云 is in
    every deployment note."""
    named = {rule.provider for rule, _ in CHINESE}
    assert named == {"baidu", "jdcloud", "qiniu"}
    assert "百度" not in {_as_text(word) for _, word in CHINESE}


_KEYS = random.Random(7)


def _run(alphabet: str, length: int) -> str:
    return "".join(_KEYS.choice(alphabet) for _ in range(length))


_ALNUM = string.ascii_letters + string.digits
# A value of each rule's shape under names no rule reads without its provider's word nearby.
_BODIES = {
    "baidu-context-access-key": lambda: 'access_key_id = "{}"\nsecret_access_key = "{}"\n'.format(
        _run("0123456789abcdef", 32), _run("0123456789abcdef", 32)
    ),
    "baidu-ai-api-key": lambda: (
        f"APP_ID = '11403041'\nAPI_KEY = '{_run(_ALNUM, 24)}'\nSECRET_KEY = '{_run(_ALNUM, 32)}'\n"
    ),
    "jdcloud-context-access-key": lambda: 'ak = "{}"\nsk = "{}"\n'.format(
        _run("0123456789ABCDEF", 32), _run("0123456789ABCDEF", 32)
    ),
    "qiniu-context-access-key": lambda: f"accessKey: {_run(_ALNUM, 40)}\nsecretKey: {_run(_ALNUM, 40)}\n",
}


def _named(word: str) -> str:
    """A comment line that names the provider with ``word`` (a word that ends its line is the line)."""
    text = _as_text(word)
    if text.endswith("\r"):
        return text + "\n"
    return text if text.endswith("\n") else f"# {text} 配置\n"


@pytest.mark.parametrize(("rule", "word"), CHINESE, ids=lambda v: getattr(v, "id", None) or repr(_as_text(v)))
def test_the_chinese_name_alone_makes_the_context(rule, word) -> None:  # type: ignore[no-untyped-def]
    """A pair under plain names below a comment that names the provider only with this word: found by
    the rule; below the same comment without the word, not."""
    body = _BODIES[rule.id]()
    found = {f.rule_id for f in scan_text(_named(word) + body, RULESET)}
    assert rule.id in found, _named(word) + body
    plain = _named(word).replace(_as_text(word).strip("\r\n# /"), "配置")
    assert rule.id not in {f.rule_id for f in scan_text(plain + body, RULESET)}, plain + body


@pytest.mark.parametrize("rule", sorted({rule.id for rule, _ in CHINESE}))
def test_each_rule_with_chinese_names_has_an_example_found_only_through_one(rule: str) -> None:
    found_rule = RULESET.rules[RULESET.by_id[rule]]
    words = [_as_text(word) for r, word in CHINESE if r.id == rule]
    ascii_words = [a for a in found_rule.anchors if a.isascii()]
    examples = [
        ex
        for ex in found_rule.examples
        if any(w in ex for w in words) and not any(a in ex.lower() for a in ascii_words)
    ]
    assert examples
    for example in examples:
        assert rule in {f.rule_id for f in scan_text(example, RULESET)}, example
        plain = example
        for word in sorted(words, key=len, reverse=True):
            plain = plain.replace(word.strip("\r\n# /"), "配置")
        assert rule not in {f.rule_id for f in scan_text(plain, RULESET)}, plain


@pytest.mark.parametrize(
    "comment",
    [
        "// 上传大文件报错，百度了一下要设置 partSize",  # 百度 as a verb
        "# 支持: 阿里云、腾讯云、华为云、七牛云、金山云、MinIO",  # a list of clouds (their Chinese names)
        "# MinIO（华为云 ECS 上自建）",
        "# 生产环境部署在阿里云 ECS",
    ],
)
def test_a_chinese_comment_does_not_make_an_s3_compatible_pair_a_clouds(comment: str) -> None:
    """20 upper-case letters and digits with 40 letters and digits: MinIO's, Ceph's, Huawei's, KS3's and
    Baidu's older keys share the shape; a Chinese comment that merely mentions clouds decides nothing."""
    text = f'{comment}\nprivate String accessKey = "{_run(string.ascii_uppercase + string.digits, 20)}";\n'
    text += f'private String secretKey = "{_run(_ALNUM, 40)}";\n'
    assert [f.rule_id for f in scan_text(text, RULESET)] == [], text


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
    key_id, secret = _run(_ALNUM, 40), _run(_ALNUM, 40)
    pair = f"# 七牛云存储\naccessKey: {key_id}\nsecretKey: {secret}\n"
    for text, wanted in [(filler + pair, True), (filler + pair.replace("七牛", "云"), False)]:
        found = [(f.rule_id, f.key_id) for f in scan_text(text, RULESET)]
        assert (found == [("qiniu-context-access-key", key_id)]) == wanted, found


def _custom_rule(anchor: str, sensitive: bool = False) -> str:
    """test_rule_config's custom rule, anchored on ``anchor`` (a TOML string) and reading ``key = "…"``."""
    return (
        CUSTOM.replace('anchors = ["ACME_"]', f"anchors = [{anchor}]")
        .replace("anchors_case_sensitive = true", f"anchors_case_sensitive = {str(sensitive).lower()}")
        .replace("pattern = '(ACME_[A-Za-z0-9]{24})'", "pattern = '(?:key[ \\t]*=[ \\t]*\")([A-Za-z0-9]{24})'")
    )


def test_a_users_rule_may_name_a_provider_in_chinese(tmp_path: Path, keys: FakeKeys) -> None:
    (tmp_path / ".akscan.toml").write_text(_custom_rule('"艾克米云"'), encoding="utf-8")
    (tmp_path / "named.py").write_text('# 艾克米云\nkey = "Zx8Qp2Lm4Nv6Bc1Df3Gh5Jk7"\n', encoding="utf-8")
    (tmp_path / "unnamed.py").write_text('# 云\nkey = "Yw7Rp3Kn5Mb8Xc2Vf4Gt6Hj9"\n', encoding="utf-8")
    result = run_akscan("scan", ".", "--format", "json", cwd=tmp_path)
    assert result.code == 1, result.err
    found = [(f["rule_id"], f["path"]) for f in json.loads(result.out)["findings"]]
    assert found == [("acme-token", "named.py")]


@pytest.mark.parametrize(
    ("anchor", "sensitive"),
    [
        ('"Schlüssel"', False),  # a script with case: byte-wise lowering would miss SCHLÜSSEL
        ('"ＡＫ腾讯"', False),  # full-width capitals: lowered to ａｋ, never the text as written
        ('"艾克米云"', True),  # its bytes would join the gate's reduced alphabet
    ],
)
def test_a_word_the_engine_cannot_match_is_refused_in_one_line(tmp_path: Path, anchor: str, sensitive: bool) -> None:
    (tmp_path / ".akscan.toml").write_text(_custom_rule(anchor, sensitive), encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_akscan("scan", ".", cwd=tmp_path)
    assert result.code == 2, result.out
    assert "outside ASCII must be case-insensitive" in result.err and len(result.err.strip().splitlines()) == 1
