"""Each platform's message and signature, and how it says a message was taken.

- DingTalk custom robot: a markdown message; with a signing secret, ``timestamp`` (ms) and ``sign`` =
  base64(HMAC-SHA256(secret, "timestamp\\nsecret")) appended to the URL, as DingTalk documents.
- Feishu/Lark custom bot: an interactive card with one markdown element; with a secret, ``timestamp`` (s)
  and ``sign`` = base64(HMAC-SHA256(key="timestamp\\nsecret", message="")) in the body, as Feishu documents.
- WeCom group robot: a markdown message (at most 4,096 bytes).
- Slack incoming webhook: a header block, one section per credential, a context block; ``text`` as the
  notification's fallback.
- Any other URL: the JSON of ``--format json``'s findings (redacted) with a summary; with
  ``AKSCAN_NOTIFY_SECRET``, ``X-Akscan-Timestamp`` and ``X-Akscan-Signature: sha256=HEX`` =
  HMAC-SHA256(secret, "timestamp." + body), so a receiver can check origin and freshness.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any

from akscan import __version__
from akscan.notify.message import MAX_LISTED, Digest, code, fitted, item_lines, link_markup, plain
from akscan.notify.targets import Target

LIMITS = {"dingtalk": 18_000, "feishu": 25_000, "wecom": 4_000, "slack": 2_900}


def build(target: Target, digest: Digest, entries: list[dict[str, Any]]) -> tuple[str, dict[str, str], bytes]:
    """(URL, headers, body) of the request for one target."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": f"akscan/{__version__}"}
    url = target.url
    payload: dict[str, Any]
    if target.platform == "dingtalk":
        text = fitted(digest, LIMITS["dingtalk"])
        payload = {"msgtype": "markdown", "markdown": {"title": digest.title, "text": text}}
        if target.secret:
            url = _with_query(url, dingtalk_signature(target.secret, int(time.time() * 1000)))
    elif target.platform == "feishu":
        card = {
            "header": {"title": {"tag": "plain_text", "content": digest.title}, "template": "red"},
            "elements": [{"tag": "markdown", "content": fitted(digest, LIMITS["feishu"])}],
        }
        payload = {"msg_type": "interactive", "card": card}
        if target.secret:
            stamp = str(int(time.time()))
            payload = {"timestamp": stamp, "sign": feishu_signature(target.secret, stamp), **payload}
    elif target.platform == "wecom":
        payload = {"msgtype": "markdown", "markdown": {"content": fitted(digest, LIMITS["wecom"])}}
    elif target.platform == "slack":
        payload = slack_payload(digest)
    else:
        payload = {
            "tool": "akscan",
            "version": __version__,
            "title": digest.title,
            "context": digest.context,
            "link": digest.link,
            "new": len(entries),
            "findings": entries,
        }
    body = json.dumps(payload, ensure_ascii=False).encode()
    if target.platform == "webhook" and target.secret:
        stamp = str(int(time.time()))
        headers["X-Akscan-Timestamp"] = stamp
        headers["X-Akscan-Signature"] = "sha256=" + webhook_signature(target.secret, stamp, body)
    return url, headers, body


def dingtalk_signature(secret: str, timestamp_ms: int) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return {"timestamp": str(timestamp_ms), "sign": base64.b64encode(digest).decode()}


def feishu_signature(secret: str, timestamp: str) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def slack_payload(digest: Digest) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": digest.title[:150]}},
    ]
    if digest.context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"in {code(digest.context, True)}"}]})
    for item in digest.items[:MAX_LISTED]:
        text = "\n".join(item_lines(item, slack=True))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[: LIMITS["slack"]]}})
    footer = []
    if len(digest.items) > MAX_LISTED:
        footer.append(f"and {len(digest.items) - MAX_LISTED} more")
    if digest.link:
        footer.append(f"report: {link_markup(digest.link, True)}")
    if footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(footer)}]})
    return {"text": plain(digest.title, True), "blocks": blocks}


def accepted(platform: str, status: int, body: bytes) -> tuple[bool, str]:
    """(taken, why not): DingTalk, Feishu and WeCom answer HTTP 200 with an error code in the body."""
    if not 200 <= status < 300:
        return False, f"HTTP {status}"
    if platform in ("dingtalk", "wecom", "feishu"):
        try:
            answer = json.loads(body or b"{}")
        except (ValueError, RecursionError):
            return False, "an answer that is not JSON"
        if not isinstance(answer, dict):
            return False, "an answer that is not a JSON object"
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
        if code not in (0, "0", None):
            message = str(answer.get("errmsg") or answer.get("msg") or "")[:80]
            return False, f"error {code}" + (f" ({plain(message)})" if message else "")
    return True, ""


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urllib.parse.urlencode(extra)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
