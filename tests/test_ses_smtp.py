"""Amazon SES SMTP credentials: an IAM access key ID as the SMTP user name beside the password derived from
its secret. Read by a `second_look` rule: only where the ID has no secret access key beside it, reported as
one finding, never sent to STS (the password is no secret access key)."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from akscan.engine.rules import RuleError, load_ruleset
from akscan.model import Kind
from tests.conftest import run_akscan, scan_text
from tests.keys import FakeKeys
from tests.sts_emulator import Emulator

RULES = load_ruleset()


_DRAWS = random.Random(16)  # seeded: a run draws the same values every time


def smtp_password(version: int = 4) -> str:
    """What the SES console derives: a version byte (4 today, 2 before 2019), then 32 bytes of HMAC."""
    return base64.b64encode(bytes([version]) + _DRAWS.randbytes(32)).decode()


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
    pair; with nine the ID is reported alone. Lines with text: blank ones are not counted
    (tests/test_blank_lines.py)."""
    key_id, password = keys.aws_id(), smtp_password()
    filler = "".join(f"# setting {n}\n" for n in range(gap))
    found = scan_text(f"smtp_user = {key_id}\n" + filler + f"smtp_pass = {password}\n", RULES)
    expected = "aws-ses-smtp-credentials" if paired else "aws-access-key"
    assert [f.rule_id for f in found] == [expected]


def test_a_hostile_file_of_ids_and_passwords_stays_bounded(keys: FakeKeys) -> None:
    """Thousands of IDs and passwords: each ID weighs only its few nearest passwords (one assignment), so
    every line pairs with its neighbour and the file is read once."""
    from akscan.engine.candidates import valid_value

    rng = random.Random(2000)
    made = [(keys.aws_id(), base64.b64encode(bytes([4]) + rng.randbytes(32)).decode()) for _ in range(2000)]
    # The password's floor turns away about one random value in 10,000 (benchmarks/README.md).
    rows = [row for row in made if valid_value(RULES.rule("aws-ses-smtp-password"), row[1])]
    assert len(rows) >= 1990
    text = "".join(f"smtp_u={key_id} p={password}\n" for key_id, password in rows)
    found = scan_text(text, RULES)
    assert {(f.key_id, f.secret) for f in found} == set(rows)


def test_no_mail_word_near_no_smtp_credentials(keys: FakeKeys) -> None:
    """A compressed EC public key (0x02 then 32 bytes: always A[g-v]…) beside an access key ID in a JSON
    document that says nothing of mail is no SMTP password: the ID is reported alone."""
    key_id, value = keys.aws_id(), smtp_password(2)
    found = scan_text(f'{{"key": "{value}",\n"access_key_id": "{key_id}"}}\n', RULES)
    assert [(f.rule_id, f.kind) for f in found] == [("aws-access-key", Kind.KEY_ID)]


@pytest.mark.parametrize(("extra", "paired"), [(-1, True), (0, True), (1, False)])
def test_the_mail_word_at_the_edge_of_its_reach(keys: FakeKeys, extra: int, paired: bool) -> None:
    """``needs_near_bytes`` (1500) from the ID's start back to the word's start: within, the pair is SMTP
    credentials; a byte farther, the ID is the access key's alone."""
    key_id, password = keys.aws_id(), smtp_password()
    head = "# smtp\n"
    # The word starts at 2, the ID at len(head) + pad + len("user = "): 1500 + extra bytes apart.
    pad = 1500 + extra + 2 - len(head) - len("user = ")
    text = head + "#" * (pad - 1) + "\n" + f"user = {key_id}\npass = {password}\n"
    found = [f.rule_id for f in scan_text(text, RULES)]
    assert found == (["aws-ses-smtp-credentials"] if paired else ["aws-access-key"]), found


def test_a_decoded_secret_access_key_keeps_the_id_from_the_smtp_password(keys: FakeKeys) -> None:
    """A Terraform state written as JSON escapes its secret's slash (``\\/``): the raw text cannot read the
    secret, its decoded layer can. The ID is the access key's pair, once: not also SMTP credentials with the
    password the raw text showed beside it."""
    key_id, password = keys.aws_id(), smtp_password()
    secret = keys.aws_secret()[:20] + "/" + keys.aws_secret()[:19]
    escaped = secret.replace("/", "\\/")
    text = f'{{"id": "{key_id}", "secret": "{escaped}", "ses_smtp_password_v4": "{password}"}}\n'
    found = [(f.rule_id, f.key_id, f.secret) for f in scan_text(text, RULES)]
    assert found == [("aws-access-key", key_id, secret)], found


def test_a_password_beside_another_keys_pair_stays_with_it(keys: FakeKeys) -> None:
    """One line, two keys: the first with its secret and SMTP password (a compact Terraform state), the
    second without a secret. The password is nearer the first key: the second stays alone."""
    first, secret, password, second = keys.aws_id(), keys.aws_secret(), smtp_password(), keys.aws_id()
    text = f'smtp_creds = [("{first}", "{secret}", "{password}"), ("{second}",)]\n'
    found = {(f.rule_id, f.key_id, f.secret) for f in scan_text(text, RULES)}
    assert found == {("aws-access-key", first, secret), ("aws-access-key", second, None)}


