"""A small loopback HTTP server answering JSON, for the cloud API emulators: every raw request is logged
(so tests can assert a secret never crossed the wire) and answered by a function."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class EmulatedKey:
    """A key an emulator knows: its secret, the identity it answers with, and for temporary
    credentials the session token and whether it has expired."""

    secret: str
    identity: dict[str, Any]
    token: str | None = None
    token_expired: bool = False


Respond = Callable[[str, str, dict[str, str], bytes], tuple[int, Any]]  # method, path, headers, body


class JsonServer:
    def __init__(self, respond: Respond, log: list[bytes]) -> None:
        self.respond = respond
        self.log = log
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    server.log.append(self.requestline.encode() + b"\r\n" + bytes(self.headers) + body)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, document = server.respond(self.command, self.path, headers, body)
                payload = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
