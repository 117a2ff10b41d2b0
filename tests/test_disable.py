"""`akscan disable` (issue 25 item 2): leaked keys switched off — never deleted — with the operator's own
key, against the cloud emulator on 127.0.0.1, which checks every signature with the official signer and
records which key asked to disable which."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from akscan.verify.outcome import Credential
from tests.alibaba_cloud_emulator import CloudEmulator
from tests.conftest import run_akscan
from tests.keys import FakeKeys


@pytest.fixture(autouse=True)
def no_record_left_in_the_checkout() -> Iterator[None]:
    """Every test names where its record goes (or runs elsewhere): none lands in the checkout."""
    from tests.conftest import REPO

    yield
    assert list(REPO.glob("akscan-disable-*.json")) == []


@pytest.fixture
def cloud() -> Iterator[CloudEmulator]:
    emulator = CloudEmulator().start()
    yield emulator
    emulator.stop()


def operator(cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path) -> tuple[Credential, dict[str, str]]:
    """The operator's own key (a RAM user allowed to disable keys) and the environment that carries it, with
    no aliyun CLI profile to fall back on."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    cloud.add_ram_user(key_id, secret, name="security-ops")
    cloud.principal(key_id, operator=True)
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
        "ALIBABA_CLOUD_CONFIG_FILE": str(tmp_path / "no-such-config.json"),
    }
    return Credential("alibaba", key_id, secret), env


def leaked_user(cloud: CloudEmulator, keys: FakeKeys, name: str) -> Credential:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    cloud.add_ram_user(key_id, secret, name=name)
    return Credential("alibaba", key_id, secret)


def verified_report(cloud: CloudEmulator, tmp_path: Path, lines: list[str]) -> Path:
    """A real verified scan's JSON report of a folder holding the given lines."""
    folder = tmp_path / "repo"
    folder.mkdir()
    for index, line in enumerate(lines):
        (folder / f"leak{index}.py").write_text(line + "\n")
    report = tmp_path / "report.json"
    result = run_akscan(
        "scan", str(folder), "--verify", "--endpoint", f"alibaba={cloud.url}", "--format", "json", "-o", str(report)
    )
    assert result.code == 1, result.err
    return report


def status_of(cloud: CloudEmulator, credential: Credential) -> str:
    from akscan.verify import Verifier, VerifyOptions

    options = VerifyOptions(endpoints={"alibaba": cloud.url}, backoff=0.01, timeout=2.0)
    return str(Verifier(options).check(credential).status)


@pytest.fixture
def audit(cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path) -> dict[str, object]:
    """A report with two live RAM-user keys, the account's own key, a temporary key and a dead key."""
    deployer, reader = leaked_user(cloud, keys, "deployer"), leaked_user(cloud, keys, "reader")
    root = Credential("alibaba", keys.alibaba_id(), keys.alibaba_secret())
    cloud.add_root(root.key_id, root.secret)
    sts_id, sts_secret, token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    cloud.add_sts(sts_id, sts_secret, token)
    dead = Credential("alibaba", keys.alibaba_id(), keys.alibaba_secret())
    lines = [f"auth = oss2.Auth('{c.key_id}', '{c.secret}')" for c in (deployer, reader, root, dead)] + [
        f'{{"AccessKeyId": "{sts_id}", "AccessKeySecret": "{sts_secret}", "SecurityToken": "{token}"}}'
    ]
    report = verified_report(cloud, tmp_path, lines)
    cred, env = operator(cloud, keys, tmp_path)
    return {
        "report": report,
        "env": env,
        "operator": cred,
        "deployer": deployer,
        "reader": reader,
        "root": root,
        "sts": Credential("alibaba", sts_id, sts_secret, token),
        "dead": dead,
        "secrets": [deployer.secret, reader.secret, root.secret, sts_secret, token, dead.secret, cred.secret],
    }


