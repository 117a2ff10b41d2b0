"""Presigned URLs carrying temporary credentials: a key ID and its session token, no secret. The ID is
reported with its token, as temporary (it cannot be disabled), with the end its URL states; the shapes
below are those of the real URLs in fixtures/realworld (AWS and GCS V4, Volcengine TOS, Baidu BOS,
Tencent COS, Alibaba OSS and Huawei OBS), with generated values."""

from __future__ import annotations

import base64
import io
import random
from urllib.parse import quote, unquote

import pytest

from akscan.engine.detect import TEMPORARY_REMEDIATION, detect
from akscan.engine.presigned import REACH, url_end
from akscan.engine.rules import Ruleset
from akscan.model import Blob, Kind, Origin, ScanStats
from akscan.report import Report
from akscan.report.sarif import _message
from akscan.report.text import what_to_do, write
from tests.conftest import scan_text
from tests.keys import FakeKeys

HEX = "0123456789abcdef"


def _aws_token(seed: int) -> str:
    rng = random.Random(seed)
    return base64.b64encode(b"!\n\torigin_ec" + bytes(rng.getrandbits(8) for _ in range(420))).decode()


def _baidu_token(seed: int) -> str:
    rng = random.Random(seed)
    head = "".join(rng.choice(HEX) for _ in range(32)).encode() + b"|" + bytes(4)
    return base64.b64encode(head + bytes(rng.getrandbits(8) for _ in range(400))).decode()


def _hex(seed: int, n: int = 32) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(HEX) for _ in range(n))


@pytest.mark.parametrize(
    ("url", "end"),
    [
        (
            "https://b.s3.amazonaws.com/k?X-Amz-Date=20230128T165101Z&X-Amz-Expires=300&X-Amz-Credential=ID",
            "2023-01-28T16:56:01Z",
        ),
        (
            "https://b.tos-cn-beijing.volces.com/k?X-Tos-Expires=3600&X-Tos-Date=20260526T140316Z&ID",
            "2026-05-26T15:03:16Z",
        ),
        (
            "https://storage.googleapis.com/b/k?x-goog-date=20240101T000000Z&x-goog-expires=604800&ID",
            "2024-01-08T00:00:00Z",
        ),
        (
            "https://b.bj.bcebos.com/k?authorization=bce-auth-v1/ID/2025-09-24T06:18:57Z/300/host/sig",
            "2025-09-24T06:23:57Z",
        ),
        (
            "https://bj.bcebos.com/v1/k?authorization=bce-auth-v1%2FID%2F2023-04-14T07%3A16%3A35Z%2F86400%2F%2Fsig",
            "2023-04-15T07:16:35Z",
        ),
        (
            "https://b.cos.ap-guangzhou.myqcloud.com/k?q-sign-algorithm=sha1&q-ak=ID&q-sign-time=1684998880;1685002480",
            "2023-05-25T08:14:40Z",
        ),
        (
            "https://b.cos.myqcloud.com/k?q-ak=ID&q-sign-time=1554857716%3B1554859516&q-key-time=x",
            "2019-04-10T01:25:16Z",
        ),
        (
            "http://b.oss-cn-hangzhou.aliyuncs.com/k?Expires=1523171691&OSSAccessKeyId=ID&Signature=s",
            "2018-04-08T07:14:51Z",
        ),
        (
            "https://b.obs.cn-north-4.myhuaweicloud.com/k?AccessKeyId=ID&Expires=1608781380&x-obs-security-token=t",
            "2020-12-24T03:43:00Z",
        ),
        (
            '<img src="https://b.oss.aliyuncs.com/k?OSSAccessKeyId=ID&amp;Expires=1516674108&amp;Signature=s">',
            "2018-01-23T02:21:48Z",
        ),
    ],
)
def test_each_cloud_writes_its_url_end(url: str, end: str) -> None:
    key_id = _hex(1)
    data = url.replace("ID", key_id).encode()
    start = data.index(key_id.encode())
    assert url_end(data, start, start + len(key_id)) == end


