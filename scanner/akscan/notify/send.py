"""Sending: each target once per run, at most ``TRIES`` tries of at most ``TIMEOUT`` seconds each, with
backoff (and a server's Retry-After, capped) between them. The outcome of each is returned for stderr and
the report's ``summary.notifications``; nothing here raises, and nothing here decides the exit code."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from akscan.notify.message import Digest, items_from
from akscan.notify.platforms import accepted, build
from akscan.notify.targets import Target
from akscan.verify.transport import Transport, TransportError

TRIES = 3
TIMEOUT = 10.0
BACKOFF = 0.5  # seconds before the second try; doubled before the third
MAX_RETRY_AFTER = 10.0


@dataclass(frozen=True)
class Outcome:
    target: str  # the target's label: platform and host, never the URL
    status: str  # sent | failed
    attempts: int
    credentials: int
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v != ""}


def notify(
    targets: list[Target],
    entries: list[dict[str, Any]],
    context: str,
    link: str,
    repository: str = "",
    transport: Transport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """One message per target listing the new credentials in ``entries`` (report finding dicts, redacted);
    nothing is sent when there is nothing new."""
    if not targets or not entries:
        return []
    if transport is None:
        from akscan.verify.transport import UrllibTransport

        transport = UrllibTransport()
    digest = Digest(items_from(entries, repository), context, link)
    outcomes = []
    for target in targets:
        try:
            outcomes.append(_send(target, digest, entries, transport, sleep))
        except Exception as error:  # a failed notification must never cost the scan its report or exit code
            outcomes.append(Outcome(target.label, "failed", 1, len(digest.items), f"error {type(error).__name__}"))
    return outcomes


def _send(
    target: Target, digest: Digest, entries: list[dict[str, Any]], transport: Transport, sleep: Callable[[float], None]
) -> Outcome:
    reason = ""
    for attempt in range(1, TRIES + 1):
        url, headers, body = build(target, digest, entries)  # signed afresh: a retry needs a new timestamp
        wait = BACKOFF * 2 ** (attempt - 1)
        try:
            response = transport.request("POST", url, headers, body, TIMEOUT)
        except TransportError as error:
            reason = str(error)
        else:
            taken, reason = accepted(target.platform, response.status, response.body)
            if taken:
                return Outcome(target.label, "sent", attempt, len(digest.items))
            wait = max(wait, _retry_after(response.headers))
        if attempt < TRIES:
            sleep(wait)
    return Outcome(target.label, "failed", TRIES, len(digest.items), reason)


def _retry_after(headers: dict[str, str]) -> float:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), "")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return 0.0
