"""Per-rule configuration from .akscan.toml: each option silences what it names and nothing else (a
positive and a negative case each), through every source alike, and every mistake is one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys


def _tree(root: Path, keys: FakeKeys) -> dict[str, str]:
    """Four findings of three rules in three files; returns {name: key ID}."""
    found = {
        "pair": keys.alibaba_id(),
        "doc_pair": keys.alibaba_id(),
        "aws": keys.aws_id(),
    }
    (root / "docs").mkdir(parents=True)
    (root / "app.py").write_text(f"auth = oss2.Auth('{found['pair']}', '{keys.alibaba_secret()}')\n")
    (root / "docs" / "guide.md").write_text(
        f"client = oss2.Auth('{found['doc_pair']}', '{keys.alibaba_secret()}')  # sample credentials\n"
    )
    (root / "deploy.sh").write_text(f"export AWS_ACCESS_KEY_ID={found['aws']}\n")
    (root / "lone.env").write_text(f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={keys.alibaba_secret()}\n")
    return found


def _scan(root: Path, config: str) -> tuple[int, dict, str]:
    (root / ".akscan.toml").write_text(config)
    result = run_akscan("scan", ".", "--format", "json", "--no-redact", cwd=root)
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out), result.err


def _rules(document: dict) -> list[tuple[str, str | None]]:
    return sorted((f["rule_id"], f["key_id"]) for f in document["findings"])


def test_disable_and_enable_rules(tmp_path: Path, keys: FakeKeys) -> None:
    ids = _tree(tmp_path, keys)
    _, everything, _ = _scan(tmp_path, "")
    assert {rule for rule, _ in _rules(everything)} == {
        "alibaba-access-key",
        "alibaba-access-key-secret",
        "aws-access-key",
    }
    _, document, _ = _scan(tmp_path, 'disable_rules = ["aws-access-key"]\n')
    assert ("aws-access-key", ids["aws"]) not in _rules(document)
    assert document["summary"]["suppressed"]["rule-disabled"] == 1
    _, document, _ = _scan(tmp_path, 'enable_rules = ["aws-access-key"]\n')
    assert _rules(document) == [("aws-access-key", ids["aws"])]


@pytest.mark.parametrize(
    ("allow", "silenced"),
    [
        ('paths = ["docs/"]', {"doc_pair"}),
        ('lines = ["sample credentials"]', {"doc_pair"}),
        ('stopwords = ["zzzz-not-there"]', set()),
    ],
)
def test_rule_allowlist_paths_lines_stopwords(tmp_path: Path, keys: FakeKeys, allow: str, silenced: set[str]) -> None:
    ids = _tree(tmp_path, keys)
    _, document, _ = _scan(tmp_path, f'[[rule_allowlist]]\nrules = ["alibaba-access-key"]\n{allow}\n')
    reported = {key for _, key in _rules(document)}
    assert {name for name, key in ids.items() if key not in reported} == silenced


def test_rule_allowlist_regexes_on_secret_and_key_id(tmp_path: Path, keys: FakeKeys) -> None:
    ids = _tree(tmp_path, keys)
    config = f'[[rule_allowlist]]\nkey_ids = ["^{ids["pair"][:10]}"]\n'
    _, document, _ = _scan(tmp_path, config)
    assert ids["pair"] not in {key for _, key in _rules(document)} and ids["doc_pair"] in str(document)
    other_rule = f'[[rule_allowlist]]\nrules = ["aws-access-key"]\nkey_ids = ["^{ids["pair"][:10]}"]\n'
    _, document, _ = _scan(tmp_path, other_rule)
    assert ids["pair"] in {key for _, key in _rules(document)}  # the list names another rule: no effect
    secret = json.loads(run_akscan("scan", "app.py", "--format", "json", "--no-redact", cwd=tmp_path).out)
    value = secret["findings"][0]["secret"]
    _, document, _ = _scan(tmp_path, f'[[rule_allowlist]]\nsecrets = ["^{value[:6]}"]\n')
    assert ids["pair"] not in {key for _, key in _rules(document)}


def test_rule_settings_apply_to_history_and_hook(tmp_path: Path, keys: FakeKeys) -> None:
    repo = Repo(tmp_path)
    ids = _tree(tmp_path, keys)
    (tmp_path / ".akscan.toml").write_text('disable_rules = []\n[[rule_allowlist]]\npaths = ["docs/"]\n')
    repo.git("add", "-A")
    staged = json.loads(run_akscan("hook", "--format", "json", cwd=tmp_path).out)
    repo.git("commit", "-q", "-m", "all")
    history = json.loads(run_akscan("git", ".", "--format", "json", "--no-cache", cwd=tmp_path).out)
    for document in (staged, history):
        keys_found = {f["key_id"] for f in document["findings"]}
        assert ids["doc_pair"] not in keys_found and ids["pair"] in keys_found


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('disable_rules = ["no-such-rule"]\n', "unknown rule id(s) no-such-rule"),
        ('disable_rules = "aws-access-key"\n', "must be a list"),
        ('disable_rules = ["aws-access-key"]\nenable_rules = ["alibaba-access-key"]\n', "not both"),
        ("rule_allowlist = 3\n", "must be a list"),
        ('[[rule_allowlist]]\nrules = ["alibaba-access-key"]\n', "names no paths"),
        ('[[rule_allowlist]]\nsecrets = ["(unclosed"]\n', "is not a valid regex"),
        ('[[rule_allowlist]]\nlines = ["["]\n', "is not a valid regex"),
        ('[[rule_allowlist]]\npaths = ["\\\\"]\n', "not a valid gitignore pattern"),
        ('[[rule_allowlist]]\nsecret = ["x"]\n', "unknown key(s) secret"),
        ('[[rule_allowlist]]\nrules = ["nope"]\nstopwords = ["x"]\n', "unknown rule id(s) nope"),
    ],
)
def test_rule_config_errors_are_one_line(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / ".akscan.toml").write_text(config)
    result = run_akscan("scan", ".", cwd=tmp_path)
    assert result.code == 2 and message in result.err, result.err
    assert len([line for line in result.err.splitlines() if line.startswith("akscan: error")]) == 1


CUSTOM = """
[[custom_rules]]
id = "acme-token"
provider = "acme"
kind = "key-id"
anchors = ["ACME_"]
anchors_case_sensitive = true
pattern = '(ACME_[A-Za-z0-9]{24})'
min_entropy = 3.0
lone_severity = "high"
description = "ACME API token"
remediation = "Revoke it in the ACME console."
"""


def test_custom_rules_in_the_config_extend_the_built_in_ones(tmp_path: Path, keys: FakeKeys) -> None:
    ids = _tree(tmp_path, keys)
    (tmp_path / "acme.txt").write_text("token ACME_Zx8Qp2Lm4Nv6Bc1Df3Gh5Jk7\n")
    _, document, _ = _scan(tmp_path, CUSTOM)
    rules = _rules(document)
    assert ("acme-token", "ACME_Zx8Qp2Lm4Nv6Bc1Df3Gh5Jk7") in rules and ("alibaba-access-key", ids["pair"]) in rules
    _, document, _ = _scan(tmp_path, 'disable_rules = ["acme-token"]\n' + CUSTOM)
    assert "acme-token" not in {rule for rule, _ in _rules(document)}  # a custom rule obeys the switches too


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (CUSTOM.replace("pattern = '(ACME_[A-Za-z0-9]{24})'", "pattern = '(('"), "bad pattern"),
        # Two groups: where the second matched, the first is empty (it crashed the scan of a file).
        (
            CUSTOM.replace(
                "pattern = '(ACME_[A-Za-z0-9]{24})'", "pattern = '(ACME_[A-Za-z0-9]{24})|key=(ACME_[0-9]{8})'"
            ),
            "exactly one capturing group",
        ),
        (CUSTOM.replace("pattern = '(ACME_[A-Za-z0-9]{24})'", "pattern = 'ACME_[A-Za-z0-9]{24}'"), "exactly one"),
        (
            CUSTOM.replace('id = "acme-token"', 'id = "alibaba-access-key"'),
            "defined twice (a built-in rule has this id",
        ),
        ("custom_rules = [1]\n", "must be a list of tables"),
    ],
)
def test_custom_rule_errors_name_the_config(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / ".akscan.toml").write_text(config)
    result = run_akscan("scan", ".", cwd=tmp_path)
    assert result.code == 2 and message in result.err and ".akscan.toml" in result.err, result.err


@pytest.mark.parametrize("field", ["lines", "secrets", "key_ids"])
def test_a_catastrophic_allowlist_regex_cannot_hang_the_scan(tmp_path: Path, keys: FakeKeys, field: str) -> None:
    """(a+)+$ against a long run of a's backtracks for ever on Python's re: a config found in a scanned tree
    could hang every scan. It is cut off at its time limit, allows nothing from then on (a timeout means
    "not allowed"), and the run says so."""
    import time

    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    # every value the regex is asked about is a long run of a's with a stop at the end
    (tmp_path / "app.py").write_text(f"auth = oss2.Auth('{key_id}', '{secret}')  # {'a' * 40}!\n")
    (tmp_path / "more.py").write_text(f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    # (a|aa)+$ backtracks exponentially on the regex module too ((a+)+$ it optimises away)
    slow = "(\\\\w|\\\\w\\\\w|\\\\w\\\\w\\\\w)+[^\\\\w]"  # (\w|\w\w|\w\w\w)+[^\w] on a 24-30 character value
    pattern = {"lines": "(a|aa)+$", "secrets": slow, "key_ids": slow}[field]
    config = tmp_path / ".akscan.toml"
    config.write_text(f'[[rule_allowlist]]\n{field} = ["{pattern}"]\n')
    started = time.monotonic()
    result = run_akscan("scan", str(tmp_path), "--format", "json", "-j", "1", process=True, timeout=60)
    assert time.monotonic() - started < 30
    found = {f["key_id"] for f in json.loads(result.out)["findings"]}
    assert key_id in found  # not allowed: the regex never said yes
    assert "ran past" in result.err and "switched off" in result.err


def test_a_path_allowlist_never_hides_a_key_that_is_also_elsewhere(tmp_path: Path, keys: FakeKeys) -> None:
    """paths = ["tests/**"] allows a key only where all its places are under tests/: the same key first
    committed in tests/fixture.env and later in src/app.env is a leak in src/ (history judged every path,
    not the oldest one)."""
    repo = Repo(tmp_path / "repo")
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    env = f"ALIBABA_CLOUD_ACCESS_KEY_ID={key_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}\n"
    repo.commit("fixture", tests__fixture_env=env)
    repo.commit("app config", src__app_env=env)
    config = tmp_path / "allow.toml"
    config.write_text('[[rule_allowlist]]\npaths = ["tests/**"]\n')
    result = run_akscan("git", str(repo.path), "--config", str(config), "--format", "json", "--no-cache")
    assert result.code == 1 and key_id in {f["key_id"] for f in json.loads(result.out)["findings"]}
    only_tests = Repo(tmp_path / "only")
    only_tests.commit("fixture", tests__fixture_env=env)
    quiet = run_akscan("git", str(only_tests.path), "--config", str(config), "--format", "json", "--no-cache")
    assert quiet.code == 0 and json.loads(quiet.out)["summary"]["suppressed"]["rule-allowlist"] == 1


def test_the_built_in_rules_load_as_custom_rules() -> None:
    """A copy of the bundled rules folder given as a custom rules folder passes every check a user's rules
    go through (pattern cost, one capturing group, names), so built-ins may be copied and edited."""
    from akscan.engine.rules import builtin_rules_dir, load_ruleset

    copied = load_ruleset(include_builtin=False, extra_dirs=(builtin_rules_dir(),))
    assert len(copied.rules) == len(load_ruleset().rules)