@pytest.mark.parametrize(
    "url",
    [
        # The date of one scheme and the lifetime of another are no end.
        "https://b/k?X-Amz-Date=20230128T165101Z&X-Tos-Expires=300&ID",
        # A date no calendar has: no end rather than a wrong one.
        "https://b/k?X-Amz-Date=20231328T165101Z&X-Amz-Expires=300&ID",
        "https://b/k?authorization=bce-auth-v1/ID/2025-02-30T06:18:57Z/300/host/sig",
        # Another URL's end, past a space or a quote, is not this one's.
        "https://b/k?ID&Signature=s https://c/k?Expires=1608781380",
        "'https://c/k?Expires=1608781380' 'https://b/k?ID'",
        # Past the calendar's end: no end, and no crash (datetime's year 9999 plus 31 years).
        "https://b/k?X-Amz-Date=99991231T235959Z&X-Amz-Expires=999999999&ID",
        "https://b/k?authorization=bce-auth-v1/ID/9999-12-31T23:59:59Z/999999999/host/sig",
        # Not the parameter: a longer name that ends in it, a cache header's date.
        "https://b/k?ID&MaxExpires=1608781380",
        "https://b/k?ID Expires: Thu, 01 Dec 1994 16:00:00 GMT",
    ],
)
def test_no_end_unless_the_url_states_one(url: str) -> None:
    key_id = _hex(2)
    data = url.replace("ID", key_id).encode()
    start = data.index(key_id.encode())
    assert url_end(data, start, start + len(key_id)) is None


@pytest.mark.parametrize(("distance", "read"), [(REACH - 1, True), (REACH, True), (REACH + 1, False)])
def test_the_url_is_read_up_to_reach_bytes_either_side(distance: int, read: bool) -> None:
    key_id = _hex(3).encode()
    # Before: the URL's "://" `distance` bytes before the ID (its parameters between them).
    head = b"https://h/o?Expires=1608781380&x="
    data = head + b"a" * (distance + 5 - len(head)) + key_id
    start = distance + 5  # "://" is at offset 5
    assert (url_end(data, start, start + len(key_id)) == "2020-12-24T03:43:00Z") is read
    # After: the end of "Expires=…" `distance` bytes after the ID's end.
    tail = b"Expires=1608781380"
    data = b"https://h/o?" + key_id + b"&" + b"a" * (distance - len(tail) - 2) + b"&" + tail
    start = len(b"https://h/o?")
    assert (url_end(data, start, start + len(key_id)) == "2020-12-24T03:43:00Z") is read


def test_urls_joined_on_one_line_are_each_their_own() -> None:
    """Two presigned URLs joined by a comma: the ID's end is its own URL's, not the first one's (a live link
    must not be marked expired by an old one beside it)."""
    key_id = _hex(18)
    old = "https://a.s3.amazonaws.com/x?X-Amz-Date=20200101T000000Z&X-Amz-Expires=1&X-Amz-Credential=OTHER"
    live = f"https://b.s3.amazonaws.com/y?X-Amz-Credential={key_id}&X-Amz-Date=20261206T120000Z&X-Amz-Expires=604800"
    for data in ((old + "," + live).encode(), (live + "," + old).encode(), (old + "&" + live).encode()):
        start = data.index(key_id.encode())
        assert url_end(data, start, start + len(key_id)) == "2026-12-13T12:00:00Z"


def test_an_id_in_no_url_has_no_url_end() -> None:
    key_id = _hex(19)
    data = f"X-Amz-Date=20230128T165101Z&X-Amz-Expires=300&id={key_id}".encode()
    start = data.index(key_id.encode())
    assert url_end(data, start, start + len(key_id)) is None


def test_year_one_is_written_with_four_digits() -> None:
    key_id = _hex(20)
    data = f"https://b/k?X-Amz-Date=00010101T000000Z&X-Amz-Expires=5&{key_id}".encode()
    start = data.index(key_id.encode())
    assert url_end(data, start, start + len(key_id)) == "0001-01-01T00:00:05Z"


