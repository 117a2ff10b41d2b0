"""A file's own name as a provider's context (akscan.engine.filecontext): a Rails app's config/qiniu.yml
holds Qiniu's pair under access_key/secret_key with no Qiniu word in it."""

from __future__ import annotations

import json
import random
import string
import subprocess
from pathlib import Path

import pytest

from akscan.engine.delta import DeltaScanner
from akscan.engine.pipeline import ContentOptions
from akscan.engine.rules import RuleError, Ruleset, compile_rules
from akscan.model import Kind, ScanStats
from akscan.runs.history import _rescan_named
from akscan.sources.git import GitObject
from tests.conftest import run_akscan, scan_text
from tests.gitrepo import Repo

URLSAFE = string.ascii_letters + string.digits + "-_"


def _qiniu_value(rng: random.Random) -> str:
    """Letters and digits only (8% of Qiniu pairs): with a `_` or `-` the pair is Qiniu's by its shape alone
    (qiniu-shaped-access-key), name or no name; these tests are about what the name decides."""
    return "".join(rng.choice(URLSAFE[:62]) for _ in range(40))


def _config(ak: str, sk: str) -> str:
    # ak/sk in YAML: an access-key name (or a Java `ak =`) beside a 40-character run opens the gate (for
    # qiniu-shaped-access-key), and these tests need a file that nothing but its name puts in Qiniu's context.
    return (
        "defaults: &defaults\n"
        f"  ak: '{ak}'\n"
        f"  sk: '{sk}'\n"
        "  bucket: 'photos'\n"
        "  domain: 'cdn.example.test'\n\n"
        "development:\n  <<: *defaults\n\nproduction:\n  <<: *defaults\n"
    )


@pytest.mark.parametrize(
    ("name", "provider"),
    [
        ("config/qiniu.yml", "qiniu"),
        ("qiniu.yaml", "qiniu"),
        ("src/main/resources/application-qiniu.yml", "qiniu"),
        ("app/QiniuConfig.java", "qiniu"),
        ("utils/qiniu_util.py", "qiniu"),
        ("config/aliyun-oss.properties", "alibaba"),
        ("HuaweiObsClient.java", "huawei"),
        ("huaweicloud.json", "huawei"),
        ("conf/ucloud.json", "ucloud"),
        ("ks3.yml", "kingsoft"),
        ("config\\baidu.ini", "baidu"),
        ("archive.zip!config/jdcloud.yml", "jdcloud"),
        ("config/aip.php", "baidu"),  # a three-letter stem: a code file right inside a config folder
        ("app\\Config\\bos.php", "baidu"),
        ("archive.zip!conf/ks3.php", "kingsoft"),
    ],
)
def test_a_file_named_for_a_provider_is_in_its_context(name: str, provider: str, ruleset: Ruleset) -> None:
    rules = ruleset.file_context.rules_for(name)
    assert rules and {ruleset.rules[i].provider for i in rules} == {provider}


@pytest.mark.parametrize(
    "name",
    [
        "config/storage.yml",
        "fixtures/realworld/qiniu/03-rails-qiniu-yml.yml",  # a harvested fixture names what it tests
        "node_modules/qiniu/index.js",  # a folder of the provider's name: its SDK, not a config
        "qiniu",  # no extension: a folder or a binary
        "myqiniu.yml",
        "qiniu-sdk-tests.yml.bak.old",
        "README.md",
        "libobs/obs.c",  # OBS Studio's sources: a three-letter stem names only a config file
        "obs-config.h",
        "static/bos.js",
        "notes/huawei.md",  # docs and pages are not configs
        "qiniu.test.js",  # a test's name says what it tests
        "aip.php",  # a three-letter stem in code outside a config folder (the folder only says "config")
        "config/sub/aip.php",
        "myconfig/aip.php",
        "config/aip.md",
        "config/obs.c",
        "config/obs.js",  # other code in a config folder: an OBS Studio uploader's settings
        "config/bos.ts",
        "config/aip.py",
    ],
)
def test_other_names_are_not(name: str, ruleset: Ruleset) -> None:
    assert ruleset.file_context.rules_for(name) == ()


