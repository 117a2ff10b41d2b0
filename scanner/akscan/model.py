"""Frozen value objects that flow through the pipeline. Standard library only.

Secrets are radioactive: every field that can hold one is ``repr=False`` so a stray ``repr`` or a
traceback never prints it.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, name: str) -> Severity:
        return cls[name.strip().upper()]

    def __str__(self) -> str:
        return self.name.lower()


class Kind(str, enum.Enum):
    PAIR = "pair"
    KEY_ID = "key-id"
    SECRET = "secret"
    STS = "sts-credentials"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Origin:
    """Where a blob of bytes came from."""

    path: str
    source: str = "file"  # file | stdin | git | staged | commit-message
    blob_id: str | None = None
    decoded: str | None = None  # how the bytes were decoded before scanning, e.g. "utf-16"
    # The name of the folder holding the file when ``path`` does not show it (``akscan scan .`` run inside
    # config/ reports aip.php): the folder is part of what makes a file a provider's config.
    folder: str | None = None


@dataclass(frozen=True)
class Blob:
    """Bytes to scan. ``line_base``/``offset_base`` place a chunk of a larger file."""

    data: bytes = field(repr=False)
    origin: Origin
    line_base: int = 0
    offset_base: int = 0
    column_base: int = 0  # characters before the blob's first byte on its first line (chunked long lines)


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    column: int
    offset: int


@dataclass(frozen=True)
class GitProvenance:
    blob: str
    commit: str | None = None
    path: str | None = None
    author_name: str | None = None
    author_email: str | None = None
    date: str | None = None
    summary: str | None = None
    present_at_head: bool | None = None
    refs: tuple[str, ...] = ()  # refs that reach the introducing commit (at most 50 listed)
    ref_count: int = 0  # how many refs reach it in all
    removed_in: str | None = None  # the last commit that replaced or deleted it, when HEAD no longer has it
    removed_date: str | None = None
    source: str = "blob"  # blob | commit-message | tag-message
    occurrences: int = 1  # blobs and messages holding the same credential
    paths: tuple[str, ...] = ()  # every path it was seen at
    present_before_range: bool | None = None  # range scans: already in these paths at the range's base
    never_committed: bool | None = None  # a blob no commit holds: staged then abandoned, or hash-object


@dataclass(frozen=True)
class AccessMap:
    """What a live key reaches, from read-only questions the key itself answered (``--access-map``).
    None in a field: not known (not permitted to ask, or not asked); ``unknown`` says which and why."""

    identity: str  # account (the account's own key) | user | role
    user: str | None = None  # the RAM or IAM user's name
    policies: tuple[str, ...] = ()  # "System:AdministratorAccess", "Custom:deploy", "group ops: System:…"
    administrator: bool | None = None
    can_escalate: bool | None = None
    escalation: tuple[str, ...] = ()  # why it can escalate: "ram:CreateAccessKey on *", …
    last_used: str | None = None  # when the key was last used (ISO 8601)
    last_used_service: str | None = None
    buckets: int | None = None  # object storage buckets it can list
    bucket_regions: tuple[str, ...] = ()
    amqp_instances: int | None = None  # ApsaraMQ for RabbitMQ instances
    instances: int | None = None  # ECS instances in the regions asked
    instance_regions: tuple[str, ...] = ()  # the regions asked
    users: int | None = None  # RAM/IAM users in the account (asked only of an administrator)
    unknown: tuple[str, ...] = ()  # "policies: AccessDenied (not permitted to ask)", …
    requests: int = 0


@dataclass(frozen=True)
class Verification:
    status: str  # live | inactive | not-found | wrong-secret | expired | unknown | skipped
    checked_at: str
    reason: str = ""
    account_id: str | None = None
    arn: str | None = None
    identity_type: str | None = None
    user_id: str | None = None
    access: AccessMap | None = None


# Key IDs that are temporary by their prefix whatever is found with them.
TEMPORARY_ID_PREFIXES = ("STS.", "TMP.", "ASIA")


@dataclass(frozen=True)
class Finding:
    rule_id: str
    provider: str
    kind: Kind
    severity: Severity
    confidence: str  # high | medium | low
    key_id: str | None
    location: Location
    secret: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    secret_location: Location | None = None
    title: str = ""
    remediation: str = ""
    git: GitProvenance | None = None
    verification: Verification | None = None
    encoding: str | None = None  # "base64" when found by decoding the text it was stored in
    # Temporary credentials: the Expiration written next to them (ISO 8601), and, once the run has
    # compared it with its clock (akscan.engine.expiry), the seconds left (negative: expired).
    expires_at: str | None = None
    expires_in: int | None = None
    # Why the finding's rule never sends its pairs (the rule's `unverifiable`), or "": carried by the
    # finding, not looked up by rule id, so two rulesets in one process (or a fleet's workers, whose
    # findings come back as JSON) each keep their own rules' word.
    unverifiable: str = ""

    @property
    def fingerprint(self) -> str:
        """Content fingerprint: stable across line moves, renames and commits."""
        return fingerprint(self.rule_id, self.key_id, self.secret)

    @property
    def temporary(self) -> bool:
        """Temporary credentials: an STS pair, a key ID found with its session token and no secret (a
        presigned URL, mostly), or an ID temporary by its prefix alone (Alibaba's STS. and TMP., AWS's ASIA). They
        cannot be disabled: they expire."""
        return (
            self.kind == Kind.STS
            or self.security_token is not None
            or (self.key_id or "").startswith(TEMPORARY_ID_PREFIXES)
        )

    def lines(self) -> tuple[int, ...]:
        found = [self.location.line]
        if self.secret_location is not None and self.secret_location.line != self.location.line:
            found.append(self.secret_location.line)
        return tuple(found)


def fingerprint(rule_id: str, key_id: str | None, secret: str | None) -> str:
    material = "\0".join((rule_id, key_id or "", secret or "")).encode("utf-8")
    return hashlib.sha256(material).hexdigest()


def redact(value: str | None, keep: int = 4) -> str | None:
    if value is None:
        return None
    if len(value) <= keep:
        return "*" * len(value)
    return value[:keep] + "*" * min(len(value) - keep, 16)


# Skips that leave content unread although it was meant to be read: each makes the report incomplete (and
# `--fail-on-incomplete` a failure). Skips the user chose (excludes, --max-file-size, symlinks not
# followed, FIFOs and devices, akscan's own output) do not.
UNREAD = frozenset(
    {
        "unreadable",
        "read-error",
        "missing-object",
        "corrupt-object",
        "head-unreadable",
        "broken-history",
        "broken-archive",
        "archive-member-too-large",
        "encrypted-archive-member",
        "archive-budget",
        "archive-too-deep",
        "rule-timeout",
        "rule-off",
        "message-too-large",
    }
)


@dataclass
class ScanStats:
    """Mutable tally a scan builds up; merged across worker processes."""

    files: int = 0
    bytes: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    binary_files: int = 0
    decoded_files: int = 0
    archive_members: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    incomplete: bool = False
    # Bytes of git blob versions taken over from the version git stored them against (akscan.engine.delta).
    reused_bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def skip(self, reason: str, path: str | None = None, detail: str | None = None) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if reason in UNREAD:
            self.incomplete = True
        if path is not None:
            self.errors.append({"path": path, "reason": reason, "detail": detail or reason})

    def suppress(self, reason: str) -> None:
        self.suppressed[reason] = self.suppressed.get(reason, 0) + 1

    def settled(self) -> tuple[int, int]:
        """What must not change while an object is scanned for it to be cached as clean: the content
        skipped (a rule stopped by its time limit, an archive over a limit: not all of it was read) and
        the findings a config's line allowlist dropped (another config, or ``--no-config``, would report
        them: a repository's own config must not hide a key from later audits through the cache)."""
        # inline markers too: a run with --no-inline-markers must not skip a blob a marker once silenced
        marked = self.suppressed.get("inline-marker", 0) + self.suppressed.get("inline-marker-ignored", 0)
        return sum(self.skipped.values()), self.suppressed.get("rule-allowlist", 0) + marked

    def merge(self, other: ScanStats) -> None:
        self.files += other.files
        self.bytes += other.bytes
        self.binary_files += other.binary_files
        self.decoded_files += other.decoded_files
        self.archive_members += other.archive_members
        self.reused_bytes += other.reused_bytes
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count
        for reason, count in other.suppressed.items():
            self.suppressed[reason] = self.suppressed.get(reason, 0) + count
        self.errors.extend(other.errors)
        self.incomplete = self.incomplete or other.incomplete


@dataclass
class ScanResult:
    """What a source's run through the pipeline produced, before the run-wide stages."""

    findings: list[Finding]
    stats: ScanStats
    duration: float = 0.0
    scope: tuple[str, ...] | None = None  # the roots scanned, as paths are reported; None: everything
    root: str | None = None  # the folder relative paths are relative to; None: the working directory
    paths_from_root: bool = False  # paths are relative to ``root`` (git, hook), not to the working directory
