"""Every numeric limit at its edge: one under, at, one over. A limit tested only far from its edge lets an
off-by-one through (the planted-bug round found three such)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest

from akscan.engine.expiry import apply_expiry
from akscan.engine.filters import (
    FRAGMENT_TIMES,
    LETTER_RUN,
    MASH_WINDOW,
    has_long_repeat,
    has_mash,
    has_sequence,
    repeated_fragment,
)
from tests.conftest import run_akscan, scan_text
from tests.keys import FakeKeys

# A value with no pattern of its own, to plant runs in.
BASE = "Q7vX2mK9pR4tW8zL3nB6cF1gH5jD0s"


@pytest.mark.parametrize(("run", "flagged"), [(4, False), (5, True), (6, True)])
def test_repeated_characters_at_the_edge(run: int, flagged: bool) -> None:
    assert has_long_repeat(BASE[:10] + "e" * run + BASE[10:]) is flagged


@pytest.mark.parametrize(("run", "flagged"), [(5, False), (6, True), (7, True)])
def test_sequences_at_the_edge(run: int, flagged: bool) -> None:
    assert has_sequence(BASE[:8] + "lmnopqrstu"[:run] + BASE[8:]) is flagged


@pytest.mark.parametrize(("run", "flagged"), [(LETTER_RUN - 1, False), (LETTER_RUN, True), (LETTER_RUN + 1, True)])
def test_letters_walking_the_alphabet_between_digits_at_the_edge(run: int, flagged: bool) -> None:
    """``aB3dE6fG9…``: two letters then a digit, so neither the value nor every other character of it holds a run:
    only the letters alone show the walk."""
    letters = "HiJkLmNoPqRs"[:run]
    walk = "".join(letters[i : i + 2] + str(i % 10) for i in range(0, run, 2))
    assert has_sequence("Q7vX2" + walk + "mK9pR") is flagged


@pytest.mark.parametrize(("times", "flagged"), [(FRAGMENT_TIMES - 1, False), (FRAGMENT_TIMES, True)])
def test_repeated_fragments_at_the_edge(times: int, flagged: bool) -> None:
    parts = ["K4w", "1", "K4w", "2", "K4w", "3", "K4w", "4", "K4w"][: times * 2 - 1]
    assert repeated_fragment("Zq" + "".join(parts) + "Yx") is flagged


@pytest.mark.parametrize(("kinds", "flagged"), [(3, True), (4, False)])
def test_keyboard_mash_at_the_edge(kinds: int, flagged: bool) -> None:
    run = ("sdfg" * 3)[:MASH_WINDOW] if kinds == 4 else ("sdf" * 3)[:MASH_WINDOW]
    assert has_mash("Q7vX2" + run + "mK9pR") is flagged


@pytest.mark.parametrize(("offset", "expired"), [(-1, True), (0, True), (1, False)])
def test_temporary_credentials_expiring_at_the_edge(
    keys: FakeKeys, ruleset: object, offset: int, expired: bool
) -> None:
    """Expiring exactly now is expired (unusable from this second)."""
    now = dt.datetime(2026, 12, 6, 12, 0, 0, tzinfo=dt.timezone.utc)
    stamp = (now + dt.timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = json.dumps(
        {
            "AccessKeyId": keys.sts_id(),
            "AccessKeySecret": keys.sts_secret(),
            "SecurityToken": keys.sts_token(),
            "Expiration": stamp,
        },
        indent=2,
    )
    (finding,) = apply_expiry(scan_text(text, ruleset), now)  # type: ignore[arg-type]
    assert (finding.expires_in is not None and finding.expires_in <= 0) is expired
    assert (str(finding.severity) == "info") is expired


@pytest.mark.parametrize(("members", "complete"), [(19_999, True), (20_000, True), (20_001, False)])
def test_an_archive_at_the_member_limit(tmp_path: Path, keys: FakeKeys, members: int, complete: bool) -> None:
    """20,000 members are read; the 20,001st stops the archive (counted, the report incomplete). The key
    sits in the last member of each."""
    key_id = keys.alibaba_id()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(members - 1):
            archive.writestr(f"m{index}.txt", "x")
        archive.writestr("last.py", f"auth = oss2.Auth('{key_id}', '{keys.alibaba_secret()}')\n")
    (tmp_path / "many.zip").write_bytes(buffer.getvalue())
    document = json.loads(run_akscan("scan", str(tmp_path), "--format", "json").out)
    found = {f["key_id"] for f in document["findings"] if "!" in f["path"]}
    assert (key_id in found) is complete
    assert document["summary"]["incomplete"] is (not complete)
    assert document["summary"]["archive_members"] == min(members, 20_000)


def _hinted_ruleset(**changes: object) -> object:
    from akscan.engine.rules import compile_rules

    entry: dict[str, object] = {
        "id": "zork-key",
        "provider": "zork",
        "kind": "key-id",
        "anchors": ["zorkcloud"],
        "hints": ["zork"],
        "pattern": r"zork[ \t]*=[ \t]*([A-Z0-9]{20})(?![A-Z0-9])",
        "window": 4000,
        "lone_severity": "high",
        "description": "A made-up cloud's key, bound to its name.",
        "remediation": "Rotate it.",
        **changes,
    }
    return compile_rules([(entry, "test-rules.toml", True)])


@pytest.mark.parametrize(("pad_from_edge", "found"), [(-1, True), (0, True), (1, False)])
def test_a_hinted_rule_reads_up_to_its_reach_after_the_hint(pad_from_edge: int, found: bool) -> None:
    """A hinted rule's regex runs from the hint to HINT_AFTER bytes past it: a value ending there is read,
    one ending a byte further is not (spaces padding an assignment past 512 bytes)."""
    from akscan.engine.candidates import HINT_AFTER

    value = "Q7VX2MK9PR4TW8ZL3NB6"
    # "zork" (4) + pad + "= " (2) + value (20) must end within 4 + HINT_AFTER bytes of the hint's start
    pad = HINT_AFTER - 22 + pad_from_edge
    text = "zorkcloud settings\nzork" + " " * pad + "= " + value + "\n"
    findings = scan_text(text, _hinted_ruleset())  # type: ignore[arg-type]
    assert [f.key_id for f in findings] == ([value] if found else [])


def test_a_hinted_rule_looks_only_around_its_hints() -> None:
    """The same value bound to a name the hints do not name is not read (the hints must cover every
    branch of the pattern: the rule examples prove the built-in ones do)."""
    value = "Q7VX2MK9PR4TW8ZL3NB6"
    ruleset = _hinted_ruleset(pattern=r"(?:zork|blip)[ \t]*=[ \t]*([A-Z0-9]{20})(?![A-Z0-9])")
    far = "zorkcloud\n" + "# settings\n" * 100  # the anchor (holding the hint) 1,100 bytes above the value
    assert [f.key_id for f in scan_text(f"{far}zork = {value}\n", ruleset)] == [value]  # type: ignore[arg-type]
    assert scan_text(f"{far}blip = {value}\n", ruleset) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(("hint", "accepted"), [("z", False), ("zk", True)])
def test_a_hint_must_be_a_word(hint: str, accepted: bool) -> None:
    from akscan.errors import RuleError

    if accepted:
        _hinted_ruleset(hints=[hint])
    else:
        with pytest.raises(RuleError, match="too short"):
            _hinted_ruleset(hints=[hint])


@pytest.mark.parametrize(("gap", "attached"), [(-1, True), (0, True), (1, False)])
def test_a_session_token_at_the_edge_of_its_reach(ruleset: object, keys: FakeKeys, gap: int, attached: bool) -> None:
    """Tokens are looked for only near a key ID: one starting token_bytes after the ID is still its, one a
    byte further is not (the search around IDs must reach as far as the pairing does)."""
    import base64
    import random

    key_id, secret = keys.aws_id("ASIA"), keys.aws_secret()
    token = base64.b64encode(b"!\n\torigin_ec" + random.Random(5).randbytes(300)).decode()
    reach = ruleset.rule("aws-access-key").pair.token_bytes  # type: ignore[attr-defined]
    head = f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    id_start = len("aws_access_key_id = ")
    label = "aws_session_token = "
    filler_size = id_start + reach + gap - len(head) - len(label)
    filler = ("#" + " " * 78 + "\n") * (filler_size // 80) + "#" * (filler_size % 80)
    text = head + filler + label + token + "\n"
    assert text.index(token) - id_start == reach + gap
    (finding,) = scan_text(text, ruleset)  # type: ignore[arg-type]
    assert (finding.security_token == token) is attached


def test_the_time_limit_charges_the_regex_not_the_work_on_its_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The regex module's timeout runs from the iterator's creation: the engine's own work between matches
    (validating each of 60,000 values in a hostile 2 MB file of key-shaped values) was charged to the rule,
    which was switched off for the rest of the scan and so missed a real pair in the next file. Matches
    are read whole inside the limit, then judged."""
    import time

    from akscan.engine import candidates
    from akscan.engine.rules import load_ruleset
    from tests.conftest import scan_text
    from tests.keys import FakeKeys

    ruleset = load_ruleset()
    keys = FakeKeys(31)
    ids = [keys.alibaba_id() for _ in range(8)]
    judge = candidates.valid_value

    def slow_judge(*args: object, **kwargs: object) -> bool:
        spent = time.process_time() + 0.05  # 8 matches: 0.4 s of the engine's own CPU, twice the limit
        while time.process_time() < spent:
            pass
        return judge(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(candidates, "valid_value", slow_judge)
    monkeypatch.setattr(candidates, "MATCH_TIMEOUT", 0.2)
    monkeypatch.setattr(candidates, "MATCH_BYTES_PER_SECOND", float("inf"))
    found = scan_text("".join(f"id{n} = {key_id}\n" for n, key_id in enumerate(ids)), ruleset)
    assert sorted(f.key_id for f in found) == sorted(ids) and ruleset.switched_off == set()


def test_decode_windows_are_the_line_windows_of_each_anchor() -> None:
    """The decoding layer's windows, found by bisecting the blob's newlines once, are exactly the
    per-anchor ``line_window`` (which searched from each anchor to its window's ends: quadratic on a file
    that is one long line of encoded anchors)."""
    import random

    from akscan.engine.positions import line_window, line_windows

    rng = random.Random(29)
    for _ in range(2000):
        data = bytes(rng.choice(b"ab\n\n ") for _ in range(rng.randrange(0, 300)))
        # past FEW_POSITIONS: the newlines are bisected (at or under it, each position is searched from)
        positions = sorted(rng.randrange(0, len(data)) for _ in range(rng.randrange(0, 40))) if data else []
        lines = rng.randrange(0, 10)
        assert line_windows(data, positions, lines) == [line_window(data, p, p, lines) for p in positions]


def test_a_key_among_a_long_line_of_encoded_anchors_is_found(keys: FakeKeys) -> None:
    import base64

    from akscan.engine.rules import load_ruleset

    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    pair = f"SecretId={key_id} SecretKey={secret}"
    line = "QUtJR " * 20000 + base64.b64encode(pair.encode()).decode() + " " + "QUtJR " * 20000
    assert [(f.key_id, f.secret) for f in scan_text(line + "\n", load_ruleset())] == [(key_id, secret)]
