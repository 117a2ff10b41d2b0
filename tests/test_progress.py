"""The tqdm progress bar: on stderr when it is a terminal, never with --quiet or machine formats."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from pathlib import Path

from tests.conftest import akscan_command


def run_on_terminal(
    args: list[str], stream: str = "stderr", extra_env: dict[str, str] | None = None
) -> tuple[str, str]:
    """Run akscan with ``stream`` (stdout or stderr) on a pseudo-terminal; return (the other stream's
    output, what the terminal showed)."""
    primary, secondary = pty.openpty()
    # A fresh pseudo-terminal is 0x0; tqdm would fit its bar into zero columns. Give it a real size.
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    other = subprocess.PIPE
    streams = {"stdout": secondary, "stderr": other} if stream == "stdout" else {"stdout": other, "stderr": secondary}
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"} | (extra_env or {})
    proc = subprocess.Popen([*akscan_command(), *args], env=env, **streams)  # type: ignore[call-overload]
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    out, err = proc.communicate(timeout=120)
    os.close(primary)
    rest = out if stream == "stderr" else err
    return (rest or b"").decode(), shown.decode("utf-8", "replace")


def run_with_terminal_stderr(*args: str) -> tuple[str, str]:
    return run_on_terminal(list(args), "stderr")


def tree(tmp_path: Path) -> Path:
    for i in range(30):
        (tmp_path / f"f{i}.txt").write_text("x = 1\n" * 50000)
    return tmp_path


def test_bar_on_a_terminal(tmp_path: Path) -> None:
    _, shown = run_with_terminal_stderr("scan", str(tree(tmp_path)))
    assert "scanning" in shown and "B/s" in shown


def test_no_bar_when_quiet_or_json(tmp_path: Path) -> None:
    root = tree(tmp_path)
    _, quiet = run_with_terminal_stderr("scan", str(root), "-q")
    out, machine = run_with_terminal_stderr("scan", str(root), "--format", "json")
    assert "scanning" not in quiet and "scanning" not in machine
    assert out.lstrip().startswith("{")


def test_history_bar_on_a_terminal(tmp_path: Path) -> None:
    from tests.gitrepo import Repo

    repo = Repo(tmp_path / "repo")
    repo.commit("data", big="y = 2\n" * 100000)
    _, shown = run_with_terminal_stderr("git", str(repo.path), "--no-cache")
    assert "history" in shown


def test_text_output_is_coloured_on_a_terminal_only(tmp_path: Path) -> None:
    from tests.conftest import run_akscan
    from tests.keys import FakeKeys

    keys = FakeKeys(3)
    (tmp_path / "a.py").write_text(f"oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
    _, shown = run_on_terminal(["scan", str(tmp_path)], "stdout")
    assert "\x1b[" in shown  # ANSI colour on a terminal
    assert "\x1b[" not in run_akscan("scan", str(tmp_path)).out  # none in a pipe
    _, plain = run_on_terminal(["scan", str(tmp_path), "--no-color"], "stdout")
    assert "\x1b[" not in plain and "Alibaba Cloud AccessKey" in plain
    _, plain = run_on_terminal(["scan", str(tmp_path)], "stdout", {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "Alibaba Cloud AccessKey" in plain
