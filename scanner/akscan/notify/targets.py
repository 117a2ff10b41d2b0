"""Where notifications go: ``--notify [FORMAT=]URL`` (repeatable), ``notify = ["$VARIABLE"]`` in a trusted
config (environment variables holding ``[FORMAT=]URL``), and ``AKSCAN_NOTIFY_URL`` (whitespace-separated).
The format comes from the prefix, else ``--notify-format``, else the URL's host. Signing secrets come from
the environment only."""

from __future__ import annotations

import ipaddress
import os
import re
import urllib.parse
from dataclasses import dataclass, field

from akscan.errors import UsageError

FORMATS = ("dingtalk", "feishu", "wecom", "slack", "webhook")
HOSTS = {
    "oapi.dingtalk.com": "dingtalk",
    "open.feishu.cn": "feishu",
    "open.larksuite.com": "feishu",
    "qyapi.weixin.qq.com": "wecom",
    "hooks.slack.com": "slack",
}
ENV_URLS = "AKSCAN_NOTIFY_URL"
ENV_SECRET = "AKSCAN_NOTIFY_SECRET"
# A platform's own signing secret, when it differs from AKSCAN_NOTIFY_SECRET.
ENV_PLATFORM_SECRET = {"dingtalk": "AKSCAN_DINGTALK_SECRET", "feishu": "AKSCAN_FEISHU_SECRET"}
MAX_TARGETS = 10
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


@dataclass(frozen=True)
class Target:
    platform: str
    url: str = field(repr=False)  # a secret: never printed
    secret: str | None = field(default=None, repr=False)
    number: int = 1  # its place among the run's targets, to tell two of one platform apart

    @property
    def label(self) -> str:
        """How messages about this target name it: the platform and the host, never the path or query."""
        host = urllib.parse.urlsplit(self.url).hostname or "?"
        return f"{self.platform} #{self.number} ({host})"


def parse_targets(
    given: tuple[str, ...], configured: tuple[str, ...], default_format: str | None, env: dict[str, str] | None = None
) -> list[Target]:
    """Every target of the run, once each (the same URL named twice is notified once)."""
    env = dict(os.environ) if env is None else env
    if default_format is not None and default_format not in FORMATS:
        raise UsageError(f"--notify-format {default_format}: use one of {', '.join(FORMATS)}")
    values: list[tuple[str, str]] = [(value, "--notify") for value in given]
    for value in configured:
        values.append((_expand(value, env), "the config's notify"))
    values.extend((value, ENV_URLS) for value in env.get(ENV_URLS, "").split())
    targets: list[Target] = []
    seen: set[str] = set()
    for value, where in values:
        platform, url = _split(value, default_format, where)
        if url in seen:
            continue
        seen.add(url)
        secret = env.get(ENV_PLATFORM_SECRET.get(platform, "")) or env.get(ENV_SECRET) or None
        targets.append(Target(platform, url, secret, len(targets) + 1))
    if len(targets) > MAX_TARGETS:
        raise UsageError(f"{len(targets)} notification targets: at most {MAX_TARGETS}")
    return targets


def _expand(value: str, env: dict[str, str]) -> str:
    """A config's ``$VARIABLE`` read from the environment. Only variables: a webhook URL is a secret that
    does not belong in a committed file, and a change to a committed file (a pull request) must not be able
    to send the report to a URL of its choosing."""
    match = _VARIABLE.fullmatch(value.strip())
    if match is None:
        raise UsageError(
            "the config's notify must name environment variables ($TEAM_WEBHOOK), not URLs: "
            "a webhook URL is a secret (the value is not shown)"
        )
    name = match.group(1)
    if not env.get(name):
        raise UsageError(f"the config's notify names ${name}, which is not set")
    return env[name]


def _split(value: str, default_format: str | None, where: str) -> tuple[str, str]:
    """(platform, URL) of one value; errors say where the value came from, never the value."""
    prefix, sep, rest = value.partition("=")
    if sep and prefix in FORMATS and rest.startswith(("https://", "http://")):
        platform, url = prefix, rest
    else:
        platform, url = "", value
    try:
        parsed = urllib.parse.urlsplit(url.strip())
        host = parsed.hostname or ""
        parsed.port  # noqa: B018 (a port that is not a number raises here, not at send time)
    except ValueError:
        raise UsageError(f"{where}: a notification target must be an https:// URL (the value is not shown)") from None
    if not host or parsed.scheme not in ("https", "http"):
        raise UsageError(f"{where}: a notification target must be an https:// URL (the value is not shown)")
    if parsed.scheme == "http" and not _loopback(host):
        raise UsageError(f"{where}: {host}: plain http only to a loopback host; use https")
    if parsed.username or parsed.password:
        raise UsageError(f"{where}: {host}: a user name or password in the URL is refused")
    platform = platform or default_format or HOSTS.get(host.lower(), "webhook")
    return platform, url.strip()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
