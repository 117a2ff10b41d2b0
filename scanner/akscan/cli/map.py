"""`akscan map`: what one live key reaches, read from the environment or stdin like `akscan verify`."""

from __future__ import annotations

import sys

import click

from akscan.cli.options import endpoint_options, pair_rules_option


@click.command("map")
@click.option("--stdin", "use_stdin", is_flag=True, help="Read the pair from stdin even if the environment has one.")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True, help="Output format."
)
@endpoint_options
@pair_rules_option
def map_command(
    use_stdin: bool,
    fmt: str,
    rule_dirs: tuple[str, ...],
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

    from akscan.cli.verify import check_pair
    from akscan.model import redact
    from akscan.respond.access import as_dict, reaches
    from akscan.verify import MAPPERS

    provider, key_id, secret, verification = check_pair(
        use_stdin,
        endpoints,
        verify_region,
        verify_vpc,
        verify_timeout,
        verify_retries,
        True,
        tuple(MAPPERS),
        rule_dirs=rule_dirs,
    )
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
    from akscan.cli.verify import exit_code

    return exit_code(verification.status)


command = map_command
