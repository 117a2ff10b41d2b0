"""Live verification against a real HTTP STS emulator on 127.0.0.1 (Alibaba) and moto's server with
request authentication on (AWS)."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from akscan.engine.detect import detect
from akscan.engine.rules import load_ruleset
from akscan.model import Blob, Origin, Verification
from akscan.verify import Verifier, VerifyOptions
from akscan.verify.cache import ResultCache
from akscan.verify.clock import ManualClock
from akscan.verify.outcome import Credential, Outcome
from akscan.verify.ratelimit import RateLimiter
from tests.conftest import run_akscan
from tests.keys import FakeKeys
from tests.sts_emulator import Emulator

RULES = load_ruleset()


@pytest.fixture
def sts() -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()


def verifier(sts: Emulator, **options: object) -> Verifier:
    settings = {"endpoints": {"alibaba": sts.url}, "backoff": 0.01, "timeout": 2.0, **options}
    return Verifier(VerifyOptions(**settings))  # type: ignore[arg-type]


def status(sts: Emulator, credential: Credential, **options: object) -> tuple[str, str]:
    result = verifier(sts, **options).check(credential)
    return result.status, result.reason


def test_live_ram_user(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    result = verifier(sts).check(Credential("alibaba", key_id, secret))
    assert (result.status, result.identity_type, result.account_id) == ("live", "RAMUser", "1234567890123456")
    assert result.arn == "acs:ram::1234567890123456:user/deployer" and result.user_id


def test_inactive_not_found_wrong_secret(sts: Emulator, keys: FakeKeys) -> None:
    disabled, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(disabled, secret, active=False)
    assert status(sts, Credential("alibaba", disabled, secret))[0] == "inactive"
    assert status(sts, Credential("alibaba", keys.alibaba_id(), secret))[0] == "not-found"
    real, real_secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(real, real_secret)
    assert status(sts, Credential("alibaba", real, keys.alibaba_secret()))[0] == "wrong-secret"


def test_signature_mismatch_with_a_different_echo_is_not_called_a_wrong_secret(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    sts.behaviour.bad_echo = True
    state, reason = status(sts, Credential("alibaba", key_id, keys.alibaba_secret()))
    assert state == "unknown" and "signer bug" in reason


def test_sts_credentials(sts: Emulator, keys: FakeKeys) -> None:
    sts_id, secret, token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    sts.add_sts(sts_id, secret, token)
    result = verifier(sts).check(Credential("alibaba", sts_id, secret, token))
    assert (result.status, result.identity_type) == ("live", "AssumedRoleUser")
    state, reason = status(sts, Credential("alibaba", sts_id, secret))  # no token found with it
    assert state == "unknown" and "security token" in reason
    expired_id, expired_secret, expired_token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    sts.add_sts(expired_id, expired_secret, expired_token, expired=True)
    assert status(sts, Credential("alibaba", expired_id, expired_secret, expired_token))[0] == "expired"


def test_clock_skew_is_unknown_not_dead(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    sts.behaviour.clock_offset = 3600
    state, reason = status(sts, Credential("alibaba", key_id, secret))
    assert state == "unknown" and "clock" in reason


def test_throttling_is_retried_with_backoff(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    sts.behaviour.throttle_next = 2
    assert status(sts, Credential("alibaba", key_id, secret))[0] == "live"
    assert sts.requests_for(key_id) == 3
    sts.behaviour.throttle_next = 100
    state, reason = status(sts, Credential("alibaba", key_id, secret), retries=2)
    assert state == "unknown" and "Throttling" in reason


def test_nonce_reuse_is_retried_with_a_fresh_nonce(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    sts.behaviour.nonce_used_next = 1
    assert status(sts, Credential("alibaba", key_id, secret))[0] == "live"
    nonces = [entry.params["SignatureNonce"] for entry in sts.log]
    assert len(nonces) == 2 and nonces[0] != nonces[1]


def test_slow_and_dead_endpoints_are_unknown(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    sts.behaviour.delay = 1.5
    state, reason = status(sts, Credential("alibaba", key_id, secret), timeout=0.3, retries=3)
    assert state == "unknown" and "timed out" in reason
    assert sts.requests_for(key_id) == 1  # a timeout is not retried (the request log, not a stopwatch)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = Verifier(VerifyOptions(endpoints={"alibaba": dead}, retries=1, backoff=0.01)).check(
        Credential("alibaba", key_id, secret)
    )
    assert result.status == "unknown" and "network error" in result.reason


def test_secret_never_crosses_the_wire(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    sts_id, sts_secret, token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    sts.add_sts(sts_id, sts_secret, token)
    verifier(sts).check(Credential("alibaba", key_id, secret))
    verifier(sts).check(Credential("alibaba", sts_id, sts_secret, token))
    verifier(sts).check(Credential("alibaba", key_id, keys.alibaba_secret()))
    assert len(sts.log) == 3
    for entry in sts.log:
        for value in (secret, sts_secret):
            assert value.encode() not in entry.raw
            assert value not in json.dumps(entry.params)


def write_tree(root: Path, keys: FakeKeys, sts: Emulator) -> dict[str, str]:
    """40 files holding one live pair, a root key, a dead pair, a lone ID."""
    live_id, live_secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(live_id, live_secret)
    root_id, root_secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_root(root_id, root_secret)
    dead_id, dead_secret = keys.alibaba_id(), keys.alibaba_secret()
    for i in range(40):
        (root / f"copy{i}.py").write_text(f"auth = oss2.Auth('{live_id}', '{live_secret}')\n")
    (root / "root.env").write_text(
        f"ALIBABA_CLOUD_ACCESS_KEY_ID={root_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={root_secret}\n"
    )
    (root / "dead.ini").write_text(f"access_key_id = {dead_id}\naccess_key_secret = {dead_secret}\n")
    (root / "notes.md").write_text(f"old key {keys.alibaba_id()}\n")
    return {"live": live_id, "root": root_id, "dead": dead_id, "live_secret": live_secret}


def test_scan_verify_dedupes_ranks_and_reports(tmp_path: Path, sts: Emulator, keys: FakeKeys) -> None:
    ids = write_tree(tmp_path, keys, sts)
    result = run_akscan("scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", f"alibaba={sts.url}")
    assert result.code == 1, result.err
    document = json.loads(result.out)
    assert sts.requests_for(ids["live"]) == 1  # one pair in 40 files is one request
    assert len(sts.log) == 3
    by_id: dict[str, list[dict]] = {}
    for finding in document["findings"]:
        by_id.setdefault(finding["key_id"], []).append(finding)
    assert {f["severity"] for f in by_id[ids["live"]]} == {"high"} and len(by_id[ids["live"]]) == 40
    assert by_id[ids["live"]][0]["verification"]["status"] == "live"
    (root,) = by_id[ids["root"]]
    assert root["severity"] == "critical" and root["verification"]["identity_type"] == "Account"
    (dead,) = by_id[ids["dead"]]
    assert dead["verification"]["status"] == "not-found" and dead["severity"] == "medium"
    assert document["summary"]["verification"]["requests"] == 3
    text = run_akscan("scan", str(tmp_path), "--verify", "--endpoint", f"alibaba={sts.url}").out
    assert text.startswith("LIVE KEYS (41)")
    assert text.index(ids["root"]) < text.index(ids["live"])  # the account's own key first
    assert "root" in text.splitlines()[1]
    assert ids["live_secret"] not in text


def test_only_live_says_what_it_hid(tmp_path: Path, sts: Emulator, keys: FakeKeys) -> None:
    ids = write_tree(tmp_path, keys, sts)
    result = run_akscan(
        "scan", str(tmp_path), "--format", "json", "--verify", "--only-live", "--endpoint", f"alibaba={sts.url}"
    )
    document = json.loads(result.out)
    assert {f["key_id"] for f in document["findings"]} == {ids["live"], ids["root"]}
    assert document["summary"]["hidden"] == {"not-verifiable": 1, "verified-not-found": 1}
    assert "--only-live hid 2" in result.err


class RecordingLimiter(RateLimiter):
    """The real limiter, noting the (manual) clock's time at which each request was let go."""

    def __init__(self, rate: float, clock: ManualClock) -> None:
        super().__init__(rate, clock)
        self.granted: list[float] = []

    def acquire(self) -> float:
        moment = super().acquire()
        self.granted.append(moment)
        return moment