def test_the_name_alone_makes_the_pair_a_qiniu_pair(ruleset: Ruleset) -> None:
    rng = random.Random(10)
    ak, sk = _qiniu_value(rng), _qiniu_value(rng)
    text = _config(ak, sk)
    assert not ruleset.gate.scan(text.encode()).open  # nothing but the name opens this file
    assert scan_text(text, ruleset, path="config/storage.yml") == []
    findings = scan_text(text, ruleset, path="config/qiniu.yml")
    assert [(f.provider, f.kind, f.key_id, f.secret) for f in findings] == [("qiniu", Kind.PAIR, ak, sk)]


def test_a_laravel_config_array_is_baidus_by_its_path(ruleset: Ruleset) -> None:
    """config/aip.php returns the Baidu AI app's keys and names nothing else; the same array elsewhere is
    nobody's (harvested: fixtures/realworld/baidu, scanned under the path it had)."""
    rng = random.Random(4)
    api_key = "".join(rng.choice(URLSAFE[:62]) for _ in range(24))
    secret = "".join(rng.choice(URLSAFE[:62]) for _ in range(32))
    text = f"<?php\n\n    return  [\n        'APP_ID' => 10688030,\n        'API_KEY' => '{api_key}',\n"
    text += f"        'SECRET_KEY' => '{secret}'\n    ];"
    assert scan_text(text, ruleset, path="app/aip.php") == []
    found = scan_text(text, ruleset, path="config/aip.php")
    assert [(f.provider, f.key_id, f.secret) for f in found] == [("baidu", api_key, secret)]


@pytest.mark.parametrize("argument", [".", "./", "aip.php", "../{folder}/aip.php", "BIG"])
def test_a_config_folder_counts_when_the_scan_runs_inside_it(tmp_path: Path, argument: str) -> None:
    """``cd config && akscan scan .`` reports aip.php with no folder in its path: the folder it lies in still
    makes it a config file (it was lost, and the pair with it). BIG: past one chunk, the streaming path."""
    rng = random.Random(9)
    api_key = "".join(rng.choice(URLSAFE[:62]) for _ in range(24))
    secret = "".join(rng.choice(URLSAFE[:62]) for _ in range(32))
    text = f"<?php\n\n    return  [\n        'APP_ID' => 10688030,\n        'API_KEY' => '{api_key}',\n"
    text += f"        'SECRET_KEY' => '{secret}'\n    ];\n"
    if argument == "BIG":
        text += "// " + "x" * 100 + "\n" * 1 + ("// padding line of a long generated config file\n" * 40_000)
        argument = "."
    for folder, expected in (("config", [("baidu", api_key, secret)]), ("app", [])):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "aip.php").write_text(text)
        run = run_akscan(
            "scan", "--format", "json", "--no-redact", argument.format(folder=folder), cwd=tmp_path / folder
        )
        found = [(f["provider"], f["key_id"], f["secret"]) for f in json.loads(run.out)["findings"]]
        assert found == expected, (folder, run.err)
        assert run.code == (1 if expected else 0)


def test_another_providers_words_below_do_not_take_a_named_files_pair(ruleset: Ruleset) -> None:
    """config/huawei.yml: the pair at the top, then a backup block of Baidu's (its endpoint and its own 32-hex
    secret) or a disabled Baidu section 2 KB lower. The name keeps the pair Huawei's, whole: a rule that lets
    any word of another provider in the file outrank the name turned the pair into a lone Baidu ID, or paired
    the Huawei ID with Baidu's secret (an attacker's read; the name's stand-in anchors stay near every value)."""
    rng = random.Random(12)
    ak = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(20))
    sk = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))
    hexes = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    top = f"storage:\n  access_key: {ak}\n  secret_key: {sk}\n"
    for below in (
        f"bos_backup:\n  endpoint: https://bj.bcebos.com\n  secret_key: {hexes}\n",
        "".join(f"  # option {n}: lorem ipsum dolor sit amet consectetur\n" for n in range(40))
        + "# baidu:\n#   endpoint: https://bj.bcebos.com\n",
    ):
        found = scan_text(top + below, ruleset, path="config/huawei.yml")
        assert [(f.provider, f.key_id, f.secret) for f in found] == [("huawei", ak, sk)]


def test_every_part_of_a_long_named_file_is_in_context(ruleset: Ruleset) -> None:
    """The name stands where an anchor would, every window's length along the file: a pair 40 KB down
    is as much in context as one at the top."""
    rng = random.Random(13)
    ak, sk = _qiniu_value(rng), _qiniu_value(rng)
    filler = "".join(f"bucket_{i}: 'photos-{i}'\n" for i in range(2000))
    findings = scan_text(filler + _config(ak, sk), ruleset, path="qiniu.yml")
    assert [(f.key_id, f.secret) for f in findings] == [(ak, sk)]


