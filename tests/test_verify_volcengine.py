"""Volcengine verification: the signer against the official SDK's, and GetCallerIdentity against a real
HTTP emulator on 127.0.0.1 that re-signs what it receives with the SDK's own functions."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from akscan.verify import Verifier, VerifyOptions, volcengine
from akscan.verify.outcome import Credential
from tests.conftest import run_akscan

SignerV4 = pytest.importorskip("volcengine.auth.SignerV4").SignerV4
from tests.volcengine_emulator import VolcengineEmulator  # noqa: E402 - needs the SDK checked above


def _pair(rng: random.Random) -> tuple[str, str]:
    hexes = "0123456789abcdef"
    key_id = "AKLT" + base64.urlsafe_b64encode("".join(rng.choice(hexes) for _ in range(35)).encode()).decode().rstrip(
        "="
    )
    return key_id, base64.b64encode("".join(rng.choice(hexes) for _ in range(40)).encode()).decode()


def test_signing_key_and_canonical_request_agree_with_the_sdk() -> None:
    from volcengine.auth.MetaData import MetaData
    from volcengine.base.Request import Request

    rng = random.Random(9)
    for _ in range(100):
        secret = "".join(rng.choice(string.ascii_letters + string.digits + "+/=") for _ in range(56))
        date = f"20{rng.randint(20, 30)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        assert volcengine.signing_key(secret, date) == SignerV4.get_signing_secret_key_v4(
            secret, date, "cn-beijing", "sts"
        )
        x_date = date + "T" + f"{rng.randint(0, 23):02d}0000Z"
        headers = {
            "Host": "sts.volcengineapi.com",
            "X-Date": x_date,
            "X-Content-Sha256": hashlib.sha256(b"").hexdigest(),
        }
        ours, _ = volcengine.canonical_request("GET", "/", volcengine.QUERY, headers, b"")
        request = Request()
        request.method, request.path, request.query, request.body = "GET", "/", dict(volcengine.QUERY), b""
        request.headers = {"Host": headers["Host"], "X-Date": x_date}
        assert hashlib.sha256(ours.encode()).hexdigest() == SignerV4.hashed_canonical_request_v4(request, MetaData())


@pytest.fixture
def volc() -> Iterator[VolcengineEmulator]:
    emulator = VolcengineEmulator().start()
    yield emulator
    emulator.stop()


def _check(volc: VolcengineEmulator, credential: Credential) -> object:
    return Verifier(VerifyOptions(endpoints={"volcengine": volc.url}, backoff=0.01, timeout=2.0)).check(credential)


def test_live_wrong_and_unknown_keys(volc: VolcengineEmulator) -> None:
    rng = random.Random(1)
    key_id, secret = _pair(rng)
    volc.add_user(key_id, secret)
    live = _check(volc, Credential("volcengine", key_id, secret))
    assert (live.status, live.identity_type, live.account_id) == ("live", "User", "2100000001")  # type: ignore[attr-defined]
    assert _check(volc, Credential("volcengine", key_id, _pair(rng)[1])).status == "wrong-secret"  # type: ignore[attr-defined]
    assert _check(volc, Credential("volcengine", _pair(rng)[0], secret)).status == "not-found"  # type: ignore[attr-defined]
    assert all(secret.encode() not in raw for raw in volc.log)


def test_scan_verifies_volcengine_and_ranks_the_account_key(tmp_path: Path, volc: VolcengineEmulator) -> None:
    rng = random.Random(2)
    root_id, root_secret = _pair(rng)
    volc.add_account(root_id, root_secret)
    (tmp_path / "app.env").write_text(f"VOLCENGINE_ACCESS_KEY={root_id}\nVOLCENGINE_SECRET_KEY={root_secret}\n")
    result = run_akscan("scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", f"volcengine={volc.url}")
    (finding,) = json.loads(result.out)["findings"]
    assert finding["verification"]["status"] == "live" and finding["severity"] == "critical"
    assert finding["verification"]["identity_type"] == "Account"
    env = {"VOLCENGINE_ACCESS_KEY": root_id, "VOLCENGINE_SECRET_KEY": root_secret}
    single = run_akscan("verify", "--endpoint", f"volcengine={volc.url}", env=env)
    assert single.code == 1 and "live" in single.out and root_secret not in single.out + single.err
