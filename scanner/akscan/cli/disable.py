"""`akscan disable`: switch leaked keys off (never delete them) with the operator's credentials."""

from __future__ import annotations

import sys

import click

from akscan.errors import ExitCode, UsageError


@click.command()
@click.argument("key_id", required=False, metavar="[KEY_ID]")
@click.option("--user", default=None, metavar="NAME", help="With KEY_ID: the RAM or IAM user it belongs to.")
@click.option(
    "--from",
    "from_report",
    default=None,
    metavar="REPORT",
    help="Every live Alibaba and AWS key of an akscan JSON report made with --verify (scan, git, hook, fleet).",
)
@click.option("--yes", is_flag=True, help="Send the requests (by default a dry run prints them and sends nothing).")
@click.option(
    "--record",
    default=None,
    metavar="FILE",
    help="Where the JSON record of each key's outcome goes (default: akscan-disable-<time>.json in akscan's "
    "cache folder, never the current folder, which may be a repository).",
)
@click.option(
    "--profile", default=None, metavar="NAME", help="The aliyun CLI or AWS credentials profile of the operator's key."
)
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="[PROVIDER=]URL",
    help="RAM's or IAM's endpoint (default the official HTTPS one; http only to a loopback host).",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="Seconds per request.")
def disable(
    key_id: str | None,
    user: str | None,
    from_report: str | None,
    yes: bool,
    record: str | None,
    profile: str | None,
    endpoints: tuple[str, ...],
    timeout: float,
) -> int:
    """Disable leaked Alibaba and AWS keys with YOUR credentials, never the leaked ones: UpdateAccessKey with
    Status=Inactive (a disabled key can be enabled again; nothing is deleted).

    The operator's key comes from ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET or the aliyun CLI's profile, and for
    AWS from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the shared credentials file. A dry run unless --yes.
    The account's own key and temporary keys are refused with what to do instead. Exit 0: every key disabled
    (or, in a dry run, would be); 1: some were refused; 2: some failed.
    """
    import datetime as dt

    from akscan.report import safe
    from akscan.respond.disable import (
        ENDPOINTS,
        PROVIDERS,
        Result,
        Target,
        describe,
        needs_operator,
        operator_credential,
        plan,
        targets_from_report,
        write_record,
    )
    from akscan.respond.disable import disable as send
    from akscan.verify.reading import provider_of
    from akscan.verify.transport import UrllibTransport

    if bool(key_id) == bool(from_report):
        raise UsageError("name one key (KEY_ID --user NAME) or a report (--from REPORT.json)")
    if key_id:
        provider = provider_of(key_id)
        if provider not in PROVIDERS:
            raise UsageError(f"{key_id[:8]}…: akscan disable knows Alibaba and AWS keys only")
        if not user:
            raise UsageError("KEY_ID needs --user NAME (the user it belongs to; `akscan map` says it)")
        targets = [Target(provider, key_id, user, "user")]
    else:
        assert from_report is not None
        targets = targets_from_report(from_report)
    urls = _endpoints(endpoints, ENDPOINTS)
    wanted = sorted({t.provider for t in targets if needs_operator(t)})
    operators = {provider: operator_credential(provider, profile) for provider in wanted}
    to_disable, refused = plan(targets, operators)
    out = sys.stdout
    if not targets:
        out.write("akscan: no live Alibaba or AWS key to disable (the report needs --verify)\n")
    if yes and to_disable and sys.stdin.isatty():
        click.confirm(f"Disable {len(to_disable)} key(s) with your own keys?", abort=True)
    results = list(refused)
    transport = UrllibTransport()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if record is None:
        from akscan.storage import user_cache_dir

        record = str(user_cache_dir() / "disable" / f"akscan-disable-{stamp}.json")
    target_path = record
    try:
        for target in to_disable:
            operator, url = operators[target.provider], urls[target.provider]
            if not yes:
                out.write(f"would send: {safe(describe(target, operator, url))}\n")
                results.append(Result(target.provider, target.key_id, target.user, "would-disable"))
                continue
            try:
                results.append(send(target, operator, url, transport, timeout))
            except Exception as error:  # one key's odd answer must not cost the others, or the record
                reason = f"error {type(error).__name__}"
                results.append(Result(target.provider, target.key_id, target.user, "failed", reason))
    finally:
        # written whatever happens (an interrupt too): which keys are already off must not be lost
        write_record(target_path, results, sent=yes)
        click.echo(f"akscan: record written to {target_path}", err=True)
    for result in results:
        if result.status != "would-disable":
            line = f"{safe(result.key_id)}"
            line += f" (user {safe(result.user)})" if result.user else ""
            line += f": {result.status}" + (f" — {safe(result.reason)}" if result.reason else "")
            out.write(line + "\n")
    if not yes and to_disable:
        out.write(f"dry run: nothing was sent; add --yes to disable {len(to_disable)} key(s)\n")
    if any(r.status == "failed" for r in results):
        return ExitCode.ERROR
    if any(r.status == "refused" for r in results):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN


def _endpoints(given: tuple[str, ...], defaults: dict[str, str]) -> dict[str, str]:
    """Each provider's endpoint: ``PROVIDER=URL`` for one, a bare URL for every provider."""
    from akscan.verify import check_endpoint

    urls = dict(defaults)
    for value in given:
        provider, sep, url = value.partition("=")
        if sep and provider in defaults:
            urls[provider] = check_endpoint(url)
        elif sep and not value.startswith(("http://", "https://")):
            raise UsageError(
                f"--endpoint {value!r}: use URL or PROVIDER=URL with PROVIDER one of {', '.join(defaults)}"
            )
        else:
            url = check_endpoint(value)
            urls = {provider: url for provider in defaults}
    return urls


command = disable
