"""Telling the owners (issue 26): one message per run listing the credentials that are new — not in the
baseline, not present before the range, for a fleet not in the previous run's results — to DingTalk,
Feishu/Lark, WeCom, Slack or any webhook. The webhook URL is a secret: it is never printed, logged or
reported (only the platform and the host are). A notification that fails never changes the exit code."""

from akscan.notify.send import Outcome, notify
from akscan.notify.targets import Target, parse_targets

__all__ = ["Outcome", "Target", "notify", "parse_targets"]
