"""The top-level rules/ must reach every installed form: a wheel (what pre-commit installs), an
editable install and a plain checkout, and each must load the same ruleset."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO

PROBE = (
    "import json, sys; {prelude} from akscan.engine.rules import load_ruleset, builtin_rules_dir; "
    "r = load_ruleset(); print(json.dumps({{'digest': r.digest, 'ids': [x.id for x in r.rules], "
    "'dir': str(builtin_rules_dir())}}))"
)


def probe(prelude: str, cwd: Path, pythonpath: str | None = None) -> dict:
    env = {"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = subprocess.run(
        [sys.executable, "-I" if not pythonpath else "-s", "-c", PROBE.format(prelude=prelude)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _build(kind: str, out: Path) -> Path:
    code = f"import hatchling.build as h; print(h.build_{kind}({str(out)!r}))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return out / proc.stdout.strip().splitlines()[-1]


def test_wheel_editable_and_checkout_load_the_same_rules(tmp_path: Path) -> None:
    checkout = probe("", REPO, pythonpath=str(REPO / "scanner"))
    assert Path(checkout["dir"]) == REPO / "rules"

    wheel = _build("wheel", tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "akscan/_rules/alibaba.toml" in names
    site = tmp_path / "wheel-site"
    zipfile.ZipFile(wheel).extractall(site)
    installed = probe("", tmp_path, pythonpath=str(site))
    assert Path(installed["dir"]) == site / "akscan" / "_rules"

    editable_wheel = _build("editable", tmp_path / "edist")
    editable_site = tmp_path / "editable-site"
    zipfile.ZipFile(editable_wheel).extractall(editable_site)
    editable = probe(f"import site; site.addsitedir({str(editable_site)!r});", tmp_path)
    assert Path(editable["dir"]) == REPO / "rules"

    assert checkout["digest"] == installed["digest"] == editable["digest"]
    assert checkout["ids"] == installed["ids"] == editable["ids"]


def test_sdist_carries_tests_fixtures_and_licence(tmp_path: Path) -> None:
    import tarfile

    sdist = _build("sdist", tmp_path / "sdist")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "SECURITY.md", "tests/conftest.py", "fixtures/demo/README.md", "rules/alibaba.toml"} <= names
    assert "Apache License" in (REPO / "LICENSE").read_text()


def test_links_point_at_the_project_not_a_package_index() -> None:
    from akscan import PROJECT_URL

    sources = [p.read_text() for p in (REPO / "scanner" / "akscan").rglob("*.py")]
    assert not any("pypi.org" in text for text in sources)
    assert PROJECT_URL.startswith("https://github.com/")


def test_readme_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    """The README's Quick start is exactly two commands; .ci/run runs the second's install and tests."""
    import re

    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Quick start") : readme.index("## Usage")]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert "python3 -m venv" in commands[0] and "akscan scan fixtures/demo" in commands[0]
    install_and_test = commands[1].split("&& ", 1)[1]
    assert install_and_test in (REPO / ".ci" / "run").read_text()
    count = (REPO / "tests" / "test_audit_report.py").read_text().count("@needs_browser")
    assert f"{['No', 'One', 'Two', 'Three', 'Four', 'Five', 'Six'][count]} tests render" in section
