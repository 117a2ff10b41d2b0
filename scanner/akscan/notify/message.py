"""What a notification says, from the report's own finding dicts (redacted): how many new credentials, per
provider; for each (at most ``MAX_LISTED``, then "and N more") its provider, key ID, redacted secret,
severity, verification and access map, where it is (repository, path, line, commit, author) and what to
do first; a link to the report.

Every value that comes from scanned content or a server (a path, an author, a key ID, a policy name) is
shown as inline code with the characters chat platforms read as markup neutralised, so a file named
``<!channel>`` or ``[login](https://evil)`` reaches nobody and links nowhere."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from akscan.report import safe

MAX_LISTED = 10
MAX_VALUE = 120
_SPACES = re.compile(r"\s+")
_FIRST_SENTENCE = re.compile(r"^(.+?[.;:])(\s|$)")
_PROVIDER = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")


@dataclass(frozen=True)
class Place:
    repository: str
    path: str
    line: int | None
    commit: str
    author: str


@dataclass(frozen=True)
class Item:
    provider: str
    key_id: str
    secret: str  # redacted
    severity: str
    status: str  # the verification's, or "" when not verified
    identity: str  # "the account's own key", an ARN, ""
    reaches: str  # the access map's line, or ""
    places: tuple[Place, ...]
    first_step: str


@dataclass(frozen=True)
class Digest:
    items: tuple[Item, ...]
    context: str  # what was scanned: a path, a repository, "a fleet of 12 repositories"
    link: str  # --notify-link, or the report's path, or ""

    @property
    def title(self) -> str:
        count = len(self.items)
        providers = Counter(provider_name(item.provider) for item in self.items)
        per = ", ".join(f"{n} {p}" for p, n in providers.most_common())
        return f"akscan: {count} new leaked credential{'' if count == 1 else 's'} ({per})"


def provider_name(provider: str) -> str:
    """A provider's name as a title may show it: a custom rule's provider is the config's text."""
    return provider if _PROVIDER.fullmatch(provider) else "other"


def items_from(entries: list[dict[str, Any]], repository: str = "") -> tuple[Item, ...]:
    """Items from report finding dicts: a scan's or git's (one place each) or a fleet's (``places``)."""
    items = [_item(entry, repository) for entry in entries if isinstance(entry, dict)]
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    return tuple(sorted(items, key=lambda i: (order.get(i.severity, 5), i.provider, i.key_id)))


def _item(entry: dict[str, Any], repository: str) -> Item:
    checked = entry.get("verification") if isinstance(entry.get("verification"), dict) else {}
    assert isinstance(checked, dict)
    access = checked.get("access") if isinstance(checked.get("access"), dict) else None
    identity = ""
    if checked.get("status") == "live":
        arn = str(checked.get("arn") or "")
        identity = (
            "the account's own key" if checked.get("identity_type") == "Account" or arn.endswith(":root") else arn
        )
    reaches = ""
    if access is not None:
        from akscan.model import AccessMap
        from akscan.respond.access import reaches as line

        names = set(AccessMap.__dataclass_fields__)
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in access.items() if k in names}
        try:
            reaches = line(AccessMap(**values))
        except TypeError:
            reaches = ""
    raw_places = entry.get("places")
    if isinstance(raw_places, list):
        places = tuple(_place(p, str(p.get("repository") or "")) for p in raw_places if isinstance(p, dict))
    else:
        places = (_place(entry, repository),)
    return Item(
        provider=str(entry.get("provider") or "?"),
        key_id=str(entry.get("key_id") or "(secret only)"),
        secret=str(entry.get("secret") or ""),
        severity=str(entry.get("severity") or "info"),
        status=str(checked.get("status") or ""),
        identity=identity,
        reaches=reaches,
        places=places,
        first_step=first_step(str(entry.get("remediation") or "")),
    )


def _place(entry: dict[str, Any], repository: str) -> Place:
    git = entry.get("git") if isinstance(entry.get("git"), dict) else {}
    assert isinstance(git, dict)
    signed_by = git.get("author")
    author = entry.get("author") or (signed_by.get("name") if isinstance(signed_by, dict) else "")
    line = entry.get("line")
    return Place(
        repository=repository,
        path=str(entry.get("path") or ""),
        line=line if isinstance(line, int) else None,
        commit=str(entry.get("commit") or git.get("commit") or "")[:12],
        author=str(author or ""),
    )


