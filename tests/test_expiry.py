"""STS lifetimes: temporary credentials found with their ``Expiration`` say when they end; expired ones
drop to info and cost no verification request; valid ones say how long they remain usable."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from akscan.engine.expiry import apply_expiry, describe, parse
from akscan.engine.rules import Ruleset
from akscan.model import Kind, Severity
from tests.conftest import run_akscan, scan_text
from tests.keys import FakeKeys
from tests.sts_emulator import Emulator


def _iso(delta: dt.timedelta) -> str:
    return (dt.datetime.now(dt.timezone.utc) + delta).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _assume_role_answer(keys: FakeKeys, expiration: str) -> tuple[str, dict]:
    key_id = keys.sts_id()
    answer = {
        "RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F",
        "AssumedRoleUser": {
            "Arn": "acs:ram::123456789012****:role/deployer/alice",
            "AssumedRoleId": "34458433936495****:alice",
        },
        "Credentials": {
            "SecurityToken": keys.sts_token(),
            "AccessKeyId": key_id,
            "AccessKeySecret": keys.sts_secret(),
            "Expiration": expiration,
        },
    }
    return key_id, answer


@pytest.mark.parametrize("hours", [-30, 5])
def test_an_assume_role_answer_reports_its_expiration(hours: int, tmp_path: Path, keys: FakeKeys) -> None:
    expiration = _iso(dt.timedelta(hours=hours))
    key_id, answer = _assume_role_answer(keys, expiration)
    (tmp_path / "assume-role.json").write_text(json.dumps(answer, indent=2))
    document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)
    (finding,) = document["findings"]
    assert finding["kind"] == "sts-credentials" and finding["key_id"] == key_id
    assert finding["expires_at"] == expiration
    if hours < 0:
        assert finding["expired"] is True and finding["severity"] == "info"
        assert -31 * 3600 < finding["expires_in_seconds"] < -29 * 3600
    else:
        assert finding["expired"] is False and finding["severity"] == "medium"
        assert 4 * 3600 < finding["expires_in_seconds"] <= 5 * 3600
    text = run_akscan("scan", str(tmp_path), "--no-color").out
    assert (
        ("expired " + expiration in text and "no longer usable" in text)
        if hours < 0
        else (f"valid until {expiration}: still usable for 5.0 h" in text or "still usable for 4.9 h" in text)
    )


@pytest.fixture
def sts() -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()


def test_an_expired_token_is_never_sent_to_sts(tmp_path: Path, keys: FakeKeys, sts: Emulator) -> None:
    key_id, answer = _assume_role_answer(keys, _iso(dt.timedelta(days=-3)))
    credentials = answer["Credentials"]
    sts.add_sts(key_id, credentials["AccessKeySecret"], credentials["SecurityToken"])
    (tmp_path / "log.json").write_text(json.dumps(answer))
    result = run_akscan("scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", f"alibaba={sts.url}")
    (finding,) = json.loads(result.out)["findings"]
    assert finding["verification"]["status"] == "expired" and "no request sent" in finding["verification"]["reason"]
    assert sts.log == [] and finding["severity"] == "info"


def test_aws_session_credentials_with_expiration(ruleset: Ruleset, keys: FakeKeys) -> None:
    rng = random.Random(2)
    body = bytes(rng.getrandbits(8) for _ in range(300))
    token = base64.b64encode(b"!\n\torigin_ec" + body).decode()
    key_id, secret = keys.aws_id("ASIA"), keys.aws_secret()
    answer = {
        "Credentials": {
            "AccessKeyId": key_id,
            "SecretAccessKey": secret,
            "SessionToken": token,
            "Expiration": "2026-11-29T18:21:54+00:00",
        }
    }
    (finding,) = scan_text(json.dumps(answer, indent=4), ruleset)
    assert (finding.key_id, finding.security_token, finding.expires_at) == (key_id, token, "2026-11-29T18:21:54+00:00")


def test_a_long_lived_pair_has_no_expiration_even_next_to_one(ruleset: Ruleset, keys: FakeKeys) -> None:
    text = f"access_key_id = {keys.alibaba_id()}\naccess_key_secret = {keys.alibaba_secret()}\n"
    text += "expiration = 2020-01-01T00:00:00Z\n"
    (finding,) = scan_text(text, ruleset)
    assert finding.kind == Kind.PAIR and finding.expires_at is None


def test_expiry_arithmetic(ruleset: Ruleset, keys: FakeKeys) -> None:
    now = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.timezone.utc)
    assert parse("2026-11-29 13:00:00") == now + dt.timedelta(hours=1)
    assert parse("2026-11-29T20:00:00+08:00") == now
    assert parse("not a date") is None
    assert (describe(3 * 86400), describe(5 * 3600 + 720), describe(-600)) == ("3 days", "5.2 h", "10 min")
    _, answer = _assume_role_answer(keys, "2026-11-29T11:00:00Z")
    (finding,) = scan_text(json.dumps(answer), ruleset)
    (aged,) = apply_expiry([finding], now)
    assert aged.expires_in == -3600 and aged.severity == Severity.INFO
