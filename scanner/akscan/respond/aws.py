"""AWS's access map: read-only questions a live key answers about itself, each signed with Signature
Version 4 as the SDKs sign it (IAM's query API, S3's ListBuckets). Nothing here can change anything:
``Asker`` sends only the actions in ``READ_ACTIONS``.

Who (GetCallerIdentity, asked by verification) → for an IAM user its managed and inline policies (its own
and its groups'), the documents of customer-managed and inline ones, its key's last use; for an assumed
role the role's policies; then the buckets it can list and, for an administrator, the IAM users."""

from __future__ import annotations

import datetime as dt
import hashlib
import urllib.parse
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from typing import Any

from akscan.model import AccessMap
from akscan.respond.access import judge
from akscan.respond.asking import Budget, NotAnswered, parse_xml, refusal, xml_text
from akscan.verify.aws import CONTENT_TYPE, REGION, sign
from akscan.verify.outcome import Credential, Outcome
from akscan.verify.transport import Response

ENDPOINTS = {"iam": "https://iam.amazonaws.com", "s3": "https://s3.amazonaws.com"}
IAM_VERSION = "2010-05-08"
READ_ACTIONS = {
    "ListAttachedUserPolicies",
    "ListUserPolicies",
    "GetUserPolicy",
    "ListGroupsForUser",
    "ListAttachedGroupPolicies",
    "ListAttachedRolePolicies",
    "ListRolePolicies",
    "GetPolicy",
    "GetPolicyVersion",
    "GetAccessKeyLastUsed",
    "ListUsers",
}
MAX_GROUPS = 3
MAX_POLICY_DOCUMENTS = 4
AWS_MANAGED = "arn:aws:iam::aws:policy/"
# AWS-managed policies whose meaning is known without fetching them.
KNOWN_MANAGED = {
    "AdministratorAccess": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    "IAMFullAccess": {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]},
}
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass
class Asker(Budget):
    """Signed AWS reads for one key, within its budget."""

    endpoints: dict[str, str] = field(default_factory=dict)

    def iam(self, action: str, params: dict[str, str] | None = None) -> ElementTree.Element:
        if action not in READ_ACTIONS:  # never reached: a guard against a future edit
            raise AssertionError(f"iam {action} is not a read")
        body = urllib.parse.urlencode({"Action": action, "Version": IAM_VERSION, **(params or {})}).encode()
        response = self.send_bounded(lambda: self._signed("POST", "iam", body, {"Content-Type": CONTENT_TYPE}))
        return _answer(response)

    def list_buckets(self) -> ElementTree.Element:
        headers = {"x-amz-content-sha256": EMPTY_SHA256}
        return _answer(self.send_bounded(lambda: self._signed("GET", "s3", b"", headers)))

    def _signed(self, method: str, service: str, body: bytes, extra: dict[str, str]) -> Response:
        endpoint = self.endpoints[service]
        parsed = urllib.parse.urlsplit(endpoint)
        amz_date = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        headers = {**extra, "Host": parsed.netloc, "X-Amz-Date": amz_date}
        if self.credential.token:
            headers["X-Amz-Security-Token"] = self.credential.token
        path = parsed.path or "/"
        headers["Authorization"] = sign(
            method, path, "", headers, body, self.credential.key_id, self.credential.secret, amz_date, REGION, service
        )
        url = endpoint.rstrip("/") + "/"
        return self.transport.request(method, url, headers, body if method == "POST" else None, self.timeout)


def _answer(response: Response) -> ElementTree.Element:
    if response.status != 200:
        raise NotAnswered(refusal(response.status, xml_text(response.body, "Code") or ""))
    root: ElementTree.Element = parse_xml(response.body, "AWS")
    return root


def _texts(root: ElementTree.Element, path: str) -> list[str]:
    return [element.text or "" for element in root.iterfind(f".//{path}")]


def _truncated(root: ElementTree.Element) -> bool:
    return (root.findtext(".//IsTruncated") or "").lower() == "true"


def identity_of(arn: str) -> tuple[str, str | None]:
    """(account | user | role, the user's or role's name) from an AWS ARN."""
    if arn.endswith(":root"):
        return "account", None
    if ":assumed-role/" in arn:
        return "role", arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
    if ":user/" in arn:
        return "user", arn.rsplit("/", 1)[1]  # IAM users may have a path: user/path/name
    return "unknown", None


