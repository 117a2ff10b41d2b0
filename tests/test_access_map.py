"""The access map (issue 25): for each live Alibaba key, read-only questions the key itself answers — who it
is, its policies, whether it is an administrator or can escalate, its last use, what it reaches — against
an emulator on 127.0.0.1 that checks every signature with the official SDKs' signers and refuses (and
counts) anything that would change something."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from akscan.model import Severity
from akscan.respond.access import MAX_REQUESTS, judge
from akscan.verify import Verifier, VerifyOptions
from akscan.verify.outcome import Credential
from tests.alibaba_cloud_emulator import CloudEmulator
from tests.conftest import run_akscan
from tests.keys import FakeKeys


@pytest.fixture
def cloud() -> Iterator[CloudEmulator]:
    emulator = CloudEmulator().start()
    yield emulator
    emulator.stop()


def mapped(cloud: CloudEmulator, credential: Credential, **options: object):  # type: ignore[no-untyped-def]
    settings = {"endpoints": {"alibaba": cloud.url}, "backoff": 0.01, "timeout": 2.0, "access_map": True, **options}
    return Verifier(VerifyOptions(**settings)).check(credential)  # type: ignore[arg-type]


def user(cloud: CloudEmulator, keys: FakeKeys, name: str = "deployer", **principal: object) -> Credential:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    cloud.add_ram_user(key_id, secret, name=name)
    cloud.principal(key_id, **principal)
    return Credential("alibaba", key_id, secret)


def test_a_scoped_user_is_mapped_and_stays_high(cloud: CloudEmulator, keys: FakeKeys) -> None:
    credential = user(
        cloud,
        keys,
        policies=[("System", "AliyunOSSReadOnlyAccess"), ("Custom", "app-bucket")],
        documents={
            "app-bucket": {"Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "acs:oss:*:*:app/*"}]}
        },
        buckets=[("app", "oss-cn-hangzhou"), ("logs", "oss-cn-shanghai")],
        amqp=1,
        ecs={"cn-hangzhou": 3, "cn-beijing": 1},
    )
    verification = mapped(cloud, credential)
    access = verification.access
    assert access is not None and verification.status == "live"
    assert (access.identity, access.user, access.administrator, access.can_escalate) == (
        "user",
        "deployer",
        False,
        False,
    )
    assert access.policies == ("System:AliyunOSSReadOnlyAccess", "Custom:app-bucket")
    assert (access.buckets, access.bucket_regions) == (2, ("oss-cn-hangzhou", "oss-cn-shanghai"))
    assert (access.amqp_instances, access.instances) == (1, 4)
    assert access.last_used == "2026-12-01T09:30:00Z" and access.users is None and access.unknown == ()
    assert cloud.writes == []


def test_an_administrator_by_a_groups_policy_is_critical(cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path) -> None:
    credential = user(cloud, keys, groups={"admins": [("System", "AdministratorAccess")]}, users=7)
    access = mapped(cloud, credential).access
    assert access is not None and access.administrator and access.can_escalate
    assert access.policies == ("group admins: System:AdministratorAccess",) and access.users == 7


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ({"Effect": "Allow", "Action": ["ram:CreateAccessKey"], "Resource": "*"}, "ram:createaccesskey on *"),
        ({"Effect": "Allow", "Action": "ram:Attach*", "Resource": "*"}, "ram:attach* on *"),
        ({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}, "sts:assumerole on *"),
    ],
)
def test_a_user_who_can_escalate_is_critical(cloud: CloudEmulator, keys: FakeKeys, statement: dict, why: str) -> None:
    credential = user(cloud, keys, policies=[("Custom", "ops")], documents={"ops": {"Statement": [statement]}})
    access = mapped(cloud, credential).access
    assert access is not None and access.can_escalate and not access.administrator
    assert any(reason.startswith(why) for reason in access.escalation), access.escalation


def test_a_deny_or_a_scoped_resource_does_not_escalate() -> None:
    scoped = {"Statement": [{"Effect": "Allow", "Action": "ram:CreateAccessKey", "Resource": "acs:ram:*:*:user/self"}]}
    denied = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    assert judge([("Custom:a", scoped), ("Custom:b", denied)]) == (False, False, ())
    assert judge([("Custom:c", json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}))])[0]


def test_the_accounts_own_key(cloud: CloudEmulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    cloud.add_root(key_id, secret)
    cloud.principal(key_id, users=12, buckets=[("b", "oss-cn-hangzhou")])
    access = mapped(cloud, Credential("alibaba", key_id, secret)).access
    assert access is not None and (access.identity, access.administrator, access.users, access.buckets) == (
        "account",
        True,
        12,
        1,
    )


def test_what_it_may_not_ask_is_unknown_never_an_error(cloud: CloudEmulator, keys: FakeKeys) -> None:
    credential = user(cloud, keys, denied={"ListPoliciesForUser", "oss:ListBuckets", "GetAccessKeyLastUsed"}, amqp=2)
    verification = mapped(cloud, credential)
    access = verification.access
    assert verification.status == "live" and access is not None
    assert access.administrator is None and access.buckets is None and access.last_used is None
    assert access.amqp_instances == 2 and access.instances == 0
    assert [u.split(":")[0] for u in access.unknown] == ["policies", "last use", "buckets"]
    assert all("not permitted to ask" in u for u in access.unknown)


def test_throttling_and_a_5xx_are_retried(cloud: CloudEmulator, keys: FakeKeys) -> None:
    credential = user(cloud, keys, buckets=[("a", "oss-cn-hangzhou")])
    cloud.behaviour.throttle_next = 2
    verification = mapped(cloud, Credential("alibaba", credential.key_id, credential.secret))
    assert verification.access is not None and verification.access.unknown == ()
    cloud.fail_next = 2
    again = mapped(cloud, credential)
    assert again.access is not None and again.access.unknown == () and again.access.buckets == 1


def test_a_slow_service_costs_its_timeout_and_is_unknown(cloud: CloudEmulator, keys: FakeKeys) -> None:
    credential = user(cloud, keys)
    fast = Verifier(VerifyOptions(endpoints={"alibaba": cloud.url}, timeout=2.0)).check(credential)
    assert fast.status == "live"
    slow = CloudEmulator().start()
    try:
        slow.add_ram_user(credential.key_id, credential.secret)
        slow.behaviour.delay = 0.6
        options = {"alibaba": cloud.url, "alibaba-ram": slow.url, "alibaba-ecs": slow.url}
        started = time.monotonic()
        access = mapped(cloud, credential, endpoints=options, timeout=0.3, retries=0).access
        assert time.monotonic() - started < 5
    finally:
        slow.stop()
    assert access is not None and access.policies == () and access.instances is None
    assert any(u.startswith("policies: no answer") for u in access.unknown)


@pytest.mark.parametrize("throttled", [0, 3])
def test_at_most_twenty_requests_per_key_and_no_secret_on_the_wire(
    cloud: CloudEmulator, keys: FakeKeys, throttled: int
) -> None:
    """Twenty requests in all, the identity check's tries included (throttled three times, it took four)."""
    credential = user(
        cloud,
        keys,
        groups={f"g{i}": [("Custom", f"p{i}")] for i in range(6)},
        policies=[("System", "AdministratorAccess"), *(("Custom", f"own{i}") for i in range(6))],
    )
    cloud.behaviour.throttle_next = throttled
    access = mapped(cloud, credential).access
    assert access is not None and access.requests <= MAX_REQUESTS
    assert len(cloud.actions_of(credential.key_id)) <= MAX_REQUESTS
    assert any("not read" in u or "not asked" in u for u in access.unknown)
    assert not any(credential.secret.encode() in entry.raw for entry in cloud.log)
    assert cloud.writes == []


