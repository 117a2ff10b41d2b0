"""Text-escape decoding layers (percent, JSON/JS escapes, HTML references, quoted-printable): secrets
stored escaped next to a plain key ID are found, the finding names the chain of layers and the encoded
text's line; and the decoders are fuzzed: they never grow the text, never add a line, always stop."""

from __future__ import annotations

import json
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akscan.engine.decode.concat import join
from akscan.engine.decode.escapes import (
    CHAR_CODES_MIN,
    LAYERS,
    MAX_ROUNDS,
    char_codes,
    entities,
    percent,
    quoted_printable,
    string_escapes,
    unescape,
)
from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys


def _aws_secret_with_specials(keys: FakeKeys) -> str:
    """An AWS secret holding both + and / (the characters every text encoding escapes)."""
    while True:
        secret = keys.aws_secret()
        if "+" in secret and "/" in secret:
            return secret


def _pairs(found: list) -> list[tuple[str, str, str | None, int]]:
    return [(f.key_id, f.secret, f.encoding, f.location.line) for f in found if f.kind == Kind.PAIR]


def test_percent_encoded_secret_in_a_query_string(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.aws_id(), _aws_secret_with_specials(keys)
    encoded = secret.replace("+", "%2B").replace("/", "%2F")
    text = f"# deploy hook\nurl = 'https://ci.example/run?aws_access_key_id={key_id}&aws_secret_access_key={encoded}'\n"
    assert _pairs(scan_text(text, ruleset)) == [(key_id, secret, "percent", 2)]


def test_json_escaped_secret_inside_a_json_string(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.aws_id(), _aws_secret_with_specials(keys)
    inner = json.dumps({"aws_access_key_id": key_id, "aws_secret_access_key": secret})
    text = json.dumps({"note": "x", "config": inner.replace("/", "\\/").replace("+", "\\u002b")}, indent=2)
    found = _pairs(scan_text(text, ruleset))
    assert found and found[0][:3] == (key_id, secret, "escape")


def test_html_references_in_a_form(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.aws_id(), _aws_secret_with_specials(keys)
    value = secret.replace("+", "&#43;").replace("/", "&#x2F;")
    text = f'<form>\n<input name="aws_access_key_id" value="{key_id}">\n'
    text += f'<input name="aws_secret_access_key" value="{value}">\n</form>\n'
    assert _pairs(scan_text(text, ruleset)) == [(key_id, secret, "html", 2)]


def test_quoted_printable_email_with_a_soft_break_in_the_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.aws_id(), keys.aws_secret()
    body = (
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        f"Hi, the new keys:\naws_access_key_id =3D {key_id}\naws_secret_access_key =3D {secret[:17]}=\n{secret[17:]}\n"
        "Thanks=2C\nOps\n"
    )
    found = scan_text(body, ruleset)
    assert _pairs(found) == [(key_id, secret, "quoted-printable", 5)]
    assert max(f.location.line for f in found) == 5


def test_a_pair_a_few_lines_below_an_escape_is_reported_once(ruleset: Ruleset) -> None:
    """The lines around an escaped URL are decoded as a layer; a window cut between a pair's ID and its
    secret shows the ID alone, which the raw text shows whole: one finding, the pair (it had been both)."""
    lines = [
        'u = "https%3A%2F%2Fb.obs.cn-east-3.myhuaweicloud.com%2Fa%3FAccessKeyId%3DKX7QW2MZ9RTB4NC0VHPD%26Expires%3D1"',
        *[f"# note {n}" for n in range(5)],
        "import com.huaweicloud.sdk.vod.VodClient;",
        'config.setAk("0SVEW8WFFNH3JYUQ7N83");',
        *[f"// step {n}" for n in range(4)],
        'config.setSk("ISSLrrkcsoKzJXMCBSZDItCEWa7MN4QRbjCM0OAU");',
    ]
    findings = scan_text("\n".join(lines) + "\n", ruleset)
    assert sorted((f.key_id, f.kind) for f in findings) == [
        ("0SVEW8WFFNH3JYUQ7N83", Kind.PAIR),
        ("KX7QW2MZ9RTB4NC0VHPD", Kind.KEY_ID),
    ]


def test_plain_text_is_left_alone() -> None:
    assert unescape(b"print('%s' % name)  # 100% plain\n") is None
    assert unescape(b"no escapes at all\n") is None


# -- the decoders, fuzzed -------------------------------------------------------------------------------
ESCAPE_SOUP = st.lists(
    st.one_of(
        st.sampled_from(
            [
                b"%",
                b"%2",
                b"%0A",
                b"%0D",
                b"%25",
                b"%2B",
                b"\\u",
                b"\\u000a",
                b"\\u00e9",
                b"\\x",
                b"\\x0a",
                b"\\/",
                b"\\\\",
                b"&#",
                b"&#10;",
                b"&#x1F600;",
                b"&amp;",
                b"&lt;",
                b"&NotEqualTilde;",
                b"=",
                b"=\n",
                b"=\r\n",
                b"=3D",
                b"=0A",
                b"\n",
                b"\r",
                b";",
                b'"',
                b"'",
                b" + ",
                b"@",
                b"65,",
                b"84, ",
                b"126,\n",
                b"9,",
            ]
        ),
        st.binary(max_size=8),
    ),
    max_size=60,
).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(ESCAPE_SOUP)
def test_decoders_never_grow_the_text_or_add_lines(text: bytes) -> None:
    for decode in (join, percent, string_escapes, char_codes, entities, quoted_printable):
        out = decode(text)
        assert len(out) <= len(text)
        assert out.count(b"\n") <= text.count(b"\n")
    result = unescape(text)
    if result is not None:
        out, chain = result
        assert len(out) <= len(text) and out.count(b"\n") <= text.count(b"\n")
        assert 1 <= len(chain.split(">")) <= len(LAYERS)


@settings(max_examples=200, deadline=None)
@given(ESCAPE_SOUP)
def test_quoted_printable_keeps_every_line_number(text: bytes) -> None:
    out = quoted_printable(text)
    if out != text:
        assert out.count(b"\n") == text.count(b"\n")


def test_nesting_is_bounded() -> None:
    text = b"%25" * 3 + b"32" + b"%253D"  # percent-encoded percent signs, many levels deep
    decoded, chain = unescape(text)  # type: ignore[misc]
    assert chain == "percent" and decoded.count(b"%") >= 1  # MAX_ROUNDS levels, not all of them
    assert MAX_ROUNDS == 2


@pytest.mark.parametrize("seed", range(5))
def test_the_engine_survives_escape_soup_around_key_ids(seed: int, ruleset: Ruleset, keys: FakeKeys) -> None:
    rng = random.Random(seed)
    pieces = ["%2B", "\\u002f", "&#43;", "=\n", "=3D", "%0A", "\\x41", keys.aws_id(), keys.alibaba_id()]
    text = "".join(rng.choice(pieces + list(string.ascii_letters)) for _ in range(20000))
    scan_text(text, ruleset)  # finishes; findings or not, nothing breaks


@pytest.mark.parametrize(
    ("escape", "template"),
    [
        ("percent", "u = 'https://ci.example/?aws_access_key_id={i}&aws_secret_access_key={s}'\n"),
        ("escape", '{{"config": "{{\\"aws_access_key_id\\": \\"{i}\\", \\"aws_secret_access_key\\": \\"{s}\\"}}"}}\n'),
    ],
)
def test_a_value_that_begins_inside_an_escape_is_never_a_secret(
    escape: str, template: str, ruleset: Ruleset, keys: FakeKeys
) -> None:
    """A secret whose second character is escaped (``A%2FFaTx…``, ``G\\u002b5GN…``): read raw, the 40
    characters from inside the escape (``2FFaTx…``, ``u002b5GN…``) have the secret's shape and would pair
    with the ID — a second, wrong pair. Only the decoded secret may pair."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    # Where the escape makes the raw fragment exactly a secret's 40 characters: "2F" + 38, "u002f" + 35.
    at = 1 if escape == "percent" else 4
    secret = secret[:at] + "/" + secret[at + 1 :]
    escaped = secret.replace("/", "%2F") if escape == "percent" else secret.replace("/", "\\\\u002f")
    found = scan_text(template.format(i=key_id, s=escaped), ruleset)
    assert [(f.kind, f.key_id, f.secret, f.encoding) for f in found] == [(Kind.PAIR, key_id, secret, escape)]


def test_a_backslash_that_is_no_escape_does_not_hide_a_key(ruleset: Ruleset, keys: FakeKeys) -> None:
    """``KEY=\\LTAI…`` in a .env or shell is the key once the backslash is dropped: only a real escape
    (``\\u002b``, ``\\x2f``, ``\\n`` …) makes a value after a backslash a fragment."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = f"ALIBABA_CLOUD_ACCESS_KEY_ID=\\{key_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET=\\{secret}\n"
    assert [(f.kind, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(Kind.PAIR, key_id, secret)]


def _codes(value: str, separator: str = ",") -> str:
    return separator.join(str(ord(c)) for c in value)


@pytest.mark.parametrize(
    "template",
    [
        # an extension's constants, each array wrapped over two lines
        "const EMBEDDED_ID_CODES = [{i1},\n  {i2}];\nconst EMBEDDED_SECRET_CODES = [{s1},\n  {s2}];\n"
        "const id = String.fromCharCode(...EMBEDDED_ID_CODES);\n",
        # an obfuscator's string table: every character a \\x escape
        "var _0x12ed = ['{xi}', '{xs}'];\nnew OSS({{ accessKeyId: _0x12ed[0], accessKeySecret: _0x12ed[1] }});\n",
        # commented-out Java with every character a \\u escape
        '// String accessKeyId = "{ui}";\n// String accessKeySecret = "{us}";\n',
    ],
    ids=["char-codes", "hex-escapes", "unicode-escapes"],
)
def test_a_key_spelled_out_to_hide_it_is_found(template: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    """Keys hidden on purpose, with nothing else in the file a gate would open on: their anchors' spelled
    forms (LTAI as 76,84,65,73 / \\x4c\\x54\\x41\\x49 / \\u004c…) open it, and the text layers read them."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = template.format(
        i1=_codes(key_id[:12], ", "),
        i2=_codes(key_id[12:], ", "),
        s1=_codes(secret[:15], ", "),
        s2=_codes(secret[15:], ", "),
        xi="".join(f"\\x{ord(c):02x}" for c in key_id),
        xs="".join(f"\\x{ord(c):02X}" for c in secret),
        ui="".join(f"\\u{ord(c):04x}" for c in key_id),
        us="".join(f"\\u{ord(c):04x}" for c in secret),
    )
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]


@pytest.mark.parametrize("count", [CHAR_CODES_MIN - 1, CHAR_CODES_MIN, CHAR_CODES_MIN + 1])
def test_a_run_of_character_codes_at_its_edge(count: int) -> None:
    run = _codes("LTAI5tQ9xZ"[:count])
    decoded = char_codes(f"x = [{run}];".encode())
    assert (decoded == b"x = [" + "LTAI5tQ9xZ"[:count].encode() + b"];") is (count >= CHAR_CODES_MIN)


def test_numbers_that_are_no_character_codes_are_left_alone(ruleset: Ruleset) -> None:
    """A table of numbers (a CSV, a chart's data) holding an anchor's codes among others outside 32-126,
    or a run too short to be a key, decodes to nothing a rule reads."""
    rows = "\n".join(f"65,75,73,65,{n},{n + 300},7,1999" for n in range(40))
    assert scan_text(rows + "\n", ruleset) == []
    assert char_codes(b"pixels = [65,75,73,65, 300, 5]") == b"pixels = [65,75,73,65, 300, 5]"


def test_a_row_of_scores_is_no_array_of_codes(ruleset: Ruleset) -> None:
    """A CSV whose row of scores happens to spell AKIA and 16 capitals: no bracket opens it, so it is not
    read as character codes (it had been reported as an AWS key)."""
    row = "st012,65,75,73,65,80,80,74,67,69,68,88,75,88,73,80,87,70,81,65,71"
    assert scan_text("id,s1,s2,s3\n" + row + "\n", ruleset) == []


def test_an_unrelated_array_of_codes_moves_no_other_finding(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A greeting spelled in codes on the line of an escaped pair: the pair keeps its place and its layer
    (the codes spell no anchor, so the window is not read as codes)."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    escaped = secret.replace("/", "\\u002f").replace("+", "\\u002b")
    text = f'var hi = String.fromCharCode({_codes("hello, world")}); id="{key_id}"; secret="{escaped}";\n'
    [finding] = scan_text(text, ruleset)
    assert (finding.key_id, finding.location.column) == (key_id, text.index(key_id) + 1)
    assert "char-codes" not in (finding.encoding or "")


def test_a_users_rule_spelled_in_codes_is_read(keys: FakeKeys) -> None:
    """The spelled forms come from the rules: a user's key-ID rule whose encoded forms open the gate is read
    from character codes as the bundled ones are (no list of prefixes in the decoding layer)."""
    from akscan.engine.rules import load_ruleset

    table = {
        "id": "acme-key",
        "provider": "acme",
        "kind": "key-id",
        "anchors": ["GWAK"],
        "anchors_case_sensitive": True,
        "base64_opens_gate": True,
        "pattern": "(GWAK[A-Z0-9]{16})",
        "description": "d",
        "remediation": "r",
        "lone_severity": "low",
    }
    ruleset = load_ruleset(inline=((table, "config.toml"),))
    key_id = "GWAK" + "".join(keys.random.choice("ABCDEFGHJKMNPQRSTUVWXYZ23456789") for _ in range(16))
    text = f"const K = String.fromCharCode({_codes(key_id)});\n"
    assert [f.key_id for f in scan_text(text, ruleset) if f.rule_id == "acme-key"] == [key_id]
