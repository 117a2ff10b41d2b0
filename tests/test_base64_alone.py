"""Keys base64-encoded on their own, in files that say nothing else a gate would open on: a Kubernetes
Secret's ``data:`` in a provider's docs, ``b64decode("QUtJQ…")`` written to get past push protection, a
WeChat mini-program's ``wx.base64ToArrayBuffer('QUtJR…')``. The form a value starts with opens the gate
(``base64_opens_gate = "start"``)."""

from __future__ import annotations

import base64

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