def test_interleaved_smtp_credentials_pair_by_their_names(keys: FakeKeys) -> None:
    """``SMTP_USER_EU``, ``SMTP_USER_US``, ``SMTP_PASS_EU``, ``SMTP_PASS_US``: smtp is shared, eu and us
    tell them apart (the nearest password of each user is the other region's)."""
    eu, us = (keys.aws_id(), smtp_password()), (keys.aws_id(), smtp_password())
    text = f"SMTP_USER_EU={eu[0]}\nSMTP_USER_US={us[0]}\nSMTP_PASS_EU={eu[1]}\nSMTP_PASS_US={us[1]}\n"
    assert {(f.key_id, f.secret) for f in scan_text(text, RULES)} == {eu, us}


def test_an_id_with_two_passwords_as_good_is_said_to_be_a_guess(keys: FakeKeys) -> None:
    key_id = keys.aws_id()
    [finding] = scan_text(f'Mailer("{key_id}", "{smtp_password()}", "{smtp_password()}")  # smtp\n', RULES)
    assert (finding.rule_id, finding.confidence) == ("aws-ses-smtp-credentials", "low")


@pytest.mark.parametrize(
    "setting",
    [
        'disable_rules = ["aws-ses-smtp-credentials"]',
        'disable_rules = ["aws-ses-smtp-password"]',
        'enable_rules = ["aws-access-key", "aws-secret-access-key", "aws-session-token"]',
    ],
)
def test_turned_off_the_smtp_rule_leaves_the_id_to_the_access_key(tmp_path: Path, keys: FakeKeys, setting: str) -> None:
    """A configuration that turns the SMTP rules off (or lists the rules it wants, written before they
    existed) still reports the ID: as the access key alone, as before, not dropped with the SMTP pair."""
    key_id = keys.aws_id()
    (tmp_path / "mail.env").write_text(f"SMTP_USERNAME={key_id}\nSMTP_PASSWORD={smtp_password()}\n")
    (tmp_path / ".akscan.toml").write_text(setting + "\n")
    result = run_akscan("scan", ".", "--format", "json", cwd=tmp_path)
    found = [(f["rule_id"], f["kind"], f["key_id"]) for f in json.loads(result.out)["findings"]]
    assert found == [("aws-access-key", "key-id", key_id)], result.err
    (tmp_path / ".akscan.toml").write_text("")
    again = run_akscan("scan", ".", "--format", "json", cwd=tmp_path)
    assert [f["rule_id"] for f in json.loads(again.out)["findings"]] == ["aws-ses-smtp-credentials"]


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


_ACME_KEY = (
    '[[rules]]\nid = "acme-key"\nprovider = "acme"\nkind = "key-id"\nanchors = ["ACME"]\n'
    'pattern = \'(ACME[0-9]{8})\'\ndescription = "d"\nremediation = "r"\n'
)
_ACME_SECRET = (
    '\n[[rules]]\nid = "acme-secret"\nprovider = "acme"\nkind = "secret"\npattern = \'([a-z]{20})\'\n'
    'description = "d"\nremediation = "r"\n'
)


def _refused(folder: Path, rules: str, message: str) -> None:
    """The rule file is refused as the library loads it and as the command line does: one line, exit 2."""
    (folder / "acme.toml").write_text(rules)
    with pytest.raises(RuleError, match=message):
        load_ruleset((folder,))
    result = run_akscan("scan", str(folder), "--rules", str(folder))
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('kind = "secret"\npair = { secret = "acme-secret" }', "second_look is for key-ID rules"),
        ('pair = { secret = "acme-secret" }\nlone_severity = "low"', "no lone_severity"),
        ("", "with a pair"),
        ('second_look = "yes"\npair = { secret = "acme-secret" }', "second_look must be true or false"),
    ],
)
def test_a_second_look_rule_is_checked(tmp_path: Path, lines: str, message: str) -> None:
    rule = _ACME_KEY.replace('kind = "key-id"\n', "") if lines.startswith("kind") else _ACME_KEY
    look = "" if lines.startswith("second_look") else "second_look = true\n"
    _refused(tmp_path, rule + look + lines + "\n" + _ACME_SECRET, message)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('needs_near = ["ab"]', "a needs_near word must have at least 3 characters"),
        ('needs_near = ["mail"]\nneeds_near_bytes = 0', "needs_near_bytes must be a whole number"),
        ('needs_near = ["mail"]\nneeds_near_bytes = 10001', "needs_near_bytes must be a whole number"),
        ('needs_near = ["mail"]\nneeds_near_bytes = true', "needs_near_bytes must be a whole number"),
    ],
)
def test_needs_near_is_checked(tmp_path: Path, lines: str, message: str) -> None:
    rule = _ACME_KEY + 'lone_severity = "low"\n'
    _refused(tmp_path, rule + lines + "\n", message)
    (tmp_path / "acme.toml").write_text(rule + 'needs_near = ["mail"]\nneeds_near_bytes = 10000\n')
    assert load_ruleset((tmp_path,)).rule("acme-key").needs_near_bytes == 10000


def test_old_credentials_glued_after_a_comma_as_comments(keys: FakeKeys) -> None:
    """A mailer config keeps its previous SMTP credentials as `//` comments glued to each line's comma
    (`'username' => 'AKIA…',//AKIA…`): the commented pair is found too, each password with its own user."""
    live_id, old_id = keys.aws_id(), keys.aws_id()
    live, old = smtp_password(), smtp_password()
    text = (
        "'host' => 'email-smtp.eu-west-1.amazonaws.com',\n"
        f"'username' => '{live_id}',//{old_id}\n"
        f"'password' => '{live}',//{old}\n"
    )
    found = {(f.key_id, f.secret) for f in scan_text(text, RULES)}
    assert found == {(live_id, live), (old_id, old)}
