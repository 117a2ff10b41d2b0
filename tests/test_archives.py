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

import pytest

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


def _tar(mode: str, members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_compressed_tar_bombs_stop_at_their_ratio_and_the_scan_goes_on(tmp_path: Path, keys: FakeKeys) -> None:
    early_id, early = pair(keys)
    late_id, late = pair(keys)
    bomb = _tar("w:gz", [("early.py", early), ("zeros.bin", bytes(64 * 1024 * 1024)), ("late.py", late)])
    assert len(bomb) < 200 * 1024  # a few hundred KB that would expand to 64 MB
    for index in range(6):
        (tmp_path / f"bomb{index}.tar.gz").write_bytes(bomb)
    outside_id, outside = pair(keys)
    (tmp_path / "app.py").write_bytes(outside)
    document = scan(tmp_path)
    found = {f["key_id"] for f in document["findings"]}
    assert early_id in found and outside_id in found  # what came before the limit, and the rest of the tree
    assert late_id not in found  # past the limit: not expanded
    assert document["summary"]["skipped"]["archive-budget"] == 6 and document["summary"]["incomplete"] is True


def test_single_stream_bomb_is_cut_at_its_ratio(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, line = pair(keys)
    (tmp_path / "dump.sql.bz2").write_bytes(bz2.compress(line + bytes(40 * 1024 * 1024)))
    document = scan(tmp_path)
    assert [f["key_id"] for f in document["findings"]] == [key_id]
    assert document["summary"]["archive_members"] == 1


def test_an_archive_of_a_million_empty_members_stops_at_the_member_limit(tmp_path: Path) -> None:
    from akscan.engine.decode.archives import ArchiveLimits

    count = ArchiveLimits().max_members + 50
    (tmp_path / "many.tar.gz").write_bytes(_tar("w:gz", [(f"m{i}", b"") for i in range(count)]))
    document = scan(tmp_path)
    assert document["summary"]["skipped"]["archive-members"] == 1


def test_truncated_compressed_file_keeps_what_decoded(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, line = pair(keys)
    filler = "".join(f"row {i}: {i * 7919 % 104729}\n" for i in range(20000)).encode()
    whole = gzip.compress(line + filler)
    (tmp_path / "log.txt.gz").write_bytes(whole[: len(whole) * 3 // 4])
    document = scan(tmp_path)
    assert [f["key_id"] for f in document["findings"]] == [key_id]


def test_a_streamed_archive_larger_than_the_limit_is_not_kept(ruleset: object, keys: FakeKeys) -> None:
    """stdin and git objects are spooled to be expanded: never past the archive limit (a stranger's
    stream must not fill the disk); the raw bytes are still scanned."""
    from akscan.engine.decode.archives import ArchiveLimits
    from akscan.engine.pipeline import ContentOptions, scan_content
    from akscan.model import ScanStats

    key_id, line = pair(keys)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("padding.bin", bytes(range(256)) * 40)
        archive.writestr("app.py", line)
    stats = ScanStats()
    small = ContentOptions(limits=ArchiveLimits(total_limit=4096))
    found = scan_content(io.BytesIO(buffer.getvalue()), "<stdin>", "stdin", ruleset, stats, small)  # type: ignore[arg-type]
    assert [f.key_id for f in found] == [key_id]  # stored (uncompressed): seen in the raw bytes
    assert found[0].location.path == "<stdin>" and stats.skipped == {"archive-budget": 1} and stats.incomplete
    roomy = scan_content(io.BytesIO(buffer.getvalue()), "<stdin>", "stdin", ruleset, ScanStats(), ContentOptions())  # type: ignore[arg-type]
    assert [f.location.path for f in roomy] == ["<stdin>!app.py"]


@pytest.mark.parametrize(("levels", "found"), [(2, True), (3, True), (4, False)])
def test_nesting_at_the_limit_and_past_it(tmp_path: Path, keys: FakeKeys, levels: int, found: bool) -> None:
    """Archives nest up to three deep (limit-1, limit: found); one deeper is counted and makes the report
    incomplete instead of being dropped without a word."""
    import io
    import zipfile

    key_id = keys.alibaba_id()
    data, name = f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n".encode(), "app.py"
    for level in range(levels):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, data)
        data, name = buffer.getvalue(), f"level{level}.zip"
    (tmp_path / "nested.zip").write_bytes(data)
    document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)
    summary = document["summary"]
    assert (key_id in {f["key_id"] for f in document["findings"]}) is found
    assert summary["incomplete"] is (not found)
    assert summary["skipped"].get("archive-too-deep", 0) == (0 if found else 1)
