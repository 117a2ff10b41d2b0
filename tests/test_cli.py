"""The real `akscan` entry point: exit codes, formats, options, stdin, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, run_akscan
from tests.keys import FakeKeys


def write_pair(path: Path, keys: FakeKeys) -> tuple[str, str]:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    return key_id, secret


def test_clean_tree_exits_0(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("print('hello')\n")
    result = run_akscan("scan", str(tmp_path), process=True)  # the installed console script, for real
    assert result.code == 0
    assert "0 findings in 1 file" in result.out


def test_findings_exit_1_and_text_is_redacted(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, secret = write_pair(tmp_path / "app.py", keys)
    result = run_akscan("scan", str(tmp_path), process=True)
    assert result.code == 1
    assert key_id in result.out
    assert secret not in result.out + result.err
    assert secret[:4] + "*" in result.out
    assert "akscan:allow" in result.out  # tells people how to silence a false positive


def test_default_path_is_current_directory(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, _ = write_pair(tmp_path / "sub" / "x.cfg", keys)
    result = run_akscan("scan", "--format", "json", cwd=tmp_path)
    assert result.code == 1
    assert [f["key_id"] for f in json.loads(result.out)["findings"]] == [key_id]


def test_json_contract(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, secret = write_pair(tmp_path / "app.py", keys)
    result = run_akscan("scan", str(tmp_path), "--format", "json")
    document = json.loads(result.out)
    assert document["tool"] == "akscan" and document["version"]
    summary = document["summary"]
    assert summary["files"] == 1 and summary["bytes"] == (tmp_path / "app.py").stat().st_size
    assert "duration_seconds" in summary and summary["skipped"] == {}
    (finding,) = document["findings"]
    for field in (
        "rule_id",
        "provider",
        "kind",
        "severity",
        "confidence",
        "key_id",
        "secret",
        "path",
        "line",
        "column",
        "fingerprint",
    ):
        assert field in finding, field
    assert finding["kind"] == "pair" and finding["key_id"] == key_id
    assert finding["secret"] != secret and finding["secret"].startswith(secret[:4])
    assert finding["line"] == 1 and finding["column"] == 19
    assert len(finding["fingerprint"]) == 64


def test_fingerprint_ignores_line_numbers(tmp_path: Path, keys: FakeKeys) -> None:
    _key_id, _secret = write_pair(tmp_path / "a.py", keys)
    (tmp_path / "b.py").write_text("\n\n\n# moved\n" + (tmp_path / "a.py").read_text())
    document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)
    first, second = document["findings"]
    assert first["line"] != second["line"]
    assert first["fingerprint"] == second["fingerprint"]


def test_no_redact_shows_secret(tmp_path: Path, keys: FakeKeys) -> None:
    _, secret = write_pair(tmp_path / "app.py", keys)
    result = run_akscan("scan", str(tmp_path), "--format", "json", "--no-redact")
    assert json.loads(result.out)["findings"][0]["secret"] == secret


def test_jsonl_has_one_line_per_finding_then_summary(tmp_path: Path, keys: FakeKeys) -> None:
    write_pair(tmp_path / "a.py", keys)
    write_pair(tmp_path / "b.py", keys)
    lines = [json.loads(line) for line in run_akscan("scan", str(tmp_path), "--format", "jsonl").out.splitlines()]
    assert [line["type"] for line in lines] == ["finding", "finding", "summary"]
    assert lines[-1]["findings"] == 2


def test_output_file(tmp_path: Path, keys: FakeKeys) -> None:
    write_pair(tmp_path / "src" / "a.py", keys)
    out = tmp_path / "report.json"
    result = run_akscan("scan", str(tmp_path / "src"), "--format", "json", "--output", str(out))
    assert result.code == 1 and result.out == ""
    assert json.loads(out.read_text())["summary"]["findings"] == 1
    summary, where = result.err.strip().splitlines()  # the CI log still says what happened, and where
    assert summary.startswith("akscan: 1 finding (1 high)") and str(out) in summary
    key_id = json.loads(out.read_text())["findings"][0]["key_id"]
    assert where == f"akscan:   high {tmp_path / 'src' / 'a.py'}:1 alibaba {key_id}"


def test_output_file_lists_where_the_keys_are_capped(tmp_path: Path, keys: FakeKeys) -> None:
    for count, listed, more in ((19, 19, None), (20, 20, None), (21, 20, "… and 1 more"), (25, 20, "… and 5 more")):
        folder = tmp_path / str(count)
        made = [write_pair(folder / f"m{i:02}.py", keys) for i in range(count)]
        ids = [key_id for key_id, _ in made]
        out = tmp_path / f"{count}.sarif"
        result = run_akscan("scan", str(folder), "--format", "sarif", "-o", str(out))
        lines = result.err.strip().splitlines()[1:]
        rows = [line for line in lines if " alibaba LTAI" in line]
        assert len(rows) == listed and all(any(i in row for i in ids) for row in rows)
        assert (more in lines[-1]) if more else len(lines) == listed
        assert not any(secret in result.err for _, secret in made)


def test_stdin(keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    result = run_akscan("scan", "-", "--format", "json", input=f"AK={key_id}\nSK={secret}\n".encode(), process=True)
    assert result.code == 1
    (finding,) = json.loads(result.out)["findings"]
    assert (finding["path"], finding["key_id"], finding["secret_line"]) == ("<stdin>", key_id, 2)


def test_exclude_glob(tmp_path: Path, keys: FakeKeys) -> None:
    write_pair(tmp_path / "vendor" / "lib.py", keys)
    key_id, _ = write_pair(tmp_path / "app" / "main.py", keys)
    document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json", "--exclude", "vendor/").out)
    assert [f["key_id"] for f in document["findings"]] == [key_id]
    assert document["summary"]["skipped"] == {"excluded": 1}


def test_gitignore_only_when_asked(tmp_path: Path, keys: FakeKeys) -> None:
    (tmp_path / ".gitignore").write_text("secrets/\n*.local\n")
    write_pair(tmp_path / "secrets" / "prod.ini", keys)
    write_pair(tmp_path / "settings.local", keys)
    write_pair(tmp_path / "app.py", keys)
    default = json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)
    assert len(default["findings"]) == 3  # an ignored file on disk is still a leak
    honoured = json.loads(run_akscan("scan", str(tmp_path), "--format", "json", "--gitignore").out)
    assert [Path(f["path"]).name for f in honoured["findings"]] == ["app.py"]
    assert honoured["summary"]["skipped"] == {"gitignored": 2}


def test_max_file_size(tmp_path: Path, keys: FakeKeys) -> None:
    write_pair(tmp_path / "small.py", keys)
    big = tmp_path / "big.py"
    write_pair(big, keys)
    with big.open("a") as handle:
        handle.write("#" * 5000 + "\n")
    for index in range(5):
        (tmp_path / f"big{index}.bin").write_bytes(b"#" * 5000)
    result = run_akscan("scan", str(tmp_path), "--format", "json", "--max-file-size", "2k")
    document = json.loads(result.out)
    assert [Path(f["path"]).name for f in document["findings"]] == ["small.py"]
    assert document["summary"]["skipped"] == {"too-large": 6}
    assert "too-large" not in result.err and "max-file-size" not in result.err  # counted, not a warning each


def test_jobs_gives_same_findings(tmp_path: Path, keys: FakeKeys) -> None:
    for i in range(40):
        (tmp_path / f"f{i}.txt").write_text("filler line\n" * 20000)
    write_pair(tmp_path / "f7.txt", keys)
    one = json.loads(run_akscan("scan", str(tmp_path), "--format", "json", "-j", "1").out)
    two = json.loads(run_akscan("scan", str(tmp_path), "--format", "json", "-j", "2").out)
    assert one["findings"] == two["findings"] and len(one["findings"]) == 1
    assert one["summary"]["bytes"] == two["summary"]["bytes"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "--format", "xml"], "Invalid value for '--format'"),
        (["scan", "--max-file-size", "lots"], "--max-file-size"),
        (["scan", "--bogus"], "No such option"),
        (["scan", "-", "somewhere"], "stdin"),
        (["scan", "--rules", "/nonexistent/rules"], "does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(args: list[str], message: str) -> None:
    result = run_akscan(*args)
    assert result.code == 2
    assert message in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err


def test_malformed_rule_file_names_file_and_rule(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        '[[rules]]\nid = "mine"\nprovider = "x"\nkind = "key-id"\npattern = "(("\n'
        'anchors = ["abcd"]\ndescription = "d"\nremediation = "r"\n'
    )
    result = run_akscan("scan", "--rules", str(tmp_path), str(tmp_path))
    assert result.code == 2
    assert "bad.toml" in result.err and "'mine'" in result.err and "bad pattern" in result.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('min_entropy = "high"', "min_entropy must be a number from 0 to 8"),
        ("min_entropy = -1", "min_entropy must be a number from 0 to 8"),
        ("min_entropy_by_length = 3.3", "min_entropy_by_length must be a table of lengths and floors"),
        ("min_entropy_by_length = { abc = 3.3 }", "min_entropy_by_length: 'abc' is no length from 1 to 4096"),
        ("min_entropy_by_length = { 0 = 3.3 }", "min_entropy_by_length: '0' is no length from 1 to 4096"),
        ("min_entropy_by_length = { 24 = 9 }", "the floor for 24 must be a number from 0 to 8"),
        ('min_entropy_by_length = { "\u00b2" = 3.3 }', "is no length from 1 to 4096"),  # a digit to isdigit()
        ('min_entropy_by_length = { "\uff12\uff14" = 3.3 }', "is no length from 1 to 4096"),  # full-width 24
        ("window = -5", "window must be a whole number of at least 1"),
        ("window = 2.5", "window must be a whole number of at least 1"),
        ('validator = "nope"', "unknown validator 'nope'"),
        ('anchors_case_sensitive = "yes"', "anchors_case_sensitive must be true or false"),
        ('pair = { secret = "x", lines = -1 }', "pair.lines must be a whole number"),
        ('pair = { secret = "x", kind = "trio" }', "pair.kind must be 'pair' or 'sts-credentials'"),
        ('severity = "urgent"', "unknown severity 'urgent'"),
        ('confidence = "high"', "unknown key(s) confidence"),
        ("unverifiable = true", "unverifiable is a key-ID rule's one-line reason"),
        ('base64_opens_gate = "middle"', 'base64_opens_gate must be true, false or "start"'),
        ('base64_heads = ["{"]', "base64_heads must be a list of ASCII texts of at least 6 characters"),
        ("base64_heads = [7]", "base64_heads must be a list of ASCII texts of at least 6 characters"),
        ("signature_opens_gate = 3", "signature_opens_gate must be the name the signed text starts with"),
        ('signature_opens_gate = "secretId="', "signature_opens_gate needs a key-id rule with case-sensitive anchors"),
        (f'unverifiable = "{"x" * 301}"', "unverifiable is a key-ID rule's one-line reason"),
    ],
)
def test_invalid_rule_values_are_one_clear_line(tmp_path: Path, extra: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(
        '[[rules]]\nid = "mine"\nprovider = "x"\nkind = "key-id"\npattern = "(ABCD[0-9]{8})"\n'
        f'anchors = ["abcd"]\ndescription = "d"\nremediation = "r"\n{extra}\n'
    )
    result = run_akscan("scan", "--rules", str(tmp_path), str(tmp_path))
    assert result.code == 2, result.err
    assert "'mine'" in result.err and message in result.err and len(result.err.strip().splitlines()) == 1


def test_user_rules_directory_adds_a_rule(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "acme.toml").write_text("""
[[rules]]
id = "acme-token"
provider = "acme"
kind = "key-id"
anchors = ["ACME_"]
anchors_case_sensitive = true
pattern = '(ACME_[A-Za-z0-9]{24})'
min_entropy = 3.0
lone_severity = "high"
description = "ACME token"
remediation = "Revoke it."
examples = ["ACME_Zx8Qp2Lm4Nv6Bc1Df3Gh5Jk7"]
negative_examples = ["ACME_xxxxxxxxxxxxxxxxxxxxxxxx"]
""")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("token ACME_Zx8Qp2Lm4Nv6Bc1Df3Gh5Jk7\n")
    result = run_akscan("scan", "--rules", str(rules), str(tmp_path / "src"), "--format", "json")
    assert result.code == 1
    assert [f["rule_id"] for f in json.loads(result.out)["findings"]] == ["acme-token"]
    listed = run_akscan("rules", "list", "--rules", str(rules))
    assert "acme-token" in listed.out and "alibaba-access-key" in listed.out


def test_rules_list_and_version() -> None:
    listed = run_akscan("rules", "list", "--format", "json")
    assert listed.code == 0
    ids = {r["id"] for r in json.loads(listed.out)["rules"]}
    assert {"alibaba-access-key", "alibaba-sts-credentials", "aws-access-key"} <= ids
    version = run_akscan("--version", process=True)
    assert version.code == 0 and "akscan" in version.out


def test_demo_tree_from_readme() -> None:
    result = run_akscan("scan", str(REPO / "fixtures" / "demo"), "--format", "json", process=True)
    assert result.code == 1
    document = json.loads(result.out)
    kinds = sorted((Path(f["path"]).name, f["kind"]) for f in document["findings"])
    assert kinds == [
        (".env", "secret"),
        ("aliyun-cli.json", "pair"),
        ("assume-role.json", "sts-credentials"),
        ("main.tf", "pair"),
        ("storage.py", "pair"),
    ]
    assert document["summary"]["suppressed"] == {"inline-marker": 1}


def test_the_report_being_written_is_not_scanned(tmp_path: Path, keys: FakeKeys) -> None:
    write_pair(tmp_path / "app.py", keys)
    report = tmp_path / "report.json"
    for _ in range(2):  # the second run sees the first run's unredacted report in the tree
        result = run_akscan("scan", str(tmp_path), "--format", "json", "--no-redact", "-o", str(report))
        document = json.loads(report.read_text())
        assert [Path(f["path"]).name for f in document["findings"]] == ["app.py"], result.err
    assert document["summary"]["skipped"] == {"akscan-output": 1}


def _commands(group: object, prefix: str = "") -> list[tuple[str, object]]:
    import click

    found = []
    assert isinstance(group, click.Group)
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


def test_every_option_and_command_is_documented() -> None:
    import click

    from akscan.cli import cli

    missing = []
    for name, command in _commands(cli):
        assert isinstance(command, click.Command)
        if not (command.help or "").strip():
            missing.append(f"{name}: no description")
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip():
                missing.append(f"{name} {param.opts[0]}: no help")
        shown = command.get_help(click.Context(command, info_name=name, max_content_width=110))
        assert "..." not in shown.splitlines()[2] if len(shown.splitlines()) > 2 else True
    assert missing == []
    usage = run_akscan("hook", "--help").out
    assert "-o, --output FILE" in usage and "--baseline FILE" in usage and "[--] [FILE]..." in usage


def test_what_to_do_fits_the_kind_of_key() -> None:
    text = run_akscan("scan", str(REPO / "fixtures" / "demo")).out
    assert "aliyun ram UpdateAccessKey --UserName USER --UserAccessKeyId LTAI" in text
    assert "--UserAccessKeyId STS." not in text  # temporary credentials cannot be disabled ...
    assert "STS temporary credentials expire on their own" in text  # ... they expire
    assert text.index("If a key is real") < text.index("If it is a false positive")


def test_a_real_run_ends_with_every_byte_of_its_report_written(tmp_path: Path, keys: FakeKeys) -> None:
    """The command ends without the interpreter's teardown (os._exit after the exit handlers): a large
    JSON report on stdout (a pipe) and one written with -o both arrive whole, the exit code is kept, and
    the git a history scan started is gone."""
    import subprocess

    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "repo")
    planted = {}
    for number in range(120):
        key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
        planted[key_id] = secret
        (repo.path / f"conf_{number}.py").write_text(f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "keys")
    piped = run_akscan("git", str(repo.path), "--format", "json", "--no-redact", "--no-cache", process=True)
    assert piped.code == 1, piped.err
    assert {f["key_id"]: f["secret"] for f in json.loads(piped.out)["findings"]} == planted
    report = tmp_path / "report.json"
    written = run_akscan("git", str(repo.path), "--format", "json", "-o", str(report), process=True)
    assert written.code == 1 and len(json.loads(report.read_text())["findings"]) == 120
    clean = run_akscan("scan", str(tmp_path / "nothing-here-yet"), process=True)
    assert clean.code == 2  # a usage error keeps its code too
    leftovers = subprocess.run(["pgrep", "-f", f"git -C {repo.path}"], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(LTAI[A-Za-z0-9]{4294967294})", "a counted repeat of 4294967294"),
        ("(((LTAI){100}){100}){101}", "expands past 1,000,000"),
        ("(LTAI" + "[A-Za-z0-9]" * 900 + ")", "pattern of"),
    ],
)
def test_costly_custom_patterns_are_one_line(tmp_path: Path, pattern: str, message: str) -> None:
    """A pattern that would exhaust memory (or minutes) at compile time is refused before it compiles."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "mine.toml").write_text(
        f"[[rules]]\nid = \"mine\"\nprovider = \"x\"\nkind = \"key-id\"\npattern = '''{pattern}'''\n"
        'anchors = ["LTAI"]\ndescription = "d"\nremediation = "r"\n'
    )
    result = run_akscan("scan", "--rules", str(folder), str(tmp_path), process=True, timeout=60)
    assert result.code == 2 and message in result.err and "mine" in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1 and "internal error" not in result.err


