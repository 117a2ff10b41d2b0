"""What a provider's check says about one credential."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credential:
    provider: str
    key_id: str
    secret: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Outcome:
    status: str  # live | inactive | not-found | wrong-secret | expired | unknown
    reason: str = ""
    account_id: str | None = None
    arn: str | None = None
    identity_type: str | None = None
    user_id: str | None = None
    retry: bool = False  # worth asking again (throttling, 5xx, network)
