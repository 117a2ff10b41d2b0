"""The audit formats: ``--format html`` (one self-contained page per audit) and ``--format markdown``
(a CI job summary), generated for real repositories and folders and read back the way a browser or a
Markdown renderer would."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import run_akscan
from tests.gitrepo import Repo
from tests.keys import FakeKeys

HOSTILE_SUBJECT = '<script>alert("subject")</script><img src=x onerror=alert(1)>'
HOSTILE_PATH = "conf/<img src=x onerror=alert(2)>|`x`.env"


class Page(HTMLParser):
    """The parts of a page the tests check: elements with their attributes, texts, scripts, styles."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.texts: list[str] = []
        self._open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        where = self._open[-1] if self._open else ""
        if where == "script":
            self.scripts.append(data)
        elif where == "style":
            self.styles.append(data)
        else:
            self.texts.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


@pytest.fixture
def audited(tmp_path: Path, keys: FakeKeys) -> tuple[Repo, dict[str, str]]:
    """A history with a key still at HEAD, one removed, an AWS key added late, and hostile names."""
    repo = Repo(tmp_path / "repo")
    made = {
        name: value
        for name, value in zip(
            ("id1", "s1", "id2", "s2"),
            (keys.alibaba_id(), keys.alibaba_secret(), keys.alibaba_id(), keys.alibaba_secret()),
            strict=True,
        )
    }
    made["aws_id"], made["aws_secret"] = keys.aws_id(), keys.aws_secret()
    made["first"] = repo.commit(
        "add oss client", author="Bob", app__oss_py=f"auth = oss2.Auth('{made['id1']}', '{made['s1']}')\n"
    )
    repo.write(
        HOSTILE_PATH, f"ALIBABA_CLOUD_ACCESS_KEY_ID={made['id2']}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={made['s2']}\n"
    )
    made["second"] = repo.commit(HOSTILE_SUBJECT)
    (repo.path / HOSTILE_PATH).unlink()
    made["removed"] = repo.commit("remove env")
    made["third"] = repo.commit(
        "aws", creds=f"[default]\naws_access_key_id = {made['aws_id']}\naws_secret_access_key = {made['aws_secret']}\n"
    )
    return repo, made


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_html_audit_report_has_one_row_per_credential_and_its_history(audited: tuple[Repo, dict[str, str]]) -> None:
    repo, made = audited
    result = run_akscan("git", str(repo.path), "--format", "html")
    assert result.code == 1, result.err
    page = Page(result.out)
    rows = [a for a in page.all("tr") if "data-sev" in a]
    assert len(rows) == 3 and {a["data-sev"] for a in rows} == {"high"}
    text = page.text
    for key in (made["id1"], made["id2"], made["aws_id"]):
        assert key in text
    for secret in (made["s1"], made["s2"], made["aws_secret"]):  # redacted
        assert secret not in result.out and secret[:4] + "*" in text
    assert made["first"] in text and made["second"] in text and made["removed"] in text  # introduced, removed
    assert "Bob" in text and "Complete" in text and "Refs" in text
    # The timeline: one red bar per key, an amber one for the key removed from HEAD but still reachable.
    rects = page.all("rect")
    assert sum(r["fill"] == "#c62828" for r in rects) == 3 and sum(r["fill"] == "#f2b35a" for r in rects) == 1
    # Details: the places and the remediation, rotation before purging.
    steps = [t for t in page.texts if t.startswith(("Disable and rotate", "Then purge"))]
    assert steps and steps[0].startswith("Disable and rotate") and "filter-repo" in text


def test_html_report_is_self_contained_and_scanned_text_cannot_inject(audited: tuple[Repo, dict[str, str]]) -> None:
    repo, _ = audited
    out = run_akscan("git", str(repo.path), "--format", "html").out
    page = Page(out)
    # Nothing is fetched: no src, no link, no external reference; only the page's own anchors.
    assert not any(name in ("img", "iframe", "link", "object", "embed") for name, _ in page.elements)
    assert not any("src" in attrs or any(k.startswith("on") for k in attrs) for _, attrs in page.elements)
    assert all((a["href"] or "").startswith("#") for a in page.all("a"))
    # One script and one style, exactly those the policy names by hash: nothing else can run or style.
    assert len(page.scripts) == 1 and len(page.styles) == 1
    policy = next(a["content"] for a in page.all("meta") if a.get("http-equiv") == "Content-Security-Policy")
    assert policy is not None and policy.startswith("default-src 'none';")
    assert _csp_hash(page.scripts[0]) in policy and _csp_hash(page.styles[0]) in policy
    # The hostile subject and path are shown as text.
    assert HOSTILE_SUBJECT in page.text and "conf/<img src=x onerror=alert(2)>|`x`.env" in page.text


