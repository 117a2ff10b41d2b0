"""``akscan fleet`` on a real Dask cluster (worker processes on loopback) over generated repositories
with planted keys: every key once per place, cross-repository dedupe, failures, resuming, Ctrl-C, and a
worker killed in the middle of the run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, akscan_command, run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys

pytest.importorskip("distributed")


def _fleet_of(root: Path, keys: FakeKeys, count: int) -> tuple[list[str], dict[str, set[str]]]:
    """``count`` repositories, each with a key of its own (added on a branch in every third one, removed
    again in every fourth), and one key shared by all. Returns the paths and key ID -> repositories."""
    shared_id, shared_secret = keys.alibaba_id(), keys.alibaba_secret()
    expected: dict[str, set[str]] = {shared_id: set()}
    paths = []
    for index in range(count):
        repo = Repo(root / f"repo{index:02d}")
        own_id, own_secret = keys.alibaba_id(), keys.alibaba_secret()
        repo.commit(
            "shared config",
            deploy_env=f"ALIBABA_CLOUD_ACCESS_KEY_ID={shared_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={shared_secret}\n",
        )
        if index % 3 == 0:
            repo.git("checkout", "-q", "-b", "feature")
        repo.commit("client", app_py=f"auth = oss2.Auth('{own_id}', '{own_secret}')\n")
        if index % 4 == 0:
            repo.commit("remove", app_py="auth = from_env()\n")
        expected[own_id] = {str(repo.path)}
        expected[shared_id].add(str(repo.path))
        paths.append(str(repo.path))
    return paths, expected


def _fleet(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict, str]:
    result = run_akscan("fleet", *args, "--format", "json", "-q", env=env, process=True, timeout=300)
    return result.code, json.loads(result.out) if result.out.strip() else {}, result.err


def _places(document: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in document["findings"]:
        repositories = [place["repository"] for place in finding["places"]]
        assert len(repositories) == len(set(repositories)), finding["key_id"]  # one place per repository here
        found[finding["key_id"]] = set(repositories)
    return found


def test_fleet_finds_every_key_once_per_place_and_reports_failures(tmp_path: Path, keys: FakeKeys) -> None:
    paths, expected = _fleet_of(tmp_path, keys, 12)
    url = Path(paths[0]).as_uri()  # the same repository once more, by URL: mirrored into the cache
    code, document, _ = _fleet(*paths, url, str(tmp_path / "missing"), "--workers", "2")
    assert code == 1
    expected_with_url = {key: places | ({url} if paths[0] in places else set()) for key, places in expected.items()}
    assert _places(document) == expected_with_url
    shared = next(f for f in document["findings"] if len(f["places"]) > 2)
    assert shared["repositories"] == 13 and shared["secret"].endswith("*")  # one key, thirteen places
    statuses = {r["repository"]: r["status"] for r in document["repositories"]}
    assert len(statuses) == 14 and statuses[str(tmp_path / "missing")] == "failed"
    failed = next(r for r in document["repositories"] if r["status"] == "failed")
    assert "not a git repository" in failed["reason"]
    summary = document["summary"]
    assert summary["by_status"] == {"failed": 1, "scanned": 13} and summary["credentials"] == 13
    assert summary["places"] == 13 + 13 and summary["incomplete"] is True


def test_no_secret_reaches_the_results_or_the_report(tmp_path: Path, keys: FakeKeys, dask_scheduler: str) -> None:
    repo = Repo(tmp_path / "one")
    secret = keys.alibaba_secret()
    repo.commit("c", a_py=f"auth = oss2.Auth('{keys.alibaba_id()}', '{secret}')\n")
    results = tmp_path / "results"
    code, document, _ = _fleet(str(repo.path), "--results", str(results), "--scheduler", dask_scheduler)
    assert code == 1 and secret not in json.dumps(document)
    for stored in results.iterdir():
        assert secret.encode() not in stored.read_bytes()
    html = run_akscan("fleet", str(repo.path), "--results", str(results), "--format", "html", process=True).out
    assert secret not in html and "Repositories (1)" in html
    assert html.count('<details class="repository">') == 1 and f"{repo.path} — 1 place(s)" in html


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path, keys: FakeKeys, dask_scheduler: str) -> None:
    paths, expected = _fleet_of(tmp_path / "repos", keys, 6)
    results = tmp_path / "results"
    code, first, _ = _fleet(*paths, "--results", str(results), "--scheduler", dask_scheduler)
    assert code == 1 and _places(first) == expected
    # As an interrupted run leaves it: the state says running, three repositories' results are missing.
    state = json.loads((results / "run.json").read_text())
    (results / "run.json").write_text(json.dumps({**state, "state": "running"}))
    stored = sorted(p for p in results.glob("*.json") if p.name not in ("run.json", "known.json"))
    for lost in stored[:3]:
        lost.unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in stored[3:]}
    code, resumed, _ = _fleet(*paths, "--results", str(results), "--scheduler", dask_scheduler)
    assert code == 1 and _places(resumed) == expected and resumed["summary"]["resumed"] == 3
    assert {p.name: p.stat().st_mtime_ns for p in stored[3:]} == kept  # the finished ones were not redone
    assert json.loads((results / "run.json").read_text())["state"] == "finished"
    # A finished run is not resumed: the next one redoes everything.
    code, again, _ = _fleet(*paths, "--results", str(results), "--scheduler", dask_scheduler)
    assert again["summary"]["resumed"] == 0 and _places(again) == expected


def test_ctrl_c_stops_cleanly_and_keeps_what_finished(tmp_path: Path, keys: FakeKeys, dask_scheduler: str) -> None:
    paths, _ = _fleet_of(tmp_path / "repos", keys, 1)
    copies = []
    for index in range(60):  # many small repositories, one worker: the run takes a few seconds
        copy = tmp_path / "copies" / f"r{index:02d}"
        shutil.copytree(paths[0], copy)
        copies.append(str(copy))
    results = tmp_path / "results"
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO / "scanner")}
    proc = subprocess.Popen(
        [*akscan_command(), "fleet", *copies, "--results", str(results), "--workers", "1", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 3:  # run.json and two results
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err  # findings in what finished (2 when an interrupted run found nothing)
    document = json.loads(out)
    done = len(document["repositories"])
    # At most all 60: on a loaded machine the one worker can finish the rest before the signal is handled (a
    # suite run beside other work saw 60); the run still says it was interrupted and resumes below.
    assert 2 <= done <= 60 and document["summary"]["interrupted"] is True
    assert b"INTERRUPTED" in err and b"run the same command again" in err
    assert json.loads((results / "run.json").read_text())["state"] == "running"
    result = run_akscan(
        "fleet",
        *copies,
        "--results",
        str(results),
        "--scheduler",
        dask_scheduler,
        "--format",
        "json",
        process=True,
        timeout=300,
    )
    finished = json.loads(result.out)
    assert finished["summary"]["resumed"] == done and len(finished["repositories"]) == 60
    assert all(r["status"] == "scanned" for r in finished["repositories"])


def test_a_worker_killed_mid_run_loses_no_result(tmp_path: Path, keys: FakeKeys) -> None:
    from distributed import Client, LocalCluster

    paths, expected = _fleet_of(tmp_path / "repos", keys, 4)
    copies = list(paths)
    for index in range(36):  # more work than the kill takes to land
        copy = tmp_path / "copies" / f"r{index:02d}"
        shutil.copytree(paths[index % 4], copy)
        copies.append(str(copy))
        for places in expected.values():
            if paths[index % 4] in places:
                places.add(str(copy))
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
    )
    client = Client(cluster)
    try:
        env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO / "scanner")}
        proc = subprocess.Popen(
            [*akscan_command(), "fleet", *copies, "--scheduler", cluster.scheduler_address, "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and proc.poll() is None:
            busy = [
                address
                for address, tasks in client.processing().items()
                if any(str(task).startswith("akscan-") for task in tasks)
            ]
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed = pid
            time.sleep(0.01)
        out, err = proc.communicate(timeout=300)
    finally:
        client.close()
        cluster.close()
    assert killed is not None, "no task was seen running"
    assert proc.returncode == 1, err
    document = json.loads(out)
    assert _places(document) == expected
    assert sorted(r["repository"] for r in document["repositories"]) == sorted(copies)
    assert all(r["status"] == "scanned" for r in document["repositories"])


def test_without_distributed_fleet_says_how_to_install_it(tmp_path: Path) -> None:
    code = "import sys; sys.modules['distributed'] = None; from akscan.cli import run; sys.argv[0] = 'akscan'; run()"
    env = {**os.environ, "PYTHONPATH": str(REPO / "scanner")}
    proc = subprocess.run([sys.executable, "-c", code, "fleet", str(tmp_path)], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "pip install 'distributed>=2024.1'" in proc.stderr


def test_fleet_usage_errors_are_one_line(tmp_path: Path) -> None:
    for args, message in [
        ((), "no repositories"),
        ((".", "--format", "sarif"), "a fleet report is one of"),
        ((".", "--no-redact"), "stored redacted"),
        (("--list", str(tmp_path / "none.txt")), "no such file"),
        ((".", "--baseline", "known.json"), "No such option '--baseline'"),  # per repository: not offered
    ]:
        result = run_akscan("fleet", *args)
        assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1, result.err


def test_fleet_verifies_each_unique_pair_once(tmp_path: Path, keys: FakeKeys, dask_scheduler: str) -> None:
    from tests.sts_emulator import Emulator

    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    baidu_id, baidu_secret = "ALTAK" + keys._text(21), keys._text(32)  # no identity API: never asked
    paths = []
    for index in range(3):  # the same live pair in three repositories: one request for the fleet
        repo = Repo(tmp_path / f"r{index}")
        repo.commit("c", app_py=f"auth = oss2.Auth('{key_id}', '{secret}')\n")
        if index == 0:
            repo.commit("d", bce_py=f'creds = BceCredentials("{baidu_id}", "{baidu_secret}")\n')
        paths.append(str(repo.path))
    sts = Emulator().start()
    try:
        sts.add_ram_user(key_id, secret)
        code, document, _ = _fleet(
            *paths, "--scheduler", dask_scheduler, "--verify", "--endpoint", f"alibaba={sts.url}"
        )
    finally:
        sts.stop()
    assert code == 1 and sts.requests_for(key_id) == 1 and len(sts.log) == 1
    by_provider = {f["provider"]: f for f in document["findings"]}
    finding, baidu = by_provider["alibaba"], by_provider["baidu"]
    assert finding["verification"]["status"] == "live" and finding["repositories"] == 3
    assert baidu["verification"]["status"] == "unverifiable"  # as `akscan scan --verify` says it
    assert document["summary"]["verification"]["unique_pairs"] == 1
    assert secret not in json.dumps(document) and all(secret.encode() not in raw.raw for raw in sts.log)


def test_a_results_folder_with_other_files_keeps_them(tmp_path: Path, keys: FakeKeys, dask_scheduler: str) -> None:
    repo = Repo(tmp_path / "one")
    repo.commit("c", a_py="x = 1\n")
    results = tmp_path / "mixed"
    results.mkdir()
    (results / "package.json").write_text('{"name": "mine"}')
    (results / "notes.json").write_text("[]")
    for _ in range(2):  # a finished run, then a fresh one that clears its own results
        code, document, _ = _fleet(str(repo.path), "--results", str(results), "--scheduler", dask_scheduler)
        assert code == 0 and len(document["repositories"]) == 1
    assert (results / "package.json").read_text() == '{"name": "mine"}' and (results / "notes.json").exists()


def test_the_dask_dashboard_is_named(tmp_path: Path, keys: FakeKeys) -> None:
    pytest.importorskip("bokeh")  # in the fleet and test extras: Dask serves its dashboard with it
    repo = Repo(tmp_path / "one")
    repo.commit("c", a_py="x = 1\n")
    result = run_akscan("fleet", str(repo.path), "--workers", "1", "--format", "json", process=True, timeout=300)
    assert result.code == 0 and "akscan: Dask dashboard: http://127.0.0.1:" in result.err


def test_fleet_applies_the_config_and_expiry_like_every_command(
    tmp_path: Path, keys: FakeKeys, dask_scheduler: str
) -> None:
    """disable_rules, the allowlist (by secret hash: judged on the workers, where secrets are) and the
    Expiration of temporary credentials apply to a fleet as they do to `akscan git`."""
    import datetime as dt
    import hashlib

    allowed_id, allowed_secret = keys.alibaba_id(), keys.alibaba_secret()
    kept_id, kept_secret = keys.alibaba_id(), keys.alibaba_secret()
    sts_id = keys.sts_id()
    expired = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = {
        "Credentials": {
            "AccessKeyId": sts_id,
            "AccessKeySecret": keys.sts_secret(),
            "SecurityToken": keys.sts_token(),
            "Expiration": expired,
        }
    }
    repo = Repo(tmp_path / "r")
    repo.commit(
        "keys",
        a_py=f"auth = oss2.Auth('{allowed_id}', '{allowed_secret}')\n",
        b_py=f"auth = oss2.Auth('{kept_id}', '{kept_secret}')\n",
        c_env=f"AWS_ACCESS_KEY_ID={keys.aws_id()}\nAWS_SECRET_ACCESS_KEY={keys.aws_secret()}\n",
        d_json=json.dumps(answer, indent=2),
    )
    config = tmp_path / "akscan.toml"
    digest = hashlib.sha256(allowed_secret.encode()).hexdigest()
    config.write_text(f'disable_rules = ["aws-access-key"]\n\n[allowlist]\nsecret_sha256 = ["{digest}"]\n')
    code, document, _ = _fleet(str(repo.path), "--scheduler", dask_scheduler, "--config", str(config))
    by_id = {f["key_id"]: f for f in document["findings"]}
    assert code == 1 and set(by_id) == {kept_id, sts_id}
    assert by_id[sts_id]["severity"] == "info" and by_id[sts_id]["expired"] is True
    assert document["repositories"][0]["suppressed"] == {"allowlist": 1, "rule-disabled": 1}


def test_fleet_runs_with_the_readme_config_example(tmp_path: Path, keys: FakeKeys, dask_scheduler: str) -> None:
    """The README's per-rule config, word for word: compiled matchers (pathspec's Hyperscan database) once
    crashed the fleet when shipped to workers ("cannot pickle"). Only data crosses to them now."""
    import re

    readme = (REPO / "README.md").read_text()
    block = next(b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[[rule_allowlist]]" in b)
    config = tmp_path / "akscan.toml"
    config.write_text(block)
    repo = Repo(tmp_path / "r")
    docs_id, app_id = keys.alibaba_id(), keys.alibaba_id()
    repo.commit(
        "keys",
        docs__guide_py=f"auth = oss2.Auth('{docs_id}', '{keys.alibaba_secret()}')\n",
        app_py=f"auth = oss2.Auth('{app_id}', '{keys.alibaba_secret()}')\n",
    )
    code, document, err = _fleet(str(repo.path), "--scheduler", dask_scheduler, "--config", str(config))
    assert code == 1, err
    assert {f["key_id"] for f in document["findings"]} == {app_id}  # docs/ is allowlisted by path
    assert document["repositories"][0]["suppressed"] == {"rule-allowlist": 1}


@pytest.mark.parametrize("bokeh", [True, False], ids=["with-dashboard", "without-bokeh"])
def test_the_local_cluster_is_closed_to_other_users_of_the_machine(
    bokeh: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default LocalCluster speaks TLS with credentials made for the run: a client without them (any
    other user on the machine) cannot connect to the scheduler, so cannot run code as akscan's user; its
    HTTP server (/health, /metrics, the dashboard) listens on loopback only, never every interface."""
    import distributed

    from akscan.runs import fleet
    from akscan.runs.fleet import FleetOptions, _client

    monkeypatch.setattr(fleet, "_has_bokeh", lambda: bokeh)
    client, cluster, _ = _client(FleetOptions(workers=1))
    try:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        http_sockets = list(cluster.scheduler.http_server._sockets.values())
        assert http_sockets and {sock.getsockname()[0] for sock in http_sockets} == {"127.0.0.1"}
        assert client.submit(lambda: 41 + 1).result(timeout=60) == 42  # the run's own client works
        with pytest.raises((OSError, TimeoutError)):
            distributed.Client(address.replace("tls://", "tcp://"), timeout="3s")  # plain TCP: refused
        # TLS with credentials of its own (not signed by the run's authority): the handshake fails
        stranger = distributed.security.Security.temporary()
        with pytest.raises((OSError, TimeoutError)):
            distributed.Client(address, security=stranger, timeout="3s")
    finally:
        client.close()
        cluster.close()


