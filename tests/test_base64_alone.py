"""Keys base64-encoded on their own, in files that say nothing else a gate would open on: a Kubernetes
Secret's ``data:`` in a provider's docs, ``b64decode("QUtJQ…")`` written to get past push protection, a
WeChat mini-program's ``wx.base64ToArrayBuffer('QUtJR…')``. The form a value starts with opens the gate
(``base64_opens_gate = "start"``)."""

from __future__ import annotations

import base64
import random

import pytest

from akscan.engine.decode.base64_layer import base64_variants
from akscan.engine.rules import Ruleset
from tests.conftest import scan_text
from tests.keys import FakeKeys


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def test_an_aws_id_alone_in_a_secrets_data(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.aws_id()
    text = f"apiVersion: v1\ndata:\n  attribute.id: {_b64(key_id)}\n  aws_access_key_id: {_b64(key_id)}\nkind: Secret\n"
    [finding] = scan_text(text, ruleset)
    assert (finding.provider, finding.key_id, finding.encoding) == ("aws", key_id, "base64")


def test_an_aws_id_decoded_into_a_presigned_credential(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.aws_id()
    text = f'import base64\n_k = base64.b64decode("{_b64(key_id)}").decode()\nurl = f"?X-Amz-Credential={{_k}}%2F"\n'
    assert [f.key_id for f in scan_text(text, ruleset)] == [key_id]


def test_a_tencent_pair_in_a_mini_programs_array_buffers(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    text = (
        f"var _c = function () {{ return arrayBufferToString(wx.base64ToArrayBuffer('{_b64(key_id)}')); }};\n"
        f"var _k = function () {{ return arrayBufferToString(wx.base64ToArrayBuffer('{_b64(secret)}')); }};\n"
    )
    assert [(f.provider, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [("tencent", key_id, secret)]


def test_the_start_form_inside_a_binary_blob_is_no_key(ruleset: Ruleset, keys: FakeKeys) -> None:
    """QUtJQ where an image's base64 happens to hold it: the gate opens, the decoded layer finds no text."""
    raw = b"AKIA" + bytes(keys.random.getrandbits(8) for _ in range(300))
    assert scan_text(f'icon = "data:image/png;base64,{base64.b64encode(raw).decode()}"\n', ruleset) == []


def _signature(head: int, text: bytes, seed: int) -> str:
    import random

    rng = random.Random(seed)
    return base64.b64encode(bytes(rng.randrange(256) for _ in range(head)) + text).decode()


def test_a_signatures_text_after_its_mac_is_read(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Tencent VOD's upload signature: base64 of HMAC-SHA1's 20 bytes and the text it signs, which holds the
    SecretId. Decoded past the MAC, the ID is reported (alone: the signature holds no secret)."""
    from akscan.engine.decode.base64_layer import decode_run

    key_id = keys.tencent_id()
    text = f"secretId={key_id}&currentTimeStamp=1595817623&expireTime=1595990423&random=515260854".encode()
    for head in (20, 32):  # HMAC-SHA1, HMAC-SHA256
        for seed in range(20):
            assert text in (decode_run(_signature(head, text, seed).encode()) or b"")
    source = f'// the secretKey stays on the server\nString signature = "{_signature(20, text, 1)}";\n'
    assert [(f.rule_id, f.key_id) for f in scan_text(source, ruleset)] == [("tencent-secret-id", key_id)]


def _vod_signature(key_id: str, head: int, seed: int, before: str = "") -> str:
    text = f"{before}secretId={key_id}&currentTimeStamp=1636096412&expireTime=1636182812&random=1982978116"
    return _signature(head, text.encode(), seed)


@pytest.mark.parametrize("head", [20, 32])
def test_a_signature_alone_in_a_file_opens_the_gate(ruleset: Ruleset, keys: FakeKeys, head: int) -> None:
    """An app's setSignature with a pasted VOD upload signature and not one other word the gate knows: the
    form ``secretId=AKID`` takes after the MAC (``signature_opens_gate``) lets the file in, for every MAC."""
    key_id = keys.tencent_id()
    for seed in range(12):
        source = f'videoUpload.setSignature("{_vod_signature(key_id, head, seed)}")\n'
        assert ruleset.gate.scan(source.encode()).open, seed
        assert [(f.rule_id, f.key_id) for f in scan_text(source, ruleset)] == [("tencent-secret-id", key_id)]


@pytest.mark.parametrize("head", range(17, 24))
def test_which_alignments_open_the_gate(ruleset: Ruleset, keys: FakeKeys, head: int) -> None:
    """The form is the one a 20- or 32-byte MAC leaves (``secretId=`` at offset 2 of 3); at offset 0 the ID
    starts a base64 group and its start form (``QUtJR``) opens the gate; at offset 1 nothing does (no MAC
    writes it, and a search for it would cost every blob)."""
    key_id = keys.tencent_id()
    source = f'videoUpload.setSignature("{_vod_signature(key_id, head, 3)}")\n'
    assert ruleset.gate.scan(source.encode()).open == (head % 3 != 1)


def test_a_signature_whose_text_starts_otherwise_may_stay_closed(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Known limit: a signed text that does not begin with ``secretId=`` can put the ID at offset 1 of 3 (here
    after a 17-byte ``vodSubAppId=1500&``), which opens no gate in a file saying nothing else; beside any word
    the gate knows it is decoded and found."""
    key_id = keys.tencent_id()
    signature = _vod_signature(key_id, 20, 5, before="vodSubAppId=1500&")
    assert not ruleset.gate.scan(f'setSignature("{signature}")\n'.encode()).open
    opened = f'// tencent vod: the secret_key stays on the server\nsetSignature("{signature}")\n'
    assert [f.key_id for f in scan_text(opened, ruleset)] == [key_id]


def _upload_auth(keys: FakeKeys, separators: tuple[str, str] = (",", ":")) -> tuple[str, str, str]:
    import json

    key_id, secret, token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    answer = {"SecurityToken": token, "AccessKeyId": key_id, "AccessKeySecret": secret, "Expiration": "3600"}
    return key_id, secret, _b64(json.dumps(answer, separators=separators))


def test_a_vod_upload_auth_alone_in_a_file_is_a_triple(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Alibaba VOD's UploadAuth (a sample response pasted in a comment): base64 of JSON that starts
    '{"SecurityToken":"CAIS…'. That start's form opens the gate (``base64_heads``); decoded, the triple."""
    key_id, secret, auth = _upload_auth(keys)
    source = f'        //{{"VideoId":"8594a98b0a1d40d3",\n        // "UploadAuth":"{auth}",\n'
    assert ruleset.gate.scan(source.encode()).open
    [finding] = scan_text(source, ruleset)
    found = (finding.kind, finding.key_id, finding.secret, finding.encoding)
    assert found == ("sts-credentials", key_id, secret, "base64")


def test_the_heads_form_opens_only_at_a_values_start(ruleset: Ruleset, keys: FakeKeys) -> None:
    """The form is that of the value's first characters: the same JSON after one more byte (another encoder's
    space after the colon) or behind a prefix shifts every character and opens nothing by itself."""
    _, _, spaced = _upload_auth(keys, separators=(", ", ": "))
    assert not ruleset.gate.scan(f'auth = "{spaced}"\n'.encode()).open
    _, _, compact = _upload_auth(keys)
    shifted = _b64("x" + base64.b64decode(compact).decode())
    assert not ruleset.gate.scan(f'auth = "{shifted}"\n'.encode()).open
    assert ruleset.gate.scan(f'auth = "{compact}"\n'.encode()).open


def test_an_upload_address_alone_opens_nothing(ruleset: Ruleset) -> None:
    """The UploadAddress beside it (base64 of the bucket and endpoint) holds no key and opens no gate."""
    address = _b64('{"Endpoint":"https://oss-cn-shanghai.aliyuncs.com","Bucket":"in-2018","FileName":"video/a.mp4"}')
    source = f'// "UploadAddress":"{address}",\n'
    assert not ruleset.gate.scan(source.encode()).open
    assert scan_text(source, ruleset) == []


def _wrapped(value: str, width: int, indent: str = "  ") -> str:
    encoded = _b64(value)
    return "".join(f"{indent}{encoded[i : i + width]}\n" for i in range(0, len(encoded), width))


@pytest.mark.parametrize("width", [60, 64, 76])
def test_a_hard_wrapped_env_file_gives_its_pair_whole(ruleset: Ruleset, keys: FakeKeys, width: int) -> None:
    """`base64 .env` wraps at 76 columns (openssl and PEM at 64): every full line decodes alone, so a key
    crossing a line end came out in halves. The block is decoded as one value; the finding stays on its
    first line, and the lines after it keep their numbers."""
    for pad in range(3):  # the ID's place in the encoded text: a line end falls inside it for some
        key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
        env = "#" * (pad + 40) + f"\nALIBABA_CLOUD_ACCESS_KEY_ID={key_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}\n"
        text = "# restore: echo $ENV_B64 | base64 -d > .env\nenv_b64: |\n" + _wrapped(env, width) + "next: 1\n"
        [finding] = scan_text(text, ruleset)
        assert (finding.key_id, finding.secret, finding.encoding) == (key_id, secret, "base64")
        assert finding.location.line == 3
        assert "next: 1" in text.splitlines()[text.count("\n") - 1]


@pytest.mark.parametrize(
    ("widths", "whole"),
    [
        ((76, 76, 40), True),  # full, full, shorter last line: one block
        ((76, 76), True),  # no short last line
        ((76, 40), False),  # one full line then a short one: two values, not a block
        ((76, 72, 76), False),  # lines of different widths are separate values
    ],
)
def test_what_makes_a_wrapped_block(widths: tuple[int, ...], whole: bool) -> None:
    from akscan.engine.decode.base64_layer import _wrapped_blocks

    rng = random.Random(sum(widths))
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    lines = [b"x: |\n"] + [b"  " + bytes(rng.choice(alphabet) for _ in range(width)) + b"\n" for width in widths]
    assert list(_wrapped_blocks(lines)) == ([(1, 1 + len(widths))] if whole else [])


def test_a_wrapped_blocks_short_padded_last_line_belongs_to_it(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A block's last line may be as short as `Zg==`: left out, the joined value ended a group early and the
    secret at the file's end lost its last character (an attacker's read)."""
    found_whole = 0
    for pad in range(40):
        key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
        env = "#" * pad + f"\nALIBABA_CLOUD_ACCESS_KEY_ID={key_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}\n"
        block = _wrapped(env, 64)
        text = "apiVersion: v1\nkind: Secret\ndata:\n  env: |\n" + block.replace("  ", "    ")
        if not any(form in line for form in base64_variants("LTAI") for line in block.splitlines()):
            continue  # the encoded anchor split by a line end: nothing opens the decoding (a known gap)
        found = [(f.key_id, f.secret) for f in scan_text(text, ruleset)]
        assert found == [(key_id, secret)], (pad, block.splitlines()[-1])
        found_whole += len(block.splitlines()[-1].strip().rstrip("=")) < 4
    assert found_whole  # some of these layouts end on a last line shorter than four characters


def test_a_key_in_a_long_wrapped_block_is_reported_on_its_own_line(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Each decoded line stays on the encoded line its bytes start on: the key twelve lines into a block is
    reported there, not at the block's (or the decoding window's) first line."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    settings = "".join(f"SETTING_{n}=value_{n}_abcdefghijklmnopqrstuvwxyz\n" for n in range(12))
    env = settings + f"ALIBABA_CLOUD_ACCESS_KEY_ID={key_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}\n"
    encoded = _b64(env)
    head = "apiVersion: v1\nkind: Secret\ndata:\n  env: |\n"
    text = head + "".join(f"    {encoded[i : i + 64]}\n" for i in range(0, len(encoded), 64))
    [finding] = scan_text(text, ruleset)
    start = env.index("ALIBABA_CLOUD_ACCESS_KEY_ID")  # the decoded line starts on the encoded line holding it
    assert finding.location.line == head.count("\n") + 1 + start // 48
    assert (finding.key_id, finding.secret) == (key_id, secret)
