"""The one way akscan starts git: every git process, plumbing or GitPython, goes through here.

The repository being scanned is hostile: its ``.git/config`` (and ``.gitattributes``) can name programs
that git would run for us — a GPG program for signed commits, a pager, an external diff, textconv and
filter drivers, an fsmonitor hook, hooks, credential helpers. akscan only ever reads objects, so it
switches all of that off with ``-c`` overrides (which beat any config file) and the environment, and
turns off replace refs, which a repository could use to show git a clean object in place of a leaky one.
No git process akscan starts on a repository may reach a transport: a repository that calls itself a
partial clone makes git fetch every object it lacks from a "promisor" remote the moment a read needs it,
and that fetch runs the programs the repository names (``remote.<name>.uploadpack``, ``core.sshCommand``,
``core.gitProxy``). Only ``run_remote`` (the clone and fetch of a URL the user gave) may use one.
Commands that could diff pass ``--no-ext-diff --no-textconv`` themselves (an empty ``diff.external``
would make git try to run an empty command). No command akscan runs applies clean/smudge filters.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from akscan.errors import SourceError

TIMEOUT = 600  # seconds; no single git command of a scan should come close

# Settings whose value is a program (or makes git run one), overridden for every git process.
HARDENED_CONFIG: tuple[tuple[str, str], ...] = (
    ("log.showSignature", "false"),
    ("gpg.program", "false"),
    ("gpg.openpgp.program", "false"),
    ("gpg.ssh.program", "false"),
    ("gpg.x509.program", "false"),
    ("gpg.ssh.defaultKeyCommand", "false"),
    ("core.pager", "cat"),
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.askPass", ""),
    ("credential.helper", ""),
    ("core.untrackedCache", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("submodule.recurse", "false"),
    ("protocol.ext.allow", "never"),
    ("core.quotePath", "false"),
    ("color.ui", "false"),
)

# Every transport refused, for every process but the user's own clone and fetch. ``protocol.allow`` alone is
# not enough: a repository's ``protocol.<name>.allow=always`` beats it, so each known protocol is named too,
# and GIT_ALLOW_PROTOCOL (below), which beats all of config, allows nothing. ``core.gitProxy`` cannot be
# overridden with ``-c`` (git takes its first value, the repository's), hence GIT_PROXY_COMMAND.
NO_TRANSPORT_CONFIG: tuple[tuple[str, str], ...] = (
    ("protocol.allow", "never"),
    *((f"protocol.{name}.allow", "never") for name in ("file", "git", "ssh", "http", "https", "ftp", "ftps", "ext")),
    ("core.sshCommand", "false"),
    ("fetch.recurseSubmodules", "false"),
)

# Environment for every git process: no prompts, no pager, no external diff, no replace refs, no locks.
HARDENED_ENV: Mapping[str, str] = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_LITERAL_PATHSPECS": "1",
}
# Environment for every git process on a repository akscan did not fetch itself: no lazy fetch (git 2.44+;
# older git tries and fails on the refused transport), and an empty allow-list, which git reads as "no
# protocol at all" whatever the repository's config says; an empty proxy command means "no proxy".
NO_TRANSPORT_ENV: Mapping[str, str] = {
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_ALLOW_PROTOCOL": "",
    "GIT_PROXY_COMMAND": "",
}
# Variables that would make git run a program of someone else's choosing.
UNSAFE_ENV = ("GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_PROXY_COMMAND", "GIT_EDITOR")


# Variables that choose a repository other than the one named. Inside a git hook git sets some of them
# (GIT_INDEX_FILE for a partial commit): they stay for commands that run in the hook's own work tree
# (``cwd``), and are dropped when akscan names the repository itself (``repo``), so `akscan git OTHER`
# run from a hook reads OTHER, not the hook's repository.
REPOSITORY_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
)


def environment(repo: str | None = None) -> dict[str, str]:
    dropped = UNSAFE_ENV + (REPOSITORY_ENV if repo is not None else ())
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(HARDENED_ENV)
    env.update(NO_TRANSPORT_ENV)
    return env


_LOCAL_OVERRIDES = tuple(
    part for key, value in HARDENED_CONFIG + NO_TRANSPORT_CONFIG for part in ("-c", f"{key}={value}")
)


def command(args: Sequence[str], repo: str | None = None) -> list[str]:
    """``git [-C repo] -c …hardening… --no-pager args``."""
    location = ["-C", repo] if repo is not None else []
    return ["git", *location, *_LOCAL_OVERRIDES, "--no-pager", *args]


def wait(proc: subprocess.Popen[bytes], timeout: float = TIMEOUT) -> int:
    """``proc.wait(timeout)`` without its polling: Popen waits with a timeout by sleeping between checks,
    up to 50 ms at a time, and a scan waiting on git's object listing lost ~30 ms to it. A pidfd (Linux)
    is readable the moment the process ends; elsewhere Popen's own wait."""
    import select

    try:
        handle = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux, or the process has already been reaped
        return proc.wait(timeout=timeout)
    try:
        ready, _, _ = select.select([handle], [], [], timeout)
    finally:
        os.close(handle)
    if not ready:
        raise subprocess.TimeoutExpired(proc.args, timeout)
    return proc.wait()


