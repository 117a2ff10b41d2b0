"""Endpoint settings beside a lone secret. S3-compatible stores (Ceph RGW, MinIO, Wasabi, Linode) are driven
through AWS's SDKs under AWS's names: ``SECRET_ACCESS_KEY = '…'`` three lines above ``ENDPOINT_URL =
"https://s3-west.example.org"`` is that store's secret, not AWS's. A rule that lists its provider's own hosts
(``own_hosts``) reports a lone secret only where no endpoint setting near it names another host."""

from __future__ import annotations

from akscan.engine.positions import line_window
from akscan.engine.rules import LazyPattern

# The lines either side of a lone secret (at most ENDPOINT_BYTES bytes) where its endpoint setting counts:
# the pairing window of an AWS pair, one settings block.
ENDPOINT_LINES = 8
ENDPOINT_BYTES = 1500

# A setting whose name says it holds the store's address (``endpoint_url``, ``S3_ENDPOINT``, s3cmd's
# ``host_base``/``host_bucket``, ``S3_HOST``, ``s3_url``), then its value: a scheme and host, or a quoted
# host, or a bare host with a port or at least two dots (``rgw.internal:7480``, ``s3.example.org``). A
# value that is code (``config.endpoint``, ``os.environ[…]``) names no host.
_SETTING = LazyPattern(
    rb"""(?i)(?<![A-Za-z0-9])[A-Za-z0-9_.\-]{0,40}(?:endpoint|host_base|host_bucket|s3_?host|s3_?url)"""
    rb"""[A-Za-z0-9_.\-]{0,40}["']?[ \t]*(?:=>|:=|[:=])[ \t]*(?:"""
    rb"""["']?https?://([A-Za-z0-9][A-Za-z0-9.\-]{0,252})"""
    rb"""|["']([A-Za-z0-9][A-Za-z0-9.\-]{0,252})(?::[0-9]{1,5})?["'/]"""
    rb"""|([A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+){2,}|[A-Za-z0-9][A-Za-z0-9.\-]{0,252}(?=:[0-9]{1,5}))"""
    rb"""(?::[0-9]{1,5})?[ \t]*(?=[\r\n,;}]|$))"""
)


def another_stores_endpoint(data: bytes, start: int, end: int, own_hosts: tuple[str, ...]) -> bool:
    """Whether an endpoint setting within ENDPOINT_LINES lines (ENDPOINT_BYTES bytes) of ``data[start:end]``
    names a host that is none of ``own_hosts`` nor under one of them."""
    lo, hi = line_window(data, start, end, ENDPOINT_LINES, max(0, start - ENDPOINT_BYTES), end + ENDPOINT_BYTES)
    for match in _SETTING.finditer(data, lo, hi):
        host = next(group for group in match.groups() if group is not None).decode("ascii").lower().rstrip(".")
        if not any(host == own or host.endswith("." + own) for own in own_hosts):
            return True
    return False
