"""The access map and `akscan disable` for AWS keys (issue 25), against moto's server on 127.0.0.1 with IAM
authentication on: each request's SigV4 signature is recomputed and each action checked against the
caller's policies, so a read the key may not make is refused as AWS would refuse it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from akscan.model import AccessMap
from akscan.verify import Verifier, VerifyOptions
from akscan.verify.outcome import Credential
from tests.aws_emulator import AwsEmulator, allow
from tests.conftest import run_akscan


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsEmulator]:
    emulator = AwsEmulator().start()
    yield emulator
    emulator.stop()


def mapped(aws: AwsEmulator, credential: Credential) -> tuple[str, AccessMap]:
    options = VerifyOptions(endpoints={"aws": aws.url}, backoff=0.01, timeout=5.0, access_map=True)
    verification = Verifier(options).check(credential)
    assert verification.access is not None, verification
    return str(verification.status), verification.access


def test_a_scoped_user_reads_its_own_policies_and_counts_buckets(aws: AwsEmulator) -> None:
    aws.buckets("scoped-app", "scoped-logs")
    policy = allow("iam:List*", "iam:Get*", "s3:*")
    credential = aws.user("scoped", inline={"read-own": policy})
    status, access = mapped(aws, credential)
    assert status == "live"
    assert (access.identity, access.user, access.administrator, access.can_escalate) == ("user", "scoped", False, False)
    assert access.policies == ("Inline:read-own",)
    assert access.buckets is not None and access.buckets >= 2 and access.users is None
    assert access.unknown == ()


def test_an_administrator_by_a_groups_managed_policy(aws: AwsEmulator) -> None:
    credential = aws.user("ops", groups={"admins": ("arn:aws:iam::aws:policy/AdministratorAccess",)})
    _, access = mapped(aws, credential)
    assert access.administrator and access.can_escalate
    assert access.policies == ("group admins: AWS:AdministratorAccess",)
    assert access.users is not None and access.users >= 2  # the administrator and this user at least


def test_a_customer_policy_that_can_create_keys_is_read_and_escalates(aws: AwsEmulator) -> None:
    arn = aws.policy(
        "key-maker", [{"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:List*", "iam:Get*"], "Resource": "*"}]
    )
    credential = aws.user("builder", managed=(arn,))
    _, access = mapped(aws, credential)
    assert access.policies == ("Customer:key-maker",)
    assert access.administrator is False and access.can_escalate is True
    assert any("iam:createaccesskey" in why for why in access.escalation)
    assert any("buckets" in u and "not permitted to ask" in u for u in access.unknown)


def test_a_key_that_may_read_nothing_is_live_and_its_map_unknown(aws: AwsEmulator) -> None:
    credential = aws.user("nothing")
    status, access = mapped(aws, credential)
    assert status == "live" and access.identity == "user" and access.user == "nothing"
    assert access.administrator is None and access.policies == () and access.buckets is None
    assert {u.split(":")[0] for u in access.unknown} == {"policies", "last use", "buckets"}


def test_a_verified_scan_marks_the_administrator_critical(aws: AwsEmulator, tmp_path: Path) -> None:
    admin = aws.user("ci-admin", managed=("arn:aws:iam::aws:policy/AdministratorAccess",))
    reader = aws.user("ci-reader", inline={"s3": allow("s3:*")})
    for index, credential in enumerate((admin, reader)):
        (tmp_path / f"settings{index}.py").write_text(
            f'AWS_ACCESS_KEY_ID = "{credential.key_id}"\nAWS_SECRET_ACCESS_KEY = "{credential.secret}"\n'
        )
    common = ["--verify", "--access-map", "--endpoint", f"aws={aws.url}", "--format", "json"]
    result = run_akscan("scan", str(tmp_path), *common)
    assert result.code == 1, result.err
    by_key = {f["key_id"]: f for f in json.loads(result.out)["findings"]}
    assert by_key[admin.key_id]["severity"] == "critical"
    assert by_key[admin.key_id]["verification"]["access"]["administrator"] is True
    assert by_key[reader.key_id]["severity"] == "high"
    assert by_key[reader.key_id]["verification"]["access"]["buckets"] >= 0
    assert admin.secret not in result.out and reader.secret not in result.out


def test_disable_switches_the_leaked_aws_key_off_with_the_operators_key(aws: AwsEmulator, tmp_path: Path) -> None:
    assert aws.admin is not None
    leaked = aws.user("leaky", inline={"s3": allow("s3:*")})
    kept = aws.user("kept")
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "deploy.sh").write_text(
        f"export AWS_ACCESS_KEY_ID={leaked.key_id}\nexport AWS_SECRET_ACCESS_KEY={leaked.secret}\n"
    )
    report = tmp_path / "report.json"
    scan = run_akscan(
        "scan",
        str(tmp_path / "repo"),
        "--verify",
        "--endpoint",
        f"aws={aws.url}",
        "--format",
        "json",
        "-o",
        str(report),
    )
    assert scan.code == 1, scan.err
    env = {
        "AWS_ACCESS_KEY_ID": aws.admin.key_id,
        "AWS_SECRET_ACCESS_KEY": aws.admin.secret,
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    record = tmp_path / "record.json"
    common = ["disable", "--from", str(report), "--endpoint", f"aws={aws.url}", "--record", str(record)]
    dry = run_akscan(*common, env=env)
    assert dry.code == 0 and f"UpdateAccessKey UserName=leaky AccessKeyId={leaked.key_id} Status=Inactive" in dry.out
    assert aws.key_status("leaky", leaked.key_id) == "Active"
    result = run_akscan(*common, "--yes", env=env)
    assert result.code == 0, result.out + result.err
    assert aws.key_status("leaky", leaked.key_id) == "Inactive"
    assert aws.key_status("kept", kept.key_id) == "Active"
    written = json.loads(record.read_text())
    assert written["keys"] == [{"provider": "aws", "key_id": leaked.key_id, "user": "leaky", "status": "disabled"}]
    for secret in (leaked.secret, aws.admin.secret):
        assert secret not in result.out + result.err + record.read_text()


def test_akscan_map_reads_an_aws_pair_from_the_environment(aws: AwsEmulator) -> None:
    credential = aws.user("mapper", inline={"own": allow("iam:List*", "iam:Get*")})
    env = {"AWS_ACCESS_KEY_ID": credential.key_id, "AWS_SECRET_ACCESS_KEY": credential.secret}
    result = run_akscan("map", "--endpoint", f"aws={aws.url}", env=env)
    assert result.code == 1, result.err
    assert result.out.startswith(f"aws {credential.key_id}: live\nreaches: RAM/IAM user mapper; 1 policy")
    assert "  policy: Inline:own" in result.out and "  unknown: buckets: AccessDenied" in result.out
    assert credential.secret not in result.out + result.err
