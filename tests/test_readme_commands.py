"""The README's Respond and Notifications sections name real commands and options: each `akscan …` line
of their examples is parsed by the real command line (with --help appended, so nothing runs; an unknown
option or command still fails the parse)."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import REPO, run_akscan

SECTIONS = ("## Respond", "## Notifications")


def _example_lines() -> list[str]:
    readme = (REPO / "README.md").read_text()
    lines: list[str] = []
    for heading in SECTIONS:
        start = readme.index(heading)
        end = readme.find("\n## ", start + 1)
        body = readme[start : end if end > 0 else None]
        for block in re.findall(r"```sh\n(.*?)```", body, flags=re.S):
            for line in block.splitlines():
                command = re.split(r"\s+#\s", line.split("|")[-1].strip())[0].strip()
                if command.startswith("akscan "):
                    lines.append(command)
    return lines


def test_the_sections_have_examples() -> None:
    assert len(_example_lines()) >= 5


@pytest.mark.parametrize("line", _example_lines())
def test_each_example_parses(line: str) -> None:
    words = [word.replace("…", "X") for word in shlex.split(line)[1:]]
    words = [re.sub(r"\$\{?\w+\}?", "X", word) for word in words]
    result = run_akscan(*words, "--help")
    assert result.code == 0, (line, result.err)
