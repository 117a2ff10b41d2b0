"""A blob version scanned against the version git stored it as a delta of (akscan.engine.delta) must report
exactly what a whole scan of it reports: same findings, same lines, columns and offsets."""

from __future__ import annotations

import importlib.util
import io
import json
import random
import subprocess
from pathlib import Path

import pytest

from akscan.engine.delta import DeltaScanner, Reach, common_ends, lines_down, lines_up
from akscan.engine.pipeline import ContentOptions, scan_content
from akscan.engine.rules import Ruleset
from akscan.model import Finding, Kind, ScanStats
from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys

FILLER = [
    "import os",
    "",
    "def handler(event, context):",
    "    return {'statusCode': 200}",
    "SECRET_KEY = os.environ['SECRET_KEY']  # the secret comes from the environment",
    "# access key rotation is documented in the wiki",
    "    }",
    "",
    "config = load('settings.yml')",
    "x" * 300,
]


def _up_by_walking(data: bytes, position: int, lines: int) -> int:
    start = data.rfind(b"\n", 0, position) + 1
    for _ in range(lines):
        if start == 0:
            return 0
        start = data.rfind(b"\n", 0, start - 1) + 1
    return start


def _down_by_walking(data: bytes, position: int, lines: int) -> int:
    end = position
    for _ in range(lines + 1):
        found = data.find(b"\n", end)
        if found < 0:
            return len(data)
        end = found + 1
    return end


def test_line_reach_agrees_with_walking_line_by_line() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        data = bytes(rng.choice(b"ab\n" + b"x" * rng.randint(0, 6)) for _ in range(rng.randint(0, 600)))
        position, lines = rng.randint(0, len(data)), rng.randint(0, 14)
        assert lines_up(data, position, lines) == _up_by_walking(data, position, lines)
        assert lines_down(data, position, lines) == _down_by_walking(data, position, lines)


def test_common_ends_are_the_longest_shared_prefix_and_suffix() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        old = bytes(rng.choice(b"ab") for _ in range(rng.randint(0, 40)))
        new = bytes(rng.choice(b"ab") for _ in range(rng.randint(0, 40)))
        prefix, suffix = common_ends(old, new)
        assert old[:prefix] == new[:prefix] and (prefix == min(len(old), len(new)) or old[prefix] != new[prefix])
        assert prefix + suffix <= min(len(old), len(new))
        assert old[len(old) - suffix :] == new[len(new) - suffix :]
        room = min(len(old), len(new)) - prefix
        assert suffix == room or old[len(old) - suffix - 1] != new[len(new) - suffix - 1]


def _leak_line(keys: FakeKeys, rng: random.Random, pairs_only: bool = False) -> list[str]:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    shape = rng.choice((0, 1, 4)) if pairs_only else rng.randrange(5)
    if shape == 0:
        return [f"auth = oss2.Auth('{key_id}', '{secret}')"]
    if shape == 1:
        return [f"ALIBABA_CLOUD_ACCESS_KEY_ID={key_id}", f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}"]
    if shape == 2:
        return [f"access_key_id: {key_id}"]  # a lone ID
    if shape == 3:
        return [f"access_key_secret = '{secret}'"]  # a lone secret behind its name
    aws_id, aws_secret = keys.aws_id(), keys.aws_secret()
    return [f"aws_access_key_id = {aws_id}", "", f"aws_secret_access_key = {aws_secret}"]


# Text with no word the engine's gate looks for, and pieces of such words: versions the gate finds nothing
# in are worked out from the changes alone (akscan.engine.delta), so edits must also complete a word across a
# change boundary ("LT" typed before an existing "AIxy…", "s" before "ecret").
QUIET_FILLER = [
    "import os",
    "",
    "def handler(event):",
    "    return {'statusCode': 200}",
    "    }",
    "AIxyzvalue = 1",
    "ecret_holder = 2",
    "TAI = 3",
    "x" * 300,
    "config = load('settings.yml')",
    "AIk8r2XyPq4MnB7zV1cD9e = 1",  # "LT" typed before it makes a key ID (LTAI + 20)
    "access_key_ecret = 'rTQBq3etVdNI7BouaGyqW05Q88pZc4'",  # "s" typed in it names a secret
    # A secret's name with a value one character short of the shape: the gate stays closed (a name opens
    # it only beside a value-shaped run), and a character typed at the value's far end, beyond the
    # name's reach, makes a lone secret.
    "secret_key = 'rTQBq3etVdNI7BouaGyqW05Q88pZc'",
]
PIECES = ["L", "LT", "LTA", "AI", "TAI", "s", "se", "sec", "ret", "cret", "ecret", "ali", "baba", "yun", "QINI", "U"]


