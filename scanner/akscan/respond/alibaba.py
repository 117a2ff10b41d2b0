"""Alibaba Cloud's access map: read-only questions a live key answers about itself, each signed as the
official SDK signs it (RPC signature V1 for RAM, ECS and ApsaraMQ; OSS's header signature for
ListBuckets). Nothing here can change anything: ``Asker`` sends only the actions in ``READ_ACTIONS``.

Who (GetCallerIdentity, already asked by verification) → for a RAM user its policies (its own and its
groups'), the documents of custom ones, its key's last use; for an assumed role the role's policies;
then what it reaches, counted: OSS buckets, ApsaraMQ for RabbitMQ instances (the product whose
usernames carry keys), ECS instances in a few regions, and, for an administrator, the RAM users.
``AccessDenied`` on a step means "not permitted to ask": the map says what is unknown."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from akscan.model import AccessMap
from akscan.respond.access import judge
from akscan.respond.asking import Budget, NotAnswered, as_json, parse_xml, refusal, xml_text
from akscan.verify.alibaba import rpc_url, signed_params
from akscan.verify.outcome import Credential, Outcome
from akscan.verify.transport import Response

ENDPOINTS = {
    "ram": "https://ram.aliyuncs.com",
    "ecs": "https://ecs.aliyuncs.com",
    "amqp": "https://amqp-open.cn-hangzhou.aliyuncs.com",
    "oss": "https://oss-cn-hangzhou.aliyuncs.com",
}
VERSIONS = {"ram": "2015-05-01", "ecs": "2014-05-26", "amqp": "2019-12-12"}
# Every action the map may send, per product: reads only (a test's emulator refuses and counts anything else).
READ_ACTIONS = {
    "ram": {
        "GetUser",
        "ListPoliciesForUser",
        "ListGroupsForUser",
        "ListPoliciesForGroup",
        "ListPoliciesForRole",
        "GetPolicy",
        "GetAccessKeyLastUsed",
        "ListUsers",
    },
    "ecs": {"DescribeInstances"},
    "amqp": {"ListInstances"},
}
# ECS is regional: the regions asked (a bounded list; the map says which).
ECS_REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen")
MAX_GROUPS = 3
MAX_POLICY_DOCUMENTS = 4
# System policies whose meaning is known without fetching them (the rest are product-scoped).
KNOWN_SYSTEM = {
    "AdministratorAccess": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    "AliyunRAMFullAccess": {"Statement": [{"Effect": "Allow", "Action": "ram:*", "Resource": "*"}]},
    "AliyunSTSAssumeRoleAccess": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]},
}


@dataclass
class Asker(Budget):
    """Signed Alibaba reads for one key, within its budget."""

    endpoints: dict[str, str] = field(default_factory=dict)

    def rpc(self, product: str, action: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        if action not in READ_ACTIONS[product]:  # never reached: a guard against a future edit
            raise AssertionError(f"{product} {action} is not a read")
        endpoint = self.endpoints[product]

        def send() -> Response:
            query = signed_params(self.credential, action=action, version=VERSIONS[product], extra=params or {})
            return self.transport.request(
                "GET", rpc_url(endpoint, query), {"Accept": "application/json"}, None, self.timeout
            )

        response = self.send_bounded(send)
        document = as_json(response.body)
        if response.status == 200:
            return document
        raise NotAnswered(refusal(response.status, str(document.get("Code") or "")))

    def list_buckets(self) -> Response:
        def send() -> Response:
            date = dt.datetime.now(dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
            headers = {"Date": date}
            if self.credential.token:
                headers["x-oss-security-token"] = self.credential.token
            headers["Authorization"] = oss_authorization("GET", "/", headers, self.credential)
            return self.transport.request(
                "GET", f"{self.endpoints['oss'].rstrip('/')}/?max-keys=1000", headers, None, self.timeout
            )

        response = self.send_bounded(send)
        if response.status != 200:
            code = xml_text(response.body, "Code") or ""
            raise NotAnswered(refusal(response.status, code))
        return response


def oss_authorization(method: str, resource: str, headers: dict[str, str], credential: Credential) -> str:
    """OSS's header signature (V1): HMAC-SHA1 over the verb, Content-MD5, Content-Type, Date, the x-oss-
    headers and the resource."""
    oss = sorted((k.lower(), v.strip()) for k, v in headers.items() if k.lower().startswith("x-oss-"))
    canonical = "".join(f"{k}:{v}\n" for k, v in oss)
    text = "\n".join(
        (method, headers.get("Content-MD5", ""), headers.get("Content-Type", ""), headers.get("Date", ""), "")
    )
    text += canonical + resource
    digest = hmac.new(credential.secret.encode(), text.encode(), hashlib.sha1).digest()
    return f"OSS {credential.key_id}:{base64.b64encode(digest).decode()}"


def map_access(identity: Outcome, asker: Asker) -> AccessMap:
    """The map of one live key whose identity verification has just read."""
    arn = identity.arn or ""
    kind = {"Account": "account", "RAMUser": "user", "AssumedRoleUser": "role"}.get(identity.identity_type or "")
    if kind is None:
        kind = "account" if arn.endswith(":root") else "role" if ":assumed-role/" in arn else "user"
    user = arn.split(":user/", 1)[1] if kind == "user" and ":user/" in arn else None
    role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0] if kind == "role" and ":assumed-role/" in arn else None
    policies: list[str] = []
    documents: list[tuple[str, Any]] = []
    administrator: bool | None = None
    can_escalate: bool | None = None
    why: tuple[str, ...] = ()
    last_used = last_service = None
    if kind == "account":
        administrator, can_escalate, why = True, True, ("the account's own key: every permission",)
    else:
        listed = asker.step("policies", lambda: _policies(asker, user, role, policies))
        if listed is not None:
            documents = asker.step("policy documents", lambda: _documents(asker, policies)) or []
            administrator, can_escalate, why = judge(documents)
        if user is not None:
            used = asker.step("last use", lambda: _last_use(asker, user))
            if used is not None:
                last_used, last_service = used
    buckets, regions = asker.step("buckets", lambda: _buckets(asker)) or (None, ())
    amqp = asker.step("ApsaraMQ instances", lambda: _amqp(asker))
    instances = _instances(asker)
    users = asker.step("RAM users", lambda: _users(asker)) if administrator else None
    return AccessMap(
        identity=kind,
        user=user or role,
        policies=tuple(policies),
        administrator=administrator,
        can_escalate=can_escalate,
        escalation=why,
        last_used=last_used,
        last_used_service=last_service,
        buckets=buckets,
        bucket_regions=regions,
        amqp_instances=amqp,
        instances=instances,
        instance_regions=ECS_REGIONS if instances is not None else (),
        users=users,
        unknown=tuple(asker.unknown),
        requests=asker.requests,
    )


def _last_use(asker: Asker, user: str) -> tuple[str | None, str | None]:
    answer = asker.rpc("ram", "GetAccessKeyLastUsed", {"UserName": user, "UserAccessKeyId": asker.credential.key_id})
    last = answer.get("AccessKeyLastUsed") or {}
    return str(last.get("LastUsedDate") or "") or None, str(last.get("ServiceName") or "") or None


def _policies(asker: Asker, user: str | None, role: str | None, into: list[str]) -> bool:
    if role is not None:
        answer = asker.rpc("ram", "ListPoliciesForRole", {"RoleName": role})
        into.extend(_policy_names(answer))
        return True
    if user is None:
        raise NotAnswered("no user name in the identity")
    into.extend(_policy_names(asker.rpc("ram", "ListPoliciesForUser", {"UserName": user})))
    groups = asker.rpc("ram", "ListGroupsForUser", {"UserName": user})
    names = [str(g.get("GroupName")) for g in _items(groups, "Groups", "Group") if g.get("GroupName")]
    for group in names[:MAX_GROUPS]:
        answer = asker.rpc("ram", "ListPoliciesForGroup", {"GroupName": group})
        into.extend(f"group {group}: {name}" for name in _policy_names(answer))
    if len(names) > MAX_GROUPS:
        asker.unknown.append(f"policies: the groups after the first {MAX_GROUPS} were not read")
    return True


def _policy_names(answer: dict[str, Any]) -> list[str]:
    return [f"{p.get('PolicyType', '?')}:{p.get('PolicyName', '?')}" for p in _items(answer, "Policies", "Policy")]


def _documents(asker: Asker, policies: list[str]) -> list[tuple[str, Any]]:
    documents: list[tuple[str, Any]] = []
    fetched = 0
    for entry in policies:
        kind, _, name = entry.split(": ")[-1].partition(":")
        if kind == "System":
            documents.append((entry, KNOWN_SYSTEM.get(name, {})))
            continue
        if fetched >= MAX_POLICY_DOCUMENTS:
            asker.unknown.append(f"policy documents: {entry} not read (at most {MAX_POLICY_DOCUMENTS})")
            continue
        fetched += 1
        answer = asker.rpc("ram", "GetPolicy", {"PolicyName": name, "PolicyType": kind})
        version = answer.get("DefaultPolicyVersion") or {}
        documents.append((entry, version.get("PolicyDocument") or "{}"))
    return documents


def _buckets(asker: Asker) -> tuple[int, tuple[str, ...]]:
    root = parse_xml(asker.list_buckets().body, "OSS")
    buckets = [b for b in root.iter() if b.tag.endswith("Bucket")]
    regions = sorted({(b.findtext("Location") or b.findtext("{*}Location") or "?") for b in buckets})
    if (root.findtext("IsTruncated") or "").lower() == "true":
        asker.unknown.append("buckets: more than the first 1000 (counted: 1000)")
    return len(buckets), tuple(regions)


def _amqp(asker: Asker) -> int:
    answer = asker.rpc("amqp", "ListInstances", {"MaxResults": "100"})
    data = answer.get("Data") or {}
    count = len(data.get("Instances") or [])
    if data.get("NextToken"):
        asker.unknown.append("ApsaraMQ instances: more than the first 100")
    return count


def _instances(asker: Asker) -> int | None:
    total: int | None = None
    for region in ECS_REGIONS:
        query = {"RegionId": region, "PageSize": "1"}

        def count(query: dict[str, str] = query) -> int:
            return int(asker.rpc("ecs", "DescribeInstances", query).get("TotalCount") or 0)

        found = asker.step(f"ECS instances in {region}", count)
        if found is not None:
            total = (total or 0) + found
    return total


def _users(asker: Asker) -> int:
    answer = asker.rpc("ram", "ListUsers", {"MaxItems": "1000"})
    if answer.get("IsTruncated"):
        asker.unknown.append("RAM users: more than the first 1000")
    return len(_items(answer, "Users", "User"))


def _items(answer: dict[str, Any], outer: str, inner: str) -> list[dict[str, Any]]:
    found = (answer.get(outer) or {}).get(inner) if isinstance(answer.get(outer), dict) else answer.get(outer)
    return [item for item in (found or []) if isinstance(item, dict)]


def endpoints_for(given: dict[str, str]) -> dict[str, str]:
    """Each product's endpoint: ``--endpoint alibaba-ram=URL`` (…-ecs, -amqp, -oss) when given, else the
    ``--endpoint alibaba=URL`` one when given (one emulator or proxy serving every product), else the
    official HTTPS endpoint."""
    shared = given.get("alibaba")
    return {product: given.get(f"alibaba-{product}") or shared or url for product, url in ENDPOINTS.items()}


def make_asker(credential: Credential, given: dict[str, str], **budget: Any) -> Asker:
    return Asker(credential, endpoints=endpoints_for(given), **budget)