_INCLUDE = re.compile(rb"^\s*\[\s*include(?:if\b[^\]]*)?\s*\]\s*$|^\s*path\s*=\s*(.+?)\s*$", re.IGNORECASE)
_SECTION = re.compile(rb"^\s*\[")


def _config_includes(config: str) -> list[str]:
    """The ``path`` values of a config file's ``[include]`` and ``[includeIf …]`` sections, resolved."""
    try:
        with open(config, "rb") as handle:  # a regular file: checked by the caller
            lines = handle.read(1 << 20).splitlines()
    except OSError:
        return []
    found, inside = [], False
    for line in lines:
        match = _INCLUDE.match(line)
        if match is not None and match.group(1) is None:
            inside = True
        elif _SECTION.match(line):
            inside = False
        elif inside and match is not None:
            value = match.group(1).strip(b'"').decode("utf-8", "surrogateescape")
            path = os.path.expanduser(value)
            found.append(path if os.path.isabs(path) else os.path.join(os.path.dirname(config), path))
    return found


def blocking_include(start: str) -> str | None:
    """A config file the repository holding ``start`` includes (``include.path``, directly or through
    another include) that is not a regular file — a FIFO or a device, which would block every git command
    until git's time limit — or None. Read before git is ever started there."""
    folder = os.path.abspath(start)
    git_dir = None
    for candidate in (folder, *[str(p) for p in Path(folder).parents]):
        dot_git = os.path.join(candidate, ".git")
        if os.path.isdir(dot_git):
            git_dir = dot_git
            break
        if os.path.isfile(dot_git):
            try:
                with open(dot_git, "rb") as handle:
                    pointer = handle.read(4096).decode("utf-8", "surrogateescape").strip()
            except OSError:
                return None
            if pointer.startswith("gitdir:"):
                target = pointer[7:].strip()
                git_dir = target if os.path.isabs(target) else os.path.join(candidate, target)
            break
        if os.path.isfile(os.path.join(candidate, "HEAD")) and os.path.isdir(os.path.join(candidate, "objects")):
            git_dir = candidate  # a bare repository
            break
    if git_dir is None:
        return None
    configs = [os.path.join(git_dir, "config")]
    try:
        with open(os.path.join(git_dir, "commondir"), "rb") as handle:
            common = handle.read(4096).decode("utf-8", "surrogateescape").strip()
        configs.append(os.path.join(common if os.path.isabs(common) else os.path.join(git_dir, common), "config"))
    except OSError:
        pass
    seen: set[str] = set()
    while configs and len(seen) < 32:
        config = os.path.normpath(configs.pop())
        if config in seen:
            continue
        seen.add(config)
        try:
            info = os.stat(config)
        except OSError:
            continue  # a missing include is skipped by git too
        if not stat.S_ISREG(info.st_mode):
            return config
        configs.extend(_config_includes(config))
    return None


def _refuse_blocking_includes(where: str | None) -> None:
    blocked = blocking_include(where or os.getcwd())
    if blocked is not None:
        raise SourceError(
            f"the repository's config includes {blocked}, which is not a regular file (a FIFO or device would "
            "block every git command): refused; remove the include.path or scan with plain files"
        )