def test_rate_limiter_spaces_requests_on_its_clock() -> None:
    clock = ManualClock()
    limiter = RateLimiter(5, clock)
    moments = []
    for _ in range(10):
        limiter.acquire()
        moments.append(round(clock.monotonic(), 6))
    assert moments == [0, 0, 0, 0, 0, 0.2, 0.4, 0.6, 0.8, 1.0]  # a burst of 5, then 5 a second
    clock.advance(10)  # idle time refills the bucket, but never beyond one second's burst
    for _ in range(5):
        limiter.acquire()
    assert round(clock.monotonic(), 6) == 11.0
    limiter.acquire()
    assert round(clock.monotonic(), 6) == 11.2
    unlimited = RateLimiter(0, clock)
    for _ in range(100):
        unlimited.acquire()
    assert round(clock.monotonic(), 6) == 11.2


def test_rate_limit_holds_across_verifier_threads(sts: Emulator, keys: FakeKeys) -> None:
    clock = ManualClock()
    credentials = []
    for _ in range(10):
        key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
        sts.add_ram_user(key_id, secret)
        credentials.append(Credential("alibaba", key_id, secret))
    options = VerifyOptions(endpoints={"alibaba": sts.url}, rps=5, workers=8, timeout=2.0)
    checker = Verifier(options, clock=clock)
    checker.limiter = limiter = RecordingLimiter(5, clock)
    findings = [
        finding
        for c in credentials
        for finding in detect(Blob(f"oss2.Auth('{c.key_id}', '{c.secret}')\n".encode(), Origin("a.py")), RULES)
    ]
    assert len(findings) == 10
    verified = checker.verify(findings)
    assert [f.verification.status for f in verified if f.verification] == ["live"] * 10
    assert len(sts.log) == 10
    assert sorted(round(t, 6) for t in limiter.granted) == [0, 0, 0, 0, 0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_cache_ttl_follows_its_clock(tmp_path: Path, keys: FakeKeys) -> None:
    clock = ManualClock()
    path = tmp_path / "cache.json"
    cache = ResultCache(str(path), ttl=60, clock=clock)
    credential = Credential("alibaba", keys.alibaba_id(), keys.alibaba_secret())
    cache.put(credential, Outcome("live"), "t0")
    clock.advance(59)
    assert cache.get(credential) is not None
    clock.advance(2)
    assert cache.get(credential) is None  # past its time to live
    cache.save()
    assert json.loads(path.read_text())["entries"] == {}  # expired entries are not written back
    cache.put(credential, Outcome("not-found"), "t1")
    cache.save()
    reloaded = ResultCache(str(path), ttl=60, clock=clock)
    found = reloaded.get(credential)
    assert found is not None and found[0].status == "not-found"
    clock.advance(61)
    assert ResultCache(str(path), ttl=60, clock=clock).get(credential) is None


def test_backoff_sleeps_on_the_clock(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    sts.behaviour.throttle_next = 2
    clock = ManualClock()
    options = VerifyOptions(endpoints={"alibaba": sts.url}, rps=0, backoff=0.5, retries=3, timeout=2.0)
    result = Verifier(options, clock=clock).check(Credential("alibaba", key_id, secret))
    assert result.status == "live"
    assert clock.slept == [0.5, 1.0]


def test_persistent_cache_is_hashed_and_skips_requests(tmp_path: Path, sts: Emulator, keys: FakeKeys) -> None:
    (tmp_path / "tree").mkdir()
    ids = write_tree(tmp_path / "tree", keys, sts)
    cache = tmp_path / "verify-cache.json"
    args = (
        "scan",
        str(tmp_path / "tree"),
        "--format",
        "json",
        "--verify",
        "--endpoint",
        f"alibaba={sts.url}",
        "--verify-cache",
        str(cache),
    )
    first = json.loads(run_akscan(*args).out)
    assert len(sts.log) == 3
    second = json.loads(run_akscan(*args).out)
    assert len(sts.log) == 3  # all answered from the cache
    assert second["summary"]["verification"]["from_cache"] == 3
    statuses = [[f.get("verification", {}).get("status") for f in doc["findings"]] for doc in (first, second)]
    assert statuses[0] == statuses[1] and statuses[0].count("live") == 41
    stored = cache.read_text()
    assert ids["live"] not in stored and ids["live_secret"] not in stored


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("alibaba=http://sts.example.com", "plain http is allowed only to a loopback host"),
        ("alibaba=ftp://127.0.0.1", "expected an https:// URL"),
        ("gcp=https://sts.example.com", "use PROVIDER=URL"),
    ],
)
def test_endpoint_policy(tmp_path: Path, endpoint: str, message: str) -> None:
    result = run_akscan("scan", str(tmp_path), "--verify", "--endpoint", endpoint)
    assert result.code == 2 and message in result.err