def test_a_verified_scan_shows_the_map(cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path) -> None:
    admin = user(cloud, keys, name="ci-admin", policies=[("System", "AdministratorAccess")], users=3)
    scoped = user(cloud, keys, name="reader", policies=[("System", "AliyunOSSReadOnlyAccess")], amqp=1)
    for index, credential in enumerate((admin, scoped)):
        (tmp_path / f"app{index}.py").write_text(f"auth = oss2.Auth('{credential.key_id}', '{credential.secret}')\n")
    common = ["--verify", "--access-map", "--endpoint", f"alibaba={cloud.url}"]
    result = run_akscan("scan", str(tmp_path), "--format", "json", *common)
    assert result.code == 1, result.err
    by_key = {f["key_id"]: f for f in json.loads(result.out)["findings"]}
    assert by_key[admin.key_id]["severity"] == "critical"
    assert by_key[admin.key_id]["verification"]["access"]["administrator"] is True
    assert by_key[scoped.key_id]["severity"] == "high"
    assert by_key[scoped.key_id]["verification"]["access"]["amqp_instances"] == 1
    text = run_akscan("scan", str(tmp_path), *common)
    assert "reaches: RAM/IAM user ci-admin; ADMINISTRATOR" in text.out and "reaches: RAM/IAM user reader" in text.out
    assert admin.secret not in text.out and cloud.writes == []


def test_severity_from_the_map() -> None:
    from akscan.model import AccessMap
    from akscan.respond.access import severity

    assert severity(AccessMap("user", administrator=False, can_escalate=False), Severity.MEDIUM) == Severity.HIGH
    assert severity(AccessMap("user", can_escalate=True), Severity.HIGH) == Severity.CRITICAL
    assert severity(AccessMap("account"), Severity.HIGH) == Severity.CRITICAL


def test_akscan_map_reads_the_pair_from_stdin(cloud: CloudEmulator, keys: FakeKeys) -> None:
    credential = user(
        cloud, keys, name="ops", policies=[("System", "AliyunRAMFullAccess")], buckets=[("a", "oss-cn-hangzhou")]
    )
    pair = f"{credential.key_id}\n{credential.secret}\n".encode()
    result = run_akscan("map", "--stdin", "--endpoint", f"alibaba={cloud.url}", "--format", "json", input=pair)
    assert result.code == 1, result.err
    body = json.loads(result.out)
    assert body["status"] == "live" and body["access"]["can_escalate"] is True and body["access"]["buckets"] == 1
    assert credential.secret not in result.out
    text = run_akscan("map", "--stdin", "--endpoint", f"alibaba={cloud.url}", input=pair)
    assert (
        "reaches: RAM/IAM user ops; can escalate (ram:* on *" in text.out
        and "policy: System:AliyunRAMFullAccess" in text.out
    )
    dead = run_akscan(
        "map",
        "--stdin",
        "--endpoint",
        f"alibaba={cloud.url}",
        input=f"{keys.alibaba_id()}\n{keys.alibaba_secret()}\n".encode(),
    )
    assert dead.code == 0 and "not-found" in dead.out
    assert cloud.writes == []


