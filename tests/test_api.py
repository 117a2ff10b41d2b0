"""akscan as a library: the documented examples run as tests, and the face gives what the command line
gives for the same input."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import akscan
from akscan import api
from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys


def test_the_docstring_examples_run() -> None:
    result = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0


def test_the_face_is_reexported_and_typed() -> None:
    assert akscan.Scanner is api.Scanner and akscan.redact is api.redact and callable(akscan.verify)
    import akscan.verify as package  # importing the package keeps akscan.verify callable

    assert akscan.verify is package and callable(akscan.verify) and package.Verifier
    assert set(api.__all__) <= set(akscan.__all__)
    assert (Path(akscan.__file__).parent / "py.typed").exists()


def test_scan_paths_and_repository_match_the_command_line(tmp_path: Path, keys: FakeKeys) -> None:
    repo = Repo(tmp_path / "repo")
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    repo.commit("leak", app_py=f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    repo.commit("more", conf_env=f"AWS_ACCESS_KEY_ID={keys.aws_id()}\nAWS_SECRET_ACCESS_KEY={keys.aws_secret()}\n")
    scanner = akscan.Scanner()
    files = scanner.scan_paths(repo.path)
    cli = json.loads(run_akscan("scan", str(repo.path), "--format", "json", "--no-config").out)
    assert sorted(f.fingerprint for f in files) == sorted(f["fingerprint"] for f in cli["findings"])
    history = scanner.scan_repository(repo.path, cache=False)
    assert {f.key_id for f in history} == {f.key_id for f in files}
    assert all(f.git is not None and f.git.commit for f in history)
    ranged = scanner.scan_repository(repo.path, range="HEAD~1..HEAD", cache=False)
    assert key_id not in {f.key_id for f in ranged if not (f.git and f.git.present_before_range)}


def test_a_config_applies_its_allowlist_and_excludes(tmp_path: Path, keys: FakeKeys) -> None:
    key_id = keys.alibaba_id()
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.py").write_text(f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    (tmp_path / "app.py").write_text(f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    config = tmp_path / ".akscan.toml"
    config.write_text('exclude = ["vendor/"]\n')
    assert [f.key_id for f in akscan.Scanner(config=config).scan_paths(tmp_path)] == [key_id]
    config.write_text(f'[allowlist]\nkey_ids = ["{key_id}"]\n')
    assert [f.key_id for f in akscan.Scanner(config=config).scan_text((tmp_path / "app.py").read_text())] == []


def test_redact_masks_every_secret_and_token_and_keeps_the_rest(keys: FakeKeys) -> None:
    sts_id, sts_secret, token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    aws_secret = keys.aws_secret()
    log = (
        f'{{"AccessKeyId": "{sts_id}", "AccessKeySecret": "{sts_secret}", "SecurityToken": "{token}"}}\n'
        f"aws_secret_access_key = {aws_secret}\nuser=alice status=ok\n"
    )
    masked = akscan.redact(log)
    for value in (sts_secret, token, aws_secret):
        assert value not in masked
    assert sts_id in masked and "user=alice status=ok" in masked
    assert masked.count("\n") == log.count("\n")


def test_untrusted_text_can_ignore_inline_markers(keys: FakeKeys) -> None:
    text = f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')  # akscan:allow\n"
    assert akscan.Scanner().scan_text(text) == []
    assert len(akscan.Scanner(inline_markers=False).scan_text(text)) == 1


def test_verify_through_the_face(keys: FakeKeys) -> None:
    from tests.sts_emulator import Emulator

    sts = Emulator().start()
    try:
        key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
        sts.add_ram_user(key_id, secret)
        found = akscan.Scanner().scan_text(f"auth = oss2.Auth('{key_id}', '{secret}')")
        checked = akscan.verify(found, endpoints={"alibaba": sts.url}, timeout=5.0)
    finally:
        sts.stop()
    assert [f.verification.status for f in checked if f.verification] == ["live"]