def test_verify_command_reads_environment_and_stdin(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_root(key_id, secret)
    env = {"AKSCAN_ACCESS_KEY_ID": key_id, "AKSCAN_ACCESS_KEY_SECRET": secret}
    result = run_akscan("verify", "--endpoint", f"alibaba={sts.url}", env=env)
    assert result.code == 1 and "live" in result.out and "CRITICAL" in result.out and secret not in result.out
    piped = run_akscan(
        "verify",
        "--stdin",
        "--format",
        "json",
        "--endpoint",
        f"alibaba={sts.url}",
        input=f"ALIBABA_CLOUD_ACCESS_KEY_ID={key_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}\n".encode(),
    )
    document = json.loads(piped.out)
    assert (document["status"], document["identity_type"]) == ("live", "Account") and secret not in piped.out
    missing = run_akscan("verify", "--stdin", input=b"")
    assert missing.code == 2 and "AKSCAN_ACCESS_KEY_ID" in missing.err
    gone = run_akscan(
        "verify", "--stdin", "--endpoint", f"alibaba={sts.url}", input=f"{keys.alibaba_id()}\n{secret}\n".encode()
    )
    assert gone.code == 0 and "not-found" in gone.out


def test_unverifiable_kinds_are_left_alone(sts: Emulator, keys: FakeKeys) -> None:
    findings = detect(Blob(f"ak = '{keys.alibaba_id()}'".encode(), Origin("x")), RULES)
    verified = verifier(sts).verify(findings)
    assert verified[0].verification is None and len(sts.log) == 0


@pytest.fixture(scope="module")
def moto_sts() -> Iterator[tuple[str, dict[str, str]]]:
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "2"  # CreateUser and CreateAccessKey; then every call is checked
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="x" * 40,
    )
    iam.create_user(UserName="leaky")
    key = iam.create_access_key(UserName="leaky")["AccessKey"]
    yield url, {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    server.stop()
    os.environ.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)


