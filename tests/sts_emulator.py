"""A real HTTP STS emulator on 127.0.0.1 for Alibaba Cloud GetCallerIdentity (RPC, signature V2).

It checks requests the way the cloud documents: common parameters, a timestamp within 15 minutes, a
fresh nonce, the AccessKey's existence and state, the signature (recomputed with the official SDK's
signer, alibabacloud_openapi_util, so our signer is checked against an independent one), and the STS
security token; and answers with the documented codes and HTTP statuses. Every raw request is logged so
tests can assert the secret never crossed the wire.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from alibabacloud_openapi_util.client import Client as OfficialUtil


@dataclass
class Key:
    secret: str
    identity: dict[str, str]
    active: bool = True
    token: str | None = None
    token_expired: bool = False


@dataclass
class Behaviour:
    throttle_next: int = 0  # answer Throttling.User to the next N requests
    delay: float = 0.0  # seconds to wait before answering
    clock_offset: float = 0.0  # the server's clock, relative to ours
    bad_echo: bool = False  # echo a different string-to-sign (as if our signer were wrong)
    nonce_used_next: int = 0  # claim the nonce was already used, N times


@dataclass
class Logged:
    raw: bytes
    params: dict[str, str]
    at: float


def _pe(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def server_string_to_sign(params: dict[str, str], method: str) -> str:
    canonical = "&".join(f"{_pe(k)}={_pe(v)}" for k, v in sorted(params.items()))
    return f"{method}&{_pe('/')}&{_pe(canonical)}"


@dataclass
class Emulator:
    keys: dict[str, Key] = field(default_factory=dict)
    behaviour: Behaviour = field(default_factory=Behaviour)
    log: list[Logged] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    _server: Any = None

    def add_ram_user(self, key_id: str, secret: str, name: str = "deployer", active: bool = True) -> None:
        self.keys[key_id] = Key(
            secret,
            {
                "IdentityType": "RAMUser",
                "AccountId": "1234567890123456",
                "Arn": f"acs:ram::1234567890123456:user/{name}",
                "UserId": "216959339000001",
                "PrincipalId": "216959339000001",
            },
            active,
        )

    def add_root(self, key_id: str, secret: str) -> None:
        self.keys[key_id] = Key(
            secret,
            {
                "IdentityType": "Account",
                "AccountId": "1234567890123456",
                "Arn": "acs:ram::1234567890123456:root",
                "UserId": "1234567890123456",
                "PrincipalId": "1234567890123456",
            },
        )

    def add_sts(self, key_id: str, secret: str, token: str, expired: bool = False) -> None:
        self.keys[key_id] = Key(
            secret,
            {
                "IdentityType": "AssumedRoleUser",
                "AccountId": "1234567890123456",
                "Arn": "acs:ram::1234567890123456:assumed-role/ci/session",
                "RoleId": "335376200829920001",
                "PrincipalId": "335376200829920001:session",
            },
            token=token,
            token_expired=expired,
        )

    # -- protocol -----------------------------------------------------------------------------------
    def answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        behaviour = self.behaviour
        if behaviour.delay:
            time.sleep(behaviour.delay)
        with self.lock:
            if behaviour.throttle_next > 0:
                behaviour.throttle_next -= 1
                return 400, self._error("Throttling.User", "Request was denied due to user flow control.")
        if params.get("Action") != "GetCallerIdentity" or params.get("Version") != "2015-04-01":
            return 400, self._error("InvalidParameter", "Action or Version is wrong.")
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            return 400, self._error("InvalidParameter", "Unsupported signature method.")
        try:
            stamp = dt.datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.timezone.utc
            )
        except ValueError:
            return 400, self._error(
                "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
            )
        now = time.time() + behaviour.clock_offset
        if abs(stamp.timestamp() - now) > 15 * 60:
            return 400, self._error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        key = self.keys.get(params.get("AccessKeyId", ""))
        if key is None:
            return 404, self._error("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if not key.active:
            return 400, self._error("InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        expected = OfficialUtil.get_rpcsignature(unsigned, method, key.secret)
        if params.get("Signature") != expected:
            echo = server_string_to_sign(unsigned, method) + ("X" if behaviour.bad_echo else "")
            return 400, self._error(
                "SignatureDoesNotMatch",
                f"Specified signature is not matched with our calculation. server string to sign is:{echo}",
            )
        with self.lock:
            if behaviour.nonce_used_next > 0 or params["SignatureNonce"] in self.nonces:
                behaviour.nonce_used_next = max(0, behaviour.nonce_used_next - 1)
                return 400, self._error("SignatureNonceUsed", "Specified signature nonce war used already.")
            self.nonces.add(params["SignatureNonce"])
        if key.token is not None:
            if "SecurityToken" not in params:
                return 400, self._error("MissingSecurityToken", "SecurityToken is mandatory for this action.")
            if params["SecurityToken"] != key.token:
                return 400, self._error("InvalidSecurityToken.MismatchWithAccessKey", "The token does not match.")
            if key.token_expired:
                return 400, self._error("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        return 200, {"RequestId": str(uuid.uuid4()).upper(), **key.identity}

    @staticmethod
    def _error(code: str, message: str) -> dict[str, str]:
        return {
            "RequestId": str(uuid.uuid4()).upper(),
            "HostId": "sts.aliyuncs.com",
            "Code": code,
            "Message": message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Sts",
        }

    # -- server ---------------------------------------------------------------------------------------
    def start(self) -> Emulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                raw = f"{self.command} {self.path} {self.request_version}\r\n".encode() + bytes(self.headers) + body
                parsed = urllib.parse.urlsplit(self.path)
                params = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
                params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
                with emulator.lock:
                    emulator.log.append(Logged(raw, params, time.monotonic()))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, kind, payload = emulator.respond(self.command, self.path, headers, params)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _handle
            do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        # A short poll interval: shutdown() waits up to one interval, once per test.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def respond(
        self, method: str, path: str, headers: dict[str, str], params: dict[str, str]
    ) -> tuple[int, str, bytes]:
        """(status, content type, body) of one logged request: an RPC answer here; the cloud emulator adds
        OSS's XML."""
        status, document = self.answer(method, params)
        return status, "application/json;charset=utf-8", json.dumps(document).encode()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def requests_for(self, key_id: str) -> int:
        return sum(1 for entry in self.log if entry.params.get("AccessKeyId") == key_id)