def test_rule_files_are_bounded_regular_files_inside_their_folder(tmp_path: Path) -> None:
    import os

    outside = tmp_path / "elsewhere.toml"
    outside.write_text('[[rules]]\nid = "x"\n')
    for name, make, message in (
        ("zero.toml", lambda p: os.symlink("/dev/zero", p), "must be inside its folder"),
        ("fifo.toml", os.mkfifo, "not a regular file"),
        ("out.toml", lambda p: os.symlink(outside, p), "must be inside its folder"),
        ("big.toml", lambda p: p.write_bytes(b"#" * (4 * 1024 * 1024 + 1)), "over the"),
    ):
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        make(folder / name)
        result = run_akscan("scan", "--rules", str(folder), str(tmp_path / "nothing"), process=True, timeout=30)
        assert result.code == 2 and message in result.err, (name, result.err)
        assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ('{ secret = "nope" }', "pairs with unknown rule 'nope'"),
        ('{ secret = "alibaba-access-key-secret", token = "nope" }', "pairs with unknown rule 'nope'"),
        ('{ secret = "mine" }', "pair.secret names 'mine', a key-id rule"),
        ('{ secret = "alibaba-access-key-secret", token = "alibaba-access-key" }', "pair.token names"),
        ('{ secret = "alibaba-sts-security-token" }', "pair.secret names"),
    ],
)
def test_every_cross_reference_of_a_custom_rule_is_checked(tmp_path: Path, pair: str, message: str) -> None:
    """A custom rule naming the wrong kind of rule (or none) as its secret or token loaded, then crashed
    or silently found nothing: it is one line at load time."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "mine.toml").write_text(
        '[[rules]]\nid = "mine"\nprovider = "x"\nkind = "key-id"\nanchors = ["ZZID"]\n'
        f"pattern = '''(ZZID[A-Z0-9]{{16}})'''\npair = {pair}\n"
        'description = "d"\nremediation = "r"\n'
    )
    (tmp_path / "t.txt").write_text("ZZIDABCD1234EFGH5678\n")
    result = run_akscan("scan", "--rules", str(folder), str(tmp_path / "t.txt"))
    assert result.code == 2 and message in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1