def test_aws_against_moto_with_authentication(moto_sts: tuple[str, dict[str, str]], keys: FakeKeys) -> None:
    url, key = moto_sts
    options = VerifyOptions(endpoints={"aws": url}, retries=0)
    live = Verifier(options).check(Credential("aws", key["id"], key["secret"]))
    assert (live.status, live.arn, live.account_id) == ("live", "arn:aws:iam::123456789012:user/leaky", "123456789012")
    assert Verifier(options).check(Credential("aws", key["id"], keys.aws_secret())).status == "wrong-secret"
    assert Verifier(options).check(Credential("aws", keys.aws_id(), keys.aws_secret())).status == "not-found"


def test_aws_temporary_key_without_its_token_is_not_called_dead(keys: FakeKeys) -> None:
    from akscan.verify import aws

    class NoNetwork:
        def request(self, *args: object, **kwargs: object) -> object:
            raise AssertionError("no request may be sent")

    outcome = aws.check(
        Credential("aws", keys.aws_id("ASIA"), keys.aws_secret()), "https://sts.amazonaws.com", NoNetwork(), 1.0
    )  # type: ignore[arg-type]
    assert outcome.status == "unknown" and "session token" in outcome.reason


def test_a_failing_transport_costs_one_verdict_not_the_scan(keys: FakeKeys) -> None:
    class Broken:
        def request(self, *args: object, **kwargs: object) -> object:
            raise RuntimeError("boom")

    result = Verifier(VerifyOptions(retries=0), transport=Broken()).check(  # type: ignore[arg-type]
        Credential("alibaba", keys.alibaba_id(), keys.alibaba_secret())
    )
    assert result.status == "unknown" and result.reason == "verifier error: RuntimeError"