def test_a_presigned_url_reports_the_id_with_its_token_and_end(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, token = keys.aws_id("ASIA"), _aws_token(4)
    url = (
        "https://bucket.s3.us-east-1.amazonaws.com/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={key_id}%2F20230128%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20230128T165101Z"
        f"&X-Amz-Expires=300&X-Amz-Security-Token={quote(token, safe='')}&X-Amz-Signature={_hex(5, 64)}"
        "&X-Amz-SignedHeaders=host"
    )
    (finding,) = scan_text(f'<iframe src="{url}"></iframe>\n', ruleset)
    assert (finding.kind, finding.key_id, finding.secret) == (Kind.KEY_ID, key_id, None)
    assert finding.security_token == token  # as it is sent: the URL's %2B and %3D decoded
    assert finding.expires_at == "2023-01-28T16:56:01Z"
    assert finding.remediation == TEMPORARY_REMEDIATION and finding.temporary


def test_an_id_without_a_token_stays_a_key(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A permanent key's presigned URL: the key outlives the URL, so no end and no temporary advice."""
    key_id = keys.aws_id("AKIA")
    url = (
        f"https://bucket.s3.amazonaws.com/a.png?X-Amz-Credential={key_id}%2F20230128%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Date=20230128T165101Z&X-Amz-Expires=300&X-Amz-Signature={_hex(6, 64)}"
    )
    (finding,) = scan_text(url + "\n", ruleset)
    assert finding.kind == Kind.KEY_ID and finding.security_token is None and finding.expires_at is None
    assert not finding.temporary and finding.remediation != TEMPORARY_REMEDIATION


def test_a_pair_takes_its_token_before_a_lone_id_does(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Session credentials with their token, then a presigned URL of another ID with none of its own:
    the token is the pair's (nearest first), not shared with the URL's ID."""
    key_id, secret, token = keys.aws_id("ASIA"), keys.aws_secret(), _aws_token(7)
    other = keys.aws_id("ASIA")
    text = (
        f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}\naws_session_token = {token}\n"
        f"url = https://b.s3.amazonaws.com/k?X-Amz-Credential={other}%2F20230128%2Fus-east-1%2Fs3%2Faws4_request\n"
    )
    by_id = {f.key_id: f for f in scan_text(text, ruleset)}
    assert by_id[key_id].kind == Kind.STS and by_id[key_id].security_token == token
    assert by_id[other].kind == Kind.KEY_ID and by_id[other].security_token is None


def test_a_token_cut_over_joined_literals_is_read_whole(ruleset: Ruleset) -> None:
    """Baidu's Go SDK tests record answers as "…" + lines: the presigned URL's token and its AK are cut
    anywhere (bce-sdk-go services/bvw/client_test.go, values generated). The AK has no prefix of its own,
    so the joined layer is read because an escape is beside the AK it found."""
    key_id, token = _hex(8), quote(_baidu_token(9), safe="")
    url = (
        f'{{"sourceUrl":"https://bj.bcebos.com/v1/bvw-console/360p/dog.mp4?x-bce-security-token={token}'
        f'&authorization=bce-auth-v1%2F{key_id}%2F2023-04-14T07%3A16%3A35Z%2F86400%2F%2F{_hex(10, 64)}"}}'
    )
    escaped = url.replace('"', '\\"')
    pieces = [escaped[i : i + 100] for i in range(0, len(escaped), 100)]
    go = 'package bvw\n\nfunc testAnswer() string {\n\treturn "' + '" +\n\t\t"'.join(pieces) + '"\n}\n'
    (finding,) = scan_text(go, ruleset, "client_test.go")
    assert (finding.provider, finding.kind, finding.key_id) == ("baidu", Kind.KEY_ID, key_id)
    assert finding.security_token == _baidu_token(9)
    assert finding.expires_at == "2023-04-15T07:16:35Z"


def _baidu_issued_token(seed: int) -> str:
    """A token as Baidu's STS issues them: base64 of one fixed 32-hex head and "|" (ZjkyZmQ2…), then bytes."""
    rng = random.Random(seed)
    head = b"f92fd6bd1e47472694e85f62b9df3c80|" + bytes(4)
    return base64.b64encode(head + bytes(rng.getrandbits(8) for _ in range(300))).decode()


def test_a_token_whose_first_piece_names_it_is_still_read_whole(ruleset: Ruleset) -> None:
    """Baidu's tokens start with the same 44 characters, which the raw text reads as a token wherever a
    piece begins with them (bce-sdk-go doc/BVW.md: "?x-bce-security-token=" + then the token cut into
    lines). The joined layer reads it whole: reported once, whole, never as its first piece."""
    key_id, token = _hex(12), quote(_baidu_issued_token(13), safe="")
    assert token.startswith("ZjkyZmQ2YmQxZTQ3NDcyNjk0ZTg1ZjYyYjlkZjNjODB8")
    pieces = [token[i : i + 107] for i in range(0, len(token), 107)]
    lines = [
        '"sourceUrl\\":\\"https://bj.bcebos.com/v1/bvw-console/360p/dog.mp4?x-bce-security-token=" +',
        *(f'"{piece}" +' for piece in pieces[:-1]),
        f'"{pieces[-1]}&authorization=bce-auth-v1%2F{key_id}%2F2023-04-14T07%3A16%3A35Z%2F86400%2F%2F{_hex(14, 64)}"',
    ]
    text = "var request api.MatlibTaskRequest\njsonStr := " + "\n".join(lines) + "\n"
    (finding,) = scan_text(text, ruleset, "BVW.md")
    assert (finding.key_id, finding.kind) == (key_id, Kind.KEY_ID)
    assert finding.security_token == unquote(token)


def test_reports_say_temporary(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, token = keys.aws_id("ASIA"), _aws_token(11)
    text = (
        f"https://b.s3.amazonaws.com/k?X-Amz-Credential={key_id}%2F20230128%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Security-Token={quote(token, safe='')}\n"
    )
    (finding,) = scan_text(text, ruleset)
    report = Report(findings=[finding], stats=ScanStats(), duration=0.0, redact=True, colour=False)
    stream = io.StringIO()
    write(report, stream)
    shown = stream.getvalue()
    assert "(temporary key ID and token)" in shown and token not in shown
    advice = what_to_do([finding])
    assert "cannot be disabled" in advice and f"Disable {key_id}" not in advice
    assert "temporary AccessKey ID with its session token" in _message(finding, report)


def test_blob_offsets_do_not_move_the_url(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A later chunk of a large file: offsets are the file's, the URL is read in the chunk's bytes."""
    key_id, token = keys.aws_id("ASIA"), _aws_token(12)
    line = (
        f"https://b.s3.amazonaws.com/k?X-Amz-Date=20230128T165101Z&X-Amz-Expires=60&X-Amz-Credential={key_id}"
        f"%2F20230128%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token={quote(token, safe='')}\n"
    ).encode()
    (finding,) = detect(Blob(b"# notes\n" + line, Origin("big.log"), offset_base=10_000_000, line_base=5000), ruleset)
    assert finding.expires_at == "2023-01-28T16:52:01Z" and finding.security_token == token


def test_the_audit_report_does_not_ask_to_disable_a_presigned_urls_key(ruleset: Ruleset) -> None:
    """Baidu's AK in a presigned URL with its token: temporary (no prefix says so), nothing to disable."""
    from akscan.report.audit import credentials

    key_id, token = _hex(13), quote(_baidu_token(14), safe="")
    text = f"src = 'https://b.bj.bcebos.com/k?x-bce-security-token={token}&authorization=bce-auth-v1/{key_id}/2025-09-24T06:18:57Z/300/host/s'\n"
    (finding,) = scan_text(text, ruleset)
    (credential,) = credentials([finding])
    first = credential.steps()[0]
    assert "cannot be disabled" in first and "Disable" not in first


def test_a_presigned_urls_token_is_its_own_ids_not_the_pair_above(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A permanent pair, then a COS URL with a temporary ID and its token on one line (a speech demo that
    also uploads): the token is nearer the pair's ID than the URL's own ID is to it, but on the URL's line."""
    rng = random.Random(15)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    temporary = "AKID" + "".join(rng.choice(alphabet + "_-") for _ in range(64))
    token = "".join(rng.choice(alphabet + "_-") for _ in range(235))
    text = (
        f'SecretId = "{key_id}"\nSecretKey = "{secret}"\n'
        f"url = 'https://b-125.cos.ap-guangzhou.myqcloud.com/a.wav?x-cos-security-token={token}"
        f"&q-sign-algorithm=sha1&q-ak={temporary}&q-sign-time=1684998880;1685002480&q-signature={_hex(16, 40)}'\n"
    )
    by_id = {f.key_id: f for f in scan_text(text, ruleset)}
    assert by_id[key_id].kind == Kind.PAIR and by_id[key_id].security_token is None
    assert by_id[temporary].security_token == token and by_id[temporary].expires_at == "2023-05-25T08:14:40Z"


def test_a_url_signed_past_the_calendars_end_is_reported_without_an_end(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Hostile content must not crash the scan: the finding is kept, its end left unknown."""
    key_id, token = keys.aws_id("ASIA"), _aws_token(17)
    text = (
        f"https://b.s3.amazonaws.com/k?X-Amz-Date=99991231T235959Z&X-Amz-Expires=999999999&X-Amz-Credential={key_id}"
        f"%2F20230128%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token={quote(token, safe='')}\n"
    )
    (finding,) = scan_text(text, ruleset)
    assert finding.security_token == token and finding.expires_at is None
