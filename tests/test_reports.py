"""Every report format: golden files for a fixed input, SARIF validated against the OASIS schema, and no
format leaks a secret unless --no-redact is asked for."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import jsonschema
import pytest

from akscan.report import WRITERS
from tests.conftest import REPO, run_akscan
from tests.keys import FakeKeys

GOLDEN = REPO / "tests" / "golden"
SCHEMA = json.loads((REPO / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
FORMATS = ("text", "json", "jsonl", "sarif", "csv")


def golden_tree(root: Path) -> None:
    keys = FakeKeys(20261128)  # fixed: golden output must not change between runs
    (root / "app").mkdir(parents=True)
    (root / "app" / "storage.py").write_text(
        f"import oss2\nauth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n"
    )
    (root / ".env").write_text(f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={keys.alibaba_secret()}\n")
    (root / "notes.md").write_text(f"old key {keys.alibaba_id(16)} was rotated\n")


def normalise(text: str, root: Path) -> str:
    import re

    text = text.replace(str(root), "ROOT")
    text = re.sub(r'"duration_seconds": [0-9.]+', '"duration_seconds": 0', text)
    text = re.sub(r" in [0-9.]+ s", " in 0.00 s", text)
    text = re.sub(r'"version": "[0-9.]+"', '"version": "X"', text)
    text = re.sub(r'"(semanticVersion|akscan_version)": "[0-9.]+"', r'"\1": "X"', text)
    return re.sub(r'"ruleset": "[0-9a-f]+"', '"ruleset": "X"', text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_output(fmt: str, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    golden_tree(root)
    result = run_akscan("scan", ".", "--format", fmt, "-j", "1", cwd=root)
    assert result.code == 1, result.err
    produced = normalise(result.out, root)
    golden = GOLDEN / f"scan.{fmt}"
    if os.environ.get("AKSCAN_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(produced)
        pytest.skip(f"{golden.name} rewritten: review the diff, then run again without AKSCAN_UPDATE_GOLDEN")
    assert produced == golden.read_text()


def test_sarif_validates_against_the_schema(tmp_path: Path, keys: FakeKeys) -> None:
    golden_tree(tmp_path)
    (tmp_path / "sts.json").write_text(
        json.dumps(
            {"AccessKeyId": keys.sts_id(), "AccessKeySecret": keys.sts_secret(), "SecurityToken": keys.sts_token()}
        )
    )
    document = json.loads(run_akscan("scan", ".", "--format", "sarif", cwd=tmp_path).out)
    jsonschema.validate(document, SCHEMA)
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == sorted({r["ruleId"] for r in run["results"]})
    for result in run["results"]:
        assert len(result["partialFingerprints"]["akscanFingerprint/v1"]) == 64
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
        assert rule["id"] == result["ruleId"] and "What to do" in rule["help"]["text"]
        assert float(rule["properties"]["security-severity"]) > 0


def test_sarif_of_git_findings_validates(tmp_path: Path, keys: FakeKeys) -> None:
    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "r")
    repo.commit("leak", a=f"AK='{keys.alibaba_id()}'\nSK='{keys.alibaba_secret()}'\n")
    document = json.loads(run_akscan("git", ".", "--format", "sarif", cwd=repo.path).out)
    jsonschema.validate(document, SCHEMA)
    assert document["runs"][0]["results"][0]["properties"]["git"]["commit"] == repo.head()


@pytest.mark.parametrize("fmt", sorted(WRITERS))  # every format there is, not a list kept by hand
def test_no_format_leaks_a_secret(fmt: str, tmp_path: Path, keys: FakeKeys) -> None:
    secret, token = keys.alibaba_secret(), keys.sts_token()
    sts_secret = keys.sts_secret()
    (tmp_path / "a.py").write_text(f"oss2.Auth('{keys.alibaba_id()}', '{secret}')\n")
    (tmp_path / "b.json").write_text(
        json.dumps({"AccessKeyId": keys.sts_id(), "AccessKeySecret": sts_secret, "SecurityToken": token})
    )
    redacted = run_akscan("scan", str(tmp_path), "--format", fmt)
    for value in (secret, sts_secret, token, token[:40]):
        assert value not in redacted.out + redacted.err
    shown = run_akscan("scan", str(tmp_path), "--format", fmt, "--no-redact")
    if fmt != "text":  # text never prints a token in full either way; the secret it does
        assert secret in shown.out and sts_secret in shown.out
    else:
        assert secret in shown.out


def test_finding_repr_hides_secrets(keys: FakeKeys) -> None:
    from akscan.engine.rules import load_ruleset
    from tests.conftest import scan_text

    secret = keys.alibaba_secret()
    (finding,) = scan_text(f"oss2.Auth('{keys.alibaba_id()}', '{secret}')", load_ruleset())
    assert secret not in repr(finding) and secret not in str(finding)


def test_csv_columns(tmp_path: Path) -> None:
    golden_tree(tmp_path)
    rows = list(csv.DictReader(io.StringIO(run_akscan("scan", ".", "--format", "csv", cwd=tmp_path).out)))
    assert {r["kind"] for r in rows} == {"pair", "secret", "key-id"}
    assert all(r["fingerprint"] and r["path"] and r["line"] for r in rows)


def _sarif_locations(document: dict) -> list[tuple[str | None, str | None]]:
    run = document["runs"][0]
    located = []
    for result in run["results"]:
        physical = result["locations"][0].get("physicalLocation")
        artifact = physical["artifactLocation"] if physical else {}
        located.append((artifact.get("uri"), artifact.get("uriBaseId")))
    return sorted(located, key=str)


def test_sarif_uris_are_relative_to_the_repository_from_any_working_directory(tmp_path: Path, keys: FakeKeys) -> None:
    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "repo")
    repo.write("src/app.py", f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    repo.commit("leak")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root_uri = "file://" + str(repo.path) + "/"
    runs = {
        "scan, absolute path, from elsewhere": run_akscan("scan", str(repo.path), "--format", "sarif", cwd=elsewhere),
        "scan, a subfolder, from inside it": run_akscan("scan", ".", "--format", "sarif", cwd=repo.path / "src"),
        "git, from elsewhere": run_akscan("git", str(repo.path), "--format", "sarif", cwd=elsewhere),
        "git, from a subfolder": run_akscan("git", ".", "--format", "sarif", cwd=repo.path / "src"),
    }
    for label, result in runs.items():
        document = json.loads(result.out)
        jsonschema.validate(document, SCHEMA)
        assert _sarif_locations(document) == [("src/app.py", "%SRCROOT%")], label
        assert document["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root_uri, label


def test_sarif_names_the_object_for_findings_no_file_holds(tmp_path: Path, keys: FakeKeys) -> None:
    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "repo")
    repo.commit("init", readme="hello\n")
    key_id = keys.alibaba_id()
    blob = repo.git(
        "hash-object", "-w", "--stdin", input=f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n".encode()
    )
    repo.commit(f"rotate {keys.alibaba_id()} later", readme="hello again\n")  # a key in a commit message
    document = json.loads(run_akscan("git", str(repo.path), "--format", "sarif", "--no-cache").out)
    jsonschema.validate(document, SCHEMA)
    results = document["runs"][0]["results"]
    assert len(results) == 2
    for result in results:
        (logical,) = result["locations"][0]["logicalLocations"]
        assert logical["fullyQualifiedName"].startswith("git:")
        assert "no file holds it" in result["message"]["text"]
    assert any(blob in r["message"]["text"] for r in results)


def test_gitlab_secret_detection_report_fields(tmp_path: Path, keys: FakeKeys) -> None:
    """The fields and values GitLab's scanner-integration documentation requires (schema 15.x)."""
    import re
    import uuid

    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "repo")
    secret = keys.alibaba_secret()
    repo.write("src/app.py", f"auth = oss2.Auth('{keys.alibaba_id()}', '{secret}')\n")
    repo.commit("leak", author="Bob")
    for command in (("scan", str(repo.path)), ("git", str(repo.path))):
        result = run_akscan(*command, "--format", "gitlab", cwd=tmp_path)
        assert result.code == 1 and secret not in result.out
        report = json.loads(result.out)
        assert re.fullmatch(r"15\.\d+\.\d+", report["version"])
        scan = report["scan"]
        assert scan["type"] == "secret_detection" and scan["status"] in ("success", "failure")
        for tool in (scan["analyzer"], scan["scanner"]):
            assert tool["id"] and tool["name"] and tool["vendor"]["name"] and tool["version"]
        for stamp in (scan["start_time"], scan["end_time"]):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", stamp)
        (vuln,) = report["vulnerabilities"]
        uuid.UUID(vuln["id"])
        assert vuln["category"] == "secret_detection" and vuln["severity"] == "High"
        assert vuln["severity"] in ("Unknown", "Info", "Low", "Medium", "High", "Critical")
        # fields schema 15.0.0 removed from a vulnerability
        assert not {"confidence", "scanner", "message", "cve"} & set(vuln)
        primary = vuln["identifiers"][0]
        assert primary == {
            "type": "akscan_rule_id",
            "name": "akscan rule alibaba-access-key",
            "value": "alibaba-access-key",
        }
        location = vuln["location"]
        assert location["file"] == "src/app.py" and location["start_line"] == location["end_line"] == 1
        # the secret-detection schema requires a commit in every location
        assert location["commit"]["sha"] == repo.head()
        if command[0] == "git":
            assert location["commit"]["author"].startswith("Bob")
        assert vuln["name"] and vuln["solution"] and vuln["description"]