def test_html_report_of_a_folder_groups_occurrences_of_one_key(tmp_path: Path, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    for name in ("a.py", "b/c.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"auth = oss2.Auth('{key_id}', '{secret}')\n")
    out = run_akscan("scan", str(tmp_path), "--format", "html").out
    page = Page(out)
    rows = [a for a in page.all("tr") if "data-sev" in a]
    assert len(rows) == 1 and "2 in 2 path(s)" in page.text
    assert "a.py" in page.text and "b/c.py" in page.text
    assert "needs a history scan" in page.text  # no timeline without history


def test_markdown_summary_escapes_scanned_text(audited: tuple[Repo, dict[str, str]]) -> None:
    repo, made = audited
    result = run_akscan("git", str(repo.path), "--format", "markdown")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == "## akscan: 3 leaked credentials (3 high)"
    rows = [line for line in lines if line.startswith("| high |")]
    assert len(rows) == 3
    for row in rows:  # every row has exactly the table's 8 cells: a | in a path cannot add one
        assert len(re.findall(r"(?<!\\)\|", row)) == 9
    hostile = next(row for row in rows if made["id2"] in row)
    assert "<img" not in hostile and "&lt;img" in hostile and "\\|" in hostile and "\\`x\\`" in hostile
    assert (
        made["s1"] not in result.out and "### What to do" in result.out and "aliyun ram UpdateAccessKey" in result.out
    )


def test_markdown_says_when_the_scan_is_incomplete(tmp_path: Path, keys: FakeKeys) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit("one", a="x = 1\n")
    repo.commit("two", a="x = 2\n")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    out = run_akscan("git", str(clone), "--format", "markdown").out
    assert out.startswith("## akscan: no credentials found") and "**Incomplete scan**" in out


# -- in a real browser ---------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (Debian: apt-get install chromium)")


def _browser(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _with_probe(page: str, probe: str) -> str:
    """The page with a test script added and allowed by the page's policy (by its hash)."""
    page = page.replace("script-src ", f"script-src {_csp_hash(probe)} ", 1)
    return page.replace("</body>", f"<script>{probe}</script></body>")


@needs_browser
def test_report_renders_in_chromium(audited: tuple[Repo, dict[str, str]], tmp_path: Path) -> None:
    repo, _ = audited
    report = tmp_path / "audit.html"
    run_akscan("git", str(repo.path), "--format", "html", "-o", str(report))
    shot = tmp_path / "audit.png"
    _browser("--window-size=1300,1100", f"--screenshot={shot}", report.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = _browser("--virtual-time-budget=3000", "--dump-dom", report.as_uri()).stdout
    assert "3 of 3 shown" in dom  # the page's own script ran under its policy


@needs_browser
def test_policy_blocks_any_script_it_does_not_name(audited: tuple[Repo, dict[str, str]], tmp_path: Path) -> None:
    repo, _ = audited
    page = run_akscan("git", str(repo.path), "--format", "html").out
    injected = tmp_path / "injected.html"
    injected.write_text(page.replace("</body>", '<script>document.title="pwned"</script></body>'))
    dom = _browser("--virtual-time-budget=3000", "--dump-dom", injected.as_uri()).stdout
    assert "<title>pwned</title>" not in dom and "3 of 3 shown" in dom


@needs_browser
def test_five_thousand_credentials_filter_and_sort_in_the_browser(tmp_path: Path, keys: FakeKeys) -> None:
    rows = "\n".join(f"{keys.alibaba_id()},{keys.alibaba_secret()}" for _ in range(5000))
    (tmp_path / "keys.csv").write_text("AccessKeyId,AccessKeySecret\n" + rows + "\n")
    report = tmp_path / "big.html"
    run_akscan("scan", str(tmp_path / "keys.csv"), "--format", "html", "-o", str(report))
    page = report.read_text()
    target = re.findall(r'href="#k(\d+)">(LTAI\w+)<', page)[4321][1]
    probe = (
        "var q=document.getElementById('q');q.value='" + target.lower() + "';"
        "q.dispatchEvent(new Event('input'));"
        "setTimeout(function(){document.body.setAttribute('data-filtered',"
        "document.getElementById('shown').textContent);"
        "document.querySelectorAll('#keys th')[2].click();"
        "document.body.setAttribute('data-first',document.querySelector('#keys tbody tr').cells[2].textContent);"
        "},500);"
    )
    probed = tmp_path / "probed.html"
    probed.write_text(_with_probe(page, probe))
    dom = _browser("--virtual-time-budget=10000", "--dump-dom", probed.as_uri()).stdout
    assert 'data-filtered="1 of 5000 shown"' in dom
    first = re.search(r'data-first="(LTAI\w+)"', dom)
    ids = re.findall(r'href="#k\d+">(LTAI\w+)<', page)
    assert first is not None and first.group(1) == min(ids, key=str.lower)


def test_verified_audit_shows_status_identity_and_the_account_key_first(tmp_path: Path, keys: FakeKeys) -> None:
    from tests.sts_emulator import Emulator
    from tests.test_verify import write_tree

    sts = Emulator().start()
    try:
        ids = write_tree(tmp_path, keys, sts)
        result = run_akscan("scan", str(tmp_path), "--format", "html", "--verify", "--endpoint", f"alibaba={sts.url}")
    finally:
        sts.stop()
    page = Page(result.out)
    rows = [a for a in page.all("tr") if "data-sev" in a]
    # One row per key: 40 copies of the live pair are one credential.
    assert [(r["data-sev"], r["data-status"]) for r in rows][:2] == [("critical", "live"), ("high", "live")]
    assert {r["data-status"] for r in rows} >= {"live", "not-found"}
    text = page.text
    assert "the account's own key (root)" in text and "acs:ram::1234567890123456:user/deployer" in text
    assert text.index(ids["root"]) < text.index(ids["live"]) and "40 in 40 path(s)" in text
    assert "1 critical" in text and "2 live" in text


@pytest.fixture
def four_states(tmp_path: Path, keys: FakeKeys) -> tuple[Repo, dict[str, str]]:
    """A key at HEAD, one removed from HEAD, one only on an unmerged branch (and a tag), one only in an
    object no ref reaches (a commit reset away, its reflog expired)."""
    repo = Repo(tmp_path / "repo")
    ids = {state: keys.alibaba_id() for state in ("head", "removed", "branch", "lost")}

    def line(state: str) -> str:
        return f"auth = oss2.Auth('{ids[state]}', '{keys.alibaba_secret()}')\n"

    repo.commit("head key", app_py=line("head"))
    repo.commit("removed key", old_py=line("removed"))
    repo.commit("remove it", old_py="auth = from_env()\n")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("branch key", feature_py=line("branch"))
    repo.git("tag", "v0.9-rc")
    repo.git("checkout", "-q", "main")
    repo.commit("lost key", lost_py=line("lost"))
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.git("reflog", "expire", "--expire=now", "--all")
    return repo, ids


def test_html_never_says_at_head_of_a_key_head_does_not_hold(four_states: tuple[Repo, dict[str, str]]) -> None:
    repo, ids = four_states
    html = run_akscan("git", str(repo.path), "--format", "html", "--no-cache").out
    page = Page(html)
    states: dict[str, list[str]] = {}
    titles = [t for t in page.texts if t.startswith(tuple(ids.values()))]
    for state, key_id in ids.items():
        states[state] = [t for t in titles if t.startswith(key_id)]
        assert states[state], state
    assert any("still at HEAD" in t for t in states["head"])
    for state in ("removed", "branch", "lost"):
        assert not any("still at HEAD" in t for t in states[state]), (state, states[state])
    assert any("never at HEAD: only on branches or tags" in t for t in states["branch"])
    assert any("only in objects no ref reaches" in t for t in states["lost"])
    assert any("removed from HEAD" in t for t in states["removed"])
    drawn = {r.get("data-state") for r in page.all("rect")}
    assert drawn == {
        "at HEAD",
        "removed from HEAD, still in history a ref reaches",
        "never at HEAD: only on branches or tags",
        "only in objects no ref reaches",
    }
    # every label is the whole key ID (24 characters: the old labels cut at 22), never cut
    assert sorted(re.findall(r'<text x="0"[^>]*class="key"[^>]*>([^<]*)</text>', html)) == sorted(ids.values())
    # per key: the refs that reach it by name, and its paths
    text = page.text
    assert "feature" in text and "v0.9-rc" in text and "feature_py" in text
    assert "No branch or tag reaches it" in text


@needs_browser
def test_key_ids_do_not_wrap_in_the_browser(four_states: tuple[Repo, dict[str, str]], tmp_path: Path) -> None:
    repo, _ = four_states
    page = run_akscan("git", str(repo.path), "--format", "html", "--no-cache").out
    probe = (
        "var cells=document.querySelectorAll('#keys td.key');var wrapped=0;"
        "cells.forEach(function(c){if(c.getClientRects().length&&c.querySelector('a').getClientRects().length>1)"
        "wrapped++;});var labels=document.querySelectorAll('svg text.key');var cut=0;"
        "labels.forEach(function(t){if(t.getComputedTextLength()+1>=t.closest('svg').querySelector('rect')"
        ".x.baseVal.value)cut++;});"
        "document.body.setAttribute('data-probe',cells.length+' '+wrapped+' '+labels.length+' '+cut);"
    )
    probed = tmp_path / "probed.html"
    probed.write_text(_with_probe(page, probe))
    dom = _browser("--window-size=700,900", "--virtual-time-budget=3000", "--dump-dom", probed.as_uri()).stdout
    assert 'data-probe="4 0 4 0"' in dom, re.findall(r'data-probe="[^"]*"', dom)