def test_git_history_verify_asks_once_per_pair(tmp_path: Path, sts: Emulator, keys: FakeKeys) -> None:
    from tests.gitrepo import Repo

    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    repo = Repo(tmp_path / "repo")
    for i in range(6):  # the same pair in six files, six commits
        repo.commit(f"copy {i}", **{f"svc{i}__config_py": f"# service {i}\nauth = oss2.Auth('{key_id}', '{secret}')\n"})
    result = run_akscan("git", str(repo.path), "--format", "json", "--verify", "--endpoint", f"alibaba={sts.url}")
    document = json.loads(result.out)
    assert sts.requests_for(key_id) == 1
    assert {f["verification"]["status"] for f in document["findings"]} == {"live"}


class _Recorder:
    """A plain HTTP server on 127.0.0.1 that answers every request the same way and logs what came."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from threading import Thread

        recorder = self
        self.requests: list[tuple[str, dict[str, str]]] = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                recorder.requests.append((self.path, dict(self.headers)))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_redirects_are_never_followed(keys: FakeKeys) -> None:
    elsewhere = _Recorder(200, {})
    redirector = _Recorder(302, {"Location": f"{elsewhere.url}/stolen"})
    try:
        for provider, credential in (
            ("alibaba", Credential("alibaba", keys.alibaba_id(), keys.alibaba_secret())),
            ("aws", Credential("aws", keys.aws_id("ASIA"), keys.aws_secret(), "IQoJb3JpZ2luX2VjEXAMPLETOKEN")),
        ):
            options = VerifyOptions(endpoints={provider: redirector.url}, retries=0, timeout=2.0)
            result = Verifier(options).check(credential)
            assert result.status == "unknown", result
        assert len(redirector.requests) == 2 and elsewhere.requests == []  # nothing went on to the other host
    finally:
        elsewhere.stop()
        redirector.stop()


def test_oversized_answers_are_not_read_into_memory(keys: FakeKeys) -> None:
    from akscan.verify.transport import MAX_RESPONSE_BYTES

    huge = _Recorder(200, {"Content-Type": "application/json"}, b"{" + b" " * (MAX_RESPONSE_BYTES + 10) + b"}")
    try:
        options = VerifyOptions(endpoints={"alibaba": huge.url}, retries=0, timeout=5.0)
        result = Verifier(options).check(Credential("alibaba", keys.alibaba_id(), keys.alibaba_secret()))
        assert result.status == "unknown" and "larger than" in result.reason
    finally:
        huge.stop()


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{id} {secret}\n", "holds a space or a separator"),
        ("{id}:{secret}\n{secret}\n", "holds a space or a separator"),
        ("AKIDshort\n{secret}\n", "Tencent Cloud (AKID…, IKID…) or Volcengine (AKLT…) key ID; nothing was sent"),
        ("hello\n{secret}\n", "is not an Alibaba Cloud"),
        ("{id}\n{secret} trailing\n", "the secret holds spaces"),
        ("{id}\n", "the secret is missing"),
    ],
)
def test_verify_checks_the_input_before_sending_anything(
    sts: Emulator, keys: FakeKeys, stdin: str, message: str
) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = stdin.format(id=key_id, secret=secret)
    result = run_akscan("verify", "--stdin", "--endpoint", f"alibaba={sts.url}", input=text.encode())
    assert result.code == 2 and message in result.err
    assert secret not in result.out + result.err and sts.log == []


def test_verify_refuses_a_whole_line_in_the_id_variable(sts: Emulator, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    env = {"AKSCAN_ACCESS_KEY_ID": f"{key_id}:{secret}", "AKSCAN_ACCESS_KEY_SECRET": secret}
    result = run_akscan("verify", "--endpoint", f"alibaba={sts.url}", env=env)
    assert result.code == 2 and "separator" in result.err and secret not in result.err and sts.log == []


@pytest.mark.parametrize("region", ["cn-hangzhou.evil.test/x", "../x", "CN-HANGZHOU", "a b"])
def test_verify_region_is_validated(keys: FakeKeys, region: str) -> None:
    result = Verifier(VerifyOptions(region=region)).check(
        Credential("alibaba", keys.alibaba_id(), keys.alibaba_secret())
    )
    assert result.status == "unknown" and "expected a region id" in result.reason


def test_a_server_that_drips_cannot_hold_the_run(keys: FakeKeys) -> None:
    """--verify-timeout is a deadline for the whole answer: a server that sends a byte every 0.2 s (each
    read well inside any per-read timeout) is cut off at the deadline, and the key is unknown."""
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def drip() -> None:
        while not stop.is_set():
            try:
                server.settimeout(0.5)
                client, _ = server.accept()
            except OSError:
                continue
            with client:
                client.recv(65536)
                try:
                    client.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                    while not stop.is_set():
                        client.sendall(b"{")
                        time.sleep(0.2)
                except OSError:
                    continue

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
        started = time.monotonic()
        result = Verifier(VerifyOptions(endpoints={"alibaba": endpoint}, timeout=1.0, retries=0)).check(
            Credential("alibaba", keys.alibaba_id(), keys.alibaba_secret())
        )
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        server.close()
    assert result.status == "unknown" and "timed out" in result.reason
    assert elapsed < 5, f"{elapsed:.1f} s: the drip held the request past its deadline"


def test_signing_is_right_in_any_local_timezone(tmp_path: Path, sts: Emulator, keys: FakeKeys) -> None:
    """The signers' clocks are UTC whatever the machine's zone: run under Shanghai's (+8) and Honolulu's
    (-10) time, the emulator — which checks the Timestamp against its own UTC clock, as STS does — still
    answers live."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    sts.add_ram_user(key_id, secret)
    (tmp_path / "app.py").write_text(f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    for zone in ("Asia/Shanghai", "Pacific/Honolulu"):
        result = run_akscan(
            "scan",
            str(tmp_path),
            "--format",
            "json",
            "--verify",
            "--endpoint",
            f"alibaba={sts.url}",
            env={"TZ": zone},
            process=True,
        )
        (finding,) = json.loads(result.out)["findings"]
        assert finding["verification"]["status"] == "live", (zone, finding["verification"])


def test_a_rule_can_say_its_pairs_are_never_sent(tmp_path: Path, sts: Emulator, keys: FakeKeys) -> None:
    """A user's rule for keys the provider's STS does not know (an internal gateway's, shaped like Alibaba
    pairs) says so with `unverifiable`: `--verify` sends nothing and reports the rule's reason. The same
    pair under the bundled rule is asked (control)."""
    rules = _gateway_rules(tmp_path / "rules", True)
    src = tmp_path / "src"
    src.mkdir()
    gateway_id, secret = _gateway_pair(keys)
    (src / "gw.py").write_text(f'GW_KEY = "{gateway_id}"\nGW_SECRET = "{secret}"\n')
    result = run_akscan(
        "scan", str(src), "--rules", str(rules), "--format", "json", "--verify", "--endpoint", f"alibaba={sts.url}"
    )
    assert result.code == 1, result.err
    [finding] = json.loads(result.out)["findings"]
    assert (finding["rule_id"], finding["kind"], finding["verification"]["status"]) == (
        "acme-gateway-key",
        "pair",
        "unverifiable",
    )
    assert finding["verification"]["reason"].startswith("an ACME gateway key") and sts.log == []
    (src / "gw.py").write_text(f'ACCESS_KEY_ID = "{keys.alibaba_id()}"\nACCESS_KEY_SECRET = "{secret}"\n')
    control = run_akscan("scan", str(src), "--format", "json", "--verify", "--endpoint", f"alibaba={sts.url}")
    assert json.loads(control.out)["findings"][0]["verification"]["status"] != "unverifiable" and len(sts.log) == 1


_GATEWAY_RULES = """
[[rules]]
id = "acme-gateway-key"
provider = "alibaba"
kind = "key-id"
anchors = ["GWAK", "LTAIgw"]
anchors_case_sensitive = true
pattern = '((?:GWAK|LTAIgw)[A-Za-z0-9]{{18}})'
pair = {{ secret = "acme-gateway-secret" }}
{unverifiable}
description = "d"
remediation = "r"

[[rules]]
id = "acme-gateway-secret"
provider = "alibaba"
kind = "secret"
pattern = '(?<![A-Za-z0-9])([A-Za-z0-9]{{30}})(?![A-Za-z0-9])'
description = "d"
remediation = "r"
"""


def _gateway_rules(folder: Path, unverifiable: bool) -> Path:
    folder.mkdir()
    word = 'unverifiable = "an ACME gateway key, which Alibaba STS does not know"' if unverifiable else ""
    (folder / "gw.toml").write_text(_GATEWAY_RULES.format(unverifiable=word))
    return folder


def _gateway_pair(keys: FakeKeys, prefix: str = "GWAK") -> tuple[str, str]:
    """A gateway pair: GWAK (no bundled rule reads it) in scans; LTAIgw for `akscan verify`, which knows a
    provider by its key's prefix."""
    return prefix + keys.alibaba_id()[6:24], keys.alibaba_secret()


def test_two_rulesets_in_one_process_keep_their_own_word(tmp_path: Path, sts: Emulator, keys: FakeKeys) -> None:
    """The library API with two teams' rules of one id, built one after the other: the findings of the set
    whose rule says "never sent" are not sent, those of the other set are asked. (A module-wide registry
    of reasons, last set wins, sent the first set's pairs.)"""
    from akscan import api

    quiet = api.Scanner(rules=[_gateway_rules(tmp_path / "quiet", True)])
    asked = api.Scanner(rules=[_gateway_rules(tmp_path / "asked", False)])
    gateway_id, secret = _gateway_pair(keys)
    text = f'GW_KEY = "{gateway_id}"\nGW_SECRET = "{secret}"\n'
    [never] = api.verify(quiet.scan_text(text), endpoints={"alibaba": sts.url})
    assert (never.rule_id, never.verification.status if never.verification else None) == (
        "acme-gateway-key",
        "unverifiable",
    )
    assert never.verification is not None and never.verification.reason.startswith("an ACME gateway key")
    assert sts.log == []
    [sent] = api.verify(asked.scan_text(text), endpoints={"alibaba": sts.url})
    assert sent.verification is not None and sent.verification.status != "unverifiable" and len(sts.log) == 1


def test_a_finding_keeps_its_rules_word_through_json(tmp_path: Path, keys: FakeKeys) -> None:
    """A fleet's findings come back as JSON: the rule's reason travels with the finding (a process that never
    compiled the user's rule still sends nothing); a bundled rule's finding read from an older report
    without the field is still known by its rule id."""
    import dataclasses

    from akscan import api
    from akscan.report.fields import finding_dict
    from akscan.report.fleet import finding_from_dict
    from akscan.verify import credential_of, unasked

    gateway_id, secret = _gateway_pair(keys)
    [finding] = api.Scanner(rules=[_gateway_rules(tmp_path / "r", True)]).scan_text(
        f'GW_KEY = "{gateway_id}"\nGW_SECRET = "{secret}"\n'
    )
    entry = json.loads(json.dumps(finding_dict(finding, redact_secrets=False)))
    assert entry["unverifiable"].startswith("an ACME gateway key")
    back = finding_from_dict(entry)
    verdict = unasked(back)
    assert verdict is not None and verdict.status == "unverifiable" and credential_of(back) is None
    del entry["unverifiable"]  # a report of a user rule written without the field: asked, as before
    assert unasked(finding_from_dict(entry)) is None and credential_of(finding_from_dict(entry)) is not None
    gateway = dataclasses.replace(finding, rule_id="tencent-gateway-key", provider="tencent", unverifiable="")
    assert "API gateway" in (unasked(gateway) or Verification("", "")).reason


def test_verify_command_hears_a_users_rule(tmp_path: Path, sts: Emulator, keys: FakeKeys) -> None:
    """`akscan verify --rules DIR`: a pair a user's rule calls unverifiable is never sent (exit 2, the rule's
    reason); the same pair without the folder is asked; a folder that is not there is one line, exit 2."""
    rules = _gateway_rules(tmp_path / "rules", True)
    gateway_id, secret = _gateway_pair(keys, "LTAIgw")
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": gateway_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret}
    endpoint = ("--endpoint", f"alibaba={sts.url}")
    held = run_akscan("verify", "--rules", str(rules), "--format", "json", *endpoint, env=env)
    assert held.code == 2, held.out + held.err
    body = json.loads(held.out)
    assert body["status"] == "unverifiable" and body["reason"].startswith("an ACME gateway key")
    assert sts.log == [] and secret not in held.out + held.err
    sent = run_akscan("verify", *endpoint, env=env)
    assert "unverifiable" not in sent.out and len(sts.log) == 1
    missing = run_akscan("verify", "--rules", str(tmp_path / "nowhere"), *endpoint, env=env)
    assert missing.code == 2 and "nowhere" in missing.err and len(missing.err.strip().splitlines()) == 1
    assert len(sts.log) == 1