def test_access_map_needs_verify(tmp_path: Path) -> None:
    result = run_akscan("scan", str(tmp_path), "--access-map")
    assert result.code == 2 and "--access-map maps live keys: add --verify" in result.err


def test_every_report_carries_the_map(cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path) -> None:
    """SARIF properties, the markdown summary's status cell, the HTML table's Reaches column and the key's
    panel (escaped: a policy name is the cloud's text)."""
    credential = user(
        cloud, keys, name="ci", policies=[("Custom", "<b>ops</b>")], documents={"<b>ops</b>": {"Statement": []}}
    )
    (tmp_path / "app.py").write_text(f"auth = oss2.Auth('{credential.key_id}', '{credential.secret}')\n")
    common = ["--verify", "--access-map", "--endpoint", f"alibaba={cloud.url}"]
    sarif = json.loads(run_akscan("scan", str(tmp_path), "--format", "sarif", *common).out)
    properties = sarif["runs"][0]["results"][0]["properties"]
    assert properties["access"]["user"] == "ci" and properties["access"]["policies"] == ["Custom:<b>ops</b>"]
    markdown = run_akscan("scan", str(tmp_path), "--format", "markdown", *common).out
    assert "reaches: RAM/IAM user ci; 1 policy" in markdown
    html = run_akscan("scan", str(tmp_path), "--format", "html", *common).out
    assert "<th>Reaches</th>" in html and "RAM/IAM user ci; 1 policy" in html
    assert "policy <span class=mono>Custom:&lt;b&gt;ops&lt;/b&gt;</span>" in html and "<b>ops</b>" not in html


def test_a_fleet_maps_each_live_key_once(
    cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path, dask_scheduler: str
) -> None:
    """--access-map on a fleet (a LocalCluster): the map is in each credential's verification, the
    administrator is critical, and the fleet's report and results hold no secret."""
    pytest.importorskip("distributed")
    from tests.gitrepo import Repo

    admin = user(cloud, keys, name="fleet-admin", policies=[("System", "AdministratorAccess")], users=2)
    scoped = user(cloud, keys, name="fleet-reader", policies=[("System", "AliyunOSSReadOnlyAccess")])
    paths = []
    for index, credential in enumerate((admin, scoped)):
        repo = Repo(tmp_path / f"r{index}")
        repo.commit("c", app_py=f"auth = oss2.Auth('{credential.key_id}', '{credential.secret}')\n")
        paths.append(str(repo.path))
    args = [
        "fleet",
        *paths,
        "--scheduler",
        dask_scheduler,
        "--results",
        str(tmp_path / "results"),
        "--format",
        "json",
        "-q",
    ]
    result = run_akscan(*args, "--verify", "--access-map", "--endpoint", f"alibaba={cloud.url}", process=True)
    assert result.code == 1, result.err
    by_key = {f["key_id"]: f for f in json.loads(result.out)["findings"]}
    assert by_key[admin.key_id]["severity"] == "critical"
    assert by_key[admin.key_id]["verification"]["access"]["users"] == 2
    assert by_key[scoped.key_id]["verification"]["access"]["policies"] == ["System:AliyunOSSReadOnlyAccess"]
    stored = "".join(p.read_text() for p in (tmp_path / "results").glob("*.json"))
    assert admin.secret not in result.out + stored and cloud.writes == []


def test_an_answer_of_the_wrong_shape_costs_one_step_not_the_map(cloud: CloudEmulator, keys: FakeKeys) -> None:
    """A count that is not a number: that region is unknown; the administrator is still critical."""
    credential = user(
        cloud, keys, policies=[("System", "AdministratorAccess")], ecs={"cn-hangzhou": "abc", "cn-beijing": 2}
    )
    verification = mapped(cloud, credential)
    access = verification.access
    assert access is not None and access.administrator and access.instances == 2
    assert "ECS instances in cn-hangzhou: an answer of an unexpected shape" in access.unknown


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_an_xml_answer_that_declares_entities_is_refused_in_any_encoding(encoding: str) -> None:
    from akscan.respond.asking import NotAnswered, parse_xml

    laughs = '<?xml version="1.0" encoding="{}"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]><r>&a;</r>'
    with pytest.raises(NotAnswered, match="not OSS's"):
        parse_xml(laughs.format(encoding).encode(encoding), "OSS")
    plain = f'<?xml version="1.0" encoding="{encoding}"?><r><Bucket/></r>'.encode(encoding)
    assert [e.tag for e in parse_xml(plain, "OSS").iter()] == ["r", "Bucket"]
