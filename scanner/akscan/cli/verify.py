"""`akscan verify`: one pair, live or not, read from the environment or stdin."""

from __future__ import annotations

import sys

import click

from akscan.cli.options import endpoint_options
from akscan.errors import ExitCode


@click.command()
@click.option("--stdin", "use_stdin", is_flag=True, help="Read the pair from stdin even if the environment has one.")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True, help="Output format."
)
@endpoint_options
def verify(
    use_stdin: bool,
    fmt: str,
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
    from akscan.verify import Verifier, VerifyOptions, parse_endpoints
    from akscan.verify.outcome import Credential
    from akscan.verify.reading import check_secret, provider_of, read_credential

    key_id, secret, token = read_credential(use_stdin)
    provider = provider_of(key_id)
    check_secret(secret)
    options = VerifyOptions(
        endpoints=parse_endpoints(endpoints),
        region=verify_region,
        vpc=verify_vpc,
        timeout=verify_timeout,
        retries=verify_retries,
        workers=1,
    )
    verification = Verifier(options).check(Credential(provider, key_id, secret, token))
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
    if verification.status == "live":
        return ExitCode.FINDINGS
    return ExitCode.ERROR if verification.status == "unknown" else ExitCode.CLEAN


command = verify