def test_a_planted_results_folder_cannot_make_a_leaky_repository_clean(
    tmp_path: Path, keys: FakeKeys, dask_scheduler: str
) -> None:
    """--results is trusted only when it is the user's own: a run.json saying "running" beside a planted
    record that calls a leaky repository clean (another user's file, a link, a record not naming its
    file) is never resumed from; a run.json that links to /dev/zero or a FIFO costs nothing; a folder others
    can write is refused."""
    from akscan.runs.fleet_task import spec_key

    repo = Repo(tmp_path / "leaky")
    key_id = keys.alibaba_id()
    repo.commit("leak", app_py=f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    name = spec_key(str(repo.path))
    clean = {"repository": str(repo.path), "spec_key": name, "status": "scanned", "findings": []}
    plants = {
        "other user's": lambda p: (p.write_text(json.dumps(clean)), os.chown(p, 12345, 12345)),
        "a link": lambda p: (p.with_name("elsewhere").write_text(json.dumps(clean)), p.symlink_to("elsewhere")),
        "misnamed": lambda p: p.write_text(json.dumps({**clean, "spec_key": "0" * 24})),
    }
    for label, plant in plants.items():
        results = tmp_path / f"results-{label.split()[0]}"
        results.mkdir(mode=0o700)
        (results / "run.json").write_text(json.dumps({"tool": "akscan", "state": "running", "repositories": 1}))
        plant(results / f"{name}.json")
        code, document, err = _fleet(str(repo.path), "--results", str(results), "--scheduler", dask_scheduler)
        assert code == 1 and key_id in {f["key_id"] for f in document["findings"]}, (label, err)
        assert document["summary"]["resumed"] == 0, label
    for target in ("/dev/zero", "fifo"):
        results = tmp_path / f"results-{target.strip('/').replace('/', '-')}"
        results.mkdir(mode=0o700)
        if target == "fifo":
            os.mkfifo(results / "fifo")
        (results / "run.json").symlink_to(results / "fifo" if target == "fifo" else target)
        code, document, _ = _fleet(str(repo.path), "--results", str(results), "--scheduler", dask_scheduler)
        assert code == 1 and key_id in {f["key_id"] for f in document["findings"]}, target
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    result = run_akscan("fleet", str(repo.path), "--results", str(shared), "--workers", "1")
    assert result.code == 2 and "only you can write" in result.err


def test_a_merged_credential_takes_the_worst_severity_and_counts_distinct_repositories() -> None:
    from akscan.report.fleet import document, summarise

    def finding(severity: str, path: str) -> dict:
        return {
            "rule_id": "alibaba-access-key",
            "provider": "alibaba",
            "kind": "pair",
            "severity": severity,
            "confidence": "high",
            "title": "t",
            "key_id": "LTAIexample",
            "secret": "abcd****",
            "path": path,
            "line": 1,
            "column": 1,
            "fingerprint": "f" * 64,
            "remediation": "r",
        }

    records = [
        {"repository": "a", "status": "scanned", "findings": [finding("low", "x.py"), finding("medium", "y.py")]},
        {"repository": "b", "status": "scanned", "findings": [finding("high", "z.py")]},
        {"repository": "c", "status": "scanned", "findings": [finding("info", "w.py")]},
    ]
    (entry,) = document(summarise(records), {})["findings"]
    assert entry["severity"] == "high" and entry["repositories"] == 3 and len(entry["places"]) == 4
    two = document(summarise(records[:1]), {})["findings"][0]
    assert two["severity"] == "medium" and two["repositories"] == 1 and len(two["places"]) == 2
