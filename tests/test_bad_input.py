"""Bad input gets a clear message, is counted, and the rest of the scan completes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from akscan.engine.pipeline import ContentOptions
from akscan.engine.rules import Ruleset
from akscan.model import Kind, ScanStats
from akscan.runs.scan import run_targets
from akscan.sources.files import CHUNK_SIZE, WalkOptions, walk
from tests.conftest import REPO, akscan_command, run_akscan
from tests.keys import FakeKeys


def pair_line(keys: FakeKeys) -> tuple[str, str, str]:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    return key_id, secret, f"auth = oss2.Auth('{key_id}', '{secret}')\n"


def test_missing_path_is_reported_and_rest_scanned(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, _, line = pair_line(keys)
    (tmp_path / "a.py").write_text(line)
    result = run_akscan("scan", str(tmp_path / "nope"), str(tmp_path), "--format", "json")
    assert result.code == 2  # an error, not a warning: a typo in a CI path must not pass as clean
    assert "nope" in result.err and "No such file" in result.err and "given do not exist" in result.err
    document = json.loads(result.out)
    assert document["summary"]["skipped"] == {"missing": 1}
    assert [f["key_id"] for f in document["findings"]] == [key_id]


def test_only_missing_path_exits_2(tmp_path: Path) -> None:
    assert run_akscan("scan", str(tmp_path / "nope")).code == 2


def test_unreadable_file_is_counted(tmp_path: Path) -> None:
    # /proc/self/mem is a regular file that fails on read (EIO), even for root.
    result = run_akscan("scan", "/proc/self/mem", str(tmp_path), "--format", "json")
    assert result.code == 0
    assert "/proc/self/mem" in result.err
    summary = json.loads(result.out)["summary"]
    assert summary["skipped"] == {"read-error": 1} and summary["incomplete"] is True  # content it never saw
    strict = run_akscan("scan", "/proc/self/mem", str(tmp_path), "--fail-on-incomplete")
    assert strict.code == 2 and "incomplete" in strict.err
    # skips the user chose do not make a scan incomplete
    (tmp_path / "big.txt").write_text("x" * 100)
    chosen = run_akscan("scan", str(tmp_path), "--max-file-size", "10", "--exclude", "*.log", "--fail-on-incomplete")
    assert chosen.code == 0, chosen.err


def test_fifo_device_symlink_loop_and_broken_link(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, _, line = pair_line(keys)
    (tmp_path / "ok.txt").write_text(line)
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "dir").mkdir()
    os.symlink(tmp_path, tmp_path / "dir" / "loop")
    os.symlink(tmp_path / "missing", tmp_path / "dangling")
    result = run_akscan(
        "scan", str(tmp_path), "--format", "json", "--follow-symlinks", "/dev/null", timeout=30, process=True
    )
    document = json.loads(result.out)
    assert [f["key_id"] for f in document["findings"]] == [key_id]
    skipped = document["summary"]["skipped"]
    assert skipped["not-regular-file"] == 2  # the FIFO and /dev/null
    assert skipped["symlink-loop"] == 1 and skipped["broken-symlink"] == 1
    default = json.loads(run_akscan("scan", str(tmp_path), "--format", "json", timeout=30, process=True).out)
    assert default["summary"]["skipped"] == {"not-regular-file": 1, "symlink": 2}


def test_invalid_utf8_nul_bytes_and_binary(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, secret, line = pair_line(keys)
    (tmp_path / "blob.bin").write_bytes(b"\x00\xff\xfe\x80garbage\x00" + line.encode() + b"\xc3\x28\x00")
    document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json", "--no-redact").out)
    assert [(f["key_id"], f["secret"]) for f in document["findings"]] == [(key_id, secret)]
    assert document["summary"]["binary_files"] == 1


def test_utf16_file_is_decoded(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, secret, line = pair_line(keys)
    (tmp_path / "creds.ps1").write_bytes(line.encode("utf-16"))
    document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json", "--no-redact").out)
    assert [(f["key_id"], f["secret"]) for f in document["findings"]] == [(key_id, secret)]
    assert document["summary"]["decoded_files"] == 1


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("be-bom.ps1", lambda text: text.encode("utf-16-be").join([b"\xfe\xff", b""])),
        ("le-no-bom.reg", lambda text: text.encode("utf-16-le")),
        ("be-no-bom.reg", lambda text: text.encode("utf-16-be")),
        ("odd-length.ps1", lambda text: text.encode("utf-16") + b"\x41"),
        ("large.log", lambda text: ("x = 1\n" * 1_500_000 + text).encode("utf-16")),  # 18 MB: several chunks
    ],
)
def test_utf16_variants(tmp_path: Path, keys: FakeKeys, name: str, encode: Callable[[str], bytes]) -> None:
    key_id, secret, line = pair_line(keys)
    (tmp_path / name).write_bytes(encode("# settings\n" + line))
    document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json", "--no-redact", "-j", "1").out)
    assert [(f["key_id"], f["secret"]) for f in document["findings"]] == [(key_id, secret)]
    expected_line = 1_500_002 if name == "large.log" else 2
    assert document["findings"][0]["line"] == expected_line
    assert document["summary"]["decoded_files"] == 1


def test_cr_only_line_endings_give_real_line_numbers(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, _, line = pair_line(keys)
    (tmp_path / "classic.cfg").write_bytes(("a = 1\rb = 2\r" + line.rstrip("\n") + "\r").encode())
    (finding,) = json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)["findings"]
    assert (finding["key_id"], finding["line"]) == (key_id, 3)


def test_enormous_single_line(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, _secret, line = pair_line(keys)
    (tmp_path / "min.js").write_text("a=1;" * 3_000_000 + line.strip() + ";b=2" * 1000)
    document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)
    (finding,) = document["findings"]
    assert (finding["key_id"], finding["line"], finding["column"]) == (key_id, 1, 12_000_000 + 19)


def _scan_file(path: Path, ruleset: Ruleset, jobs: int = 1) -> list:
    stats = ScanStats()
    targets = list(walk([str(path)], WalkOptions(), stats))
    return [f for found, _ in run_targets(targets, ruleset, jobs, ContentOptions()) for f in found]


def test_big_file_key_at_end_and_pair_across_chunk_boundary(tmp_path: Path, ruleset: Ruleset, keys: FakeKeys) -> None:
    filler = b"x = 1\n" * ((CHUNK_SIZE // 6) - 2)
    id1, s1 = keys.alibaba_id(), keys.alibaba_secret()
    id2, s2, last = pair_line(keys)
    straddle = f"ak = '{id1}'\n".encode()  # ends just before the chunk boundary; the secret lies after it
    big = tmp_path / "dump.sql"
    with big.open("wb") as handle:
        handle.write(filler[: CHUNK_SIZE - len(straddle) - 3])
        handle.write(straddle)
        handle.write(f"sk = '{s1}'\n".encode())
        handle.write(filler * 2)
        handle.write(last.encode())
    data = big.read_bytes()
    for jobs in (1, 2):
        found = sorted(_scan_file(big, ruleset, jobs), key=lambda f: f.location.offset)
        assert [(f.kind, f.key_id, f.secret) for f in found] == [(Kind.PAIR, id1, s1), (Kind.PAIR, id2, s2)]
        for finding in found:
            expected_line = data.count(b"\n", 0, finding.location.offset) + 1
            assert finding.location.line == expected_line
            assert data[finding.location.offset :].startswith(finding.key_id.encode())


def test_memory_stays_bounded_on_a_large_file(tmp_path: Path) -> None:
    huge = tmp_path / "huge.img"
    with huge.open("wb") as handle:
        handle.truncate(400 * 1024 * 1024)  # sparse: costs no disk
    # VmHWM (this process image's own peak), not ru_maxrss: Linux carries ru_maxrss across exec, so a
    # child of a large pytest process would report the parent's size.
    code = (
        "import re, sys; from akscan.cli import main; rc = main(['scan', sys.argv[1], '-q', '-j', '1', "
        "'-o', '/dev/null']); status = open('/proc/self/status').read(); "
        "print(rc, re.search(r'VmHWM:\\s+(\\d+)', status).group(1))"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(huge)], capture_output=True, text=True, timeout=120)
    code_text, peak_text = proc.stdout.strip().splitlines()[-1].split()
    assert int(code_text) == 0, proc.stderr  # the whole file was read and scanned
    peak_kib = int(peak_text)
    assert peak_kib < 160 * 1024, f"peak RSS {peak_kib} KiB for a 400 MiB file"


def test_stream_chunks_keep_lines_and_columns_across_cuts(ruleset: Ruleset, keys: FakeKeys) -> None:
    import io

    from akscan.engine.pipeline import scan_chunks
    from akscan.sources.files import stream_chunks

    key_id, _secret, line = pair_line(keys)
    text = ("z" * 2500 + " " + line) + "filler\n" * 300 + "q" * 1900 + " " + line
    stats = ScanStats()
    blobs = stream_chunks(io.BytesIO(text.encode()), "<stdin>", stats, "stdin", chunk_size=1024, overlap=256)
    found = sorted(scan_chunks(blobs, ruleset, stats), key=lambda f: f.location.offset)
    expected = []
    for index in (text.index(key_id), text.rindex(key_id)):
        line_start = text.rfind("\n", 0, index) + 1
        expected.append((text.count("\n", 0, index) + 1, index - line_start + 1))
    assert [(f.location.line, f.location.column) for f in found] == expected
    assert stats.bytes == len(text)


def test_non_utf8_file_name_in_every_format(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, _, line = pair_line(keys)
    (tmp_path / os.fsdecode(b"caf\xe9.txt")).write_text(line)
    for fmt in ("text", "json", "jsonl", "sarif", "csv"):
        result = run_akscan("scan", str(tmp_path), "--format", fmt, env={"PYTHONIOENCODING": "utf-8:strict"})
        assert result.code == 1, (fmt, result.err)
        assert "caf\\xe9.txt" in result.out.replace("\\\\", "\\") or "caf%5Cxe9.txt" in result.out, fmt
        assert key_id in result.out


def test_a_file_that_grew_since_the_walk_is_read_to_the_size_seen(
    tmp_path: Path, keys: FakeKeys, ruleset: Ruleset
) -> None:
    from akscan.engine.pipeline import ContentOptions
    from akscan.runs.scan import scan_piece
    from akscan.sources.files import Target, pieces

    log = tmp_path / "app.log"
    seen_id, seen_secret = keys.alibaba_id(), keys.alibaba_secret()
    log.write_text(f"auth = oss2.Auth('{seen_id}', '{seen_secret}')\n")
    target = Target(str(log), "app.log", log.stat().st_size)  # what the walk saw
    with log.open("a") as handle:  # the log keeps being written after the walk listed it
        handle.write("x = 1\n" * 100_000 + f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    (piece,) = pieces(target)
    result = scan_piece(piece, ruleset, ContentOptions())
    assert [f.key_id for f in result.findings] == [seen_id]
    assert result.stats.bytes == target.size


def test_column_on_a_huge_single_line_costs_one_block(tmp_path: Path, keys: FakeKeys) -> None:
    line = tmp_path / "minified.js"
    key_id = keys.alibaba_id()
    with line.open("wb") as handle:
        handle.seek(300 * 1024 * 1024)  # 300 MB of one line (sparse NULs), then the key
        handle.write(f"ak='{key_id}'\n".encode())
    code = (
        "import json, re, sys; from akscan.cli import main; rc = main(['scan', sys.argv[1], '-q', '-j', '1', "
        "'--format', 'json', '-o', sys.argv[2]]); status = open('/proc/self/status').read(); "
        "print(rc, re.search(r'VmHWM:\\s+(\\d+)', status).group(1))"
    )
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-c", code, str(line), str(report)], capture_output=True, text=True)
    rc, peak = proc.stdout.split()
    (finding,) = json.loads(report.read_text())["findings"]
    assert rc == "1" and finding["key_id"] == key_id
    assert finding["column"] == 300 * 1024 * 1024 + len("ak='") + 1
    assert int(peak) < 200 * 1024, f"peak RSS {peak} KiB"


def test_a_full_disk_is_one_clear_line(tmp_path: Path) -> None:
    for args in (("-o", "/dev/full"), ("--format", "json", "-o", "/dev/full")):
        result = run_akscan("scan", str(REPO / "fixtures" / "demo"), *args, process=True)
        assert result.code == 2 and "No space left on device" in result.err
        assert "Traceback" not in result.err and "internal error" not in result.err


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (Linux: the SigCgt mask in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    import signal
    import time

    proc = subprocess.Popen(
        [*akscan_command(), "scan", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdin is not None
    proc.stdin.write(b"waiting for more input that never comes\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while not _catches(proc.pid, signal.SIGTERM):  # until akscan has its handler in place, not a fixed sleep
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and b"terminated (SIGTERM)" in err and b"Traceback" not in err


def test_a_sigterm_python_wrapped_is_still_a_termination(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGTERM landing while a lazily imported module defines its dataclasses reaches akscan as Python's
    RuntimeError around ``__set_name__``: still "terminated", never "internal error" (seen once in CI)."""
    from akscan import cli as cli_module

    class Descriptor:
        def __set_name__(self, owner: type, name: str) -> None:
            raise cli_module.Terminated

    def interrupted_import(*args: object, **kwargs: object) -> None:
        type("Model", (), {"field": Descriptor()})

    monkeypatch.setattr(cli_module.cli, "main", interrupted_import)
    assert cli_module.main(["scan", "-"]) == 2
    err = capsys.readouterr().err
    assert "terminated (SIGTERM)" in err and "internal error" not in err