def _document(rng: random.Random, keys: FakeKeys, pairs_only: bool = False, quiet: bool = False) -> list[str]:
    lines: list[str] = []
    filler = QUIET_FILLER if quiet else FILLER
    leaks = 0.0 if quiet else 0.06
    for _ in range(rng.randint(20, 600)):
        lines.extend(_leak_line(keys, rng, pairs_only) if rng.random() < leaks else [rng.choice(filler)])
    return lines


def _edit(
    lines: list[str], rng: random.Random, keys: FakeKeys, pairs_only: bool = False, quiet: bool = False
) -> list[str]:
    """One to three hunks: lines inserted (some with keys), deleted, replaced, or a block moved; with
    ``quiet``, also a piece of a gate word typed inside a line (or a line's newline removed)."""
    new = list(lines)
    filler = QUIET_FILLER if quiet else FILLER
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(new))
        action = rng.randrange(7 if quiet else 5)
        if action >= 5 and new:
            line = min(at, len(new) - 1)
            targets = [i for i, text in enumerate(new) if text.startswith("AIk") or "_ecret" in text or "pZc'" in text]
            if targets and rng.random() < 0.5:
                line = rng.choice(targets)
            if action == 5 and new[line].startswith("AIk"):  # completes a key ID across the change's edge
                new[line] = "LT" + new[line]
            elif action == 5 and "_ecret" in new[line]:  # completes a secret's key name
                new[line] = new[line].replace("_ecret", "_secret")
            elif action == 5 and "pZc'" in new[line]:  # completes the value a name was waiting for
                new[line] = new[line].replace("pZc'", "pZc4'")
            elif action == 5:
                cut = rng.randint(0, len(new[line]))
                new[line] = new[line][:cut] + rng.choice(PIECES) + new[line][cut:]
            elif line + 1 < len(new):
                new[line : line + 2] = [new[line] + new[line + 1]]
        elif action == 0 and (not quiet or rng.random() < 0.3):
            new[at:at] = _leak_line(keys, rng, pairs_only)
        elif action == 1:
            del new[at : at + rng.randint(1, 12)]
        elif action == 2:
            new[at : at + 1] = [rng.choice(filler) + " # edited"]
        elif action == 3:
            block = new[at : at + rng.randint(1, 6)]
            del new[at : at + len(block)]
            to = rng.randint(0, len(new))
            new[to:to] = block
        else:
            new[at:at] = [rng.choice(filler) for _ in range(rng.randint(1, 30))]
    return new


def _shape(findings: list[Finding]) -> list[tuple[object, ...]]:
    def where(finding: Finding) -> tuple[object, ...]:
        second = finding.secret_location
        return (finding.location.line, finding.location.column, finding.location.offset) + (
            (second.line, second.column, second.offset) if second else ()
        )

    return sorted((f.rule_id, str(f.kind), f.key_id, f.secret, f.location.path, where(f)) for f in findings)


def _whole(data: bytes, ruleset: Ruleset) -> list[Finding]:
    return scan_content(io.BytesIO(data), "app/settings.py", "git", ruleset, ScanStats(), ContentOptions())


@pytest.mark.parametrize(
    ("pairs_only", "quiet"),
    [(False, False), (True, False), (False, True)],
    ids=["lone-keys-too", "pairs-only", "quiet"],
)
@pytest.mark.parametrize("seed", range(30))
def test_a_version_scanned_against_its_base_finds_what_a_whole_scan_finds(
    seed: int, pairs_only: bool, quiet: bool, ruleset: Ruleset
) -> None:
    rng = random.Random(seed)
    keys = FakeKeys(seed)
    base_lines = _document(rng, keys, pairs_only, quiet)
    versions = [base_lines]
    for _ in range(6 if quiet else 4):  # a chain: each version is stored against the one before
        versions.append(_edit(versions[-1], rng, keys, pairs_only, quiet))
    texts = ["\n".join(v).encode() + b"\n" for v in versions]
    names = [f"v{i}" for i in range(len(texts))]
    # Each version is stored against the one before; git may serve them in any order.
    scanner = DeltaScanner(zip(names[1:], names[:-1], strict=True), ruleset, ContentOptions())
    stats = ScanStats()
    order = list(range(len(texts)))
    rng.shuffle(order)
    far_reaching = False  # a lone ID or secret: such versions are scanned whole (names may pair them)
    for index in order:
        name, data = names[index], texts[index]
        found = scanner.scan(name, data, "app/settings.py", stats)
        whole = _whole(data, ruleset)
        far_reaching = far_reaching or any(f.kind in (Kind.KEY_ID, Kind.SECRET) for f in whole)
        if found is None:
            found = whole
        assert _shape(found) == _shape(whole), f"version {name}"
        scanner.done(name, data, found)
    if min(len(t) for t in texts) > 16 * 1024 and not far_reaching:  # small files: the reach covers them
        assert stats.reused_bytes > 0


