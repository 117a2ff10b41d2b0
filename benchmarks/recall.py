"""Recall and mispairings per leak shape and provider: every shape below filled with fresh fake keys from N
seeds (Alibaba IDs of 16 and 24 characters), one file each, scanned by akscan and by betterleaks (its
default rules: every provider it knows). A case counts as found when the tool reports exactly what was
planted: the (ID, secret) pair, or the lone ID or lone secret where that is all there is. A mispairing is
a reported pair whose ID was planted with another secret — worse than a miss, since verifying it live
gives a wrong answer.

    python benchmarks/recall.py [--seeds 40]

Groups: the Alibaba pair shapes of tests/test_leak_shapes.py; each provider's keys in env files, SDK calls
and JSON (Huawei, Qiniu and UCloud under their variable names); decoding layers (base64, base64 inside
base64, AMQP usernames, percent, JSON escapes, HTML references, quoted-printable); pairing by names
(interleaved services, an ID and its secret far apart in a settings file); gitleaks' alibaba-named shapes.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from common import akscan_command, betterleaks_findings, have

from tests.keys import FakeKeys
from tests.test_gitleaks_shapes import SHAPES as GITLEAKS_SHAPES
from tests.test_leak_shapes import PAIR_SHAPES
from tests.test_more_clouds import _made as other_clouds
from tests.test_more_clouds import _text

Expected = tuple[str | None, str | None]  # (key ID, secret); either may be None for a lone finding


@dataclass
class Case:
    group: str
    name: str
    text: str
    expected: list[Expected]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def alibaba_shapes(seed: int, keys: FakeKeys, rng: random.Random) -> Iterator[Case]:
    for name, template, _, _ in PAIR_SHAPES:
        key_id, secret = keys.alibaba_id(16 if seed % 2 else 24), keys.alibaba_secret()
        yield Case("alibaba shapes", name, template.format(id=key_id, secret=secret), [(key_id, secret)])


def providers(seed: int, keys: FakeKeys, rng: random.Random) -> Iterator[Case]:
    made = {name: (key_id, secret) for name, (_, key_id, secret) in other_clouds(rng).items()}
    made["aws"] = (keys.aws_id(), keys.aws_secret())
    made["tencent"] = (keys.tencent_id(), keys.tencent_secret())
    for provider, (key_id, secret) in made.items():
        yield Case(
            provider,
            "env",
            f"{provider.upper()}_ACCESS_KEY={key_id}\n{provider.upper()}_SECRET_KEY={secret}\n",
            [(key_id, secret)],
        )
        yield Case(provider, "sdk call", f'client = Client("{key_id}", "{secret}")\n', [(key_id, secret)])
        yield Case(
            provider,
            "json",
            json.dumps({"accessKeyId": key_id, "secretAccessKey": secret}, indent=2),
            [(key_id, secret)],
        )
    huawei = (_text(rng, 20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), _text(rng, 40))
    yield Case("huawei", "env", f"HUAWEICLOUD_SDK_AK={huawei[0]}\nHUAWEICLOUD_SDK_SK={huawei[1]}\n", [huawei])
    yield Case(
        "huawei",
        "container spec",
        "env:\n  - name: HUAWEICLOUD_SDK_AK\n    value: {}\n  - name: HUAWEICLOUD_SDK_SK\n    value: {}\n".format(
            *huawei
        ),
        [huawei],
    )
    urlsafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    qiniu = (_text(rng, 40, urlsafe), _text(rng, 40, urlsafe))
    yield Case("qiniu", "env", "QINIU_ACCESS_KEY={}\nQINIU_SECRET_KEY={}\n".format(*qiniu), [qiniu])
    yield Case(
        "qiniu",
        "js default",
        'accessKey: process.env.QINIU_ACCESS_KEY || "{}",\nsecretKey: process.env.QINIU_SECRET_KEY || "{}",\n'.format(
            *qiniu
        ),
        [qiniu],
    )
    ucloud = (_text(rng, 32), _text(rng, 40))
    yield Case(
        "ucloud", "shell", 'export UCLOUD_PUBLIC_KEY="{}"\nexport UCLOUD_PRIVATE_KEY="{}"\n'.format(*ucloud), [ucloud]
    )


def decoding(seed: int, keys: FakeKeys, rng: random.Random) -> Iterator[Case]:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    manifest = f"apiVersion: v1\nkind: Secret\ndata:\n  id: {_b64(key_id)}\n  secret: {_b64(secret)}\n"
    yield Case("decoding", "k8s secret (base64)", manifest, [(key_id, secret)])
    key_id = keys.alibaba_id()
    username = _b64(f"{seed % 3}:amqp-cn-st21x7kv0001:{key_id}")
    yield Case("decoding", "amqp username", f"spring.rabbitmq.username={username}\n", [(key_id, None)])
    key_id = keys.alibaba_id()
    username = _b64(f"{seed % 3}:amqp-cn-st21x7kv0001:{key_id}")
    signature = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(20))).decode()  # HMAC-SHA1 of the secret
    password = _b64(f"{signature}:1732867200000")
    url = f"url: amqp://{username}:{password}@amqp-cn-st21x7kv0001.mq-amqp.cn-hangzhou.aliyuncs.com/vhost\n"
    yield Case("decoding", "amqp url", url, [(key_id, None)])
    key_id = keys.alibaba_id()
    env = f"{'#' * (seed % 3)}AMQP_USERNAME={_b64(f'0:amqp-cn-st21x7kv0001:{key_id}')}\n"
    yield Case("decoding", "base64 in base64", f"kind: Secret\ndata:\n  .env: {_b64(env)}\n", [(key_id, None)])
    aws_id, aws_secret = keys.aws_id(), keys.aws_secret()
    while "+" not in aws_secret and "/" not in aws_secret:
        aws_secret = keys.aws_secret()
    query = aws_secret.replace("+", "%2B").replace("/", "%2F")
    yield Case(
        "decoding",
        "percent",
        f"u = 'https://ci.example/?aws_access_key_id={aws_id}&aws_secret_access_key={query}'\n",
        [(aws_id, aws_secret)],
    )
    inner = json.dumps({"aws_access_key_id": aws_id, "aws_secret_access_key": aws_secret})
    escaped = json.dumps({"config": inner.replace("/", "\\/").replace("+", "\\u002b")}, indent=2)
    yield Case("decoding", "json in json", escaped, [(aws_id, aws_secret)])
    html = aws_secret.replace("+", "&#43;").replace("/", "&#x2F;")
    form = f'<input name="aws_access_key_id" value="{aws_id}">\n<input name="aws_secret_access_key" value="{html}">\n'
    yield Case("decoding", "html references", form, [(aws_id, aws_secret)])
    qp_id, qp_secret = keys.alibaba_id(), keys.alibaba_secret()
    email = (
        "Content-Transfer-Encoding: quoted-printable\n\nAccessKeyId=3D"
        + qp_id
        + "\nAccessKeySecret=3D"
        + qp_secret[:12]
        + "=\n"
        + qp_secret[12:]
        + "\n"
    )
    yield Case("decoding", "quoted-printable", email, [(qp_id, qp_secret)])


def names(seed: int, keys: FakeKeys, rng: random.Random) -> Iterator[Case]:
    made = {service: (keys.alibaba_id(), keys.alibaba_secret()) for service in ("oss", "sms")}
    text = "".join(f"{s.upper()}_ACCESS_KEY_ID={made[s][0]}\n" for s in made)
    text += "".join(f"{s.upper()}_ACCESS_KEY_SECRET={made[s][1]}\n" for s in made)
    yield Case("names", "interleaved services", text, list(made.values()))
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    filler = "".join(f"SETTING_{i} = {i}\n" for i in range(30))
    settings = f"ALIBABA_CLOUD_ACCESS_KEY_ID = '{key_id}'\n{filler}ALIBABA_CLOUD_ACCESS_KEY_SECRET = '{secret}'\n"
    yield Case("names", "far apart in settings", settings, [(key_id, secret)])


def gitleaks_names(seed: int, keys: FakeKeys, rng: random.Random) -> Iterator[Case]:
    for index, shape in enumerate(GITLEAKS_SHAPES):
        value = keys.alibaba_secret()
        while not (
            any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)
        ):
            value = keys.alibaba_secret()
        text = shape.format(name="alibaba", NAME="ALIBABA", v=value) + "\n"
        yield Case("gitleaks names", f"syntax {index:02d}", text, [(None, value)])


GENERATORS: list[Callable[[int, FakeKeys, random.Random], Iterator[Case]]] = [
    alibaba_shapes,
    providers,
    decoding,
    names,
    gitleaks_names,
]


@dataclass
class Reported:
    pairs: set[tuple[str, str]]
    ids: set[str]
    secrets: set[str]


def _akscan(root: Path, report: Path) -> dict[str, Reported]:
    subprocess.run(
        [*akscan_command(), "scan", str(root), "-q", "--format", "json", "--no-redact", "-o", str(report)], check=False
    )
    by_file: dict[str, Reported] = {}
    for finding in json.loads(report.read_text())["findings"]:
        got = by_file.setdefault(Path(finding["path"]).name, Reported(set(), set(), set()))
        if finding.get("key_id") and finding.get("secret"):
            got.pairs.add((finding["key_id"], finding["secret"]))
        elif finding.get("key_id"):
            got.ids.add(finding["key_id"])
        elif finding.get("secret"):
            got.secrets.add(finding["secret"])
    return by_file


def _betterleaks(root: Path, report: Path) -> dict[str, Reported]:
    subprocess.run(
        ["betterleaks", str(root), "--no-banner", "-l", "error", "-o", str(report)],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    by_file: dict[str, Reported] = {}
    for finding in betterleaks_findings(report):
        got = by_file.setdefault(Path(finding.get("location", {}).get("path", "")).name, Reported(set(), set(), set()))
        value = finding.get("match", {}).get("value", "")
        others = [
            component.get("match", {}).get("value", "")
            for component_set in finding.get("component_sets") or []
            for component in component_set.get("components") or []
        ]
        for other in others:  # a finding and its components: an ID with its secret, or a secret with its ID
            got.pairs.update({(value, other), (other, value)})
        if not others:
            got.ids.add(value)
            got.secrets.add(value)
    return by_file


def _score(case: Case, got: Reported | None) -> tuple[int, int]:
    """(cases found in full, mispairings)."""
    got = got or Reported(set(), set(), set())
    found = all(
        ((key_id, secret) in got.pairs)
        if key_id and secret
        else (key_id in got.ids or any(p[0] == key_id for p in got.pairs))
        if key_id
        else (secret in got.secrets or any(p[1] == secret for p in got.pairs))
        for key_id, secret in case.expected
    )
    planted = {key_id: secret for key_id, secret in case.expected if key_id}
    wrong = sum(1 for key_id, secret in got.pairs if key_id in planted and planted[key_id] not in (None, secret))
    return int(found), wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="akscan-recall-"))
    root = work / "corpus"  # reports go beside it, never inside the tree being scanned
    root.mkdir()
    cases: dict[str, Case] = {}
    for seed in range(args.seeds):
        keys, rng = FakeKeys(seed), random.Random(seed)
        for generate in GENERATORS:
            for case in generate(seed, keys, rng):
                filename = f"{len(cases):05d}.txt"
                (root / filename).write_text(case.text)
                cases[filename] = case
    ak = _akscan(root, work / "akscan.json")
    bl = _betterleaks(root, work / "bl.json") if have("betterleaks") else {}
    rows: dict[tuple[str, str], list[int]] = {}
    for filename, case in cases.items():
        ak_found, ak_wrong = _score(case, ak.get(filename))
        bl_found, bl_wrong = _score(case, bl.get(filename)) if bl else (0, 0)
        row = rows.setdefault((case.group, case.name), [0, 0, 0, 0, 0])
        for index, value in enumerate((1, ak_found, ak_wrong, bl_found, bl_wrong)):
            row[index] += value
    print(f"{'group':16} {'shape':26} {'akscan':>9} {'wrong':>6} {'betterleaks':>12} {'wrong':>6}")
    totals = [0, 0, 0, 0, 0]
    group_totals: dict[str, list[int]] = {}
    for (group, name), (n, ak_found, ak_wrong, bl_found, bl_wrong) in rows.items():
        print(f"{group:16} {name:26} {ak_found:>4}/{n:<4} {ak_wrong:>6} {bl_found:>7}/{n:<4} {bl_wrong:>6}")
        for bucket in (totals, group_totals.setdefault(group, [0, 0, 0, 0, 0])):
            for index, value in enumerate((n, ak_found, ak_wrong, bl_found, bl_wrong)):
                bucket[index] += value
    print()
    for group, (n, ak_found, ak_wrong, bl_found, bl_wrong) in [*group_totals.items(), ("all", totals)]:
        print(
            f"{group:16} {'':26} {ak_found:>4}/{n:<4} {ak_wrong:>6} {bl_found:>7}/{n:<4} {bl_wrong:>6}"
            f"   recall {ak_found / n:.1%} vs {bl_found / n:.1%}"
        )


if __name__ == "__main__":
    main()
