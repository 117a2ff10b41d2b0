"""Range scans (``--range A..B``, ``--since A``): which credentials the range really adds.

A range scan reads the blobs the range's commits brought. A commit that only touches a file already
holding a key brings a new version of that file, key included, and would be blamed for the key. Here,
each credential found is looked for in the same paths at the range's base (``A``): one found there was
already present before the range — it is marked ``present_before_range``, reported one severity lower
(``--fail-on high`` lets only what the range adds block a CI job), and credited to the commit that
really introduced it, found in the history of those paths.

A range's report is also what code scanning takes as the full set of alerts for its category: an upload
that lists only what the range touched would close the alerts of keys still in the code. So the keys the
range's head still holds, though the range never touched them, are added too (``still_at_head``): marked
``present_before_range``, never failing the gate, and shown to code scanning as ``unchanged``.
"""

from __future__ import annotations

import dataclasses

from akscan.engine.pipeline import ContentOptions, scan_content
from akscan.engine.rules import Ruleset
from akscan.model import Finding, GitProvenance, ScanStats, Severity
from akscan.sources.catfile import cat_objects
from akscan.sources.git import Introduction, attribute, git, unquote_path


def range_heads(revisions: list[str]) -> list[str]:
    """The commits a range ends at: ``B`` in ``A..B``, every positive revision of ``REF ^X``."""
    heads = []
    for argument in revisions:
        if "..." in argument:
            heads.append(argument.split("...", 1)[1])
        elif ".." in argument:
            heads.append(argument.split("..", 1)[1])
        elif not argument.startswith("^"):
            heads.append(argument)
    return [head for head in heads if head]


def range_bases(revisions: list[str]) -> list[str]:
    """The commits a range starts from: ``A`` in ``A..B``, ``X`` in ``^X``."""
    bases = []
    for argument in revisions:
        if ".." in argument:
            bases.append(argument.split("..", 1)[0])
        elif argument.startswith("^"):
            bases.append(argument[1:])
    return [base for base in bases if base]


def mark_present_before(
    repo: str, findings: list[Finding], bases: list[str], ruleset: Ruleset, content: ContentOptions
) -> list[Finding]:
    paths = sorted({p for f in findings if f.git is not None for p in (f.git.paths or (f.git.path,)) if p})
    if not bases or not paths:
        return findings
    before = _fingerprints(repo, _blobs_at(repo, bases, paths), ruleset, content)
    earlier = [f for f in findings if f.fingerprint in before]
    if not earlier:
        return findings
    origins = _true_introductions(repo, paths, {f.fingerprint for f in earlier}, ruleset, content)
    marked = []
    for finding in findings:
        if finding.fingerprint not in before or finding.git is None:
            marked.append(finding)
            continue
        git_info = dataclasses.replace(finding.git, present_before_range=True)
        origin = origins.get(finding.fingerprint)
        if origin is not None:
            git_info = dataclasses.replace(
                git_info,
                commit=origin.commit,
                author_name=origin.author_name,
                author_email=origin.author_email,
                date=origin.date,
                summary=origin.summary,
            )
        severity = Severity(max(Severity.INFO, finding.severity - 1))
        marked.append(dataclasses.replace(finding, git=git_info, severity=severity))
    return marked


