"""The signers against the documented test vectors and the official SDKs (test extras)."""

from __future__ import annotations

import hashlib
import random
import string

import pytest

from akscan.verify import VERIFIERS, alibaba, aws, resolve

VECTOR_A = {  # Alibaba ECS DescribeRegions documentation example
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}


def test_alibaba_documented_vector_a() -> None:
    assert alibaba.string_to_sign(VECTOR_A) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert alibaba.rpc_signature(VECTOR_A, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_alibaba_documented_vector_b_utf8_and_json() -> None:
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert alibaba.rpc_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_alibaba_sdk_unit_test_vector_c() -> None:
    assert alibaba.rpc_signature({"query": "test", "body": "test"}, "secret") == "XlUyV4sXjOuX5FnjUz9IF9tm5rU="


def test_alibaba_get_caller_identity_vectors_e_and_f() -> None:
    params = {**VECTOR_A, "Action": "GetCallerIdentity", "Format": "JSON", "Version": "2015-04-01"}
    assert alibaba.rpc_signature(params, "testsecret") == "SXUFTPJUsAnzDm+6AtLiWJx7n/Q="
    sts = {**params, "AccessKeyId": "STS.testid", "SecurityToken": "CAIStesttoken+/="}
    assert (
        "%26Format%3DJSON%26SecurityToken%3DCAIStesttoken%252B%252F%253D%26SignatureMethod"
        in alibaba.string_to_sign(sts)
    )
    assert alibaba.rpc_signature(sts, "testsecret") == "JPSZgq6KiPRYErx86VYmFfWx6PI="


def test_alibaba_signer_agrees_with_the_official_sdk() -> None:
    from alibabacloud_openapi_util.client import Client

    rng = random.Random(5)
    alphabet = string.ascii_letters + string.digits + " -_.~*+/=&%:?中文"
    for _ in range(200):
        params = {
            "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 12))): "".join(
                rng.choice(alphabet) for _ in range(rng.randint(0, 30))
            )
            for _ in range(rng.randint(1, 8))
        }
        secret = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(30))
        for method in ("GET", "POST"):
            assert alibaba.rpc_signature(params, secret, method) == Client.get_rpcsignature(params, method, secret)


SUITE_KEY, SUITE_SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def test_sigv4_signing_key_vector() -> None:
    assert (
        aws.signing_key(SUITE_SECRET, "20150830", "us-east-1", "iam").hex()
        == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    )


def test_sigv4_test_suite_get_vanilla_and_post_vanilla() -> None:
    headers = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
    request, _ = aws.canonical_request("GET", "/", "", headers, b"")
    assert (
        hashlib.sha256(request.encode()).hexdigest()
        == "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    )
    authorization = aws.sign(
        "GET", "/", "", headers, b"", SUITE_KEY, SUITE_SECRET, "20150830T123600Z", "us-east-1", "service"
    )
    assert authorization.endswith("Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    assert "SignedHeaders=host;x-amz-date" in authorization
    post = aws.sign("POST", "/", "", headers, b"", SUITE_KEY, SUITE_SECRET, "20150830T123600Z", "us-east-1", "service")
    assert post.endswith("Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")


def test_sigv4_query_order_vector() -> None:
    headers = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
    request, _ = aws.canonical_request("GET", "/", "Param2=value2&Param1=value1", headers, b"")
    assert (
        hashlib.sha256(request.encode()).hexdigest()
        == "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"
    )
    signed = aws.sign(
        "GET",
        "/",
        "Param2=value2&Param1=value1",
        headers,
        b"",
        SUITE_KEY,
        SUITE_SECRET,
        "20150830T123600Z",
        "us-east-1",
        "service",
    )
    assert signed.endswith("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (None, "6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c"),
        ("FAKESESSIONTOKEN", "54bb89b8d89003198f6fd6d8200a12e8c8ea8bc4c9d41f9fb054df32f38811c3"),
    ],
)
def test_sigv4_sts_get_caller_identity_vector(token: str | None, expected: str) -> None:
    headers = {"content-type": aws.CONTENT_TYPE, "host": "sts.amazonaws.com", "x-amz-date": "20150830T123600Z"}
    if token:
        headers["x-amz-security-token"] = token
    assert hashlib.sha256(aws.BODY).hexdigest() == "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843"
    authorization = aws.sign("POST", "/", "", headers, aws.BODY, SUITE_KEY, SUITE_SECRET, "20150830T123600Z")
    assert authorization.endswith(f"Signature={expected}")


def test_sigv4_agrees_with_botocore() -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key_id, secret = "AKIAZW4KCEGXJT23KPA5", "HxOqpzgiKiOQ9KRya7eVvL5/aFiv9rrHjjzm/x5o"
    for token in (None, "IQoJb3JpZ2luX2VjEXAMPLETOKEN"):
        request = AWSRequest(
            method="POST", url="https://sts.amazonaws.com/", data=aws.BODY, headers={"Content-Type": aws.CONTENT_TYPE}
        )
        SigV4Auth(Credentials(key_id, secret, token), "sts", "us-east-1").add_auth(request)
        amz_date = request.headers["X-Amz-Date"]  # sign the same instant botocore did
        headers = {"Content-Type": aws.CONTENT_TYPE, "Host": "sts.amazonaws.com", "X-Amz-Date": amz_date}
        if token:
            headers["X-Amz-Security-Token"] = token
        assert (
            aws.sign("POST", "/", "", headers, aws.BODY, key_id, secret, amz_date) == request.headers["Authorization"]
        )


def test_every_registered_verifier_resolves() -> None:
    for provider in VERIFIERS:
        assert callable(resolve(provider))
