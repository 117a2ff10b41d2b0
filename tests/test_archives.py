"""Archives: members of zip, jar-like nested zips, tar(.gz/.bz2/.xz) and single compressed files are
scanned; broken archives and zip bombs are counted, never fatal."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path

from tests.conftest import run_akscan
from tests.keys import FakeKeys


def pair(keys: FakeKeys) -> tuple[str, bytes]:
    key_id = keys.alibaba_id()
    return key_id, f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n".encode()


def scan(root: Path, *args: str) -> dict:
    result = run_akscan("scan", str(root), "--format", "json", *args)
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def test_zip_and_nested_zip(tmp_path: Path, keys: FakeKeys) -> None:
    outer_id, outer_line = pair(keys)
    inner_id, inner_line = pair(keys)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("BOOT-INF/classes/application.properties", b"x=1\n" + inner_line)
    with zipfile.ZipFile(tmp_path / "app.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config/settings.py", outer_line)
        archive.writestr("lib/inner.jar", inner.getvalue())
    document = scan(tmp_path)
    found = {(f["key_id"], Path(f["path"]).name, f["line"]) for f in document["findings"]}
    paths = {f["key_id"]: f["path"] for f in document["findings"]}
    assert paths[outer_id].endswith("app.zip!config/settings.py")
    assert paths[inner_id].endswith("app.zip!lib/inner.jar!BOOT-INF/classes/application.properties")
    assert (inner_id, "application.properties", 2) in found
    assert document["summary"]["archive_members"] == 3


def test_tar_variants_and_single_compressed_files(tmp_path: Path, keys: FakeKeys) -> None:
    expected = {}
    for mode, name in (("w", "a.tar"), ("w:gz", "b.tar.gz"), ("w:bz2", "c.tar.bz2"), ("w:xz", "d.tar.xz")):
        key_id, line = pair(keys)
        info = tarfile.TarInfo("etc/creds.ini")
        info.size = len(line)
        with tarfile.open(tmp_path / name, mode) as archive:
            archive.addfile(info, io.BytesIO(line))
        expected[key_id] = f"{name}!etc/creds.ini"
    for opener, name in (
        (gzip.compress, "dump.sql.gz"),
        (bz2.compress, "dump.sql.bz2"),
        (lzma.compress, "dump.sql.xz"),
    ):
        key_id, line = pair(keys)
        (tmp_path / name).write_bytes(opener(b"-- dump\n" + line))
        expected[key_id] = f"{name}!dump.sql"
    document = scan(tmp_path)
    got = {f["key_id"]: Path(f["path"]).name for f in document["findings"]}
    assert got == {k: Path(v).name for k, v in expected.items()}
    assert len(document["findings"]) == len(expected)  # an uncompressed tar's raw bytes do not repeat it
    assert all(f["path"].endswith(expected[f["key_id"]]) for f in document["findings"])


def test_broken_archive_is_counted_and_the_rest_scanned(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, line = pair(keys)
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("x.txt", b"hello")
    (tmp_path / "broken.zip").write_bytes(good.getvalue()[:30])  # truncated
    (tmp_path / "broken.gz").write_bytes(gzip.compress(b"data")[:12])
    (tmp_path / "ok.py").write_bytes(line)
    result = run_akscan("scan", str(tmp_path), "--format", "json")
    document = json.loads(result.out)
    assert [f["key_id"] for f in document["findings"]] == [key_id]
    assert document["summary"]["skipped"].get("broken-archive") == 2
    assert "broken.zip" in result.err


def test_zip_bomb_is_bounded(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (80 * 1024 * 1024))  # over the 64 MiB member limit
    document = scan(tmp_path)
    assert document["summary"]["skipped"].get("archive-member-too-large") == 1


def test_no_archives_flag(tmp_path: Path, keys: FakeKeys) -> None:
    _, line = pair(keys)
    with zipfile.ZipFile(tmp_path / "a.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("s.py", line)
    assert scan(tmp_path)["findings"]
    assert scan(tmp_path, "--no-archives")["findings"] == []
