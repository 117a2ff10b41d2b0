"""A real HTTP emulator on 127.0.0.1 of the Alibaba Cloud APIs the access map and `akscan disable` use:
STS GetCallerIdentity (the STS emulator's checks), RAM (2015-05-01), ECS DescribeInstances (2014-05-26),
ApsaraMQ for RabbitMQ ListInstances (2019-12-12) — RPC, every signature recomputed with the official
SDK's signer (alibabacloud_openapi_util) — and OSS ListBuckets, its header signature recomputed with the
official OSS SDK's (oss2). Any action that changes something is refused and counted (``writes``), except
UpdateAccessKey signed by an operator's key, which is recorded (``disabled``)."""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.sts_emulator import Emulator as StsEmulator

READS = {
    "2015-05-01": {
        "GetUser",
        "ListPoliciesForUser",
        "ListGroupsForUser",
        "ListPoliciesForGroup",
        "ListPoliciesForRole",
        "GetPolicy",
        "GetAccessKeyLastUsed",
        "ListUsers",
        "ListAccessKeys",
    },
    "2014-05-26": {"DescribeInstances"},
    "2019-12-12": {"ListInstances"},
}


@dataclass
class Principal:
    """What a key's identity has in the emulated account."""

    policies: list[tuple[str, str]] = field(default_factory=list)  # (type, name)
    groups: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # custom policy name -> document
    last_used: str | None = "2026-12-01T09:30:00Z"
    buckets: list[tuple[str, str]] = field(default_factory=list)  # (name, location)
    amqp: int = 0
    ecs: dict[str, int] = field(default_factory=dict)  # region -> instances
    users: int = 0
    denied: set[str] = field(default_factory=set)  # actions answered 403 (and "oss:ListBuckets")
    operator: bool = False  # may disable keys (the operator's own key in `akscan disable` tests)


