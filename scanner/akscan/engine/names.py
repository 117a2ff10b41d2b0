"""The names credentials are bound to, for pairing: ``OSS_ACCESS_KEY_ID=…``, ``"sms.access_key_secret": …``,
``<AccessKeyId>…``, ``'prod_ak' => …``.

Two pairs interleaved — ``OSS_ID, SMS_ID, OSS_SECRET, SMS_SECRET`` — are told apart by what their names
say beyond "access key id/secret": the *qualifiers* (``oss``, ``sms``). A pair whose qualifiers agree is
preferred; one whose qualifiers contradict each other is the last resort, and says so (low confidence).
Positional values (``oss2.Auth('…', '…')``, ``--access-key-id …``) have no name and pair by distance alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

LOOKBEHIND = 96
# Between a name and its value: optional closing quote, then an assignment (=, :, =>, :=, ?=, or the
# '>' closing an XML element), then optional spaces and an opening quote.
# A JSON text inside a string literal escapes its quotes (``"{\"requestId\": \"…\"}"``): read through them.
_BOUND = re.compile(rb"""(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)\\?["'`]?\]?\s*(?:=>|:=|\?=|=|:|>)\s*@?\\?["'`]?$""")
# A key/value element (.NET's appSettings, many XML configs): the name is the key attribute's.
_KEYED = re.compile(rb"""(?i:key)\s*=\s*["'](?P<name>[A-Za-z_][A-Za-z0-9_.:\-]*)["']\s+(?i:value)\s*=\s*["']?$""")
# A row's name: a quoted word (letters, _ . -) and a comma right before the value's opening quote.
_ROW = re.compile(rb"""["'`](?P<name>[A-Za-z_][A-Za-z_.\-]{1,63})["'`][ \t]*,[ \t]*["'`]$""")
_WORDS = re.compile(r"[a-z]+|[0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")  # fooBar, AWSSecret
# Without the acronym split: ``COSsecret`` is "COS" + "secret", which the split reads "CO" + "Ssecret".
_CAMEL_PLAIN = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# Words that say "this is a credential" or name the provider: present in the names of every pair alike,
# so they say nothing about *which* pair a value belongs to.
GENERIC = frozenset(
    (
        "access",
        "accesskey",
        "accesskeyid",
        "accesskeysecret",
        "key",
        "keys",
        "id",
        "ids",
        "secret",
        "secrets",
        "secretkey",
        "sercet",
        "secretid",
        "keyid",
        "keysecret",
        "accessid",
        "accesssecret",
        "ak",
        "sk",
        "aksk",
        "akid",
        "akey",
        "skey",
        "acc",
        "pass",
        "password",
        "passwd",
        "credential",
        "credentials",
        "cred",
        "creds",
        "auth",
        "alibaba",
        "alibabacloud",
        "aliyun",
        "ali",
        "alicloud",
        "cloud",
        "aws",
        "amazon",
        "iam",
        "tencent",
        "tencentcloud",
        "qcloud",
        "tc",
        "the",
        # Objective-C's selector parts name the argument in words (authWithAK:@"…" andSK:@"…"): not a qualifier.
        "with",
        "and",
        "init",
        "my",
        "your",
        "default",
        "value",
        "val",
        "config",
        "conf",
        "cfg",
        "env",
        "settings",
        "setting",
        "app",
        "application",
        "sdk",
        "api",
        "client",
        "string",
        "str",
        "var",
        "let",
        "const",
        "set",
        "export",
        "spring",
        "cloudapi",
        "token",
        "security",
        "session",
        "sts",
        "ram",
        "user",
        "username",  # ALIYUN_USERNAME beside ALIYUN_ACR_PASSWORD: a registry login's halves
        # UCloud's halves are the public and the private key
        "public",
        "private",
        "publickey",
        "privatekey",
        # the other clouds' names, which say only whose key it is
        "huawei",
        "huaweicloud",
        "hw",
        "baidu",
        "bce",
        "qiniu",
        "qn",
        "ucloud",
        "volc",
        "volcengine",
        "ksyun",
        "kingsoft",
        "jdcloud",
        "jdc",
        "google",
        "gcp",
        # the console's words in Spanish and Portuguese ("ID de clave de acceso", "Clave de acceso secreta",
        # "id-chave-acesso", "chave-secreta"): the same two halves, not two services
        "clave",
        "llave",
        "acceso",
        "secreta",
        "secreto",
        "chave",
        "acesso",
    )
)
# Name parts that mark the value as the ID half or the secret half.
ID_WORDS = frozenset({"id", "ak", "akid", "keyid", "accesskeyid", "accessid", "secretid", "public", "publickey"})
# "sercet": written so often in real code (web_oss_sercet, 云存储Sercet) that it is read as what it means.
SECRET_WORDS = frozenset(
    {"secret", "sercet", "sk", "secretkey", "accesskeysecret", "accesssecret", "private", "privatekey"}
)


def binding_name(data: bytes, start: int) -> str:
    """The name the value at ``start`` is assigned to on its line, or "" (a positional value)."""
    line_start = data.rfind(b"\n", max(0, start - LOOKBEHIND), start) + 1
    before = data[max(line_start, start - LOOKBEHIND) : start]
    # Most values in a credentials export or a call are not assigned: no assignment right before them,
    # no regex (a CSV of 100,000 pairs would otherwise pay one search per value).
    tail = before.rstrip(b" \t\"'`\\")
    if before.endswith((b'@"', b"@'")):  # Objective-C's string literal: withSecret:@"…"
        tail = tail[:-1]
    tail = tail[-1:]
    if tail == b"," and before[-1:] in (b'"', b"'", b"`"):
        return _row_name(before)
    if tail not in (b"=", b":", b">"):
        return ""
    match = _BOUND.search(before)
    if match and match.group("name").lower() == b"value":  # .NET appSettings: <add key="ak" value="…"/>
        keyed = _KEYED.search(before)
        return keyed.group("name").decode("latin-1") if keyed else _sibling_name(data, start, line_start) or "value"
    return match.group("name").decode("latin-1") if match else ""


# A settings row written as an element of fields, one a line: its name in a sibling field before the value
# (FastAdmin's addon config.php: 'name' => 'accessKeySecret', 'title' => …, 'value' => '…'; a Laravel seeder's
# 'sign' => "web_oss_key"; a JSON settings answer's "code": "…").
SIBLING_REACH = 600
_SIBLING = re.compile(
    rb"""(?<![A-Za-z0-9_.\-])["'`]?(?i:name|sign|code|key|field)["'`]?[ \t]*(?:=>|:|=)[ \t]*"""
    rb"""(?:["'`](?P<quoted>[A-Za-z_][A-Za-z0-9_.\-]{1,63})["'`]"""
    rb"""|(?P<bare>[A-Za-z_][A-Za-z0-9_.\-]{1,63})(?=[ \t]*(?:[,}\]\r\n]|$)))"""
)
_ANOTHER_VALUE = re.compile(rb"""(?<![A-Za-z0-9_.\-])["'`]?(?i:value)["'`]?[ \t]*(?:=>|:|=)""")
_LIST_ITEM = re.compile(rb"""\n[ \t]*-[ \t]""")  # a YAML list's next item
_OPENS, _CLOSES = frozenset(b"([{"), frozenset(b")]}")


def sibling_names(data: bytes, start: int, end: int) -> Iterator[tuple[int, str]]:
    """Each settings row's sibling name field (``'name' => 'accessKeyId'``, ``"code": "…"``) in ``data[start:end]``,
    with where it is."""
    for match in _SIBLING.finditer(data, start, end):
        yield match.start(), (match.group("quoted") or match.group("bare")).decode("latin-1")


def _sibling_name(data: bytes, start: int, line_start: int) -> str:
    """The name a settings row gives its ``value`` field in a sibling field: after the value on its line
    (``['value' => '…', 'name' => 'accessKeyId']``), else on a line above within ``SIBLING_REACH`` bytes,
    in the same element (no other ``value`` field, no bracket closing the element, no next list item
    between: the previous row's name is not this one's); when it names a credential."""
    # Up to the line's end, at most SIBLING_REACH bytes: a one-line export of 40,000 rows must not be copied
    # to its end for every value in it.
    line_end = data.find(b"\n", start, start + SIBLING_REACH)
    after = data[start : line_end if line_end >= 0 else start + SIBLING_REACH]
    same_line = _SIBLING.search(after)
    if same_line is not None:
        return _credential_name(same_line) if not leaves_element(after[: same_line.start()]) else ""
    window = data[max(0, line_start - SIBLING_REACH) : line_start]
    found = None
    for found in _SIBLING.finditer(window):  # the last one: the nearest above  # noqa: B007
        pass
    if found is None:
        return ""
    tail = window[found.end() :]
    if _ANOTHER_VALUE.search(tail) or _LIST_ITEM.search(tail) or leaves_element(tail):
        return ""
    return _credential_name(found)


_BRACKETS = re.compile(rb"[()\[\]{}]")


def leaves_element(text: bytes) -> bool:
    """Whether ``text`` closes a bracket it did not open (the sibling's element ends before the value). Only
    the brackets are visited (found by a regex): a value's every byte is not walked in Python."""
    depth = 0
    for bracket in _BRACKETS.finditer(text):
        depth += 1 if bracket.group()[0] in _OPENS else -1
        if depth < 0:
            return True
    return False


def _credential_name(match: re.Match[bytes]) -> str:
    name = (match.group("quoted") or match.group("bare")).decode("latin-1")
    return name if names_an_id(name) or names_a_secret(name) or words(name)[-1:] == ["key"] else ""


def _row_name(before: bytes) -> str:
    """A key/value row's name: a SQL settings table's ``VALUES ('22', 'aliyunAccessKeyID', 'LTAI…', …)``,
    the quoted literal right before the value, when it names a credential in words (no digits: a key's
    own value before its secret, ``Auth('LTAI5t…', '…')``, is no name)."""
    row = _ROW.search(before)
    if row is None:
        return ""
    name = row.group("name").decode("latin-1")
    return name if names_an_id(name) or names_a_secret(name) else ""


def words(name: str, acronyms: bool = True) -> list[str]:
    return _WORDS.findall((_CAMEL if acronyms else _CAMEL_PLAIN).sub(" ", name).lower())


# Credential words a name glues to its qualifier when it has no case or separator to split on
# (``APIKEY``/``APISECRET``, ``ossaccesskeyid``), longest first.
_GLUED = (
    "accesskeysecret",
    "accesskeyid",
    "accesssecret",
    "accesskey",
    "secretkey",
    "secretid",
    "keysecret",
    "keyid",
    "accessid",
    "access",
    "secret",
    "key",
)


# AK/SK glued to a short qualifier (``LTAK``/``LTSK``, long-term, in a signing URL's query; ``OSSAK``): a
# qualifier of 2-4 letters only, so that a longer word that merely ends so (``outbreak``, ``asterisk``) is kept.
# A short word (``risk``, ``task``) is unglued too: that only makes names agree more, never contradict.
_GLUED_HALVES = ("ak", "sk")
_SHORT_QUALIFIER = range(2, 5)
# Or glued to a provider's or store's name of any length (``qiniuak``/``qiniusk`` in an upload helper).
_PROVIDER_HEADS = frozenset(["qiniu", "aliyun", "alibaba", "huawei", "baidu", "tencent", "ucloud", "ksyun", "volc"])


def _unglued(word: str) -> list[str]:
    for suffix in _GLUED:
        if word.endswith(suffix) and len(word) > len(suffix):
            return [*_unglued(word[: -len(suffix)]), suffix]
    for half in _GLUED_HALVES:
        head = word[: -len(half)]
        if word.endswith(half) and ((len(head) in _SHORT_QUALIFIER and head.isalpha()) or head in _PROVIDER_HEADS):
            return [head, half]
    return [word]


@functools.lru_cache(maxsize=4096)
def qualifiers(name: str, acronyms: bool = True) -> frozenset[str]:
    """What a name says beyond "credential": ``OSS_ACCESS_KEY_ID`` → {oss}, ``prodAccessKeyId`` → {prod},
    ``APISECRET`` → {} (like ``API_SECRET``), ``API_KEY2`` → {#2}: the number that ends a name counts (two
    apps' ``API_KEY1``/``SECRET_KEY1`` and ``API_KEY2``/``SECRET_KEY2``), one inside it does not (S3, EC2)."""
    found = {w for word in words(name, acronyms) for w in _unglued(word) if w not in GENERIC and len(w) > 1}
    number = _ENDING_NUMBER.search(name)
    if number is not None:
        found.discard(number.group(1))
        found.add("#" + number.group(1).lstrip("0"))
    return frozenset(found)


# A number that ends a name, after its last word (``KEY2``, ``key_2``): which of several it is.
_ENDING_NUMBER = re.compile(r"(?<=[A-Za-z_\-.])([0-9]{1,3})$")


def agreement(id_name: str, secret_name: str) -> int:
    """+1 when both names qualify the same way, -1 when they contradict, 0 when either says nothing. Read
    with acronyms split (``AWSAccessKey``: aws, access, key) and, when that contradicts, without
    (``COSSecretId`` and ``COSsecret`` are both cos): names contradict only when both readings say so."""
    found = _agree(qualifiers(id_name), qualifiers(secret_name))
    if found < 0:
        found = _agree(qualifiers(id_name, False), qualifiers(secret_name, False))
    if found < 0 and _numbered_halves(id_name, secret_name):
        return 0
    return found


def _numbered_halves(id_name: str, secret_name: str) -> bool:
    """One name numbered 1 then 2, or 3 then 4 (``K1``/``K2``, ``qiniu_key1``/``qiniu_key2``) and saying neither ID
    nor secret: the numbers order a pair's halves, not two apps (``API_KEY1``/``SECRET_KEY2`` still contradict)."""
    first, second = _ENDING_NUMBER.search(id_name), _ENDING_NUMBER.search(secret_name)
    if first is None or second is None or id_name[: first.start()] != secret_name[: second.start()]:
        return False
    # 1 then 2, 3 then 4: a list of IDs then a list of secrets (K1, K2 IDs; K3, K4 secrets) is not K2's pair K3.
    if int(first.group(1)) % 2 != 1 or int(second.group(1)) != int(first.group(1)) + 1:
        return False
    return not any(names_an_id(name) or names_a_secret(name) for name in (id_name, secret_name))


def _agree(left: frozenset[str], right: frozenset[str]) -> int:
    """Shared words with one side adding more (``OSS`` and ``OSS_PROD``) decide nothing; each side adding
    its own (``SMTP_USER_EU`` and ``SMTP_PASS_US``: smtp shared, eu against us) is a contradiction."""
    if not left or not right:
        return 0
    if left == right:
        return 1
    return 0 if left & right and (left <= right or right <= left) else -1


def names_an_id(name: str) -> bool:
    parts = set(words(name))
    joined = "".join(words(name))
    return bool(parts & ID_WORDS) or "accesskeyid" in joined or "secretid" in joined


def names_a_secret(name: str) -> bool:
    parts = set(words(name))
    return bool(parts & SECRET_WORDS) or "secret" in "".join(words(name))
