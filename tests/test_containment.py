"""Path containment is by path component, never by string prefix: src/ does not hold src2/, /repo does
not hold /repo2 (property tests over sibling folders that share a prefix). And every option matched in
any case is matched in every case."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from akscan.config.suppress import in_scope
from tests.conftest import run_akscan
from tests.keys import FakeKeys

NAMES = st.text(alphabet="abcxyz09_-.", min_size=1, max_size=8).filter(lambda n: n not in (".", ".."))


@given(root=NAMES, suffix=st.text(alphabet="abc09_-", min_size=1, max_size=4), leaf=NAMES)
@settings(max_examples=200, deadline=None)
def test_a_baseline_scope_never_claims_a_sibling_sharing_its_prefix(root: str, suffix: str, leaf: str) -> None:
    assert in_scope(f"{root}/{leaf}", (root,))
    assert in_scope(root, (root,))
    assert not in_scope(f"{root}{suffix}/{leaf}", (root,))
    assert not in_scope(f"{root}{suffix}", (root,))
    assert in_scope(f"{root}/{leaf}", (f"{root}/",))  # a trailing slash changes nothing


@given(root=NAMES, suffix=st.text(alphabet="abc09", min_size=1, max_size=3), leaf=NAMES)
@settings(max_examples=100, deadline=None)
def test_a_sarif_root_never_claims_a_sibling_folder(root: str, suffix: str, leaf: str) -> None:
    from akscan.model import ScanStats
    from akscan.report import Report
    from akscan.report.sarif import _uri

    base = f"/srv/{root}"
    report = Report([], ScanStats(), 0.0, root=base, paths_from_root=False)
    inside, base_id = _uri(f"{base}/{leaf}", report)
    outside, outside_id = _uri(f"{base}{suffix}/{leaf}", report)
    assert base_id == "%SRCROOT%" and not inside.startswith("file:")
    assert outside_id is None and outside.startswith("file:///srv/")


def test_a_gitlab_report_never_maps_a_sibling_folder_into_the_repository(tmp_path: Path, keys: FakeKeys) -> None:
    from akscan.model import ScanStats
    from akscan.report import Report
    from akscan.report.gitlab import _repository_path

    report = Report([], ScanStats(), 0.0, root=str(tmp_path / "repo"), paths_from_root=False)
    assert _repository_path(str(tmp_path / "repo" / "a.py"), report) == "a.py"
    assert _repository_path(str(tmp_path / "repo2" / "a.py"), report) == str(tmp_path / "repo2" / "a.py")


def _pair(keys: FakeKeys) -> tuple[str, str]:
    return keys.alibaba_id(), keys.alibaba_secret()


def test_stopwords_match_in_any_case(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, secret = _pair(keys)
    marked = secret[:10] + "ZeTa" + secret[14:]
    (tmp_path / "a.py").write_text(f"auth = oss2.Auth('{key_id}', '{marked}')\n")
    assert json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)["findings"]  # found without it
    for word in ("zeta", "ZETA", "zEtA"):
        (tmp_path / ".akscan.toml").write_text(f'[[rule_allowlist]]\nstopwords = ["{word}"]\n')
        document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)
        assert document["findings"] == [], word


def test_percent_escapes_in_either_case(tmp_path: Path, keys: FakeKeys) -> None:
    """A secret written percent-encoded in a URL: %2F and %2f are the same slash."""
    key_id = keys.aws_id()
    secret = "ab" + "/" + keys.aws_secret()[3:]
    for escape in ("%2F", "%2f"):
        encoded = secret.replace("/", escape)
        (tmp_path / "url.txt").write_text(f"https://x.test/?AWSAccessKeyId={key_id}&SecretAccessKey={encoded}\n")
        document = json.loads(run_akscan("scan", str(tmp_path / "url.txt"), "--format", "json", "--no-redact").out)
        assert [(f["key_id"], f["secret"]) for f in document["findings"]] == [(key_id, secret)], escape


def test_case_insensitive_anchors_in_any_case(tmp_path: Path, keys: FakeKeys) -> None:
    ak, sk = keys.alibaba_id()[4:].upper()[:20], keys.alibaba_secret() + "Zq9xW4kL3m"
    for word in ("ObsClient", "OBSCLIENT", "obsclient"):
        (tmp_path / "obs.py").write_text(f"client = {word}(access_key_id='{ak}', secret_access_key='{sk}')\n")
        document = json.loads(run_akscan("scan", str(tmp_path / "obs.py"), "--format", "json").out)
        assert [f["provider"] for f in document["findings"]] == ["huawei"], word
    os.remove(tmp_path / "obs.py")
