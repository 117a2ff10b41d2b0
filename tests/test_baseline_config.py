"""Baselines (create, move, new, stale), configuration files and their errors, --fail-on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.keys import FakeKeys


def leak(keys: FakeKeys) -> tuple[str, str, str]:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    return key_id, secret, f"auth = oss2.Auth('{key_id}', '{secret}')\n"


def findings(tmp_path: Path, *args: str) -> tuple[int, dict]:
    result = run_akscan("scan", ".", "--format", "json", *args, cwd=tmp_path)
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)


def test_baseline_round_trip(tmp_path: Path, keys: FakeKeys) -> None:
    old_id, old_secret, old_line = leak(keys)
    (tmp_path / "a.py").write_text(old_line)
    created = run_akscan("baseline", "create", ".", cwd=tmp_path)
    assert created.code == 0 and "wrote 1 entry" in created.err
    text = (tmp_path / ".akscan-baseline.json").read_text()
    assert old_secret not in text and old_id not in text  # fingerprints and a key hint, never a secret
    entry = json.loads(text)["entries"][0]
    assert set(entry) == {"fingerprint", "rule_id", "kind", "key_hint", "path"}
    assert entry["key_hint"] == old_id[:8] + "…" + old_id[-4:]
    assert run_akscan("scan", ".baseline-copy.json", cwd=tmp_path).code == 2  # (missing path: exit 2)
    (tmp_path / "copy.json").write_text(text)
    assert run_akscan("scan", "copy.json", cwd=tmp_path).code == 0  # other scanners find nothing in it

    # Move the code: still suppressed (no line numbers in the fingerprint).
    (tmp_path / "a.py").unlink()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "moved.py").write_text("\n\n# moved here\n" + old_line)
    code, document = findings(tmp_path, "--baseline", ".akscan-baseline.json")
    assert code == 0 and document["findings"] == []
    assert document["summary"]["suppressed"] == {"baseline": 1}
    assert document["summary"]["baseline"]["stale"] == []
    (tmp_path / "copy.json").unlink()

    # A new key is reported.
    new_id, _, new_line = leak(keys)
    (tmp_path / "pkg" / "new.py").write_text(new_line)
    code, document = findings(tmp_path, "--baseline", ".akscan-baseline.json")
    assert code == 1 and [f["key_id"] for f in document["findings"]] == [new_id]

    # A different secret for the same ID on the same line is not hidden by the old entry.
    (tmp_path / "pkg" / "moved.py").write_text(old_line.replace(old_secret, keys.alibaba_secret()))
    code, document = findings(tmp_path, "--baseline", ".akscan-baseline.json")
    assert {f["key_id"] for f in document["findings"]} == {old_id, new_id}

    # The old key removed: its entry is stale.
    (tmp_path / "pkg" / "moved.py").write_text("x = 1\n")
    result = run_akscan("scan", ".", "--format", "json", "--baseline", ".akscan-baseline.json", cwd=tmp_path)
    stale = json.loads(result.out)["summary"]["baseline"]["stale"]
    assert [s["key_hint"] for s in stale] == [entry["key_hint"]]
    assert "no longer match anything" in result.err

    updated = run_akscan("baseline", "update", ".", cwd=tmp_path)
    assert "1 new, 1 stale removed" in updated.err
    code, document = findings(tmp_path, "--baseline", ".akscan-baseline.json")
    assert code == 0 and document["summary"]["baseline"]["stale"] == []


def test_baseline_create_refuses_to_overwrite_and_update_needs_a_file(tmp_path: Path) -> None:
    (tmp_path / ".akscan-baseline.json").write_text('{"entries": []}')
    assert run_akscan("baseline", "create", ".", cwd=tmp_path).code == 2
    assert run_akscan("baseline", "update", ".", "--file", "other.json", cwd=tmp_path).code == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not readable JSON"),
        ('{"entries": [{"rule_id": "x"}]}', "entry 0 has no 'fingerprint'"),
        ('["a"]', "expected an object"),
    ],
)
def test_malformed_baseline(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "b.json").write_text(content)
    result = run_akscan("scan", ".", "--baseline", "b.json", cwd=tmp_path)
    assert result.code == 2 and message in result.err and "b.json" in result.err


def test_missing_baseline_says_how_to_create_it(tmp_path: Path) -> None:
    result = run_akscan("scan", ".", "--baseline", "nope.json", cwd=tmp_path)
    assert result.code == 2 and "akscan baseline create" in result.err


def test_config_file_excludes_allowlists_and_fail_on(tmp_path: Path, keys: FakeKeys) -> None:
    allowed_id, _, allowed_line = leak(keys)
    test_secret = keys.alibaba_secret()
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.py").write_text(leak(keys)[2])
    (tmp_path / "docs.py").write_text(allowed_line)
    (tmp_path / "sample.env").write_text(f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={test_secret}\n")
    lone_id = keys.alibaba_id()
    (tmp_path / "notes.txt").write_text(f"rotated {lone_id}\n")
    import hashlib

    digest = hashlib.sha256(test_secret.encode()).hexdigest()
    (tmp_path / ".akscan.toml").write_text(f'''
exclude = ["vendor/"]
fail_on = "medium"

[allowlist]
key_ids = ["{allowed_id}"]
secret_sha256 = ["{digest}"]
''')
    code, document = findings(tmp_path)
    assert [f["key_id"] for f in document["findings"]] == [lone_id]  # low severity: reported …
    assert code == 0  # … but below fail_on
    assert document["summary"]["suppressed"] == {"allowlist": 3}  # docs.py, sample.env, and .akscan.toml itself
    assert document["summary"]["skipped"] == {"excluded": 1}
    assert findings(tmp_path, "--fail-on", "low")[0] == 1  # the command line wins over the file


def test_pyproject_tool_table(tmp_path: Path, keys: FakeKeys) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.akscan]\nexclude = ["build/"]\n')
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.py").write_text(leak(keys)[2])
    code, document = findings(tmp_path)
    assert code == 0 and document["summary"]["skipped"] == {"excluded": 1}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("exclud = []", "unknown key 'exclud'"),
        ('exclude = "vendor/"', "'exclude' must be a list"),
        ("fail_on = 'severe'", "fail_on 'severe'"),
        ("[allowlist]\nkey_id = []", "unknown key 'allowlist.key_id'"),
        ("[allowlist]\nsecret_sha256 = ['abc']", "is not a SHA-256"),
        ("exclude = [", "not valid TOML"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / ".akscan.toml").write_text(content)
    result = run_akscan("scan", ".", cwd=tmp_path)
    assert result.code == 2, result.out
    assert message in result.err and ".akscan.toml" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_hook_never_rewrites_the_baseline(tmp_path: Path, keys: FakeKeys) -> None:
    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "r")
    repo.write("a.py", leak(keys)[2])
    run_akscan("baseline", "create", ".", cwd=repo.path)
    before = (repo.path / ".akscan-baseline.json").read_bytes()
    repo.write("b.py", leak(keys)[2])
    repo.git("add", "-A")
    result = run_akscan("hook", "--baseline", ".akscan-baseline.json", "--format", "json", cwd=repo.path)
    assert result.code == 1 and len(json.loads(result.out)["findings"]) == 1  # only b.py's key is new
    assert (repo.path / ".akscan-baseline.json").read_bytes() == before


def test_baseline_update_and_stale_respect_the_scanned_scope(tmp_path: Path, keys: FakeKeys) -> None:
    _, _, src_line = leak(keys)
    _, _, docs_line = leak(keys)
    (tmp_path / "src").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "src" / "a.py").write_text(src_line)
    (tmp_path / "docs" / "b.md").write_text(docs_line)
    assert run_akscan("baseline", "create", ".", cwd=tmp_path).code == 0
    hints = {e["key_hint"] for e in json.loads((tmp_path / ".akscan-baseline.json").read_text())["entries"]}
    assert len(hints) == 2

    # Scanning src alone: the docs entry was not looked at, so it is not stale.
    result = run_akscan("scan", "src", "--format", "json", "--baseline", ".akscan-baseline.json", cwd=tmp_path)
    assert result.code == 0 and json.loads(result.out)["summary"]["baseline"]["stale"] == []
    assert "no longer match" not in result.err

    # Updating from src alone keeps the docs entry; a key fixed in src drops out.
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    updated = run_akscan("baseline", "update", "src", cwd=tmp_path)
    assert updated.code == 0 and "0 new, 1 stale removed" in updated.err
    entries = json.loads((tmp_path / ".akscan-baseline.json").read_text())["entries"]
    assert [e["path"] for e in entries] == ["docs/b.md"]
    code, document = findings(tmp_path, "--baseline", ".akscan-baseline.json")
    assert code == 0 and document["summary"]["suppressed"] == {"baseline": 1}


def test_history_findings_are_baselined_from_a_report(tmp_path: Path, keys: FakeKeys) -> None:
    """A history audit's findings (a deleted file's key, a commit message's) cannot be baselined by
    scanning the work tree: `baseline create --from REPORT` records any akscan report's findings."""
    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "repo")
    gone_id, message_id = keys.alibaba_id(), keys.alibaba_id()
    repo.commit("leak", old_py=f"auth = oss2.Auth('{gone_id}', '{keys.alibaba_secret()}')\n")
    repo.git("rm", "-q", "old_py")
    repo.commit(f"cleanup; the key was {message_id}")
    for fmt in ("json", "jsonl", "sarif"):
        report = tmp_path / f"audit.{fmt}"
        audit = run_akscan("git", str(repo.path), "--format", fmt, "-o", str(report), "--no-config")
        assert audit.code == 1
        baseline = tmp_path / f"known-{fmt}.json"
        made = run_akscan("baseline", "create", "--from", str(report), "--baseline", str(baseline))
        assert made.code == 0, made.err
        text = baseline.read_text()
        assert gone_id not in text and message_id not in text  # hints only, never the key or secret
        again = run_akscan("git", str(repo.path), "--baseline", str(baseline), "--format", "json")
        assert again.code == 0, again.err
        assert json.loads(again.out)["summary"]["suppressed"]["baseline"] == 2
    # in its default place, every command finds it without being told
    (repo.path / ".akscan-baseline.json").write_text((tmp_path / "known-json.json").read_text())
    default = run_akscan("git", str(repo.path), "--format", "json")
    assert default.code == 0 and "akscan: baseline:" in default.err
    assert run_akscan("git", str(repo.path), "--no-config").code == 1  # --no-config ignores it