def run(
    args: Sequence[str],
    repo: str | None = None,
    input: bytes | None = None,
    check: bool = True,
    cwd: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run git to completion; with ``check``, a failure is a ``SourceError`` naming the command."""
    _refuse_blocking_includes(repo or cwd)
    try:
        proc = subprocess.run(
            command(args, repo), input=input, capture_output=True, cwd=cwd, env=environment(repo), timeout=TIMEOUT
        )
    except FileNotFoundError:
        raise SourceError("git is not installed (or not on PATH): install git to scan repositories") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"git {args[0]} took longer than {TIMEOUT} s in {repo or cwd or '.'}") from None
    if check and proc.returncode != 0:
        raise SourceError(f"git {args[0]} failed in {repo or cwd or '.'}: {last_line(proc.stderr, proc.returncode)}")
    return proc


# For clone and fetch of a repository the user named by URL: the user's own credential helpers, askpass
# and ssh settings are what reach their remotes, so those overrides are left out; everything that could
# run a program the *remote* names stays off (a mirror has no work tree, no hooks, no submodules), and
# only the transports a person means are allowed (never ext::, which runs a command).
_REMOTE_KEEP = ("core.askPass", "credential.helper")
REMOTE_PROTOCOLS = "https:http:ssh:git:file"
REMOTE_TIMEOUT = 3600


# Credentials a URL carried (https://user:token@host/…) reach git through this helper and the environment,
# never its command line (which every user of the machine can read in `ps`); printf %s prints any value.
URL_CREDENTIAL_HELPER = (
    "!f() { test \"$1\" = get && printf 'username=%s\\npassword=%s\\n' "
    '"$AKSCAN_GIT_USERNAME" "$AKSCAN_GIT_PASSWORD"; }; f'
)


def run_remote(
    args: Sequence[str], repo: str | None = None, credentials: tuple[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Clone or fetch with the user's credentials (and, given ``credentials`` (user, password) taken from
    the URL, those first); a failure is a ``SourceError`` with git's reason."""
    overrides = [part for key, value in HARDENED_CONFIG if key not in _REMOTE_KEEP for part in ("-c", f"{key}={value}")]
    location = ["-C", repo] if repo is not None else []
    env = {
        k: v for k, v in os.environ.items() if k not in REPOSITORY_ENV and k not in ("GIT_EXTERNAL_DIFF", "GIT_EDITOR")
    }
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_ALLOW_PROTOCOL": REMOTE_PROTOCOLS})
    if credentials is not None:
        overrides += ["-c", "credential.helper=", "-c", f"credential.helper={URL_CREDENTIAL_HELPER}"]
        env.update({"AKSCAN_GIT_USERNAME": credentials[0], "AKSCAN_GIT_PASSWORD": credentials[1]})
    try:
        proc = subprocess.run(
            ["git", *location, *overrides, "--no-pager", *args],
            capture_output=True,
            env=env,
            timeout=REMOTE_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise SourceError("git is not installed (or not on PATH): install git to scan repositories") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"git {args[0]} took longer than {REMOTE_TIMEOUT} s") from None
    if proc.returncode != 0:
        raise SourceError(last_line(proc.stderr, proc.returncode))
    return proc


def output(args: Sequence[str], repo: str | None = None, input: bytes | None = None, cwd: str | None = None) -> bytes:
    return run(args, repo, input=input, cwd=cwd).stdout


def popen(
    args: Sequence[str], repo: str, stdout: int | IO[Any], bufsize: int = -1, stderr: int | IO[Any] = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """A long-running git process fed on stdin (``cat-file --batch``, a background ``log``)."""
    _refuse_blocking_includes(repo)
    try:
        return subprocess.Popen(
            command(args, repo),
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=stderr,
            env=environment(repo),
            bufsize=bufsize,
        )
    except FileNotFoundError:
        raise SourceError("git is not installed (or not on PATH): install git to scan repositories") from None


def gitpython_repo(path: str) -> Any:
    """A GitPython ``Repo`` whose git processes get the same hardening (close it: ``with repo:``)."""
    import git as gitpython

    _refuse_blocking_includes(path)
    repo = gitpython.Repo(path)
    for name in UNSAFE_ENV + REPOSITORY_ENV:  # the repository is named by path
        repo.git.update_environment(**{name: None})
    repo.git.update_environment(**HARDENED_ENV, **NO_TRANSPORT_ENV)
    repo.git.set_persistent_git_options(
        c=[f"{key}={value}" for key, value in HARDENED_CONFIG + NO_TRANSPORT_CONFIG], no_pager=True
    )
    return repo


def last_line(stderr: bytes, code: int) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else f"exit code {code}"
