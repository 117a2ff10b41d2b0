"""Tencent Cloud verification: the TC3-HMAC-SHA256 signer against the documented worked example and the
official SDK's signer, and GetCallerIdentity against a real HTTP emulator on 127.0.0.1 that checks
signatures the documented way."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from akscan.verify import Verifier, VerifyOptions, tencent
from akscan.verify.outcome import Credential
from tests.conftest import run_akscan
from tests.keys import FakeKeys

Sign = pytest.importorskip("tencentcloud.common.sign").Sign
from tests.tencent_emulator import TencentEmulator  # noqa: E402 - needs the SDK checked above

DOC_SECRET = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"  # the documentation's example SecretKey, not a key


def test_documented_worked_example() -> None:
    payload = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    canonical = tencent.canonical_request("cvm.tencentcloudapi.com", "application/json; charset=utf-8", payload)
    assert hashlib.sha256(payload).hexdigest().startswith("35e9c5b0")
    assert (
        hashlib.sha256(canonical.encode()).hexdigest()
        == "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    to_sign = tencent.string_to_sign(canonical, 1551113065, "cvm")
    assert tencent.signature(DOC_SECRET, 1551113065, "cvm", to_sign) == (
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


def test_sts_request_vector() -> None:
    canonical = tencent.canonical_request("sts.tencentcloudapi.com", "application/json", b"{}")
    to_sign = tencent.string_to_sign(canonical, 1551113065, "sts")
    assert tencent.signature(DOC_SECRET, 1551113065, "sts", to_sign) == (
        "a57e0b5965cd5cbe673f215d752892b5802377513e104e2d25959f3bdc31eb70"
    )


def test_signer_agrees_with_the_official_sdk() -> None:
    rng = random.Random(4)
    for _ in range(200):
        secret = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))
        timestamp = rng.randint(1_500_000_000, 1_900_000_000)
        date = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d")
        to_sign = tencent.string_to_sign(
            tencent.canonical_request("sts.tencentcloudapi.com", "application/json", b"{}"), timestamp, "sts"
        )
        assert tencent.signature(secret, timestamp, "sts", to_sign) == Sign.sign_tc3(secret, date, "sts", to_sign)


@pytest.fixture
def tc() -> Iterator[TencentEmulator]:
    emulator = TencentEmulator().start()
    yield emulator
    emulator.stop()


def _check(tc: TencentEmulator, credential: Credential) -> object:
    options = VerifyOptions(endpoints={"tencent": tc.url}, backoff=0.01, timeout=2.0)
    return Verifier(options).check(credential)


def test_live_wrong_and_unknown_keys(tc: TencentEmulator, keys: FakeKeys) -> None:
    live, secret = keys.tencent_id(), keys.tencent_secret()
    tc.add_cam_user(live, secret)
    result = _check(tc, Credential("tencent", live, secret))
    assert (result.status, result.identity_type, result.account_id) == ("live", "CAMUser", "100000000001")  # type: ignore[attr-defined]
    assert _check(tc, Credential("tencent", live, keys.tencent_secret())).status == "wrong-secret"  # type: ignore[attr-defined]
    assert _check(tc, Credential("tencent", keys.tencent_id(), secret)).status == "not-found"  # type: ignore[attr-defined]
    assert all(secret.encode() not in raw for raw in tc.log)  # only the signature crossed the wire


def test_temporary_credentials_and_throttling(tc: TencentEmulator, keys: FakeKeys) -> None:
    key_id, secret, token = keys.tencent_id(), keys.tencent_secret(), keys.alibaba_secret() * 3
    tc.add_temporary(key_id, secret, token)
    assert _check(tc, Credential("tencent", key_id, secret, token)).status == "live"  # type: ignore[attr-defined]
    tc.add_temporary(key_id, secret, token, expired=True)
    assert _check(tc, Credential("tencent", key_id, secret, token)).status == "expired"  # type: ignore[attr-defined]
    tc.add_cam_user(key_id, secret)
    tc.throttle_next = 2
    assert _check(tc, Credential("tencent", key_id, secret)).status == "live"  # type: ignore[attr-defined]
    assert len(tc.log) == 5  # two throttled answers retried


def test_scan_verifies_tencent_pairs_and_ranks_the_root_key(
    tmp_path: Path, tc: TencentEmulator, keys: FakeKeys
) -> None:
    root_id, root_secret = keys.tencent_id(), keys.tencent_secret()
    tc.add_root(root_id, root_secret)
    user_id, user_secret = keys.tencent_id(), keys.tencent_secret()
    tc.add_cam_user(user_id, user_secret)
    (tmp_path / "a.env").write_text(f"TENCENTCLOUD_SECRET_ID={root_id}\nTENCENTCLOUD_SECRET_KEY={root_secret}\n")
    (tmp_path / "b.py").write_text(f"cred = credential.Credential('{user_id}', '{user_secret}')\n")
    result = run_akscan("scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", f"tencent={tc.url}")
    assert result.code == 1, result.err
    by_id = {f["key_id"]: f for f in json.loads(result.out)["findings"]}
    assert by_id[root_id]["verification"]["status"] == "live" and by_id[root_id]["severity"] == "critical"
    assert by_id[root_id]["verification"]["identity_type"] == "Account"
    assert by_id[user_id]["verification"]["status"] == "live" and by_id[user_id]["severity"] == "high"


def test_verify_command_reads_tencent_variables(tc: TencentEmulator, keys: FakeKeys) -> None:
    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    tc.add_cam_user(key_id, secret)
    env = {"TENCENTCLOUD_SECRET_ID": key_id, "TENCENTCLOUD_SECRET_KEY": secret}
    result = run_akscan("verify", "--endpoint", f"tencent={tc.url}", env=env)
    assert result.code == 1 and "live" in result.out and secret not in result.out + result.err


def test_an_international_sites_ikid_key_is_found_and_verified(
    tmp_path: Path, tc: TencentEmulator, keys: FakeKeys
) -> None:
    """Keys of Tencent Cloud's international site start IKID (seen with a COS endpoint in Bangkok, through
    the AWS SDK): found, and verified like any SecretId."""
    key_id, secret = "IKID" + keys.tencent_id()[4:], keys.tencent_secret()
    tc.add_cam_user(key_id, secret)
    (tmp_path / "s3.js").write_text(
        'const s3 = new S3({ endpoint: "https://cos.ap-bangkok.myqcloud.com",\n'
        f"  credentials: {{ accessKeyId: '{key_id}', secretAccessKey: '{secret}' }} }});\n"
    )
    result = run_akscan("scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", f"tencent={tc.url}")
    assert result.code == 1, result.err
    [finding] = json.loads(result.out)["findings"]
    assert (finding["provider"], finding["key_id"], finding["verification"]["status"]) == ("tencent", key_id, "live")


def test_an_api_gateway_key_pair_is_found_and_never_sent(tmp_path: Path, tc: TencentEmulator) -> None:
    """Tencent's API gateway and API marketplace issue pairs shaped like CAM keys but longer (AKID + 36, a
    secret of 40): an app that signs its own requests holds them. Found; not asked of STS, which knows CAM
    keys only and would call a live gateway key "not found"."""
    rng = random.Random(40)
    alnum = string.ascii_letters + string.digits
    key_id = "AKID" + "".join(rng.choice(alnum) for _ in range(36))
    secret = "".join(rng.choice(alnum) for _ in range(40))
    (tmp_path / "Api.java").write_text(
        f'private static final String secretId = "{key_id}";\nprivate static final String secretKey = "{secret}";\n'
    )
    result = run_akscan("scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", f"tencent={tc.url}")
    assert result.code == 1, result.err
    [finding] = json.loads(result.out)["findings"]
    assert (finding["key_id"], finding["secret"] is not None, finding["kind"]) == (key_id, True, "pair")
    assert finding["verification"]["status"] == "unverifiable" and "API gateway" in finding["verification"]["reason"]
    assert tc.log == []


def _gateway_pair(seed: int, secret_length: int = 40) -> tuple[str, str]:
    rng = random.Random(seed)
    alnum = string.ascii_letters + string.digits
    key_id = "AKID" + "".join(rng.choice(alnum) for _ in range(36))
    return key_id, "".join(rng.choice(alnum) for _ in range(secret_length))


@pytest.mark.parametrize("secret_length", [39, 40])
def test_verify_command_never_sends_an_api_gateway_pair(tc: TencentEmulator, secret_length: int) -> None:
    """`akscan verify` with a gateway pair in the environment: the rule that finds such pairs says STS cannot
    judge them, so nothing is sent and the answer is inconclusive (exit 2), never "not found" (exit 0)."""
    key_id, secret = _gateway_pair(41, secret_length)
    env = {"TENCENTCLOUD_SECRET_ID": key_id, "TENCENTCLOUD_SECRET_KEY": secret}
    result = run_akscan("verify", "--format", "json", "--endpoint", f"tencent={tc.url}", env=env)
    assert result.code == 2, result.out + result.err
    body = json.loads(result.out)
    assert body["status"] == "unverifiable" and "API gateway" in body["reason"] and "nothing was sent" in body["reason"]
    assert tc.log == [] and secret not in result.out + result.err


@pytest.mark.parametrize("secret_length", [32, 41])
def test_verify_command_sends_an_akid_36_with_a_secret_of_another_length(
    tc: TencentEmulator, secret_length: int
) -> None:
    """Only the gateway's whole shape (its secret too) is held back: an AKID + 36 beside a 32- or 41-character
    secret is asked of STS like any SecretId (here: unknown to it, so not live)."""
    key_id, secret = _gateway_pair(42, secret_length)
    env = {"TENCENTCLOUD_SECRET_ID": key_id, "TENCENTCLOUD_SECRET_KEY": secret}
    result = run_akscan("verify", "--endpoint", f"tencent={tc.url}", env=env)
    assert result.code == 0, result.out + result.err
    assert "unverifiable" not in result.out and len(tc.log) == 1
