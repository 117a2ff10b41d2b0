"""When a presigned URL stops working, read from the URL itself.

A temporary key ID with its session token but no secret is almost always a presigned URL (an image link
pasted into a blog post, a recorded API answer, a test's fixture): what leaked is the URL, and it works
until the end its signature covers, whatever the credentials' own lifetime. Each cloud writes that end its
own way, all of them in the URL's query or path:

- AWS SigV4, Volcengine TOS, GCS V4: ``X-Amz-Date=20230128T165101Z`` with ``X-Amz-Expires=300`` (seconds);
- Baidu BOS: ``authorization=bce-auth-v1/<AK>/2025-09-24T06:18:57Z/300/…`` (``/`` and ``:`` may be
  percent-encoded);
- Tencent COS: ``q-sign-time=1684998880;1685002480`` (start;end, seconds since the epoch);
- Alibaba OSS, Huawei OBS, S3 SigV2: ``Expires=1608781380`` (seconds since the epoch).
"""

from __future__ import annotations

import datetime as dt

from akscan.engine.rules import LazyPattern

# How far either side of the ID the URL is read: a presigned URL with a session token is 1-3 KB.
REACH = 6000
# The bytes a URL does not contain, unencoded, in any text it is pasted into (quotes, brackets, spaces).
_URL_END = frozenset(b" \t\r\n\"'<>`()[]{}\\")

_SIGNED_AT = LazyPattern(rb"(?i)x-(amz|tos|goog)-date=(\d{8}T\d{6}Z)")
_SIGNED_FOR = LazyPattern(rb"(?i)x-(amz|tos|goog)-expires=(\d{1,9})(?!\d)")
_BCE_AUTH = LazyPattern(
    rb"(?i)bce-auth-v1(?:/|%2F)[0-9a-f]{32}(?:/|%2F)"
    rb"(\d{4}-\d{2}-\d{2}T\d{2})(?::|%3A)(\d{2})(?::|%3A)(\d{2})Z(?:/|%2F)(\d{1,9})(?!\d)"
)
_COS_TIME = LazyPattern(rb"(?i)q-(?:sign|key)-time=\d{10}(?:;|%3B)(\d{10})(?!\d)")
_EPOCH = LazyPattern(rb"(?i)(?<![A-Za-z0-9_-])expires=(\d{10})(?!\d)")


def url_end(data: bytes, start: int, end: int) -> str | None:
    """The end (ISO 8601, UTC) of the presigned URL that holds ``data[start:end]``, if it says one."""
    lo, hi = start, end
    floor, ceiling = max(0, start - REACH), min(len(data), end + REACH)
    while lo > floor and data[lo - 1] not in _URL_END:
        lo -= 1
    while hi < ceiling and data[hi] not in _URL_END:
        hi += 1
    return _read(data[lo:hi])


def _read(url: bytes) -> str | None:
    signed_at = _SIGNED_AT.get().search(url)
    if signed_at is not None:
        signed_for = _SIGNED_FOR.get().search(url)
        if signed_for is not None and signed_for.group(1).lower() == signed_at.group(1).lower():
            moment = _parse(signed_at.group(2).decode("ascii"), "%Y%m%dT%H%M%SZ")
            return _later(moment, int(signed_for.group(2)))
    bce = _BCE_AUTH.get().search(url)
    if bce is not None:
        day_hour, minute, second, seconds = (group.decode("ascii") for group in bce.groups())
        moment = _parse(f"{day_hour}:{minute}:{second}", "%Y-%m-%dT%H:%M:%S")
        return _later(moment, int(seconds))
    for pattern in (_COS_TIME, _EPOCH):
        found = pattern.get().search(url)
        if found is not None:
            return _iso(dt.datetime.fromtimestamp(int(found.group(1)), tz=dt.timezone.utc))
    return None


def _parse(stamp: str, layout: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(stamp, layout).replace(tzinfo=dt.timezone.utc)
    except ValueError:  # a date the text made up (month 13): no end rather than a wrong one
        return None


def _later(moment: dt.datetime | None, seconds: int) -> str | None:
    """``moment`` plus ``seconds``; None past the calendar's end (a URL signed in 9999 for 31 years)."""
    if moment is None:
        return None
    try:
        return _iso(moment + dt.timedelta(seconds=seconds))
    except OverflowError:
        return None


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
