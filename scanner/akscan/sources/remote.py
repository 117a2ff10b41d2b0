"""A repository named by URL: mirrored into akscan's cache directory (``git clone --mirror``, then
``git fetch --prune`` on later runs, with the user's own git credentials), then scanned like any local
clone — every ref the server has, pull-request refs included, and the blob cache makes a re-audit read
only what is new.

A URL may carry credentials (``https://user:token@host/…``): they are used to fetch and never shown or
stored — reports, messages, the mirror's folder name and its config hold the URL without them.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import unquote

from akscan.errors import SourceError
from akscan.sources import gitcmd
from akscan.storage import user_cache_dir

# scheme://…  or  scp-like user@host:path  (git's ``transport::address`` form, which can run a command
# with ext::, is not a URL here: it is treated as a local path and refused as "not a repository").
_URL = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!//))")
SCHEMES = ("https", "http", "ssh", "git", "file", "git+ssh", "ssh+git")


def is_url(target: str) -> bool:
    """A URL git can clone. ``scheme://…`` always is, even where a local folder happens to spell it (a
    scanned tree could plant one to be audited in its place); ``user@host:path`` is a local path when one
    exists (``ambiguous`` tells the command line to refuse that case)."""
    match = _URL.match(target)
    if match is None:
        return False
    return bool(match.group("scheme")) or not os.path.exists(target)


def ambiguous(target: str) -> bool:
    """``user@host:path`` that is also a local path: the command line asks which one was meant."""
    match = _URL.match(target)
    return match is not None and not match.group("scheme") and os.path.exists(target)


def check_url(url: str) -> None:
    match = _URL.match(url)
    scheme = (match.group("scheme") or "ssh").lower() if match else ""
    if scheme not in SCHEMES:
        raise SourceError(f"{shown_url(url)}: unsupported URL scheme {scheme!r} (use https, ssh, git or file)")


_AUTHORITY = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?P<userinfo>[^/?#]*)@)?(?P<rest>.*)$", re.DOTALL)
_SSH = ("ssh", "git+ssh", "ssh+git")


def shown_url(url: str) -> str:
    """The URL without a password or token (the user name of ssh URLs stays). Plain text surgery, no URL
    parser: a malformed URL (a port that is not a number, a broken IPv6 host) still loses its credentials
    and goes on to git, which says what is wrong with it."""
    match = _AUTHORITY.match(url)
    if match is None or match.group("userinfo") is None:
        return url
    scheme, userinfo = match.group("scheme"), match.group("userinfo")
    user = userinfo.split(":", 1)[0] if scheme.lower() in _SSH else ""
    return f"{scheme}://{user + '@' if user else ''}{match.group('rest')}"


def url_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL git is given, and the credentials it carried: ``https://user:token@host/p`` becomes
    ``https://host/p`` and ("user", "token"), handed to git by a credential helper and the environment, so
    the token never appears on a command line. ssh URLs keep their user name (it is not a secret)."""
    match = _AUTHORITY.match(url)
    if match is None or match.group("userinfo") is None or match.group("scheme").lower() in _SSH:
        return url, None
    user, _, password = match.group("userinfo").partition(":")
    return shown_url(url), (unquote(user), unquote(password))


def mirror_dir(url: str, cache: Path | None = None) -> Path:
    """``<cache>/mirrors/<readable name>-<hash>.git``, one per URL (credentials left out of both)."""
    shown = shown_url(url)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", shown.split("://", 1)[-1]).strip("._")[-60:] or "repository"
    digest = hashlib.sha256(shown.encode("utf-8")).hexdigest()[:16]
    return (cache or user_cache_dir()) / "mirrors" / f"{name}-{digest}.git"


def mirror(url: str, cache: Path | None = None) -> tuple[str, str]:
    """Bring the mirror of ``url`` up to date: (its git directory, "cloned" or "updated")."""
    check_url(url)
    target = mirror_dir(url, cache)
    plain, credentials = url_credentials(url)
    try:
        if (target / "HEAD").is_file():
            # The URL is given on each fetch, never stored with its credentials.
            fetch = ["fetch", "--prune", "--quiet", "--", plain, "+refs/*:refs/*"]
            gitcmd.run_remote(fetch, str(target), credentials)
            return str(target), "updated"
        import shutil  # (only a first clone needs it)

        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        # Cloned beside the target and renamed when complete: an interrupted clone never passes for a mirror.
        gitcmd.run_remote(
            ["clone", "--mirror", "--quiet", "--no-hardlinks", "--", plain, str(partial)], None, credentials
        )
        gitcmd.run_remote(["remote", "set-url", "origin", "--", shown_url(url)], str(partial))
        os.replace(partial, target)
        return str(target), "cloned"
    except SourceError as error:
        reason = str(error).replace(url, shown_url(url))
        raise SourceError(f"cannot mirror {shown_url(url)}: {reason}") from None
