"""The access map's verdicts (administrator, can escalate) from policy documents, its severity, and how
it reads in one line. Provider modules (``alibaba``, ``aws``) ask; this module judges."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from akscan.model import AccessMap, Severity

# At most this many requests per key, the identity check included: a map is a few reads, never a crawl.
MAX_REQUESTS = 20

# Actions that let a key give itself (or anyone) more: create keys, attach policies, assume any role.
ESCALATING = (
    "ram:*",
    "ims:*",
    "ram:createaccesskey",
    "ram:attachpolicytouser",
    "ram:attachpolicytogroup",
    "ram:attachpolicytorole",
    "ram:attachpolicyto*",
    "ram:createpolicyversion",
    "ram:updateloginprofile",
    "sts:assumerole",
    "iam:*",
    "iam:createaccesskey",
    "iam:attachuserpolicy",
    "iam:putuserpolicy",
    "iam:createpolicyversion",
    "iam:passrole",
    "iam:attachgrouppolicy",
    "iam:attachrolepolicy",
    "iam:putgrouppolicy",
    "iam:putrolepolicy",
    "iam:addusertogroup",
    "iam:createloginprofile",
    "iam:updateloginprofile",
    "iam:updateassumerolepolicy",
)


def judge(documents: Iterable[tuple[str, Any]]) -> tuple[bool, bool, tuple[str, ...]]:
    """(administrator, can escalate, why) from (policy name, policy document) pairs; a document may be
    JSON text or already parsed. Only Allow statements on every resource (``"*"``) count."""
    administrator = False
    why: list[str] = []
    for name, document in documents:
        if name.split(":")[-1] == "AdministratorAccess":
            administrator = True
        for statement in _statements(document):
            if str(statement.get("Effect", "")).lower() != "allow" or not _everywhere(statement.get("Resource")):
                continue
            actions = [str(a).lower() for a in _listed(statement.get("Action"))]
            if "*" in actions or "*:*" in actions:
                administrator = True
            for action in actions:
                if action in ESCALATING or (action.endswith("*") and _covers(action)):
                    why.append(f"{action} on * ({name})")
    if administrator:
        why.insert(0, "administrator")
    return administrator, administrator or bool(why), tuple(dict.fromkeys(why))


def _covers(pattern: str) -> bool:
    """Whether an action pattern with a wildcard (``ram:Attach*``) takes in an escalating action."""
    prefix = pattern[:-1]
    return any(action.startswith(prefix) for action in ESCALATING if not action.endswith("*"))


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, dict):
        return []
    return [s for s in _listed(document.get("Statement")) if isinstance(s, dict)]


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _everywhere(resource: Any) -> bool:
    return any(str(r) in ("*", "acs:*:*:*:*", "arn:aws:*:*:*:*") for r in _listed(resource))


def severity(access: AccessMap, current: Severity) -> Severity:
    """The account's own key, an administrator, or a key that can make itself one: critical."""
    if access.identity == "account" or access.administrator or access.can_escalate:
        return Severity.CRITICAL
    return max(Severity.HIGH, current)


def reaches(access: AccessMap) -> str:
    """One line: who it is, what it may do, what it reaches, what is not known."""
    who = {"account": "the account's own key", "role": "an assumed role"}.get(
        access.identity, f"RAM/IAM user {access.user}" if access.user else "a user"
    )
    parts = [who]
    if access.administrator:
        parts.append("ADMINISTRATOR")
    elif access.can_escalate:
        parts.append("can escalate (" + "; ".join(access.escalation[:3]) + ")")
    if access.policies:
        parts.append(f"{len(access.policies)} polic{'y' if len(access.policies) == 1 else 'ies'}")
    counted = [
        (access.buckets, "bucket"),
        (access.amqp_instances, "ApsaraMQ instance"),
        (access.instances, "ECS instance"),
        (access.users, "user"),
    ]
    for count, noun in counted:
        if count is not None:
            parts.append(f"{count} {noun}{'' if count == 1 else 's'}")
    if access.last_used:
        parts.append(
            f"last used {access.last_used}" + (f" by {access.last_used_service}" if access.last_used_service else "")
        )
    if access.unknown:
        parts.append(f"unknown: {', '.join(u.split(':')[0] for u in access.unknown)}")
    return "; ".join(parts)


def as_dict(access: AccessMap) -> dict[str, Any]:
    """The map for JSON: unknowns as null are dropped, tuples become lists."""
    out: dict[str, Any] = {}
    for name, value in access.__dict__.items():
        if value is None or value == ():
            continue
        out[name] = list(value) if isinstance(value, tuple) else value
    return out
