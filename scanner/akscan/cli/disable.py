"""`akscan disable`: switch leaked keys off (never delete them) with the operator's credentials."""

from __future__ import annotations

import sys

import click

from akscan.errors import ExitCode, UsageError


@click.command()
@click.argument("key_id", required=False, metavar="[KEY_ID]")
@click.option("--user", default=None, metavar="NAME", help="With KEY_ID: the RAM user it belongs to.")
@click.option(
    "--from",
    "from_report",
    default=None,
    metavar="REPORT",
    help="Every live Alibaba key of an akscan JSON report made with --verify (scan, git, hook or fleet).",
)
@click.option("--yes", is_flag=True, help="Send the requests (by default a dry run prints them and sends nothing).")
@click.option(
    "--record",
    default=None,
    metavar="FILE",
    help="Where the JSON record of each key's outcome goes (default: akscan-disable-<time>.json here).",
)
@click.option("--profile", default=None, metavar="NAME", help="The aliyun CLI profile holding the operator's key.")
@click.option(
    "--endpoint",
    default=None,
    metavar="URL",
    help="RAM's endpoint (default https://ram.aliyuncs.com; http only to a loopback host).",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="Seconds per request.")
def disable(
    key_id: str | None,
    user: str | None,
    from_report: str | None,
    yes: bool,
    record: str | None,
    profile: str | None,
    endpoint: str | None,
    timeout: float,
) -> int:
    """Disable leaked Alibaba keys with YOUR credentials, never the leaked ones: RAM UpdateAccessKey with
    Status=Inactive (a disabled key can be enabled again; nothing is deleted).

    The operator's key comes from ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET or the aliyun CLI's profile. A dry run
    unless --yes. The account's own key and STS keys are refused with what to do instead. Exit 0: every key
    disabled (or, in a dry run, would be); 1: some were refused; 2: some failed.
    """
    import datetime as dt

    from akscan.report import safe
    from akscan.respond.disable import (
        RAM_ENDPOINT,
        Target,
        describe,
        operator_credential,
        plan,
        targets_from_report,
        write_record,
    )
    from akscan.respond.disable import disable as send
    from akscan.verify import check_endpoint
    from akscan.verify.reading import provider_of
    from akscan.verify.transport import UrllibTransport

    if bool(key_id) == bool(from_report):
        raise UsageError("name one key (KEY_ID --user NAME) or a report (--from REPORT.json)")
    if key_id:
        if provider_of(key_id) != "alibaba":
            raise UsageError(f"{key_id[:8]}…: akscan disable knows Alibaba keys only")
        if not user:
            raise UsageError("KEY_ID needs --user NAME (the RAM user it belongs to; `akscan map` says it)")
        targets = [Target("alibaba", key_id, user, "user")]
    else:
        assert from_report is not None
        targets = targets_from_report(from_report)
    operator = operator_credential(profile)
    url = check_endpoint(endpoint) if endpoint else RAM_ENDPOINT
    to_disable, refused = plan(targets, operator)
    out = sys.stdout
    if not targets:
        out.write("akscan: no live Alibaba key to disable (the report needs --verify)\n")
    if yes and to_disable and sys.stdin.isatty():
        click.confirm(f"Disable {len(to_disable)} key(s) with the operator's key {operator.key_id[:8]}…?", abort=True)
    results = list(refused)
    transport = UrllibTransport()
    for target in to_disable:
        if not yes:
            out.write(f"would send: {safe(describe(target, operator, url))}\n")
            from akscan.respond.disable import Result

            results.append(Result(target.key_id, target.user, "would-disable"))
            continue
        result = send(target, operator, url, transport, timeout)
        results.append(result)
    for result in results:
        if result.status != "would-disable":
            line = f"{safe(result.key_id)}"
            line += f" (user {safe(result.user)})" if result.user else ""
            line += f": {result.status}" + (f" — {safe(result.reason)}" if result.reason else "")
            out.write(line + "\n")
    if not yes and to_disable:
        out.write(f"dry run: nothing was sent; add --yes to disable {len(to_disable)} key(s)\n")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target_path = record or f"akscan-disable-{stamp}.json"
    write_record(target_path, results, sent=yes)
    click.echo(f"akscan: record written to {target_path}", err=True)
    if any(r.status == "failed" for r in results):
        return ExitCode.ERROR
    if any(r.status == "refused" for r in results):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


command = disable
