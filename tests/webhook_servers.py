"""Chat platforms' incoming webhooks on 127.0.0.1, each checking what its platform checks: DingTalk's
signed URL (timestamp within an hour, ``sign`` = base64 HMAC-SHA256 of "timestamp\\nsecret" keyed with the
secret), Feishu's signed body (the HMAC keyed with "timestamp\\nsecret" over nothing), WeCom's 4,096-byte
markdown limit, Slack's block limits, and a generic receiver that checks akscan's own signature header.
Each answers as its platform does (DingTalk and WeCom ``errcode``, Feishu ``code``, Slack ``ok``) and can be
told to fail the next requests with a status (500, 429 with Retry-After)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """Every human-readable string of the message, joined."""
        return "\n".join(_strings(self.json))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@dataclass
class Webhook:
    platform: str  # dingtalk | feishu | wecom | slack | webhook
    secret: str | None = None
    token: str = "t0ken-" + "9f3c2a"  # the access token in the URL: a secret the tool must never print
    received: list[Received] = field(default_factory=list)  # the messages it took
    refused: list[str] = field(default_factory=list)  # why it refused the others
    fail_next: list[int] = field(default_factory=list)  # statuses to answer the next requests with
    retry_after: str | None = None
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        return {
            "dingtalk": f"{base}/robot/send?access_token={self.token}",
            "feishu": f"{base}/open-apis/bot/v2/hook/{self.token}",
            "wecom": f"{base}/cgi-bin/webhook/send?key={self.token}",
            "slack": f"{base}/services/T000/B000/{self.token}",
            "webhook": f"{base}/hooks/{self.token}",
        }[self.platform]

    def start(self) -> Webhook:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                request = Received(parsed.path, query, {k: v for k, v in self.headers.items()}, body)
                status, answer, headers = hook.answer(request)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def answer(self, request: Received) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            if self.fail_next:
                status = self.fail_next.pop(0)
                headers = {"Retry-After": self.retry_after} if self.retry_after and status == 429 else {}
                self.refused.append(f"HTTP {status}")
                return status, b"busy", headers
        why = self._check(request)
        with self.lock:
            if why:
                self.refused.append(why)
            else:
                self.received.append(request)
        return self._reply(why)

    def _check(self, request: Received) -> str:
        try:
            message = request.json
        except ValueError:
            return "not JSON"
        if self.token not in request.path + json.dumps(request.query):
            return "wrong token"
        if self.platform == "dingtalk":
            if message.get("msgtype") != "markdown" or not message["markdown"].get("text"):
                return "not a markdown message"
            if self.secret:
                stamp = request.query.get("timestamp", "")
                if not stamp.isdigit() or abs(int(stamp) / 1000 - time.time()) > 3600:
                    return "timestamp"
                expected = hmac.new(self.secret.encode(), f"{stamp}\n{self.secret}".encode(), hashlib.sha256)
                if request.query.get("sign") != base64.b64encode(expected.digest()).decode():
                    return "sign not match"
        elif self.platform == "feishu":
            if message.get("msg_type") != "interactive":
                return "not a card"
            if self.secret:
                stamp = str(message.get("timestamp", ""))
                if not stamp.isdigit() or abs(int(stamp) - time.time()) > 3600:
                    return "timestamp"
                expected = hmac.new(f"{stamp}\n{self.secret}".encode(), b"", hashlib.sha256).digest()
                if message.get("sign") != base64.b64encode(expected).decode():
                    return "sign match fail"
        elif self.platform == "wecom":
            content = message.get("markdown", {}).get("content", "")
            if message.get("msgtype") != "markdown" or len(content.encode()) > 4096:
                return "content exceed max length"
        elif self.platform == "slack":
            blocks = message.get("blocks", [])
            if not message.get("text") or len(blocks) > 50:
                return "invalid_blocks"
            for block in blocks:
                text = (block.get("text") or {}).get("text", "")
                if block.get("type") == "section" and len(text) > 3000:
                    return "invalid_blocks"
                if block.get("type") == "header" and len(text) > 150:
                    return "invalid_blocks"
        elif self.secret:
            stamp = request.headers.get("X-Akscan-Timestamp", "")
            signed = hmac.new(self.secret.encode(), stamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
            if request.headers.get("X-Akscan-Signature") != f"sha256={signed}":
                return "bad signature"
        return ""

    def _reply(self, why: str) -> tuple[int, Any, dict[str, str]]:
        if self.platform in ("dingtalk", "wecom"):
            return 200, {"errcode": 310000 if why else 0, "errmsg": why or "ok"}, {}
        if self.platform == "feishu":
            return 200, {"code": 19021 if why else 0, "msg": why or "success"}, {}
        if self.platform == "slack":
            return (400, why.encode(), {}) if why else (200, b"ok", {})
        return (401, why.encode(), {}) if why else (204, b"", {})


class Garbage:
    """A server on 127.0.0.1 whose every answer is not HTTP at all (a status line that is not one)."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    connection.recv(65536)
                    self.requests += 1
                    connection.sendall(b"GARBAGE\r\n\r\n")
                except OSError:
                    pass

    def stop(self) -> None:
        self.sock.close()
