"""Amazon SES SMTP credentials: an IAM access key ID as the SMTP user name beside the password derived from
its secret. Read by a `second_look` rule: only where the ID has no secret access key beside it, reported as
one finding, never sent to STS (the password is no secret access key)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from akscan.engine.rules import RuleError, load_ruleset
from akscan.model import Kind
from tests.conftest import run_akscan, scan_text
from tests.keys import FakeKeys
from tests.sts_emulator import Emulator

RULES = load_ruleset()


def smtp_password(version: int = 4) -> str:
    """What the SES console derives: a version byte (4 today, 2 before 2019), then 32 bytes of HMAC."""
    return base64.b64encode(bytes([version]) + secrets.token_bytes(32)).decode()


def test_the_user_name_and_password_are_one_finding(keys: FakeKeys) -> None:
    key_id, password = keys.aws_id(), smtp_password()
    text = (
        "MAIL_SERVER = 'email-smtp.eu-west-1.amazonaws.com'\n"
        f"MAIL_USERNAME = os.environ.get('MAIL_USERNAME') or '{key_id}'\n"
        f"MAIL_PASSWORD = os.environ.get('MAIL_PASSWORD') or '{password}'\n"
    )
    [finding] = scan_text(text, RULES)
    assert (finding.rule_id, finding.kind, finding.key_id, finding.secret) == (
        "aws-ses-smtp-credentials",
        Kind.PAIR,
        key_id,
        password,
    )
    assert finding.secret_location is not None and finding.secret_location.line == 3
    assert "SMTP password" in finding.unverifiable and not finding.temporary


@pytest.mark.parametrize("version", [2, 4])
def test_both_versions_of_the_password(keys: FakeKeys, version: int) -> None:
    key_id, password = keys.aws_id(), smtp_password(version)
    found = scan_text(f"smtp_user = {key_id}\nsmtp_pass = {password}\n", RULES)
    assert [(f.rule_id, f.secret) for f in found] == [("aws-ses-smtp-credentials", password)]


@pytest.mark.parametrize("head", ["BQ", "Bq", "Af", "AA", "CA", "bA"])
def test_a_value_without_the_version_bytes_head_is_no_password(keys: FakeKeys, head: str) -> None:
    """44 base64 characters are an SMTP password only with the version byte's head: B then A-P (4), or A
    then g-v (2). Any other (33 random bytes, a SHA-256 of 32 with its pad cut) leaves the ID alone."""
    key_id = keys.aws_id()
    value = head + smtp_password()[2:]
    found = scan_text(f"smtp_user = {key_id}\nsmtp_pass = {value}\n", RULES)
    assert [(f.rule_id, f.kind) for f in found] == [("aws-access-key", Kind.KEY_ID)]


def test_a_padded_or_longer_value_is_no_password(keys: FakeKeys) -> None:
    key_id, password = keys.aws_id(), smtp_password()
    for value in (password[:-1] + "=", password + "A", password[:-1]):
        found = scan_text(f"smtp_user = {key_id}\nsmtp_pass = {value}\n", RULES)
        assert [f.rule_id for f in found] == ["aws-access-key"], value


def test_a_secret_access_key_beside_the_id_keeps_it(keys: FakeKeys) -> None:
    """A Terraform state's aws_iam_access_key holds the ID, its secret and the SMTP password derived from
    it: the ID's pair is the secret access key, and the password is not reported apart."""
    key_id, secret, password = keys.aws_id(), keys.aws_secret(), smtp_password()
    text = f'"id": "{key_id}",\n"secret": "{secret}",\n"ses_smtp_password_v4": "{password}",\n'
    [finding] = scan_text(text, RULES)
    assert (finding.rule_id, finding.key_id, finding.secret) == ("aws-access-key", key_id, secret)
    before = f'"ses_smtp_password_v4": "{password}",\n"id": "{key_id}",\n"secret": "{secret}",\n'
    assert [f.rule_id for f in scan_text(before, RULES)] == ["aws-access-key"]


def test_two_ids_each_with_its_own_partner(keys: FakeKeys) -> None:
    app_id, app_secret = keys.aws_id(), keys.aws_secret()
    mail_id, password = keys.aws_id(), smtp_password()
    text = (
        f"AWS_ACCESS_KEY_ID={app_id}\nAWS_SECRET_ACCESS_KEY={app_secret}\n"
        f"SMTP_USERNAME={mail_id}\nSMTP_PASSWORD={password}\n"
    )
    found = {(f.rule_id, f.key_id, f.secret) for f in scan_text(text, RULES)}
    assert found == {("aws-access-key", app_id, app_secret), ("aws-ses-smtp-credentials", mail_id, password)}