def disable(cloud: CloudEmulator, audit: dict[str, object], tmp_path: Path, *extra: str):  # type: ignore[no-untyped-def]
    record = tmp_path / "record.json"
    args = ["disable", "--from", str(audit["report"]), "--endpoint", cloud.url, "--record", str(record), *extra]
    return run_akscan(*args, env=audit["env"]), record  # type: ignore[arg-type]


def test_a_dry_run_sends_nothing_and_says_what_it_would(
    cloud: CloudEmulator, audit: dict[str, object], tmp_path: Path
) -> None:
    operator_key = audit["operator"].key_id  # type: ignore[attr-defined]
    before = len(cloud.log)
    result, record = disable(cloud, audit, tmp_path)
    assert len(cloud.log) == before and cloud.disabled == [] and cloud.writes == []
    for name in ("deployer", "reader"):
        key_id = audit[name].key_id  # type: ignore[attr-defined]
        assert f"would send: UpdateAccessKey UserName={name} UserAccessKeyId={key_id} Status=Inactive" in result.out
    assert "dry run: nothing was sent; add --yes to disable 2 key(s)" in result.out
    assert operator_key[:8] in result.out and operator_key not in result.out
    assert result.code == 1  # the account's own key and the temporary key are refused
    written = json.loads(record.read_text())
    assert written["sent"] is False
    assert sorted(k["status"] for k in written["keys"]) == ["refused", "refused", "would-disable", "would-disable"]


def test_yes_disables_exactly_the_live_ram_user_keys_with_the_operators_key(
    cloud: CloudEmulator, audit: dict[str, object], tmp_path: Path
) -> None:
    deployer, reader, root, sts, dead = (audit[k] for k in ("deployer", "reader", "root", "sts", "dead"))
    operator_key = audit["operator"].key_id  # type: ignore[attr-defined]
    result, record = disable(cloud, audit, tmp_path, "--yes")
    assert result.code == 1, result.out + result.err  # refusals, no failure
    assert sorted(cloud.disabled) == sorted(
        [(operator_key, "deployer", deployer.key_id), (operator_key, "reader", reader.key_id)]  # type: ignore[attr-defined]
    )
    assert cloud.writes == []
    # the leaked keys are now switched off; the others are untouched
    assert status_of(cloud, deployer) == status_of(cloud, reader) == "inactive"  # type: ignore[arg-type]
    assert status_of(cloud, root) == "live" and status_of(cloud, sts) == "live"  # type: ignore[arg-type]
    assert dead.key_id not in result.out  # type: ignore[attr-defined]  # not live: not a target at all
    lines = {line.split(" ")[0].rstrip(":"): line for line in result.out.splitlines()}
    assert lines[deployer.key_id].endswith(": disabled")  # type: ignore[attr-defined]
    assert "refused — the account's own AccessKey is not switched off blind" in lines[root.key_id]  # type: ignore[attr-defined]
    assert "in the console" in lines[root.key_id]  # type: ignore[attr-defined]
    assert "refused — temporary credentials cannot be disabled" in lines[sts.key_id]  # type: ignore[attr-defined]
    written = json.loads(record.read_text())
    assert written["sent"] is True
    assert {k["key_id"]: k["status"] for k in written["keys"]} == {
        deployer.key_id: "disabled",  # type: ignore[attr-defined]
        reader.key_id: "disabled",  # type: ignore[attr-defined]
        root.key_id: "refused",  # type: ignore[attr-defined]
        sts.key_id: "refused",  # type: ignore[attr-defined]
    }
    assert oct(record.stat().st_mode & 0o777) == "0o600"
    # no secret in the output, the record, or on the wire of the disable requests
    everything = result.out + result.err + record.read_text()
    wire = b"".join(entry.raw for entry in cloud.log)
    for secret in audit["secrets"]:  # type: ignore[attr-defined]
        assert secret not in everything and secret.encode() not in wire


