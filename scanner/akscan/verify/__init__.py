"""Live verification: ask each provider's STS ``GetCallerIdentity`` whether a found pair works.

Each unique credential is checked once per run, with bounded concurrency, a global rate limit, a
per-request timeout, and retries with backoff for throttling, 5xx and network errors only. A pair is
never reported dead because the network failed: that is ``unknown``, with the reason. Only the key ID,
the signature and (for STS) the token go on the wire; the secret never leaves the process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import ipaddress
import re
import sys
import threading
import types
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from akscan.errors import UsageError
from akscan.model import Finding, Kind, Severity, Verification
from akscan.verify.cache import ResultCache
from akscan.verify.clock import Clock, SystemClock
from akscan.verify.outcome import Credential, Outcome
from akscan.verify.ratelimit import RateLimiter
from akscan.verify.transport import Transport, UrllibTransport

# Provider name -> "module:function" of its access map (read-only questions a live key answers).
MAPPERS = {"alibaba": "akscan.respond.alibaba", "aws": "akscan.respond.aws"}
# Provider name -> "module:function". Resolved lazily; a test checks every entry resolves.
VERIFIERS = {
    "alibaba": "akscan.verify.alibaba:check",
    "aws": "akscan.verify.aws:check",
    "tencent": "akscan.verify.tencent:check",
    "volcengine": "akscan.verify.volcengine:check",
}
DEFAULT_ENDPOINTS = {
    "alibaba": "https://sts.aliyuncs.com",
    "aws": "https://sts.amazonaws.com",
    "tencent": "https://sts.tencentcloudapi.com",
    "volcengine": "https://sts.volcengineapi.com",
}
VERIFIABLE_KINDS = (Kind.PAIR, Kind.STS)
# --endpoint names: each verifier's STS, and the products the access map asks (akscan.respond.alibaba).
ENDPOINT_NAMES = (*VERIFIERS, "alibaba-ram", "alibaba-ecs", "alibaba-amqp", "alibaba-oss", "aws-iam", "aws-s3")
REGION = re.compile(r"[a-z]{2,4}(?:-[a-z0-9]{1,20}){1,4}")


@dataclass(frozen=True)
class VerifyOptions:
    endpoints: dict[str, str] = field(default_factory=dict)  # provider -> base URL given by the user
    region: str | None = None  # Alibaba regional endpoint sts.<region>.aliyuncs.com
    vpc: bool = False  # Alibaba VPC endpoint sts-vpc.<region>.aliyuncs.com
    workers: int = 8
    rps: float = 10.0
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5
    cache_path: str | None = None
    ttl: float = 3600.0
    access_map: bool = False  # map what each live key reaches (akscan.respond)


def resolve(provider: str) -> Callable[[Credential, str, Transport, float], Outcome]:
    module, _, name = VERIFIERS[provider].partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def check_endpoint(url: str) -> str:
    """HTTPS only; plain HTTP only to a loopback host (that is how the tests run)."""
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    if parsed.scheme == "https" and host:
        return url
    if parsed.scheme == "http" and host:
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return url
        raise UsageError(f"endpoint {url}: plain http is allowed only to a loopback host; use https")
    raise UsageError(f"endpoint {url}: expected an https:// URL")


def endpoint_for(provider: str, options: VerifyOptions) -> str:
    if provider in options.endpoints:
        return check_endpoint(options.endpoints[provider])
    if provider == "alibaba" and options.region:
        if not REGION.fullmatch(options.region):
            raise UsageError(f"--verify-region {options.region[:40]!r}: expected a region id such as cn-hangzhou")
        prefix = "sts-vpc" if options.vpc else "sts"
        return f"https://{prefix}.{options.region}.aliyuncs.com"
    return DEFAULT_ENDPOINTS[provider]


def parse_endpoints(values: tuple[str, ...]) -> dict[str, str]:
    endpoints = {}
    for value in values:
        provider, sep, url = value.partition("=")
        if not sep or provider not in ENDPOINT_NAMES:
            raise UsageError(f"--endpoint {value!r}: use PROVIDER=URL with PROVIDER one of {', '.join(ENDPOINT_NAMES)}")
        endpoints[provider] = check_endpoint(url)
    return endpoints


def expired(finding: Finding) -> Verification | None:
    """The verdict on temporary credentials whose Expiration has passed: nothing to ask, nothing sent."""
    if finding.expires_in is None or finding.expires_in > 0:
        return None
    return Verification("expired", _now(), f"its Expiration {finding.expires_at} has passed; no request sent")


def unasked(finding: Finding) -> Verification | None:
    """The verdict on a finding that needs no request (every command that verifies asks this first):
    temporary credentials past their Expiration, or a pair of a provider with no identity API."""
    lapsed = expired(finding)
    if lapsed is not None:
        return lapsed
    if unverifiable(finding):
        why = _rule_says_unverifiable(finding) or f"{finding.provider} has no identity API akscan can ask"
        return Verification("unverifiable", _now(), f"{why}; nothing was sent: treat it as live")
    return None


def unverifiable(finding: Finding) -> bool:
    """A whole pair of a provider without an identity API (Baidu, JD Cloud, Qiniu, UCloud, …), or a key
    pair its provider's identity API does not know (its rule says so: a Tencent API gateway's)."""
    return (
        finding.kind in VERIFIABLE_KINDS
        and bool(finding.key_id and finding.secret)
        and (finding.provider not in VERIFIERS or bool(_rule_says_unverifiable(finding)))
    )


def _rule_says_unverifiable(finding: Finding) -> str:
    """The reason the finding's rule gives for never sending its pairs (Tencent's API gateway keys: asked,
    STS would answer "no such SecretId" for a key that may well be live), or "". The finding carries its
    rule's word; a finding read from an older report has only its rule id, looked up among the bundled
    rules (a user's rule of that id is not known here)."""
    if finding.unverifiable:
        return finding.unverifiable
    from akscan.engine.rules import bundled_unverifiable

    return bundled_unverifiable().get(finding.rule_id, "")


def never_sent(provider: str, key_id: str, secret: str, rule_dirs: tuple[Path, ...] = ()) -> Verification | None:
    """`akscan verify`'s verdict on a pair a rule says is never sent (Tencent's API gateway keys, AKID + 36
    with a secret of 39-40: STS knows CAM keys only and would call a live one "not found"; or a rule in
    ``rule_dirs``, the user's `--rules`), read by the rule's own patterns over the whole values; None for
    any other pair."""
    from akscan.engine.rules import Rule, load_ruleset

    def whole(rule: Rule, value: str) -> bool:
        data = value.encode()
        return any(m.group(1 if m.re.groups else 0) == data for m in rule.pattern.finditer(data, 0, len(data)))

    ruleset = load_ruleset(rule_dirs)
    for rule in ruleset.rules:
        if not rule.unverifiable or rule.provider != provider or rule.pair is None:
            continue
        if whole(rule, key_id) and whole(ruleset.rule(rule.pair.secret), secret):
            return Verification("unverifiable", _now(), f"{rule.unverifiable}; nothing was sent")
    return None


def credential_of(finding: Finding) -> Credential | None:
    if finding.kind not in VERIFIABLE_KINDS or not finding.key_id or not finding.secret:
        return None
    if finding.provider not in VERIFIERS or _rule_says_unverifiable(finding):
        return None
    return Credential(finding.provider, finding.key_id, finding.secret, finding.security_token)


class Verifier:
    def __init__(self, options: VerifyOptions, transport: Transport | None = None, clock: Clock | None = None) -> None:
        self.options = options
        self.transport = transport or UrllibTransport()
        self.clock: Clock = clock or SystemClock()
        self.limiter = RateLimiter(options.rps, self.clock)
        self.cache = ResultCache(options.cache_path, options.ttl, self.clock)
        self.requests = 0
        self.from_cache = 0
        self._count = threading.Lock()

    def check(self, credential: Credential) -> Verification:
        # A cached verdict has no map: with --access-map the key is asked again.
        cached = None if self.options.access_map else self.cache.get(credential)
        if cached is not None:
            with self._count:
                self.from_cache += 1
            outcome, checked_at = cached
            return _verification(outcome, checked_at)
        try:
            endpoint = endpoint_for(credential.provider, self.options)
        except UsageError as error:
            return _verification(Outcome("unknown", reason=str(error)), _now())
        check = resolve(credential.provider)
        outcome = Outcome("unknown", reason="not attempted")
        attempts = 0
        for attempt in range(self.options.retries + 1):
            attempts += 1
            self.limiter.acquire()
            with self._count:
                self.requests += 1
            try:
                outcome = check(credential, endpoint, self.transport, self.options.timeout)
            except Exception as error:  # a verifier bug must cost one verdict, not the whole scan
                outcome = Outcome("unknown", reason=f"verifier error: {type(error).__name__}")
            if not outcome.retry or attempt == self.options.retries:
                break
            self.clock.sleep(self.options.backoff * (2**attempt))
        checked_at = _now()
        self.cache.put(credential, outcome, checked_at)
        access = None
        if self.options.access_map and outcome.status == "live" and credential.provider in MAPPERS:
            access = self._map(credential, outcome, attempts)
        return dataclasses.replace(_verification(outcome, checked_at), access=access)

    def _map(self, credential: Credential, identity: Outcome, asked: int) -> Any:
        """What a live key reaches (``akscan.respond``); a mapper's bug costs the map, never the scan."""
        mapper = importlib.import_module(MAPPERS[credential.provider])

        def acquire() -> None:
            self.limiter.acquire()
            with self._count:
                self.requests += 1

        asker = mapper.make_asker(
            credential,
            self.options.endpoints,
            transport=self.transport,
            timeout=self.options.timeout,
            acquire=acquire,
            sleep=self.clock.sleep,
            retries=self.options.retries,
            backoff=self.options.backoff,
            requests=asked,  # the identity check's tries count against the key's budget
        )
        try:
            return mapper.map_access(identity, asker)
        except Exception as error:
            from akscan.model import AccessMap

            return AccessMap(identity="unknown", unknown=(f"map: mapper error {type(error).__name__}",))

    def verify(self, findings: list[Finding]) -> list[Finding]:
        """Check each unique credential once and attach the result to every finding that holds it."""
        unique: dict[Credential, list[int]] = {}
        verified = list(findings)
        for index, finding in enumerate(findings):
            verdict = unasked(finding)
            if verdict is not None:
                verified[index] = dataclasses.replace(finding, verification=verdict)
                continue
            credential = credential_of(finding)
            if credential is not None:
                unique.setdefault(credential, []).append(index)
        results: dict[Credential, Verification] = {}
        if unique:
            with ThreadPoolExecutor(max_workers=max(1, self.options.workers)) as pool:
                for credential, verification in zip(unique, pool.map(self.check, unique), strict=True):
                    results[credential] = verification
            self.cache.save()
        for credential, indexes in unique.items():
            for index in indexes:
                verified[index] = apply(verified[index], results[credential])
        return verified

    def summary(self, findings: list[Finding]) -> dict[str, Any]:
        statuses: dict[str, int] = {}
        for finding in findings:
            status = finding.verification.status if finding.verification else "not-verifiable"
            statuses[status] = statuses.get(status, 0) + 1
        return {"requests": self.requests, "from_cache": self.from_cache, "statuses": statuses}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _verification(outcome: Outcome, checked_at: str) -> Verification:
    return Verification(
        status=outcome.status,
        checked_at=checked_at,
        reason=outcome.reason,
        account_id=outcome.account_id,
        arn=outcome.arn,
        identity_type=outcome.identity_type,
        user_id=outcome.user_id,
    )


def apply(finding: Finding, verification: Verification) -> Finding:
    """Severity follows what the cloud said: the account's own live key is critical (exactly what RAM
    guidance forbids), any other live key at least high; a key that no longer exists drops one step;
    anything inconclusive keeps its detection severity."""
    severity = finding.severity
    if verification.status == "live":
        root = verification.identity_type == "Account" or (verification.arn or "").endswith(":root")
        severity = Severity.CRITICAL if root else max(Severity.HIGH, severity)
        if verification.access is not None:  # an administrator, or a key that can make itself one
            from akscan.respond.access import severity as mapped

            severity = max(severity, mapped(verification.access, severity))
    elif verification.status in ("not-found", "expired"):
        severity = Severity(max(Severity.INFO, severity - 1))
    return dataclasses.replace(finding, verification=verification, severity=severity)


class _CallableModule(types.ModuleType):
    """``akscan.verify`` is this package and, for library users, the API's ``verify(findings)`` too: a
    package attribute of the same name would otherwise hide the function once the package is imported."""

    def __call__(self, findings: Any, **options: Any) -> Any:
        from akscan.api import verify

        return verify(findings, **options)


sys.modules[__name__].__class__ = _CallableModule