def map_access(identity: Outcome, asker: Asker) -> AccessMap:
    """The map of one live AWS key whose identity verification has just read."""
    kind, name = identity_of(identity.arn or "")
    policies: list[str] = []
    documents: list[tuple[str, Any]] = []
    administrator: bool | None = None
    can_escalate: bool | None = None
    why: tuple[str, ...] = ()
    last_used = last_service = None
    if kind == "account":
        administrator, can_escalate, why = True, True, ("the account's own key: every permission",)
    elif name is not None:
        listed = asker.step("policies", lambda: _policies(asker, kind, name, policies, documents))
        if listed is not None:
            fetched = asker.step("policy documents", lambda: _documents(asker, documents, name))
            administrator, can_escalate, why = judge(fetched or [])
        if kind == "user":
            used = asker.step(
                "last use", lambda: asker.iam("GetAccessKeyLastUsed", {"AccessKeyId": asker.credential.key_id})
            )
            if used is not None:
                last_used = used.findtext(".//LastUsedDate") or None
                service = used.findtext(".//ServiceName") or ""
                last_service = service if service not in ("", "N/A") else None
    buckets = asker.step("buckets", lambda: _buckets(asker))
    regions = tuple(sorted(set(buckets[1]))) if buckets else ()
    users = asker.step("IAM users", lambda: _users(asker)) if administrator else None
    return AccessMap(
        identity=kind,
        user=name,
        policies=tuple(policies),
        administrator=administrator,
        can_escalate=can_escalate,
        escalation=why,
        last_used=last_used,
        last_used_service=last_service,
        buckets=buckets[0] if buckets else None,
        bucket_regions=regions,
        users=users,
        unknown=tuple(asker.unknown),
        requests=asker.requests,
    )


def _policies(asker: Asker, kind: str, name: str, into: list[str], documents: list[tuple[str, Any]]) -> bool:
    """The policies' names into ``into`` and (name, where to read the document) into ``documents``."""

    def managed(answer: ElementTree.Element, label: str) -> None:
        for member in answer.iterfind(".//AttachedPolicies/member"):
            arn = member.findtext("PolicyArn") or ""
            short = member.findtext("PolicyName") or arn.rsplit("/", 1)[-1]
            entry = f"{label}{'AWS' if arn.startswith(AWS_MANAGED) else 'Customer'}:{short}"
            into.append(entry)
            documents.append((entry, ("managed", arn)))

    def inline(answer: ElementTree.Element, label: str, read: bool) -> None:
        for policy in _texts(answer, "PolicyNames/member"):
            entry = f"{label}Inline:{policy}"
            into.append(entry)
            documents.append((entry, ("inline", policy) if read else ("unread", "")))

    if kind == "role":
        managed(asker.iam("ListAttachedRolePolicies", {"RoleName": name}), "")
        inline(asker.iam("ListRolePolicies", {"RoleName": name}), "", False)
        return True
    managed(asker.iam("ListAttachedUserPolicies", {"UserName": name}), "")
    inline(asker.iam("ListUserPolicies", {"UserName": name}), "", True)
    groups = _texts(asker.iam("ListGroupsForUser", {"UserName": name}), "Groups/member/GroupName")
    for group in groups[:MAX_GROUPS]:
        managed(asker.iam("ListAttachedGroupPolicies", {"GroupName": group}), f"group {group}: ")
    if len(groups) > MAX_GROUPS:
        asker.unknown.append(f"policies: the groups after the first {MAX_GROUPS} were not read")
    return True


def _documents(asker: Asker, wanted: list[tuple[str, Any]], user: str) -> list[tuple[str, Any]]:
    """Each policy's document: AWS-managed ones known by name, the others read (at most a few)."""
    documents: list[tuple[str, Any]] = []
    fetched = 0
    for entry, where in wanted:
        how, what = where
        if how == "managed" and what.startswith(AWS_MANAGED):
            documents.append((entry, KNOWN_MANAGED.get(what.rsplit("/", 1)[-1], {})))
            continue
        if how == "unread" or fetched >= MAX_POLICY_DOCUMENTS:
            asker.unknown.append(f"policy documents: {entry} not read")
            continue
        fetched += 1
        if how == "inline":
            answer = asker.iam("GetUserPolicy", {"UserName": user, "PolicyName": what})
        else:
            version = asker.iam("GetPolicy", {"PolicyArn": what}).findtext(".//DefaultVersionId") or "v1"
            answer = asker.iam("GetPolicyVersion", {"PolicyArn": what, "VersionId": version})
        text = answer.findtext(".//PolicyDocument") or answer.findtext(".//Document") or "{}"
        documents.append((entry, urllib.parse.unquote(text)))
    return documents


def _buckets(asker: Asker) -> tuple[int, list[str]]:
    root = asker.list_buckets()
    names = _texts(root, "Buckets/Bucket/Name")
    regions = [region for region in _texts(root, "Buckets/Bucket/BucketRegion") if region]
    if root.findtext(".//ContinuationToken"):
        asker.unknown.append("buckets: more than the first page")
    return len(names), regions


def _users(asker: Asker) -> int:
    answer = asker.iam("ListUsers", {"MaxItems": "1000"})
    if _truncated(answer):
        asker.unknown.append("IAM users: more than the first 1000")
    return len(_texts(answer, "Users/member/UserName"))


def endpoints_for(given: dict[str, str]) -> dict[str, str]:
    """``--endpoint aws-iam=URL`` / ``aws-s3=URL`` when given, else the ``--endpoint aws=URL`` one (one
    emulator serving every service), else the official HTTPS endpoint."""
    shared = given.get("aws")
    return {service: given.get(f"aws-{service}") or shared or url for service, url in ENDPOINTS.items()}


def make_asker(credential: Credential, given: dict[str, str], **budget: Any) -> Asker:
    return Asker(credential, endpoints=endpoints_for(given), **budget)