def test_baseline_from_a_report_refuses_what_is_not_one(tmp_path: Path) -> None:
    for name, text in (
        ("notes.json", '{"hello": 1}'),
        ("forged.json", '{"findings": [{"rule_id": "x"}]}'),
        ("bad.json", "not json at all {"),
    ):
        (tmp_path / name).write_text(text)
        result = run_akscan(
            "baseline", "create", "--from", str(tmp_path / name), "--baseline", str(tmp_path / "b.json")
        )
        assert result.code == 2 and "--from" in result.err and len(result.err.strip().splitlines()) == 1
        assert not (tmp_path / "b.json").exists()
    missing = run_akscan("baseline", "create", "--from", str(tmp_path / "nope.json"), "-f", str(tmp_path / "b.json"))
    assert missing.code == 2 and "no such file" in missing.err


def test_akscan_hash_gives_what_the_allowlist_matches(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    (tmp_path / "app.py").write_text(f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    hashes = {
        run_akscan("hash", input=text.encode()).out.strip()
        for text in (secret, secret + "\n", secret + "\r\n")  # printf %s, echo, a Windows echo
    }
    assert len(hashes) == 1 and secret not in "".join(hashes)
    (digest,) = hashes
    config = tmp_path / ".akscan.toml"
    config.write_text(f'[allowlist]\nsecret_sha256 = ["{digest}"]\n')
    result = run_akscan("scan", str(tmp_path), "--format", "json")
    assert result.code == 0 and "matched nothing" not in result.err
    assert run_akscan("hash", input=b"").code == 2


def test_allowlist_entries_that_match_nothing_are_named(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    (tmp_path / "app.py").write_text(f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    with_newline = run_akscan("hash", input=b"").code  # (an empty secret is refused above)
    assert with_newline == 2
    import hashlib

    wrong = hashlib.sha256((secret + "\n").encode()).hexdigest()  # the classic mistake: echo's newline
    (tmp_path / ".akscan.toml").write_text(
        f'[allowlist]\nkey_ids = ["{key_id}", "LTAI0000rotatedaway0000"]\nsecret_sha256 = ["{wrong}"]\n'
    )
    result = run_akscan("scan", str(tmp_path), "--format", "json")
    assert result.code == 0 and "2 [allowlist] entries of the config matched nothing" in result.err
    assert json.loads(result.out)["summary"]["allowlist_unused"] == 2
    partial = run_akscan("scan", str(tmp_path / "app.py"), "--format", "json")  # part of the tree: no verdict
    assert "matched nothing" not in partial.err