def test_a_second_run_finds_the_keys_already_off(
    cloud: CloudEmulator, audit: dict[str, object], tmp_path: Path
) -> None:
    """Disabling is idempotent at the cloud; the report still names the keys, and the outcome says so."""
    first, _ = disable(cloud, audit, tmp_path, "--yes")
    again, _ = disable(cloud, audit, tmp_path, "--yes")
    assert first.code == again.code == 1 and len(cloud.disabled) == 4


def test_an_operator_without_the_permission_fails_each_key_and_exits_2(
    cloud: CloudEmulator, audit: dict[str, object], tmp_path: Path
) -> None:
    cloud.principal(audit["operator"].key_id, operator=False)  # type: ignore[attr-defined]
    result, record = disable(cloud, audit, tmp_path, "--yes")
    assert result.code == 2 and cloud.disabled == []
    assert result.out.count(": failed — NoPermission (HTTP 403)") == 2
    assert {k["status"] for k in json.loads(record.read_text())["keys"]} == {"failed", "refused"}


def test_a_dead_endpoint_fails_and_says_so(audit: dict[str, object], tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    record = tmp_path / "record.json"
    args = ["disable", "--from", str(audit["report"]), "--endpoint", f"http://127.0.0.1:{port}", "--yes"]
    result = run_akscan(*args, "--record", str(record), "--timeout", "1", env=audit["env"])  # type: ignore[arg-type]
    assert result.code == 2 and result.out.count(": failed — no answer") == 2


def test_one_key_by_id_and_user(cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path) -> None:
    leaked = leaked_user(cloud, keys, "build-bot")
    cred, env = operator(cloud, keys, tmp_path)
    common = ["--endpoint", cloud.url, "--record", str(tmp_path / "r.json")]
    missing_user = run_akscan("disable", leaked.key_id, *common, env=env)
    assert missing_user.code == 2 and "KEY_ID needs --user NAME" in missing_user.err
    result = run_akscan("disable", leaked.key_id, "--user", "build-bot", "--yes", *common, env=env)
    assert result.code == 0, result.out + result.err
    assert cloud.disabled == [(cred.key_id, "build-bot", leaked.key_id)]
    own = run_akscan("disable", cred.key_id, "--user", "security-ops", "--yes", *common, env=env)
    assert own.code == 1 and "this is the operator's own key" in own.out and len(cloud.disabled) == 1


def test_the_operator_key_from_the_aliyun_cli_profile(cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path) -> None:
    leaked = leaked_user(cloud, keys, "app")
    cred, _ = operator(cloud, keys, tmp_path)
    config = tmp_path / "config.json"
    profiles = [
        {"name": "default", "mode": "AK", "access_key_id": "LTAI" + "x" * 20, "access_key_secret": "y" * 30},
        {"name": "security", "mode": "AK", "access_key_id": cred.key_id, "access_key_secret": cred.secret},
    ]
    config.write_text(json.dumps({"current": "default", "profiles": profiles}))
    env = {"ALIBABA_CLOUD_CONFIG_FILE": str(config)}
    args = ["disable", leaked.key_id, "--user", "app", "--yes", "--endpoint", cloud.url, "--profile", "security"]
    result = run_akscan(*args, "--record", str(tmp_path / "r.json"), env=env)
    assert result.code == 0, result.out + result.err
    assert cloud.disabled == [(cred.key_id, "app", leaked.key_id)]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "name one key (KEY_ID --user NAME) or a report (--from REPORT.json)"),
        (["--from", "missing.json"], {}, "--from missing.json"),
        (["LTAI" + "c" * 20, "--user", "x"], {"ALIBABA_CLOUD_ACCESS_KEY_ID": ""}, "no operator credentials"),
        (["AKIA" + "C" * 16, "--user", "x"], {}, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or"),
        (["--from", "report.json", "--endpoint", "http://ram.example.com"], {}, "http"),
        (["AKID" + "d" * 32, "--user", "x"], {}, "knows Alibaba and AWS keys only"),
        (["--from", "report.json", "--endpoint", "ftp=x"], {}, "use URL or PROVIDER=URL"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    (tmp_path / "report.json").write_text(json.dumps({"tool": "akscan", "findings": []}))
    base = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI" + "a" * 20,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "b" * 30,
        "ALIBABA_CLOUD_CONFIG_FILE": str(tmp_path / "none.json"),
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    result = run_akscan("disable", *args, env={**base, **env}, cwd=tmp_path)
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1, result.err


@pytest.mark.parametrize("prefix", ["STS.", "ASIA"])
def test_a_temporary_key_is_refused_by_its_shape(
    cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path, prefix: str
) -> None:
    """An AWS session key names its IAM user in its identity; it still cannot be disabled, only waited out."""
    _, env = operator(cloud, keys, tmp_path)
    env = {**env, "AWS_ACCESS_KEY_ID": "AKIA" + "E" * 16, "AWS_SECRET_ACCESS_KEY": "e" * 40}
    key_id = prefix + ("NTaS5G5AzYeOPD6KQxdaFVfdM" if prefix == "STS." else "QWERTYUIOPASDFGH")
    result = run_akscan("disable", key_id, "--user", "alice", "--yes", "--endpoint", cloud.url, env=env, cwd=tmp_path)
    # no --record: the record goes to akscan's cache folder, never the current folder (it may be a repository)
    assert list(tmp_path.glob("akscan-disable-*.json")) == []
    written = result.err.split("record written to ", 1)[1].strip()
    assert Path(written).parent.name == "disable"
    assert json.loads(Path(written).read_text())["keys"][0]["status"] == "refused"
    assert result.code == 1 and "temporary credentials cannot be disabled" in result.out
    assert cloud.disabled == [] and cloud.writes == []


def test_a_report_with_odd_types_is_read_without_harm(cloud: CloudEmulator, keys: FakeKeys, tmp_path: Path) -> None:
    good = leaked_user(cloud, keys, "good")
    live = {"status": "live", "arn": "acs:ram::1:user/good", "identity_type": "RAMUser"}
    findings = [
        {"provider": "alibaba", "key_id": ["LTAIxxxx"], "verification": live},
        {"provider": "alibaba", "key_id": "LTAI" + "q" * 20, "verification": {**live, "arn": ["x"]}},
        {"provider": "alibaba", "key_id": "LTAI" + "r" * 20, "verification": "live"},
        {"provider": "alibaba", "key_id": good.key_id, "verification": live, "path": "a.py", "line": 3},
    ]
    (tmp_path / "odd.json").write_text(json.dumps({"tool": "akscan", "findings": findings}))
    _, env = operator(cloud, keys, tmp_path)
    args = ["disable", "--from", str(tmp_path / "odd.json"), "--yes", "--endpoint", cloud.url]
    result = run_akscan(*args, "--record", str(tmp_path / "r.json"), env=env)
    assert result.code == 1, result.out + result.err  # the key without a known user is refused
    assert [entry[1:] for entry in cloud.disabled] == [("good", good.key_id)]
    assert "its user is not known" in result.out


def test_a_ram_endpoint_that_answers_garbage_fails_each_key_and_keeps_the_record(
    audit: dict[str, object], tmp_path: Path
) -> None:
    from tests.webhook_servers import Garbage

    server = Garbage()
    record = tmp_path / "record.json"
    try:
        args = ["disable", "--from", str(audit["report"]), "--endpoint", f"http://127.0.0.1:{server.port}", "--yes"]
        result = run_akscan(*args, "--record", str(record), env=audit["env"])  # type: ignore[arg-type]
    finally:
        server.stop()
    assert result.code == 2 and result.out.count(": failed — no answer: network error") == 2
    assert sorted(k["status"] for k in json.loads(record.read_text())["keys"]) == [
        "failed",
        "failed",
        "refused",
        "refused",
    ]
