"""A value read as a key ID by its place alone (a call's first quoted argument, no name of its own) is not an ID
when the text binds it to a secret's name nearby: a signing call's key argument below the pair's assignments
(``hmac_sha1('<SK>', …)``), planted or ordinary, must not make the SecretKey an ID and leave its AccessKey
alone."""

from __future__ import annotations

import pytest

from akscan.engine.candidates import SECRET_ELSEWHERE
from akscan.engine.rules import load_ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys
from tests.rule_shapes import URLSAFE

RULES = load_ruleset()


def _qiniu(keys: FakeKeys) -> str:
    return keys._text(40, URLSAFE)


def _pairs(findings: list) -> set[tuple[str, str]]:
    return {(f.key_id, f.secret) for f in findings if f.kind == Kind.PAIR}


@pytest.mark.parametrize(
    "call",
    [
        "assert hmac_sha1('{sk}', '{ak}')",
        "signature = sign('{sk}', '{other}')",
        "cache.put(('{sk}', '{other}'))",
    ],
)
def test_a_named_secret_as_a_calls_first_argument_stays_the_secret(keys: FakeKeys, call: str) -> None:
    ak, sk, other = _qiniu(keys), _qiniu(keys), _qiniu(keys)
    text = (
        f"import qiniu\naccess_key = '{ak}'\nsecret_key = '{sk}'\nq = qiniu.Auth(access_key, secret_key)\n"
        + call.format(ak=ak, sk=sk, other=other)
        + "\n"
    )
    found = scan_text(text, RULES)
    assert _pairs(found) == {(ak, sk)}, [(f.rule_id, f.kind, f.key_id, f.secret) for f in found]
    assert all(f.key_id != sk for f in found)


@pytest.mark.parametrize(("extra", "kept"), [(-1, True), (0, True), (1, False)])
def test_the_secrets_name_is_read_within_its_reach(keys: FakeKeys, extra: int, kept: bool) -> None:
    """The named copy must start within ``SECRET_ELSEWHERE`` bytes before the positional value: at the limit
    the pair stands; one byte farther the call's first argument is read as an ID again (and takes the SK)."""
    ak, sk, other = _qiniu(keys), _qiniu(keys), _qiniu(keys)
    head = f"import qiniu\naccess_key = '{ak}'\nsecret_key = '{sk}'\nq = qiniu.Auth(access_key, secret_key)\n"
    call = f"# qiniu signing\nsign('{sk}', '{other}')\n"  # Qiniu's word beside the call: it is read either way
    named_at = head.index(sk)
    # The positional copy starts after head, pad and the call's head: SECRET_ELSEWHERE + extra bytes from the named one.
    pad_length = SECRET_ELSEWHERE + extra - (len(head) - named_at) - call.index(sk)
    text = head + "#" * (pad_length - 1) + "\n" + call
    assert text.rindex(sk) - named_at == SECRET_ELSEWHERE + extra
    assert ((ak, sk) in _pairs(scan_text(text, RULES))) == kept


def test_a_positional_pair_with_no_names_elsewhere_is_read(keys: FakeKeys) -> None:
    """The content-review sample's own shape: both values only in the call."""
    ak, sk = _qiniu(keys), _qiniu(keys)
    text = f'import com.qiniu.common.QiniuException;\nVideoPulp vp = new VideoPulp("{ak}", "{sk}", "gebo", p);\n'
    assert _pairs(scan_text(text, RULES)) == {(ak, sk)}


@pytest.mark.parametrize(
    "planted",
    [
        "# secret_key = '{ak}'",  # commented: another depth than the call
        "secret_key = '{ak}'",  # named a secret, but no ID named beside it
        "secret_key = '{ak}x'",  # a longer value's head: not the value
        "secret_key = 'x{ak}'",
    ],
)
def test_a_planted_secret_name_does_not_silence_a_positional_pair(keys: FakeKeys, planted: str) -> None:
    """A stranger's line binding the positional ID's value (or a longer one holding it) to a secret's name,
    with no ID of its own beside it, leaves the call's pair as it was."""
    ak, sk = _qiniu(keys), _qiniu(keys)
    text = f"import qiniu\nq = qiniu.Auth('{ak}', '{sk}')\n" + planted.format(ak=ak) + "\n"
    assert (ak, sk) in _pairs(scan_text(text, RULES)), text


@pytest.mark.parametrize(
    ("call", "planted"),
    [
        ('c = new BasicAWSCredentials("{i}", "{s}");', '// secretKey = "{i}X"'),
        ('c = new BasicAWSCredentials("{i}", "{s}");', 'secretKey = "{i}"'),
    ],
)
def test_a_prefixed_id_is_never_a_named_secret(keys: FakeKeys, call: str, planted: str) -> None:
    """An ID with a prefix of its own (AKIA…) is never its pair's secret: no name elsewhere makes it one."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    text = call.format(i=key_id, s=secret) + "\n" + planted.format(i=key_id) + "\n"
    assert (key_id, secret) in _pairs(scan_text(text, RULES)), text