def test_only_the_neighbourhood_of_the_change_is_rescanned(ruleset: Ruleset, keys: FakeKeys) -> None:
    body = [f"value_{i} = {i}" for i in range(3000)]
    base = ("\n".join(body) + "\n").encode()
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    body[1500:1500] = [f"auth = oss2.Auth('{key_id}', '{secret}')"]
    new = ("\n".join(body) + "\n").encode()
    scanner = DeltaScanner([("new", "base")], ruleset, ContentOptions())
    scanner.done("base", base, [])
    stats = ScanStats()
    found = scanner.scan("new", new, "big.py", stats)
    assert found is not None and [(f.key_id, f.secret, f.location.line) for f in found] == [(key_id, secret, 1501)]
    rescanned = len(new) - stats.reused_bytes
    reach = Reach.of(ruleset).lines
    assert rescanned < (4 * reach + 4) * len(b"value_1500 = 1500\n") + 2 * 2 * 512


@pytest.mark.parametrize(
    "data",
    [b"\x00binary\x00" * 10, "AccessKey\n".encode("utf-16"), b"PK\x03\x04" + b"0" * 60, b"one\rtwo\rthree\r"],
    ids=["binary", "utf-16", "zip", "cr-only"],
)
def test_decoded_or_binary_versions_are_scanned_whole(data: bytes, ruleset: Ruleset) -> None:
    scanner = DeltaScanner([("new", "base")], ruleset, ContentOptions())
    scanner.done("base", b"plain text\n", [])
    assert scanner.scan("new", data, "f", ScanStats()) is None


def _pack(repo: Repo) -> None:
    subprocess.run(["git", "-C", str(repo.path), "gc", "-q", "--aggressive"], check=True, capture_output=True)


@pytest.mark.parametrize("engine", ["python", "hyperscan"])
def test_history_of_a_long_edited_file_is_attributed_per_version(tmp_path: Path, keys: FakeKeys, engine: str) -> None:
    """With the pure gate, versions are scanned against related ones (reused bytes); with Hyperscan,
    whole (cheaper there): the same findings and attribution either way."""
    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    repo = Repo(tmp_path / "repo")
    body = [f"setting_{i} = {i}  # a long settings file" for i in range(400)]
    old_id, old_secret = keys.alibaba_id(), keys.alibaba_secret()
    body[10:10] = [f"auth = oss2.Auth('{old_id}', '{old_secret}')"]
    first = repo.commit("settings with a key", settings_py="\n".join(body) + "\n")
    new_id, new_secret = keys.alibaba_id(), keys.alibaba_secret()
    introduced = removed = ""
    for version in range(1, 31):
        body[200 + version] = f"setting_{version} = {version * 7}  # changed"
        body.append(f"extra_{version} = True")
        if version == 12:
            body[300:300] = [f"oss = oss2.Auth('{new_id}', '{new_secret}')"]
        if version == 20:
            del body[300]
        commit = repo.commit(f"edit {version}", settings_py="\n".join(body) + "\n")
        introduced = commit if version == 12 else introduced
        removed = commit if version == 20 else removed
    _pack(repo)
    result = run_akscan(
        "git", str(repo.path), "--format", "json", "--no-redact", "--no-cache", env={"AKSCAN_GATE": engine}
    )
    document = json.loads(result.out)
    assert (document["summary"]["git"]["reused_bytes"] > 0) == (engine == "python")
    by_id = {f["key_id"]: f for f in document["findings"]}
    assert set(by_id) == {old_id, new_id}
    kept, gone = by_id[old_id], by_id[new_id]
    assert (kept["secret"], kept["git"]["commit"], kept["git"]["present_at_head"]) == (old_secret, first, True)
    assert kept["git"]["occurrences"] == 31 and kept["line"] == 11
    assert (gone["secret"], gone["git"]["commit"], gone["git"]["present_at_head"]) == (new_secret, introduced, False)
    assert gone["git"]["removed_in"] == removed and gone["git"]["occurrences"] == 8


