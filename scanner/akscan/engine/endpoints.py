"""Endpoint settings beside a lone secret. S3-compatible stores (Ceph RGW, MinIO, Wasabi, Linode) are driven
through AWS's SDKs under AWS's names: ``SECRET_ACCESS_KEY = '…'`` three lines above ``ENDPOINT_URL =
"https://s3-west.example.org"`` is that store's secret, not AWS's. A rule that lists its provider's own hosts
(``own_hosts``) reports a lone secret only where no storage endpoint setting of its block names another host.

Only a setting named for a store's address counts (``endpoint_url``, ``AWS_S3_ENDPOINT_URL``, ``minio_endpoint``,
s3cmd's ``host_base``), written at its line's start, with an address for a value; not another service's
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``DYNAMODB_ENDPOINT``), not AWS's own switches (``AWS_USE_FIPS_ENDPOINT``,
``endpointType``), not code (``endpoint: this.config.s3.endpoint``), not one commented out where the secret
is live (or the reverse), not one in another block (a YAML key or an INI section between them)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from akscan.engine.positions import line_window

# The lines either side of a lone secret (at most ENDPOINT_BYTES bytes) where its endpoint setting counts:
# the pairing window of an AWS pair, one settings block.
ENDPOINT_LINES = 8
ENDPOINT_BYTES = 1500

# Words a storage endpoint's name may hold besides "endpoint": the SDKs', the stores', a project's own.
_STORE_WORDS = (
    r"aws|s3|storage|bucket|object|objects|objectstorage|minio|ceph|rgw|radosgw|wasabi|linode|spaces|b2|r2|oss|cos"
    r"|obs|bos|ks3|kodo|velero|custom|default|private|internal|external|public|service|url"
)
_NAME = (
    rf"(?:(?:{_STORE_WORDS})[_.\-]?){{0,4}}"
    r"(?:endpoint(?:[_.\-]?url)?|host[_.\-]?base|host[_.\-]?bucket|s3[_.\-]?(?:url|host))"
)
# A setting at its line's start (after a comment's mark, ``export``, a list's dash), its name whole, then an
# address: a scheme and host; a quoted host with a dot or a port; a bare one with a port, or ending its line.
_SETTING = re.compile(
    rb"(?im)^([ \t]*)(?:(?:#|//|;)[ \t]*)?(?:export[ \t]+|-[ \t]+)?[\"']?(" + _NAME.encode() + rb")[\"']?[ \t]*"
    rb"(?:=>|:=|[:=])[ \t]*(?:"
    rb"[\"']?https?://([A-Za-z0-9][A-Za-z0-9.\-]{0,252})"
    rb"|[\"']([A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)+|[A-Za-z0-9][A-Za-z0-9.\-]{0,252}(?=:[0-9]{1,5}))"
    rb"(?::[0-9]{1,5})?[\"'/]"
    rb"|([A-Za-z0-9][A-Za-z0-9.\-]{0,252}(?=:[0-9]{1,5})|[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)+(?=[ \t]*\r?$)))"
)
_PREFILTER = (
    b"endpoint",
    b"host_b",
    b"hostb",
    b"host-b",
    b"host.b",
    b"s3url",
    b"s3_url",
    b"s3-url",
    b"s3host",
    b"s3_host",
)
# A name a program's own object begins with: the value is code (``this.config.s3.endpoint``), not an address.
_CODE_HEADS = frozenset({"this", "self", "config", "cfg", "conf", "settings", "process", "env", "os", "options"})
_INI_HEADER = re.compile(rb"[ \t]*\[[^\]\n]{1,80}\][ \t]*\r?$")


class EndpointSettings:
    """A blob's storage endpoint settings, found once (on the first lone secret that asks) and looked up by
    bisection for each: a dump of ten thousand lone secrets reads the blob once, not once per secret."""

    def __init__(self, data: bytes, lowered: bytes, commented: Callable[[int], int]) -> None:
        self.data = data
        self.lowered = lowered
        self.commented = commented
        self._found: list[tuple[int, int, int, str]] | None = None  # (line start, indentation, name, host)

    def _settings(self) -> list[tuple[int, int, int, str]]:
        if self._found is None:
            self._found = []
            if any(word in self.lowered for word in _PREFILTER):
                for match in _SETTING.finditer(self.data):
                    host = next(g for g in match.groups()[2:] if g is not None).decode("ascii").lower().rstrip(".")
                    if host.split(".", 1)[0] not in _CODE_HEADS:
                        self._found.append((match.start(), _indentation(match.group(1)), match.start(2), host))
        return self._found

    def another_stores(self, start: int, end: int, own_hosts: tuple[str, ...]) -> bool:
        """Whether a storage endpoint setting of the block of ``data[start:end]`` (within ENDPOINT_LINES lines,
        ENDPOINT_BYTES bytes) names a host that is none of ``own_hosts`` nor under one of them."""
        settings = self._settings()
        if not settings:
            return False
        data = self.data
        lo, hi = line_window(data, start, end, ENDPOINT_LINES, max(0, start - ENDPOINT_BYTES), end + ENDPOINT_BYTES)
        first = bisect.bisect_left(settings, (lo, -1, -1, ""))
        for line, indent, name, host in settings[first:]:
            if line >= hi:
                break
            if any(host == own or host.endswith("." + own) for own in own_hosts):
                continue
            if self.commented(name) != self.commented(start):
                continue  # a setting commented out beside a live secret (or the reverse) is not its store's
            if not _another_block_between(data, start, line, indent):
                return True
        return False


def _indentation(line: bytes) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(b" "))


def _another_block_between(data: bytes, secret: int, setting: int, setting_indent: int) -> bool:
    """Whether a block closes or opens between the secret and the setting: a line less indented than both (a
    YAML key of another service, `minio:` after `amazon:`) or an INI section header."""
    secret_line = data.rfind(b"\n", 0, secret) + 1
    secret_indent = _indentation(data[secret_line:secret])
    floor = min(secret_indent, setting_indent)
    lo, hi = (setting, secret_line) if setting < secret_line else (secret_line, setting)
    for line in data[lo:hi].split(b"\n")[1:]:
        if not line.strip():
            continue
        if _indentation(line) < floor or _INI_HEADER.match(line):
            return True
    return False
