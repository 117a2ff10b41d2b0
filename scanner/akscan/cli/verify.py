"""`akscan verify`: one pair, live or not, read from the environment or stdin."""

from __future__ import annotations

import sys
from typing import Any

import click

from akscan.cli.options import endpoint_options, pair_rules_option
from akscan.errors import ExitCode, UsageError


@click.command()
@click.option("--stdin", "use_stdin", is_flag=True, help="Read the pair from stdin even if the environment has one.")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True, help="Output format."
)
@endpoint_options
@pair_rules_option
def verify(
    use_stdin: bool,
    fmt: str,
    rule_dirs: tuple[str, ...],
    endpoints: tuple[str, ...],
    verify_region: str | None,
    verify_vpc: bool,
    verify_timeout: float,
    verify_retries: int,
) -> int:
    """Check one pair live, read from the environment or stdin (never the command line).

    Exit 1: the key is live. 0: it is not (not found, disabled, wrong secret, expired). 2: inconclusive.
    """
    from akscan.model import redact

    provider, key_id, secret, verification = check_pair(
        use_stdin, endpoints, verify_region, verify_vpc, verify_timeout, verify_retries, rule_dirs=rule_dirs
    )
    out = sys.stdout
    if fmt == "json":
        import dataclasses
        import json

        body = {k: v for k, v in dataclasses.asdict(verification).items() if v not in (None, "")}
        json.dump({"provider": provider, "key_id": key_id, "secret": redact(secret), **body}, out, indent=2)
        out.write("\n")
    else:
        from akscan.report import safe

        # the answer comes from a server (or whoever answers at --endpoint): shown escaped, like scanned text
        who = " ".join(safe(x) for x in (verification.identity_type, verification.arn) if x)
        line = f"{provider} {safe(key_id)}: {verification.status}"
        line += f" — {who}" if who else ""
        line += f" ({safe(verification.reason)})" if verification.reason else ""
        out.write(line + "\n")
        if verification.status == "live" and verification.identity_type == "Account":
            out.write("CRITICAL: this is the account's own (root) AccessKey. Disable it now and use RAM users.\n")
    return exit_code(verification.status)


def check_pair(
    use_stdin: bool,
    endpoints: tuple[str, ...],
    region: str | None,
    vpc: bool,
    timeout: float,
    retries: int,
    access_map: bool = False,
    mappable: tuple[str, ...] | None = None,
    rule_dirs: tuple[str, ...] = (),
) -> tuple[str, str, str, Any]:
    """The pair from the environment or stdin (never the command line), checked: (provider, key ID, secret,
    verification). ``mappable``: the providers the caller can serve (`akscan map`), others are a usage error.
    ``rule_dirs``: the user's rule folders, whose rules may say a pair is never sent."""
    from pathlib import Path

    from akscan.verify import Verifier, VerifyOptions, never_sent, parse_endpoints
    from akscan.verify.outcome import Credential
    from akscan.verify.reading import check_secret, provider_of, read_credential

    key_id, secret, token = read_credential(use_stdin)
    provider = provider_of(key_id)
    if mappable is not None and provider not in mappable:
        raise UsageError(f"akscan map knows {', '.join(mappable)} keys; this one is {provider}'s: use akscan verify")
    check_secret(secret)
    refused = never_sent(provider, key_id, secret, tuple(Path(d) for d in rule_dirs))
    if refused is not None:
        return provider, key_id, secret, refused
    options = VerifyOptions(
        endpoints=parse_endpoints(endpoints),
        region=region,
        vpc=vpc,
        timeout=timeout,
        retries=retries,
        workers=1,
        access_map=access_map,
    )
    return provider, key_id, secret, Verifier(options).check(Credential(provider, key_id, secret, token))


def exit_code(status: str) -> int:
    """1: live. 0: not live (not found, disabled, wrong secret, expired). 2: inconclusive (unknown, or a
    key no identity API can judge)."""
    if status == "live":
        return ExitCode.FINDINGS
    return ExitCode.ERROR if status in ("unknown", "unverifiable") else ExitCode.CLEAN


command = verify