def test_an_asia_id_is_no_smtp_user(keys: FakeKeys) -> None:
    """SMTP credentials are a user's long-lived key: a temporary ID beside such a value is not one."""
    key_id = keys.aws_id("ASIA")
    found = scan_text(f"smtp_user = {key_id}\nsmtp_pass = {smtp_password()}\n", RULES)
    assert [f.rule_id for f in found] == ["aws-access-key"]


@pytest.mark.parametrize(("gap", "paired"), [(7, True), (8, True), (9, False)])
def test_the_pairing_window_at_its_edge(keys: FakeKeys, gap: int, paired: bool) -> None:
    """The access key's own window (``lines = 8``): up to eight lines between the ID and the password they
    pair; with nine the ID is reported alone."""
    key_id, password = keys.aws_id(), smtp_password()
    found = scan_text(f"smtp_user = {key_id}\n" + "\n" * gap + f"smtp_pass = {password}\n", RULES)
    expected = "aws-ses-smtp-credentials" if paired else "aws-access-key"
    assert [f.rule_id for f in found] == [expected]


def test_a_hostile_file_of_ids_and_passwords_stays_bounded(keys: FakeKeys) -> None:
    """Thousands of IDs and passwords: each ID weighs only its few nearest passwords (one assignment), so
    every line pairs with its neighbour and the file is read once."""
    rows = [(keys.aws_id(), smtp_password()) for _ in range(2000)]
    text = "".join(f"u={key_id} p={password}\n" for key_id, password in rows)
    found = scan_text(text, RULES)
    assert {(f.key_id, f.secret) for f in found} == set(rows)


@pytest.fixture(scope="module")
def sts() -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()


def test_verify_never_sends_an_smtp_password(tmp_path: Path, sts: Emulator, keys: FakeKeys) -> None:
    """`scan --verify` and `akscan verify` send nothing for SMTP credentials and say why; an access key
    with its secret access key, given the same endpoint, is asked (control)."""
    key_id, password = keys.aws_id(), smtp_password()
    (tmp_path / "mail.env").write_text(f"SMTP_USERNAME={key_id}\nSMTP_PASSWORD={password}\n")
    scanned = run_akscan("scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", f"aws={sts.url}")
    [finding] = json.loads(scanned.out)["findings"]
    assert (finding["rule_id"], finding["verification"]["status"]) == ("aws-ses-smtp-credentials", "unverifiable")
    assert "SMTP" in finding["verification"]["reason"] and password not in scanned.out
    env = {"AKSCAN_ACCESS_KEY_ID": key_id, "AKSCAN_ACCESS_KEY_SECRET": password}
    asked = run_akscan("verify", "--endpoint", f"aws={sts.url}", env=env)
    assert asked.code == 2 and "unverifiable" in asked.out and password not in asked.out + asked.err
    assert sts.log == []
    (tmp_path / "mail.env").write_text(f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={keys.aws_secret()}\n")
    run_akscan("scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", f"aws={sts.url}")
    assert len(sts.log) >= 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('kind = "secret"', "second_look is for key-ID rules"),
        ('pair = { secret = "acme-secret" }\nlone_severity = "low"', "no lone_severity"),
        ("", "with a pair"),
        ('second_look = "yes"', "second_look must be true or false"),
    ],
)
def test_a_second_look_rule_is_checked(tmp_path: Path, change: str, message: str) -> None:
    rule = (
        '[[rules]]\nid = "acme-key"\nprovider = "acme"\nkind = "key-id"\nanchors = ["ACME"]\n'
        'pattern = \'(ACME[0-9]{8})\'\ndescription = "d"\nremediation = "r"\nsecond_look = true\n'
    )
    if change.startswith("kind"):
        rule = rule.replace('kind = "key-id"', change) + 'pair = { secret = "acme-secret" }\n'
    elif change.startswith("second_look"):
        rule = rule.replace("second_look = true", change) + 'pair = { secret = "acme-secret" }\n'
    else:
        rule += change + "\n"
    rule += '\n[[rules]]\nid = "acme-secret"\nprovider = "acme"\nkind = "secret"\npattern = \'([a-z]{20})\'\n'
    rule += 'description = "d"\nremediation = "r"\n'
    (tmp_path / "acme.toml").write_text(rule)
    with pytest.raises(RuleError, match=message):
        load_ruleset([tmp_path])
    result = run_akscan("scan", str(tmp_path), "--rules", str(tmp_path))
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1
