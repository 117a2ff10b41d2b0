"""Values split over concatenated string literals (akscan.engine.decode.concat): an STS token written as
``"…" +`` lines in Java, a Python implicit concatenation, PHP's ``.``, a key ID cut in two, a Qiniu upload
token cut before its ``=``. Found whole, once, on the line where the value starts, with every later line
keeping its number; separate arguments are never glued into one value; a run is read to its end within
its bounds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akscan.engine.decode.concat import RUN_BYTES, RUN_LINES, join, run_end
from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import run_akscan, scan_text
from tests.keys import FakeKeys


def _pieces(value: str, size: int) -> list[str]:
    return [value[i : i + size] for i in range(0, len(value), size)]


def _java_literal(value: str, size: int = 60, indent: str = "            ") -> str:
    """``"…" +`` lines, as IDEs wrap a long string literal."""
    parts = _pieces(value, size)
    return f" +\n{indent}".join(f'"{part}"' for part in parts)


def test_an_sts_token_split_over_java_concatenation_is_found_whole(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret, token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    text = (
        "public class OssConfig {\n"
        f'    public static final String ACCESS_KEY_ID = "{key_id}";\n'
        f'    public static final String ACCESS_KEY_SECRET = "{secret}";\n'
        f"    public static final String SECURITY_TOKEN = {_java_literal(token)};\n"
        '    public static final String BUCKET = "photos";\n'
        "}\n"
    )
    found = scan_text(text, ruleset)
    sts = [f for f in found if f.kind == Kind.STS]
    assert [(f.key_id, f.secret, f.security_token, f.location.line) for f in sts] == [(key_id, secret, token, 2)]
    assert len(found) == 1  # not a second finding with the token's first piece


def test_implicit_concatenation_and_leading_operators(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Python's ``("…"\\n "…")`` and JavaScript's ``'…'\\n + '…'`` with a key ID cut in two."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    python = f'auth = oss2.Auth(\n    "{key_id[:10]}"\n    "{key_id[10:]}",\n    "{secret}",\n)\n'
    javascript = f"const client = new OSS({{\n  accessKeyId: '{key_id[:12]}'\n    + '{key_id[12:]}',\n"
    javascript += f"  accessKeySecret: '{secret}',\n}});\n"
    for text, line in ((python, 2), (javascript, 2)):
        found = scan_text(text, ruleset)
        assert [(f.kind, f.key_id, f.secret, f.encoding, f.location.line) for f in found] == [
            (Kind.PAIR, key_id, secret, "concat", line)
        ], text


@pytest.mark.parametrize(
    ("language", "template"),
    [
        ("php", "$secret = '{a}' .\n    '{b}';\n"),
        ("lua", 'local secret = "{a}" ..\n  "{b}"\n'),
        ("vb", 'Dim secret = "{a}" & _\n    "{b}"\n'),
        ("elixir", 'secret =\n  "{a}" <>\n    "{b}"\n'),
        ("shell", 'SECRET="{a}"\\\n"{b}"\n'),
        ("objective-c", 'NSString *secret = @"{a}"\n    @"{b}";\n'),
        ("commented java", '//    String secret = "{a}" +\n//        "{b}";\n'),
    ],
)
def test_each_languages_concatenation(language: str, template: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = f"// client\nkey_id = '{key_id}'\n" + template.format(a=secret[:13], b=secret[13:])
    found = scan_text(text, ruleset)
    assert [(f.key_id, f.secret, f.location.line) for f in found if f.kind == Kind.PAIR] == [(key_id, secret, 2)]


def test_lines_after_a_joined_run_keep_their_numbers(ruleset: Ruleset, keys: FakeKeys) -> None:
    first = (keys.sts_id(), keys.sts_secret(), keys.sts_token())
    second = (keys.alibaba_id(), keys.alibaba_secret())
    text = (
        f'String id = "{first[0]}";\nString secret = "{first[1]}";\n'
        f"String token = {_java_literal(first[2], 40)};\n"  # 15 lines
        + "\n" * 3
        + f'String other = "{second[0]}";\nString otherSecret = "{second[1]}";\n'
    )
    expected_line = text[: text.index(second[0])].count("\n") + 1
    found = {f.key_id: f for f in scan_text(text, ruleset)}
    assert found[first[0]].security_token == first[2]
    assert found[second[0]].location.line == expected_line and found[second[0]].secret == second[1]


def test_separate_arguments_are_never_one_value(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Two literals with a comma between them are two values: the ID and its secret, not one glued run."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = f'client = Client(\n    "{key_id}",\n    "{secret}"\n)\nempty = "" + name\n'
    found = scan_text(text, ruleset)
    assert [(f.kind, f.key_id, f.secret, f.encoding) for f in found] == [(Kind.PAIR, key_id, secret, None)]


def test_a_split_qiniu_upload_token(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Cut between the signature and its '=', as a real Android helper had it."""
    access_key = keys._text(40, keys_alphabet := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    sign = keys._text(27, keys_alphabet)
    policy = "eyJzY29wZSI6InBpY3R1cmUiLCJkZWFkbGluZSI6MTUxNzU1NzY1M30="
    text = f'public static String token = "{access_key}:{sign}" +\n        "=:{policy}";\n'
    found = scan_text(text, ruleset)
    assert [(f.rule_id, f.key_id, f.location.line) for f in found] == [("qiniu-upload-token", access_key, 1)]


def test_a_mapping_key_after_a_missing_comma_is_not_glued_to_the_token(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A recorded STS answer pasted into a comment with a comma left out (``"sessionToken": "IQoJ…=="`` then
    ``"secretAccessKey": …`` on the next line): the next literal is a key, not more of the token."""
    key_id, secret = keys.aws_id("ASIA"), keys.aws_secret()
    token = "IQoJb3JpZ2luX2Vj" + keys._text(300) + "=="
    text = f'/*\n  "accessKeyId": "{key_id}",\n  "sessionToken": "{token}"\n  "secretAccessKey": "{secret}",\n*/\n'
    [finding] = scan_text(text, ruleset)
    assert (finding.kind, finding.key_id, finding.secret, finding.security_token) == (Kind.STS, key_id, secret, token)


@pytest.mark.parametrize(
    "template",
    [
        'const accessKeySecret = isProd ? "{a}" + "{b}" : "";\n',
        "$secret = $prod ? '{a}' . '{b}' : '';\n",
    ],
)
def test_an_explicit_join_before_a_ternarys_colon_still_joins(template: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    """Only a join with no operator stops before a `"key":`; ``cond ? "…" + "…" : ""`` is one value."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = f'const accessKeyId = "{key_id}";\n' + template.format(a=secret[:15], b=secret[15:])
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]


def test_join_stops_before_a_mapping_key() -> None:
    assert join(b'  "token": "abc"\n  "next": 1\n') == b'  "token": "abc"\n  "next": 1\n'
    assert join(b'  "token": "abc"\n  "def",\n') == b'  "token": "abcdef",\n\n'  # a continuation still joins


# -- the layer itself ----------------------------------------------------------------------------------
def test_join_puts_removed_line_ends_after_the_joined_line() -> None:
    text = b'a = "one" +\n    "two" +\n    "three";\nb = 1\n'
    assert join(text) == b'a = "onetwothree";\n\n\nb = 1\n'


def test_join_leaves_text_without_joins_alone() -> None:
    text = b"x = [\"a\", \"b\"]\ny = f('c', 'd')\n"
    assert join(text) is text


def _run(lines: int) -> bytes:
    head = b'String token = "start" +\n'
    body = b"".join(b'    "piece%04d" +\n' % i for i in range(lines - 1)) + b'    "end";\n'
    return head + body + b"after\n"


@pytest.mark.parametrize("extra", [-1, 0, 1])
def test_a_run_is_read_to_its_end_within_run_lines(extra: int) -> None:
    """A window ending on a run's first line is carried ``RUN_LINES`` lines on, and no further."""
    lines = RUN_LINES + extra  # continuation lines after the first
    data = _run(lines)
    first_end = data.index(b"\n")
    end = run_end(data, first_end)
    read = data[:end].count(b"\n") + 1  # lines the window now holds
    if lines <= RUN_LINES:
        assert data[:end].endswith(b'"end";'), lines  # the whole run, not the line after it
    else:
        assert read == RUN_LINES + 1  # the first line and RUN_LINES more


def test_a_run_is_read_no_further_than_run_bytes() -> None:
    piece = b'    "' + b"x" * 2000 + b'" +\n'
    data = b'token = "a" +\n' + piece * 40 + b'    "z";\n'
    assert run_end(data, data.index(b"\n")) - data.index(b"\n") <= RUN_BYTES


JOIN_SOUP = st.lists(
    st.sampled_from(
        [
            b'"',
            b"'",
            b" + ",
            b"+",
            b" . ",
            b"..",
            b" & _",
            b"\n",
            b"\r\n",
            b"\\\n",
            b"  ",
            b"@",
            b"//",
            b"#",
            b"ab",
            b"\\",
        ]
    ),
    max_size=80,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(JOIN_SOUP)
def test_join_never_grows_the_text_and_keeps_every_line(text: bytes) -> None:
    out = join(text)
    assert len(out) <= len(text)
    assert out.count(b"\n") == text.count(b"\n")


def test_bare_anchors_in_a_bundle_are_not_decoded_around(
    ruleset: Ruleset, keys: FakeKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A minified bundle says GOOGLE and STS. thousands of times, with "a"+"b" joins everywhere: the text
    layers run only around an anchor that read a key or has an escape or a join within reach of it."""
    from akscan.engine import detect as detect_module

    calls: list[int] = []
    real = detect_module.unescape
    monkeypatch.setattr(
        detect_module, "unescape", lambda window, **options: calls.append(len(window)) or real(window, **options)
    )
    filler = "x" * (detect_module.ESCAPE_REACH + 8)
    bundle = "".join(f'var g{i}=window.GOOGLE_TAG_{i};{filler};n{i}="a"+"b";{filler};' for i in range(300))
    assert scan_text(bundle + "\n", ruleset) == []
    assert calls == []
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    split = bundle + f'var k="{key_id}",s="{secret[:10]}"+"{secret[10:]}";\n'
    found = scan_text(split, ruleset)
    assert [(f.key_id, f.secret) for f in found if f.kind == Kind.PAIR] == [(key_id, secret)]
    assert 1 <= len(calls) <= 2  # the key's lines, and once more inside the layer they made; not 300 anchors


def test_a_hostile_run_of_spaces_cannot_hang_the_join(ruleset: Ruleset, keys: FakeKeys, tmp_path: Path) -> None:
    """`"+` (or a line break) before a megabyte of spaces: the join's space runs never backtrack against
    each other (Python's re has no time limit), so the whole file scans in seconds and the key beside the
    hostile run is still found. Run in a process of its own, so a regression fails on the timeout."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    spaces = " " * 1_000_000
    text = f'k = "{key_id}"\ns = "{secret}" +{spaces}x\nt = "z" +\n{spaces}y\n'
    sample = tmp_path / "hostile.py"
    sample.write_text(text)
    result = run_akscan("scan", str(sample), "--format", "json", "--no-redact", process=True, timeout=60)
    found = json.loads(result.out)["findings"]
    assert [(f["key_id"], f["secret"]) for f in found] == [(key_id, secret)]


@pytest.mark.parametrize("cut", [15, 16, 18, 20])
def test_the_first_piece_of_a_cut_key_is_no_key_of_its_own(cut: int, ruleset: Ruleset, keys: FakeKeys) -> None:
    """An Alibaba ID of 24 characters cut after 16 reads, in the raw text, as an ID of 16: the joined
    layer reads the whole at the same place, and only the whole is reported (no second, shorter pair)."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    assert len(key_id) == 24
    text = (
        "public class Conf {\n"
        f'    static final String ACCESS_KEY_ID = "{key_id[:cut]}" +\n'
        f'            "{key_id[cut:]}";\n'
        f'    static final String ACCESS_KEY_SECRET = "{secret}";\n'
        "}\n"
    )
    found = [(f.kind, f.key_id, f.secret, f.location.line) for f in scan_text(text, ruleset)]
    assert found == [(Kind.PAIR, key_id, secret, 2)]