def first_step(remediation: str) -> str:
    text = _SPACES.sub(" ", remediation).strip()
    match = _FIRST_SENTENCE.match(text)
    return (match.group(1) if match else text)[:240]


def code(value: str, slack: bool = False) -> str:
    """An untrusted value as inline code that no platform reads as markup: control characters escaped,
    backticks and angle brackets replaced (``<!channel>``, ``<at id=all>``, ``<@user>`` are mentions on
    Slack, Feishu and WeCom), one line, at most ``MAX_VALUE`` characters."""
    text = _SPACES.sub(" ", safe(value)).strip()
    if len(text) > MAX_VALUE:
        text = text[: MAX_VALUE - 1] + "…"
    # ``](`` opens a link on every markdown platform, even where a code span would not stop it
    text = text.replace("`", "'").replace("<", "‹").replace(">", "›").replace("](", "] (")
    if slack:
        text = text.replace("&", "&amp;")
    return f"`{text}`" if text else "``"


def plain(text: str, slack: bool = False) -> str:
    """Text shown as prose (a remediation, which a custom rule of a config may have written): one line, and
    nothing a platform reads as a mention, a link or an image — angle brackets, square brackets and
    backticks replaced, and a URL's ``://`` broken so that no platform links it."""
    text = _SPACES.sub(" ", safe(text)).strip()
    for markup, shown in (("<", "‹"), (">", "›"), ("[", "⁅"), ("]", "⁆"), ("`", "'"), ("://", ":/\u2060/")):
        text = text.replace(markup, shown)
    return text.replace("&", "&amp;") if slack else text


_LINK = re.compile(r"https?://[^\s<>()\[\]|`'\"]{1,500}")


def link_markup(link: str, slack: bool = False) -> str:
    """``--notify-link`` (the operator's, e.g. the CI job's URL) as a link; anything else as code."""
    if not _LINK.fullmatch(link):
        return code(link, slack)
    return f"<{link.replace('&', '&amp;')}|open the report>" if slack else f"[open the report]({link})"


def item_lines(item: Item, slack: bool = False) -> list[str]:
    bold = "*" if slack else "**"
    head = f"{bold}{item.severity.upper()}{bold} {code(item.provider, slack)} {code(item.key_id, slack)}"
    if item.secret:
        head += f" secret {code(item.secret, slack)}"
    if item.status:
        head += f" — {item.status}"
        if item.identity:
            head += f", {code(item.identity, slack)}"
    lines = [head]
    if item.reaches:
        lines.append(f"reaches: {code(item.reaches, slack)}")
    for place in item.places[:3]:
        where = f"{place.path}:{place.line}" if place.line is not None else place.path
        text = "at " + (f"{code(place.repository, slack)} " if place.repository else "") + code(where, slack)
        if place.commit:
            text += f" commit {code(place.commit, slack)}"
        if place.author:
            text += f" by {code(place.author, slack)}"
        lines.append(text)
    if len(item.places) > 3:
        lines.append(f"and {len(item.places) - 3} more places")
    if item.first_step:
        lines.append(f"first: {plain(item.first_step, slack)}")
    return lines


def markdown(digest: Digest, listed: int, slack: bool = False) -> str:
    """The message body in markdown (DingTalk, Feishu, WeCom) or Slack's mrkdwn, listing ``listed`` items."""
    bold = "*" if slack else "**"
    parts = [f"{bold}{plain(digest.title, slack)}{bold}"]
    if digest.context:
        parts.append(f"in {code(digest.context, slack)}")
    for item in digest.items[:listed]:
        parts.append(
            "\n".join(f"- {line}" if i == 0 else f"  {line}" for i, line in enumerate(item_lines(item, slack)))
        )
    if len(digest.items) > listed:
        parts.append(f"and {len(digest.items) - listed} more")
    if digest.link:
        parts.append(f"report: {link_markup(digest.link, slack)}")
    return "\n\n".join(parts)


def fitted(digest: Digest, limit: int, slack: bool = False) -> str:
    """The longest message (in UTF-8 bytes) within ``limit`` that lists as many items as fit, at most
    ``MAX_LISTED``; never fewer than one."""
    listed = min(MAX_LISTED, len(digest.items))
    text = markdown(digest, listed, slack)
    while listed > 1 and len(text.encode()) > limit:
        listed -= 1
        text = markdown(digest, listed, slack)
    encoded = text.encode()
    return text if len(encoded) <= limit else encoded[: limit - 3].decode("utf-8", "ignore") + "…"
