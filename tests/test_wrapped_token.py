"""A session token a renderer hard-wrapped inside its quotes is read whole and reported joined; an
indented line after a token that is not its continuation (the next key of a YAML or INI block) is not."""

from __future__ import annotations

import base64
import random

import pytest

from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys


def _token(seed: int) -> str:
    rng = random.Random(seed)
    return base64.b64encode(b"!\n\torigin_ec" + bytes(rng.getrandbits(8) for _ in range(300))).decode()


def _wrapped(token: str, width: int, indent: str = "        ") -> str:
    return ("\n" + indent).join(token[i : i + width] for i in range(0, len(token), width))


@pytest.mark.parametrize(("width", "joined"), [(60, True), (76, True), (120, True), (121, True), (208, True)])
def test_a_hard_wrapped_token_is_joined(ruleset: Ruleset, keys: FakeKeys, width: int, joined: bool) -> None:
    """Renderers wrap at 60-100 characters, a terminal at its width (208 in a real write-up): every width is
    joined, inside the token's quotes up to the closing one."""
    key_id, secret, token = keys.aws_id("ASIA"), keys.aws_secret(), _token(width)
    text = (
        '{\n    "Credentials": {\n'
        f'        "AccessKeyId": "{key_id}",\n        "SecretAccessKey": "{secret}",\n'
        f'        "SessionToken": "{_wrapped(token, width)}",\n'
        '        "Expiration": "2024-05-08T07:55:55+00:00"\n    }\n}\n'
    )
    (finding,) = scan_text(text, ruleset)
    assert finding.kind == Kind.STS and (finding.security_token == token) is joined


@pytest.mark.parametrize(
    "after",
    [
        "    region = us-east-1\n",  # an INI profile's next key
        "    output: json\n",  # a YAML block's next key
        "    - name: deploy\n",  # a YAML list
        "    localhost\n",  # 9 letters alone on a line: a continuation as far as the shape goes, but unquoted
    ],
)
def test_an_unquoted_token_takes_no_next_line(ruleset: Ruleset, keys: FakeKeys, after: str) -> None:
    key_id, secret, token = keys.aws_id("ASIA"), keys.aws_secret(), _token(7)
    text = (
        f"[profile x]\n    aws_access_key_id = {key_id}\n    aws_secret_access_key = {secret}\n"
        f"    aws_session_token = {token}\n{after}"
    )
    (finding,) = scan_text(text, ruleset)
    assert finding.security_token == token


@pytest.mark.parametrize(("indent", "joined"), [(15, True), (16, True), (17, False)])
def test_a_wraps_indentation_at_its_edge(ruleset: Ruleset, keys: FakeKeys, indent: int, joined: bool) -> None:
    """Up to WRAP_INDENT (16) blanks before each wrapped line: a renderer's; more is no continuation."""
    key_id, secret, token = keys.aws_id("ASIA"), keys.aws_secret(), _token(indent)
    text = (
        f'"AccessKeyId": "{key_id}",\n"SecretAccessKey": "{secret}",\n'
        f'"SessionToken": "{_wrapped(token, 70, " " * indent)}",\n'
    )
    (finding,) = scan_text(text, ruleset)
    assert (finding.security_token == token) is joined


def test_a_name_on_the_next_line_is_no_wrap(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A token whose quote was left open, then the next setting (``AWS_SECRET_ACCESS_KEY="…"``): the name
    and its value are not the token's; it keeps its first line."""
    key_id, secret, token = keys.aws_id("ASIA"), keys.aws_secret(), _token(3)
    for following in (f'AWS_SECRET_ACCESS_KEY="{secret}"', f'aws_secret_access_key={secret}"'):
        text = f'AWS_ACCESS_KEY_ID="{key_id}"\nAWS_SESSION_TOKEN="{token}\n{following}\n'
        found = [f.security_token for f in scan_text(text, ruleset) if f.security_token]
        assert found == [token], following


def test_padding_then_the_quote_on_a_line_of_its_own(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A wrap that leaves the padding, or the closing quote, alone on the last line is still the token's."""
    key_id, secret = keys.aws_id("ASIA"), keys.aws_secret()
    token = base64.b64encode(b"!\n\torigin_ec" + random.Random(5).randbytes(301)).decode()
    body, padding = token.rstrip("="), token[len(token.rstrip("=")) :]
    assert padding == "=="
    for last in (f'\n    {padding}",', f'{padding}\n    ",'):
        text = (
            f'"AccessKeyId": "{key_id}",\n"SecretAccessKey": "{secret}",\n'
            f'"SessionToken": "{_wrapped(body, 70, "    ")}{last}\n'
        )
        (finding,) = scan_text(text, ruleset)
        assert finding.security_token == token, last
