"""Asking a cloud about a key, within bounds: every key's map has a request budget, every request the run's
rate limit and a time limit, throttling and 5xx are retried with backoff, and a step that cannot be
answered (not permitted, no answer, over budget) becomes a line of ``unknown`` — never an error."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from akscan.respond.access import MAX_REQUESTS
from akscan.verify.outcome import Credential
from akscan.verify.transport import Response, Transport, TransportError


class NotAnswered(Exception):
    """A step the map could not complete: the reason goes in ``unknown``."""


@dataclass
class Budget:
    """One key's questions: the provider's asker sends them through ``send_bounded``."""

    credential: Credential
    transport: Transport
    timeout: float
    acquire: Callable[[], object] = lambda: None  # the run's rate limit
    sleep: Callable[[float], None] = lambda seconds: None
    retries: int = 3
    backoff: float = 0.5
    requests: int = 1  # the identity check, asked by verification
    unknown: list[str] = field(default_factory=list)

    def send_bounded(self, send: Callable[[], Response]) -> Response:
        """``send()`` (which signs afresh each time: a retry needs a new nonce and date) within the budget,
        retried on throttling and 5xx."""
        for attempt in range(self.retries + 1):
            if self.requests >= MAX_REQUESTS:
                raise NotAnswered(f"not asked ({MAX_REQUESTS} requests per key)")
            self.acquire()
            self.requests += 1
            try:
                response = send()
            except TransportError as error:
                raise NotAnswered(f"no answer ({error})") from None
            code = error_code(response.body)
            throttled = code.startswith("Throttling") or code in ("RequestLimitExceeded", "SlowDown")
            if (throttled or response.status in (429, 500, 502, 503, 504)) and attempt < self.retries:
                self.sleep(self.backoff * (2**attempt))
                continue
            return response
        raise NotAnswered("no answer")  # not reached: the last attempt returns

    def step(self, what: str, ask: Callable[[], Any]) -> Any:
        """``ask()``, or None with ``what`` and the reason noted as unknown. An answer of the wrong shape
        (a count that is not a number, a list where an object belongs) costs this step, not the map."""
        try:
            return ask()
        except NotAnswered as reason:
            self.unknown.append(f"{what}: {reason}")
        except (TypeError, ValueError, AttributeError, KeyError, RecursionError):
            self.unknown.append(f"{what}: an answer of an unexpected shape")
        return None


def error_code(body: bytes) -> str:
    """The error code of a JSON (``Code``) or XML (``<Code>``) answer, or ''."""
    return str(as_json(body).get("Code") or xml_text(body, "Code") or "")


def refusal(status: int, code: str) -> str:
    if status == 403 or any(word in code for word in ("NoPermission", "AccessDenied", "Forbidden", "Unauthorized")):
        return f"{code or 'AccessDenied'} (not permitted to ask)"
    return f"{code or 'error'} (HTTP {status})"


def as_json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def xml_text(body: bytes, tag: str) -> str | None:
    start = body.find(f"<{tag}>".encode())
    end = body.find(f"</{tag}>".encode(), start)
    if start < 0 or end < 0:
        return None
    return body[start + len(tag) + 2 : end].decode("utf-8", "replace")


def parse_xml(body: bytes, whose: str) -> Any:
    """A cloud's XML answer as an ElementTree element, namespaces dropped. A document type declaration (and
    so any entity) is refused whatever the encoding: no cloud answer has one."""
    import xml.etree.ElementTree as ElementTree
    import xml.parsers.expat

    class Declared(Exception):
        pass

    def refuse(*_: Any) -> None:
        raise Declared

    # expat first, to see a DOCTYPE in any encoding (a UTF-16 body hides it from a byte search)
    checker = xml.parsers.expat.ParserCreate()
    checker.StartDoctypeDeclHandler = refuse
    checker.EntityDeclHandler = refuse
    try:
        checker.Parse(body, True)
        root = ElementTree.fromstring(body)
    except (Declared, xml.parsers.expat.ExpatError, ElementTree.ParseError):
        raise NotAnswered(f"an answer that is not {whose}'s") from None
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    return root