@pytest.mark.parametrize(("padding", "found"), [(56_000, True), (80_000, False)])  # NAMED_REACH: 64 KiB
def test_the_name_counts_over_a_config_files_length_not_a_whole_dump(
    ruleset: Ruleset, padding: int, found: bool
) -> None:
    """A hostile file named qiniu.yml full of `ak=` lines must not make the rule read megabytes (long
    enough to trip its time limit, which switches it off for the rest of the scan): the name counts over
    the first NAMED_REACH bytes (and a rule's window past them), as far as any config file goes."""
    rng = random.Random(16)
    ak, sk = _qiniu_value(rng), _qiniu_value(rng)
    filler = "".join(f"bucket_{i}: 'photos-{i}'\n" for i in range(padding // 20))[:padding]
    filler = filler[: filler.rfind("\n") + 1]
    findings = scan_text(filler + _config(ak, sk), ruleset, path="qiniu.yml")
    assert [(f.key_id, f.secret) for f in findings] == ([(ak, sk)] if found else [])


def test_placeholders_in_a_named_file_are_still_no_keys(ruleset: Ruleset) -> None:
    text = "default:\n  access_key: {{ qiniu_access_key }}\n  secret_key: {{ qiniu_secret_key }}\n"
    assert scan_text(text, ruleset, path="config/qiniu.yml") == []
    text = f"access_key: '{'x' * 40}'\nsecret_key: '{'y' * 40}'\n"
    assert scan_text(text, ruleset, path="config/qiniu.yml") == []


@pytest.mark.parametrize("engine", ["python", "hyperscan"])
def test_a_named_file_edited_over_history_is_found_in_every_version(tmp_path: Path, engine: str) -> None:
    """The history scan reads a named file whole (never worked out from a related version the gate kept
    closed): the pair is attributed to the commit that added it, and a later edit of the file keeps it."""
    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    rng = random.Random(15)
    ak, sk = _qiniu_value(rng), _qiniu_value(rng)
    repo = Repo(tmp_path / "repo")
    filler = "".join(
        f"# setting {i}: a long comment line that makes git store versions as deltas\n" for i in range(300)
    )
    repo.write("config/qiniu.yml", filler + "defaults:\n  bucket: 'photos'\n")
    repo.commit("config without keys")
    repo.write("config/qiniu.yml", filler + _config(ak, sk))
    added = repo.commit("keys")
    for version in range(5):
        repo.write("config/qiniu.yml", filler.replace("setting 7", f"setting {version}") + _config(ak, sk))
        repo.commit(f"edit {version}")
    subprocess.run(["git", "-C", str(repo.path), "gc", "-q", "--aggressive"], check=True, capture_output=True)
    result = run_akscan(
        "git", str(repo.path), "--format", "json", "--no-redact", "--no-cache", env={"AKSCAN_GATE": engine}
    )
    findings = json.loads(result.out)["findings"]
    assert [(f["provider"], f["key_id"], f["secret"], f["git"]["commit"]) for f in findings] == [
        ("qiniu", ak, sk, added)
    ]
    assert findings[0]["git"]["occurrences"] == 6 and findings[0]["git"]["present_at_head"]  # every version


def test_a_named_file_is_never_worked_out_from_a_related_version(ruleset: Ruleset) -> None:
    """The gate keeps a named file's bytes closed (no provider word in them): worked out against a related
    version, or judged by the gate alone, its pair would be lost. The caller reads it whole instead."""
    rng = random.Random(18)
    data = _config(_qiniu_value(rng), _qiniu_value(rng)).encode()
    assert not ruleset.gate.scan(data).open
    scanner = DeltaScanner([("new", "base")], ruleset, ContentOptions())
    assert scanner.scan("base", data, "config/storage.yml", ScanStats()) == []
    assert scanner.scan("base", data, "config/qiniu.yml", ScanStats()) is None
    scanner.done("base", data, [])
    assert scanner.scan("new", data.replace(b"photos", b"videos"), "config/qiniu.yml", ScanStats()) is None


def test_file_names_are_checked_when_rules_load() -> None:
    base = {
        "id": "x",
        "provider": "example",
        "kind": "key-id",
        "pattern": "key = '([a-z]{20})'",
        "anchors": ["example"],
        "description": "d",
        "remediation": "r",
    }
    with pytest.raises(RuleError, match="file name stem"):
        compile_rules([({**base, "file_names": ["Bad.Name"]}, "test", True)])
    with pytest.raises(RuleError, match="file_names is for key-ID rules"):
        compile_rules([({**base, "kind": "secret", "anchors": [], "file_names": ["example"]}, "test", True)])
    ruleset = compile_rules([({**base, "file_names": ["example"]}, "test", True)])
    assert ruleset.file_context.rules_for("conf/example.yml") == (0,)


def test_blobs_named_after_they_were_read_are_read_again_under_their_name(tmp_path: Path, ruleset: Ruleset) -> None:
    """A full audit reads the object store while git still walks the history, so a blob may be read
    before its path is known (or be cached clean from an earlier run): once named, a blob whose name puts
    it in a rule's context is read again, and its clean mark is dropped when the name found something."""
    rng = random.Random(21)
    ak, sk = _qiniu_value(rng), _qiniu_value(rng)
    repo = Repo(tmp_path / "repo")
    repo.write("config/qiniu.yml", _config(ak, sk))
    repo.write("config/storage.yml", _config(ak, sk) + "# another file\n")
    repo.commit("configs")
    named, other = (repo.git("rev-parse", f"HEAD:config/{n}") for n in ("qiniu.yml", "storage.yml"))
    objects = [GitObject(named, "blob", 300, "config/qiniu.yml"), GitObject(other, "blob", 300, "config/storage.yml")]
    clean = {named, other}
    stats = ScanStats()
    found = _rescan_named(str(repo.path), objects, [], clean, stats, ruleset, ContentOptions())
    assert [(f.key_id, f.secret, f.git.blob if f.git else None) for f in found] == [(ak, sk, named)]
    assert clean == {other}
    assert _rescan_named(str(repo.path), objects[1:], [], clean, stats, ruleset, ContentOptions()) == []


def test_a_blob_cached_clean_under_another_name_is_read_again(tmp_path: Path) -> None:
    """The history cache holds object ids; whether a blob holds a key now depends on its name. A file
    first committed as zz/z.yml (scanned clean, cached), then renamed config/qiniu.yml: the CI's range
    scan and every later full audit find the pair (they had found nothing, or found it once)."""
    rng = random.Random(22)
    ak, sk = _qiniu_value(rng), _qiniu_value(rng)
    repo = Repo(tmp_path / "repo")
    repo.write("zz/z.yml", _config(ak, sk))
    repo.commit("a config")

    def found(*args: str) -> list[str]:
        result = run_akscan("git", str(repo.path), "--format", "json", "--no-redact", *args)
        return [f["key_id"] for f in json.loads(result.out)["findings"]]

    assert found() == []  # cached clean
    (repo.path / "config").mkdir()
    repo.git("mv", "zz/z.yml", "config/qiniu.yml")
    repo.commit("named for Qiniu")
    assert found("--since", "HEAD~1") == [ak]
    assert found() == [ak]
    assert found() == [ak]  # the unchanged repository's shortcut keeps it
    assert found("--no-unreachable") == [ak]


def test_huaweis_generic_php_names_need_their_secret_below(ruleset: Ruleset) -> None:
    """A Laravel config array ``'key' => <20>, 'secret' => <40>`` beside OBS's endpoint is Huawei's pair; a
    switch inventory's ``'key' => '<20-character serial>'`` in a file naming Huawei (no secret below) is
    nothing (an attacker's read)."""
    rng = random.Random(13)
    ak = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(20))
    sk = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))
    config = f"<?php\nreturn [\n    'key' => '{ak}',\n    'secret' => '{sk}',\n"
    config += "    'endpoint' => 'https://obs.ap-southeast-3.myhuaweicloud.com',\n];\n"
    assert [(f.provider, f.key_id, f.secret) for f in scan_text(config, ruleset)] == [("huawei", ak, sk)]
    inventory = "<?php\n// Inventory of Huawei switches in rack A\n$devices = [\n"
    inventory += f"    ['key' => '{ak}', 'model' => 'S5735-L24T4S-A1', 'rack' => 'A1'],\n];\n"
    assert scan_text(inventory, ruleset) == []
