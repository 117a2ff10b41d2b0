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
from collections.abc import Callable
from typing import TYPE_CHECKING

from akscan.engine.rules import LazyPattern

if TYPE_CHECKING:
    import regex

# How far either side of the ID the URL is read: a presigned URL with a session token is 1-3 KB.
REACH = 4000
# A URL's run of bytes: none of those it does not contain, unencoded, in any text it is pasted into
# (quotes, brackets, spaces). Read forwards, and backwards with the regex module's reverse search: C speed.
_RUN = rb"[^ \t\r\n\"'<>`()\[\]{}\\]*"
_URL_RUN = LazyPattern(_RUN)
_URL_RUN_BACK = LazyPattern(b"(?r)" + _RUN)

_SIGNED_AT = LazyPattern(rb"(?i)x-(amz|tos|goog)-date=(\d{8}T\d{6}Z)")
_SIGNED_FOR = LazyPattern(rb"(?i)x-(amz|tos|goog)-expires=(\d{1,9})(?!\d)")
_BCE_AUTH = LazyPattern(
    rb"(?i)bce-auth-v1(?:/|%2F)[0-9a-f]{32}(?:/|%2F)"
    rb"(\d{4}-\d{2}-\d{2}T\d{2})(?::|%3A)(\d{2})(?::|%3A)(\d{2})Z(?:/|%2F)(\d{1,9})(?!\d)"
)
_COS_TIME = LazyPattern(rb"(?i)q-(?:sign|key)-time=\d{10}(?:;|%3B)(\d{10})(?!\d)")
_EPOCH = LazyPattern(rb"(?i)(?<![A-Za-z0-9_-])expires=(\d{10})(?!\d)")


def url_end(data: bytes, start: int, end: int) -> str | None:
    """The end (ISO 8601, UTC) of the presigned URL that holds ``data[start:end]``, if it says one. The URL
    is the run around the ID from the last ``://`` before it to the next one after it (URLs joined by commas
    or ``&`` on one line are each their own), at most ``REACH`` bytes either side; an ID in no URL has none."""
    floor, ceiling = max(0, start - REACH), min(len(data), end + REACH)
    back = _URL_RUN_BACK.get().search(data, floor, start)
    lo = back.start() if back is not None else start
    scheme = data.rfind(b"://", lo, start)
    if scheme < 0:
        return None
    forward = _URL_RUN.get().match(data, end, ceiling)
    hi = forward.end() if forward is not None else end
    following = data.find(b"://", end, hi)
    if following >= 0:
        hi = following
    return _read(data[scheme:hi], start - scheme)


def _read(url: bytes, at: int) -> str | None:
    """The end ``url`` states, each parameter read where it is nearest the ID (at offset ``at``)."""
    signed_at = _nearest(_SIGNED_AT, url, at)
    if signed_at is not None:
        family = signed_at.group(1).lower()
        signed_for = _nearest(_SIGNED_FOR, url, at, lambda found: found.group(1).lower() == family)
        if signed_for is not None:
            moment = _parse(signed_at.group(2).decode("ascii"), "%Y%m%dT%H%M%SZ")
            return _later(moment, int(signed_for.group(2)))
    bce = _nearest(_BCE_AUTH, url, at)
    if bce is not None:
        day_hour, minute, second, seconds = (group.decode("ascii") for group in bce.groups())
        moment = _parse(f"{day_hour}:{minute}:{second}", "%Y-%m-%dT%H:%M:%S")
        return _later(moment, int(seconds))
    for pattern in (_COS_TIME, _EPOCH):
        found = _nearest(pattern, url, at)
        if found is not None:
            return _iso(dt.datetime.fromtimestamp(int(found.group(1)), tz=dt.timezone.utc))
    return None


def _nearest(
    pattern: LazyPattern, url: bytes, at: int, keep: Callable[[regex.Match[bytes]], bool] | None = None
) -> regex.Match[bytes] | None:
    found = [m for m in pattern.get().finditer(url) if keep is None or keep(m)]
    return min(found, key=lambda m: abs(m.start() - at)) if found else None


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
    # Not strftime: its %Y does not pad year 1 to four digits.
    day = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    return f"{day}T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
