"""One pipeline for every source: the same planted inputs give the same findings from `akscan scan`,
`akscan git` (committed), `akscan hook` (staged) and stdin — same rule, kind, key, encoding and member
path — including archives, compressed members, UTF-16, base64 layers, excludes, inline markers and
allowlists."""

from __future__ import annotations

import base64
import gzip
import io
import json
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys

Row = tuple[str, str, str, str | None, str | None, str | None]


def _pair(keys: FakeKeys) -> tuple[str, str]:
    return keys.alibaba_id(), keys.alibaba_secret()


def _line(key_id: str, secret: str) -> str:
    return f"auth = oss2.Auth('{key_id}', '{secret}')\n"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Each case: (file name, bytes builder, the member path findings carry after the file name, encoding,
# whether it is reported at all).
Case = tuple[str, Callable[[str, str], bytes], str, str | None, bool]
CASES: list[Case] = [
    ("app.py", lambda i, s: _line(i, s).encode(), "", None, True),
    ("bundle.zip", lambda i, s: _zip({"config/app.py": _line(i, s).encode()}), "!config/app.py", None, True),
    ("backup.tar.gz", lambda i, s: _tar_gz({"etc/creds.py": _line(i, s).encode()}), "!etc/creds.py", None, True),
    (
        "outer.zip",
        lambda i, s: _zip({"inner.tar.gz": _tar_gz({"deep/x.py": _line(i, s).encode()})}),
        "!inner.tar.gz!deep/x.py",
        None,
        True,
    ),
    ("dump.py.gz", lambda i, s: gzip.compress(_line(i, s).encode(), mtime=0), "!dump.py", None, True),
    ("win.ps1", lambda i, s: _line(i, s).encode("utf-16"), "", "utf-16", True),
    (
        "secret.yaml",
        lambda i, s: (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: oss\ntype: Opaque\ndata:\n"
            f"  ALIBABA_CLOUD_ACCESS_KEY_ID: {_b64(i)}\n  ALIBABA_CLOUD_ACCESS_KEY_SECRET: {_b64(s)}\n"
        ).encode(),
        "",
        "base64",
        True,
    ),
    ("fixtures/fake.py", lambda i, s: _line(i, s).encode(), "", None, False),  # excluded by the config
    ("docs.py", lambda i, s: (_line(i, s).rstrip("\n") + "  # akscan:allow documented\n").encode(), "", None, False),
    ("allowed.py", lambda i, s: _line(i, s).encode(), "", None, False),  # its key ID is allowlisted
]


@pytest.fixture
def tree(tmp_path: Path, keys: FakeKeys) -> tuple[Path, set[Row]]:
    """The planted files, the project config, and the findings every source must report."""
    root = tmp_path / "project"
    expected: set[Row] = set()
    allowed_id = ""
    for name, build, member, encoding, reported in CASES:
        key_id, secret = _pair(keys)
        if name == "allowed.py":
            allowed_id = key_id
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(build(key_id, secret))
        if reported:
            expected.add((name + member, "alibaba-access-key", "pair", key_id, secret, encoding))
    (root / ".akscan.toml").write_text(f'exclude = ["fixtures/"]\n[allowlist]\nkey_ids = ["{allowed_id}"]\n')
    return root, expected


def _rows(document: dict) -> set[Row]:
    rows = set()
    for finding in document["findings"]:
        path = finding["location"]["path"] if "location" in finding else finding["path"]
        rows.add(
            (
                path,
                finding["rule_id"],
                finding["kind"],
                finding["key_id"],
                finding.get("secret"),
                finding.get("encoding"),
            )
        )
    return rows


def _json(command: str, *args: str, cwd: Path, input: bytes | None = None) -> dict:
    result = run_akscan(command, "--format", "json", "--no-redact", *args, cwd=cwd, input=input)
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def test_scan(tree: tuple[Path, set[Row]]) -> None:
    root, expected = tree
    assert _rows(_json("scan", ".", cwd=root)) == expected


def test_git_history(tree: tuple[Path, set[Row]]) -> None:
    root, expected = tree
    repo = Repo(root)
    repo.commit("everything")
    assert _rows(_json("git", ".", "--no-cache", cwd=root)) == expected


def test_hook(tree: tuple[Path, set[Row]]) -> None:
    root, expected = tree
    repo = Repo(root)
    repo.git("add", "-A")
    assert _rows(_json("hook", cwd=root)) == expected
    named = [name for name, *_ in CASES]
    assert _rows(_json("hook", "--", *named, cwd=root)) == expected


def test_stdin(tree: tuple[Path, set[Row]]) -> None:
    root, expected = tree
    found: set[Row] = set()
    for name, *_ in CASES:
        document = _json("scan", "-", "--stdin-name", name, cwd=root, input=(root / name).read_bytes())
        found |= _rows(document)
    assert found == expected