def still_at_head(
    repo: str,
    findings: list[Finding],
    revisions: list[str],
    ruleset: Ruleset,
    content: ContentOptions,
    known_clean: set[str],
    stats: ScanStats,
) -> list[Finding]:
    """The credentials the range's head holds that the range did not touch, as findings marked
    ``present_before_range`` (credited to the commit that brought them); ``known_clean`` blobs (the
    history cache's) are not read again."""
    heads, bases = range_heads(revisions), range_bases(revisions)
    if not heads or not bases:
        return []
    # A blob known clean under another name is read again under one that puts it in a rule's context.
    blobs = {
        sha: path
        for sha, path in _blobs_at(repo, heads, None).items()
        if sha not in known_clean or ruleset.file_context.rules_for(path)
    }
    seen = {f.fingerprint for f in findings}
    found: dict[str, Finding] = {}
    for sha, kind, body in cat_objects(repo, list(blobs)):
        if body is None or kind != "blob":
            stats.skip(f"{kind}-object", blobs[sha], f"{blobs[sha]}: object {sha} at the range's head is {kind}")
            stats.incomplete = True
            continue
        for finding in scan_content(body, blobs[sha], "git", ruleset, stats, content):  # type: ignore[arg-type]
            if finding.fingerprint in seen:
                continue
            provenance = GitProvenance(blob=sha, path=blobs[sha], present_at_head=True, paths=(blobs[sha],))
            found.setdefault(finding.fingerprint, dataclasses.replace(finding, git=provenance))
    if not found:
        return []
    paths = sorted({f.git.path for f in found.values() if f.git is not None and f.git.path})
    origins = _true_introductions(repo, paths, set(found), ruleset, content)
    added = []
    for fingerprint, finding in found.items():
        assert finding.git is not None
        git_info = dataclasses.replace(finding.git, present_before_range=True)
        origin = origins.get(fingerprint)
        if origin is not None:
            git_info = dataclasses.replace(
                git_info,
                commit=origin.commit,
                author_name=origin.author_name,
                author_email=origin.author_email,
                date=origin.date,
                summary=origin.summary,
            )
        severity = Severity(max(Severity.INFO, finding.severity - 1))
        added.append(dataclasses.replace(finding, git=git_info, severity=severity))
    return added


def _blobs_at(repo: str, bases: list[str], paths: list[str] | None) -> dict[str, str]:
    """{blob: path} of ``paths`` (None: every path) in each commit of ``bases``."""
    found: dict[str, str] = {}
    for base in bases:
        limit = ["--", *paths] if paths is not None else []
        out = git(repo, "ls-tree", "-r", "-z", "--full-tree", "--end-of-options", base, *limit, check=False)
        for record in out.split(b"\0"):
            meta, _, name = record.partition(b"\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == b"blob":
                found.setdefault(parts[2].decode(), name.decode("utf-8", "surrogateescape"))
    return found


def _fingerprints(repo: str, blobs: dict[str, str], ruleset: Ruleset, content: ContentOptions) -> dict[str, set[str]]:
    """{fingerprint: blobs holding it} among ``blobs``."""
    holding: dict[str, set[str]] = {}
    stats = ScanStats()
    for sha, kind, body in cat_objects(repo, list(blobs)):
        if body is None or kind != "blob":
            continue
        for finding in scan_content(body, blobs[sha], "git", ruleset, stats, content):  # type: ignore[arg-type]
            holding.setdefault(finding.fingerprint, set()).add(sha)
    return holding


def _true_introductions(
    repo: str, paths: list[str], wanted: set[str], ruleset: Ruleset, content: ContentOptions
) -> dict[str, Introduction]:
    """For each wanted fingerprint, the oldest commit that brought a blob holding it into ``paths``."""
    log = git(repo, "log", "--all", "--raw", "--no-abbrev", "--no-renames", "--format=", "--", *paths, check=False)
    versions: dict[str, str] = {}
    for line in log.splitlines():
        meta, _, name = line.partition(b"\t")
        parts = meta.split()
        if len(parts) >= 5 and parts[3].strip(b"0"):
            versions.setdefault(parts[3].decode(), unquote_path(name).decode("utf-8", "surrogateescape"))
    holding = _fingerprints(repo, versions, ruleset, content)
    blobs = {sha for fingerprint in wanted for sha in holding.get(fingerprint, ())}
    introductions = attribute(repo, blobs, [])
    origins: dict[str, Introduction] = {}
    for fingerprint in wanted:
        candidates = [introductions[sha] for sha in holding.get(fingerprint, ()) if sha in introductions]
        if candidates:
            origins[fingerprint] = min(candidates, key=lambda intro: intro.age_key)
    return origins
