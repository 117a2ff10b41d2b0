"""`akscan map`: what one live key reaches, read from the environment or stdin like `akscan verify`."""

from __future__ import annotations

import sys

import click

from akscan.cli.options import endpoint_options
from akscan.errors import ExitCode, UsageError


@click.command("map")
@click.option("--stdin", "use_stdin", is_flag=True, help="Read the pair from stdin even if the environment has one.")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True, help="Output format."
)
@endpoint_options
def map_command(
    use_stdin: bool,
    fmt: str,
    endpoints: tuple[str, ...],
    verify_region: str | None,
    verify_vpc: bool,
    verify_timeout: float,
    verify_retries: int,
) -> int:
    """Map what one live Alibaba or AWS key reaches: who it is, its policies, whether it is an administrator
    or can escalate, its last use, and how many buckets (and for Alibaba ApsaraMQ and ECS instances) it can
    list.

    Read-only questions, asked as the key itself (at most 20 requests); the pair is read from the
    environment or stdin, never the command line. Exit 1: the key is live (the map follows). 0: it is not.
    2: inconclusive.
    """
    import json

    from akscan.model import redact
    from akscan.respond.access import as_dict, reaches
    from akscan.verify import MAPPERS, Verifier, VerifyOptions, parse_endpoints
    from akscan.verify.outcome import Credential
    from akscan.verify.reading import check_secret, provider_of, read_credential

    key_id, secret, token = read_credential(use_stdin)
    provider = provider_of(key_id)
    if provider not in MAPPERS:
        raise UsageError(f"akscan map knows {', '.join(MAPPERS)} keys; this one is {provider}'s: use akscan verify")
    check_secret(secret)
    options = VerifyOptions(
        endpoints=parse_endpoints(endpoints),
        region=verify_region,
        vpc=verify_vpc,
        timeout=verify_timeout,
        retries=verify_retries,
        workers=1,
        access_map=True,
    )
    verification = Verifier(options).check(Credential(provider, key_id, secret, token))
    out = sys.stdout
    if fmt == "json":
        body: dict[str, object] = {
            "provider": provider,
            "key_id": key_id,
            "secret": redact(secret),
            "status": verification.status,
        }
        if verification.arn:
            body["arn"] = verification.arn
        if verification.reason:
            body["reason"] = verification.reason
        if verification.access is not None:
            body["access"] = as_dict(verification.access)
        json.dump(body, out, indent=2)
        out.write("\n")
    else:
        from akscan.report import safe

        line = f"{provider} {safe(key_id)}: {verification.status}"
        line += f" ({safe(verification.reason)})" if verification.reason else ""
        out.write(line + "\n")
        if verification.access is not None:
            access = verification.access
            out.write(f"reaches: {safe(reaches(access))}\n")
            for policy in access.policies:
                out.write(f"  policy: {safe(policy)}\n")
            for reason in access.escalation:
                out.write(f"  escalates: {safe(reason)}\n")
            for unknown in access.unknown:
                out.write(f"  unknown: {safe(unknown)}\n")
    if verification.status == "live":
        return ExitCode.FINDINGS
    return ExitCode.ERROR if verification.status == "unknown" else ExitCode.CLEAN


command = map_command
