"""`akscan hash`: the SHA-256 of a secret read from stdin, for the allowlist."""

from __future__ import annotations

import sys

import click

from akscan.errors import ExitCode, UsageError


@click.command("hash")
def hash_command() -> int:
    """Print the SHA-256 of a secret read from stdin, for `secret_sha256` in the config's [allowlist].

    One trailing newline is dropped (`echo SECRET | akscan hash` and `printf %s SECRET | akscan hash` agree);
    on a terminal the secret is read without echo. The secret never goes on the command line.
    """
    import hashlib

    if sys.stdin.isatty():
        import getpass

        secret = getpass.getpass("secret (not shown): ")
    else:
        secret = sys.stdin.buffer.read(1024 * 1024 + 1).decode("utf-8", "surrogateescape")
        if len(secret) > 1024 * 1024:
            raise UsageError("akscan hash reads one secret from stdin, not a file of over 1 MiB")
        secret = secret.removesuffix("\n").removesuffix("\r")
    if not secret:
        raise UsageError('nothing on stdin: pipe the secret in (printf %s "$SECRET" | akscan hash)')
    click.echo(hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest())
    return ExitCode.CLEAN


command = hash_command