@dataclass
class CloudEmulator(StsEmulator):
    principals: dict[str, Principal] = field(default_factory=dict)
    writes: list[dict[str, str]] = field(default_factory=list)  # refused actions that change something
    disabled: list[tuple[str, str, str]] = field(default_factory=list)  # (operator key, user, key disabled)
    fail_next: int = 0  # answer 503 to the next N requests

    def principal(self, key_id: str, **settings: Any) -> Principal:
        self.principals[key_id] = Principal(**settings)
        return self.principals[key_id]

    # -- RPC -----------------------------------------------------------------------------------------------
    def answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, self._error("ServiceUnavailable", "The request has failed due to a temporary failure.")
        version, action = params.get("Version"), params.get("Action")
        if version == "2015-04-01":
            return super().answer(method, params)
        refused = self._checked(method, params)
        if refused is not None:
            return refused
        key_id = params["AccessKeyId"]
        principal = self.principals.get(key_id, Principal())
        if action == "UpdateAccessKey" and version == "2015-05-01" and principal.operator:
            with self.lock:
                self.disabled.append((key_id, params.get("UserName", ""), params.get("UserAccessKeyId", "")))
            target = self.keys.get(params.get("UserAccessKeyId", ""))
            if target is not None and params.get("Status") == "Inactive":
                target.active = False
            return 200, {"RequestId": str(uuid.uuid4()), "AccessKey": {"Status": params.get("Status")}}
        if action not in READS.get(str(version), set()):
            with self.lock:
                self.writes.append(dict(params))
            return 403, self._error("NoPermission", "The emulator refuses every action that changes something.")
        if action in principal.denied:
            return 403, self._error("NoPermission", "You are not authorized to do this action.")
        return 200, {"RequestId": str(uuid.uuid4()), **self._read(str(action), params, principal)}

    def _checked(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """The checks every RPC product makes (the STS emulator's, for any action): throttling, a fresh
        timestamp and nonce, the key's existence and state, the signature recomputed by the official
        signer over the parameters as sent, the STS token."""
        import datetime as dt

        from alibabacloud_openapi_util.client import Client as OfficialUtil

        if self.behaviour.delay:
            time.sleep(self.behaviour.delay)
        with self.lock:
            if self.behaviour.throttle_next > 0:
                self.behaviour.throttle_next -= 1
                return 400, self._error("Throttling.User", "Request was denied due to user flow control.")
        try:
            stamp = dt.datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.timezone.utc
            )
        except ValueError:
            return 400, self._error("InvalidTimeStamp.Format", "Specified time stamp is not well formatted.")
        if abs(stamp.timestamp() - time.time()) > 15 * 60:
            return 400, self._error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        key = self.keys.get(params.get("AccessKeyId", ""))
        if key is None:
            return 404, self._error("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if not key.active:
            return 400, self._error("InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        if params.get("Signature") != OfficialUtil.get_rpcsignature(unsigned, method, key.secret):
            return 400, self._error("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        with self.lock:
            if params.get("SignatureNonce") in self.nonces:
                return 400, self._error("SignatureNonceUsed", "Specified signature nonce was used already.")
            self.nonces.add(params.get("SignatureNonce", ""))
        if key.token is not None and params.get("SecurityToken") != key.token:
            return 400, self._error("InvalidSecurityToken.MismatchWithAccessKey", "The token does not match.")
        return None

    def _read(self, action: str, params: dict[str, str], principal: Principal) -> dict[str, Any]:
        def policies(entries: list[tuple[str, str]]) -> dict[str, Any]:
            return {
                "Policies": {"Policy": [{"PolicyType": t, "PolicyName": n, "DefaultVersion": "v1"} for t, n in entries]}
            }

        if action == "ListPoliciesForUser" or action == "ListPoliciesForRole":
            return policies(principal.policies)
        if action == "ListGroupsForUser":
            return {"Groups": {"Group": [{"GroupName": name} for name in principal.groups]}}
        if action == "ListPoliciesForGroup":
            return policies(principal.groups.get(params.get("GroupName", ""), []))
        if action == "GetPolicy":
            document = principal.documents.get(params.get("PolicyName", ""), {"Statement": []})
            return {
                "Policy": {"PolicyName": params.get("PolicyName"), "PolicyType": params.get("PolicyType")},
                "DefaultPolicyVersion": {"VersionId": "v1", "PolicyDocument": json.dumps(document)},
            }
        if action == "GetAccessKeyLastUsed":
            return {"AccessKeyLastUsed": {"LastUsedDate": principal.last_used}}
        if action == "ListUsers":
            return {"IsTruncated": False, "Users": {"User": [{"UserName": f"u{i}"} for i in range(principal.users)]}}
        if action == "DescribeInstances":
            count = principal.ecs.get(params.get("RegionId", ""), 0)
            return {"TotalCount": count, "PageSize": 1, "PageNumber": 1, "Instances": {"Instance": []}}
        if action == "ListInstances":
            return {
                "Data": {
                    "Instances": [{"InstanceId": f"amqp-cn-{i}"} for i in range(principal.amqp)],
                    "MaxResults": 100,
                }
            }
        return {}

    # -- OSS -----------------------------------------------------------------------------------------------
    def list_buckets(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        import oss2
        from oss2.http import Request

        authorization = headers.get("authorization", "")
        if not authorization.startswith("OSS ") or ":" not in authorization:
            return 403, _oss_error("AccessDenied", "Anonymous access is forbidden for this operation.")
        key_id, _, signature = authorization[4:].partition(":")
        key = self.keys.get(key_id)
        if key is None:
            return 403, _oss_error("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist.")
        if not key.active:
            return 403, _oss_error("InvalidAccessKeyId", "The OSS Access Key Id you provided is disabled.")
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
        signed = {
            k: v for k, v in headers.items() if k in ("date", "content-md5", "content-type") or k.startswith("x-oss-")
        }
        request = Request("GET", self.url + "/", params=query, headers=signed)
        auth = oss2.Auth(key_id, key.secret)
        expected = auth._ProviderAuth__make_signature(request, None, None, auth.credentials_provider.get_credentials())
        if signature != expected:
            return 403, _oss_error("SignatureDoesNotMatch", "The request signature we calculated does not match.")
        if key.token is not None and headers.get("x-oss-security-token") != key.token:
            return 403, _oss_error("InvalidSecurityToken", "The security token you provided is invalid.")
        principal = self.principals.get(key_id, Principal())
        if "oss:ListBuckets" in principal.denied:
            return 403, _oss_error("AccessDenied", "You have no right to access this object.")
        buckets = "".join(
            f"<Bucket><Name>{name}</Name><Location>{location}</Location></Bucket>"
            for name, location in principal.buckets
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Owner><ID>1</ID></Owner>'
            f"<Buckets>{buckets}</Buckets></ListAllMyBucketsResult>"
        )
        return 200, body.encode()

    # -- server ----------------------------------------------------------------------------------------------
    def respond(
        self, method: str, path: str, headers: dict[str, str], params: dict[str, str]
    ) -> tuple[int, str, bytes]:
        """RPC products answer JSON (the STS emulator's server); a request without an Action is OSS's."""
        if "Action" in params:
            return super().respond(method, path, headers, params)
        with self.lock:
            failing = self.fail_next > 0
            self.fail_next -= 1 if failing else 0
        if self.behaviour.delay:
            time.sleep(self.behaviour.delay)
        if failing:
            return 503, "application/xml", _oss_error("ServiceUnavailable", "busy")
        status, payload = self.list_buckets(path, headers)
        return status, "application/xml", payload

    def actions_of(self, key_id: str) -> list[str]:
        return [
            e.params.get("Action", "oss:ListBuckets")
            for e in self.log
            if e.params.get("AccessKeyId") == key_id
            or ("Action" not in e.params and f"OSS {key_id}:".encode() in e.raw)
        ]


def _oss_error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>{uuid.uuid4()}</RequestId></Error>"
    ).encode()