def _families_repo(path: Path, keys: FakeKeys) -> Repo:
    """Five files edited over 24 commits (each file a delta family once packed), pairs added and removed
    in three of them, and a branch merged back."""
    repo = Repo(path)
    rng = random.Random(5)
    bodies = {f"module_{n}.py": [f"value_{n}_{i} = {i}" for i in range(300)] for n in range(5)}
    for version in range(24):
        for name, body in bodies.items():
            body[rng.randrange(len(body))] = f"value = {rng.random()}  # edited in {version}"
            if version % 5 == 2 and name < "module_3":
                body.insert(
                    rng.randrange(len(body)), f"client = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')"
                )
            if version % 7 == 6 and name == "module_1.py":
                del body[next(i for i, line in enumerate(body) if "oss2.Auth" in line)]
        repo.commit(f"version {version}", **{n.replace(".", "_"): "\n".join(b) + "\n" for n, b in bodies.items()})
    _pack(repo)
    return repo


def test_parallel_history_scan_splits_by_delta_family_and_finds_the_same(
    tmp_path: Path, keys: FakeKeys, ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers, each given whole delta families (so every version is still scanned against a related
    one, and each worker's git resolves only its own delta chains), report exactly what one process does."""
    from akscan.runs import history
    from akscan.sources.git import inventory

    repo = _families_repo(tmp_path / "repo", keys)
    objects = inventory(str(repo.path), None, True).objects
    tasks = history._tasks(objects, 2)
    by_sha = {o.sha: o for o in objects}
    owner = {o.sha: index for index, task in enumerate(tasks) for o in task}
    assert len(tasks) == 2 and sorted(owner) == sorted(by_sha)
    linked = [o for o in objects if o.base]
    assert linked and all(owner[o.sha] == owner[o.base] for o in linked if o.base in owner)
    loads = [sum(o.size for o in task) for task in tasks]
    assert min(loads) > 0.3 * max(loads)

    def shapes(jobs: int, engine: str = "python") -> list[tuple[object, ...]]:
        monkeypatch.setenv("AKSCAN_GATE", engine)
        options = history.GitScanOptions(cache=False, jobs=jobs)
        result = history.scan_history(str(repo.path), ruleset, options)
        assert (result.stats.reused_bytes > 0) == (engine == "python")
        return sorted(
            (f.rule_id, f.key_id, f.secret, f.location.path, f.location.line, f.git.commit if f.git else None)
            for f in result.findings
        )

    monkeypatch.setattr(history, "PARALLEL_MIN_BYTES", 0)
    alone = shapes(1)
    assert len(alone) >= 6
    assert shapes(2) == alone
    if importlib.util.find_spec("hyperscan") is not None:  # versions scanned whole: the same findings
        assert shapes(2, "hyperscan") == alone


def test_a_name_waiting_for_its_value_is_not_a_closed_version(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A secret's name without a value-shaped run keeps the gate closed, but the version is not "empty":
    the next one, which completes the value at its far end (beyond the name's reach of the change), is
    scanned from its changes, and the lone secret is found."""
    secret = keys.alibaba_secret()
    filler = ["import os", "def handler(event):", "    return {'statusCode': 200}"] * 40
    base = ("\n".join([*filler, f"secret_key = '{secret[:-1]}'", *filler]) + "\n").encode()
    new = base.replace(f"'{secret[:-1]}'".encode(), f"'{secret}'".encode())
    assert not ruleset.gate.scan(base).open and not ruleset.gate.scan(base).empty
    scanner = DeltaScanner([("new", "base")], ruleset, ContentOptions())
    stats = ScanStats()
    assert scanner.scan("base", base, "app/settings.py", stats) == []
    scanner.done("base", base, [])
    found = scanner.scan("new", new, "app/settings.py", stats)
    found = _whole(new, ruleset) if found is None else found
    assert [(f.rule_id, f.secret) for f in found] == [("alibaba-access-key-secret", secret)]