def test_gitlab_report_of_files_carries_a_commit_everywhere(tmp_path: Path, keys: FakeKeys) -> None:
    """HEAD's SHA in a work tree; outside one, $CI_COMMIT_SHA when set, else forty zeros."""
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / "app.py").write_text(f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    ci_sha = "ab" * 20
    for env, expected in (({"CI_COMMIT_SHA": ci_sha}, ci_sha), ({"CI_COMMIT_SHA": ""}, "0" * 40)):
        result = run_akscan("scan", str(folder), "--format", "gitlab", env=env)
        (vuln,) = json.loads(result.out)["vulnerabilities"]
        assert vuln["location"]["commit"] == {"sha": expected}


def test_junit_report(tmp_path: Path, keys: FakeKeys) -> None:
    import xml.etree.ElementTree as ElementTree

    golden_tree(tmp_path)
    result = run_akscan("scan", ".", "--format", "junit", cwd=tmp_path)
    root = ElementTree.fromstring(result.out)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "3" and suite.get("tests") == "3"
    names = sorted(case.get("name", "") for case in suite.iter("testcase"))
    assert names[0].startswith("alibaba-access-key at ") and all(
        case.find("failure") is not None for case in suite.iter("testcase")
    )
    clean = tmp_path / "clean"
    clean.mkdir()
    empty = ElementTree.fromstring(run_akscan("scan", str(clean), "--format", "junit").out)
    assert empty.find("testsuite").get("failures") == "0" and len(list(empty.iter("testcase"))) == 1  # type: ignore[union-attr]


def test_akscan_does_not_report_its_own_reports(tmp_path: Path, keys: FakeKeys) -> None:
    """Reports left in a tree (CI artifacts, an audit committed by mistake) list key IDs with secrets
    redacted: scanning the tree again finds the same keys as before, not one more per report. A report
    written with --no-redact holds whole pairs: those are leaks and stay reported."""
    golden_tree(tmp_path)
    before = json.loads(run_akscan("scan", ".", "--format", "json", cwd=tmp_path).out)
    expected = sorted((f["path"], f["fingerprint"]) for f in before["findings"])
    reports = tmp_path / "reports"
    reports.mkdir()
    for fmt in ("json", "jsonl", "sarif", "gitlab", "html", "markdown", "csv", "junit"):
        written = run_akscan("scan", ".", "--format", fmt, "-o", str(reports / f"akscan.{fmt}"), cwd=tmp_path)
        assert written.code == 1
    after = json.loads(run_akscan("scan", ".", "--format", "json", cwd=tmp_path).out)
    assert sorted((f["path"], f["fingerprint"]) for f in after["findings"]) == expected
    assert after["summary"]["suppressed"]["akscan-report"] > 0
    leaky = tmp_path / "leaky"
    leaky.mkdir()
    run_akscan("scan", ".", "--format", "json", "--no-redact", "-o", str(leaky / "full.json"), cwd=tmp_path)
    pairs = json.loads(run_akscan("scan", str(leaky), "--format", "json").out)["findings"]
    assert {f["kind"] for f in pairs} >= {"pair"}  # the unredacted report's pairs are leaks


def test_a_file_dressed_as_a_report_hides_no_pair(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    (tmp_path / "fake.json").write_text(
        '{\n  "tool": "akscan",\n  "findings": [],\n'
        f'  "config": {{"AccessKeyId": "{key_id}", "AccessKeySecret": "{secret}"}}\n}}\n'
    )
    (found,) = json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)["findings"]
    assert found["key_id"] == key_id and found["kind"] == "pair"
