"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps). Secrets are redacted unless
--no-redact; ``partialFingerprints`` carry the content fingerprint so alerts survive code moves."""

from __future__ import annotations

import json
import os
from typing import Any, TextIO
from urllib.parse import quote

from akscan import PROJECT_URL, __version__
from akscan.model import Finding, Kind, Severity, redact
from akscan.report import Report, safe

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads this property to rank security alerts (0.0–10.0).
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.8",
    Severity.HIGH: "8.5",
    Severity.MEDIUM: "6.0",
    Severity.LOW: "3.5",
    Severity.INFO: "1.0",
}
_KIND_TEXT = {
    Kind.PAIR: "an AccessKey pair (ID and secret)",
    Kind.STS: "STS temporary credentials",
    Kind.KEY_ID: "an AccessKey ID without its secret",
    Kind.SECRET: "an AccessKey secret",
}


def _root(report: Report) -> str:
    return os.path.abspath(report.root or os.getcwd())


def _file_of(path: str) -> str:
    """The file a location is in: an archive member ``app.zip!inner/x.py`` lives in ``app.zip``."""
    outer = path.split("!", 1)[0]
    return outer if outer != path and not os.path.isdir(outer) else path


def _uri(path: str, report: Report) -> tuple[str, str | None]:
    """A URI relative to the source root (what code scanning maps to files), else an absolute one."""
    root = _root(report)
    file = _file_of(safe(path))
    absolute = os.path.normpath(os.path.join(root if report.paths_from_root else os.getcwd(), file))
    if absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep):
        return quote(os.path.relpath(absolute, root).replace(os.sep, "/")), "%SRCROOT%"
    return "file://" + quote(absolute.replace(os.sep, "/")), None


def _locations(finding: Finding, report: Report) -> dict[str, Any]:
    """Where a result is: a file (its region), or for a git object no path names (an unreachable blob,
    a commit message) a logical location that names the object."""
    path = finding.location.path
    if path.startswith("<"):
        label = path.strip("<>")
        kind = "commit message" if "message" in label else "git object"
        location = {"name": label, "fullyQualifiedName": f"git:{finding.git.blob if finding.git else label}"}
        return {"logicalLocations": [{**location, "kind": kind}]}
    uri, base = _uri(path, report)
    artifact: dict[str, Any] = {"uri": uri}
    if base:
        artifact["uriBaseId"] = base
    region: dict[str, Any] = {"startLine": finding.location.line, "startColumn": finding.location.column}
    if finding.secret_location is not None and finding.secret_location.line >= finding.location.line:
        region["endLine"] = finding.secret_location.line
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def _rule_descriptor(rule_id: str, report: Report, findings: list[Finding]) -> dict[str, Any]:
    rule = report.rules.get(rule_id)
    sample = findings[0]
    title = getattr(rule, "title", sample.title) or rule_id
    description = getattr(rule, "description", title)
    remediation = getattr(rule, "remediation", sample.remediation)
    severity = getattr(rule, "severity", sample.severity)
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {
            "text": f"{description}\n\nWhat to do: {remediation}",
            "markdown": f"**{title}**\n\n{description}\n\n**What to do:** {remediation}",
        },
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {
            "tags": ["security", "secret", getattr(rule, "provider", sample.provider)],
            "security-severity": _SECURITY_SEVERITY[severity],
            "precision": "high",
        },
    }


def _message(finding: Finding, report: Report) -> str:
    secret = redact(finding.secret) if report.redact else finding.secret
    kind = _KIND_TEXT[finding.kind]
    if finding.kind == Kind.KEY_ID and finding.security_token is not None:
        kind = "a temporary AccessKey ID with its session token, without its secret"
    text = f"{finding.title}: {kind}"
    if finding.key_id:
        text += f", key ID {finding.key_id}"
    if secret:
        text += f", secret {secret}"
    if finding.verification is not None:
        text += f"; verified {finding.verification.status}"
        if finding.verification.arn:
            text += f" as {finding.verification.arn}"
    if finding.git is not None and finding.git.commit:
        text += f"; introduced in {finding.git.commit[:12]} by {safe(finding.git.author_name)}"
    if finding.location.path.startswith("<") and finding.git is not None:
        where = "commit" if finding.git.source == "commit-message" else "git object"
        text += f"; in {where} {finding.git.blob} (no file holds it: `git cat-file -p {finding.git.blob[:12]}`)"
    elif "!" in finding.location.path:
        text += f"; in the archive member {safe(finding.location.path)}"
    return text + ". " + finding.remediation


def _result(finding: Finding, report: Report, rule_index: int) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "kind": str(finding.kind),
        "severity": str(finding.severity),
        "confidence": finding.confidence,
        "keyId": finding.key_id,
    }
    if finding.git is not None:
        properties["git"] = {
            k: v
            for k, v in {
                "commit": finding.git.commit,
                "blob": finding.git.blob,
                "presentAtHead": finding.git.present_at_head,
                "presentBeforeRange": finding.git.present_before_range,
            }.items()
            if v is not None
        }
    if finding.verification is not None:
        properties["verification"] = finding.verification.status
        if finding.verification.access is not None:
            from akscan.respond.access import as_dict

            properties["access"] = as_dict(finding.verification.access)
    result = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": _message(finding, report)},
        "locations": [_locations(finding, report)],
        "partialFingerprints": {"akscanFingerprint/v1": finding.fingerprint},
        "properties": properties,
    }
    if _is_range(report):
        # Code scanning reads each upload as the full set: keys from before the range stay open, as unchanged.
        before = finding.git is not None and bool(finding.git.present_before_range)
        result["baselineState"] = "unchanged" if before else "new"
    return result


def _is_range(report: Report) -> bool:
    return bool(report.stats.extra.get("git", {}).get("range"))


def document(report: Report) -> dict[str, Any]:
    by_rule: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    rule_ids = sorted(by_rule)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "akscan",
                        "informationUri": PROJECT_URL,
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule_descriptor(r, report, by_rule[r]) for r in rule_ids],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "originalUriBaseIds": {
                    "%SRCROOT%": {"uri": "file://" + quote(_root(report).replace(os.sep, "/").rstrip("/")) + "/"}
                },
                "results": [_result(f, report, index[f.rule_id]) for f in report.findings],
                "invocations": [
                    {
                        "executionSuccessful": not report.stats.incomplete,
                        "toolExecutionNotifications": [
                            {"level": "warning", "message": {"text": safe(e["detail"])}}
                            for e in report.stats.errors[:100]
                        ],
                    }
                ],
            }
        ],
    }


def write(report: Report, stream: TextIO) -> None:
    json.dump(document(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