def test_a_bad_gitignore_line_is_reported_and_the_scan_goes_on(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, _, line = pair_line(keys)
    (tmp_path / ".gitignore").write_text("*.log\n\\\n")
    (tmp_path / "app.log").write_text(line)
    result = run_akscan("scan", str(tmp_path), "--gitignore", "--format", "json")
    document = json.loads(result.out)
    assert result.code == 1 and [f["key_id"] for f in document["findings"]] == [key_id]
    assert document["summary"]["skipped"]["bad-gitignore"] == 1 and ".gitignore" in result.err


def test_columns_of_many_findings_on_one_long_line(tmp_path: Path, keys: FakeKeys) -> None:
    """A minified JSON export holds every pair on one line: each finding's column is counted from the one
    before it (linear), and stays right in characters across multi-byte text."""
    pairs = [(keys.alibaba_id(), keys.alibaba_secret()) for _ in range(300)]
    body = ",".join(f'{{"名前":"é","AccessKeyId":"{key_id}","AccessKeySecret":"{secret}"}}' for key_id, secret in pairs)
    (tmp_path / "export.json").write_text("[" + body + "]", encoding="utf-8")
    document = json.loads(run_akscan("scan", str(tmp_path / "export.json"), "--format", "json").out)
    text = "[" + body + "]"
    found = {f["key_id"]: f for f in document["findings"]}
    assert len(found) == 300
    for key_id, _ in pairs:
        assert found[key_id]["line"] == 1 and found[key_id]["column"] == text.index(key_id) + 1
