"""The gate in front of the automaton may only say "no" when no anchor of a rule that can report on its
own is in the blob: findings with and without it must be identical."""

from __future__ import annotations

import random
import string
from typing import Any

import pytest

from akscan.engine.decode.base64_layer import RUN_MIN
from akscan.engine.detect import _prefilter
from akscan.engine.gate import NO_COVER, Gate, cover_words
from akscan.engine.rules import Ruleset, load_ruleset
from tests.conftest import scan_text
from tests.keys import FakeKeys

RULESET = load_ruleset()


def test_cover_words_cover_every_word() -> None:
    words = ["accesskeysecret", "access_key_secret", "aliyun", "alibaba_secret", "tencentcloud_secretkey", "abc"]
    covers = cover_words(words)
    assert all(any(c.decode() in w for c in covers) for w in words)
    assert len(covers) <= 3


def _random_text(rng: random.Random, most: int = 60) -> bytes:
    pieces = []
    for _ in range(rng.randint(1, most)):
        roll = rng.random()
        if roll < 0.45:
            pieces.append(
                "".join(
                    rng.choice(string.ascii_letters + string.digits + " ._-=:'\"\n") for _ in range(rng.randint(1, 40))
                )
            )
        elif roll < 0.55:  # a run near the shape of a secret's value: 29 to 41 letters and digits (+ and /)
            alphabet = string.ascii_letters + string.digits + ("+/" if rng.random() < 0.3 else "")
            pieces.append(" " + "".join(rng.choice(alphabet) for _ in range(rng.randint(28, 41))) + "'")
        elif roll < 0.75:
            # a rule's anchor or key name; half the time a lone secret's key name (the gate's subtlest case),
            # so that branch is exercised however many anchored rules there are
            named = [r for r in RULESET.rules if r.context_words]
            rule = rng.choice(named if roll < 0.65 else RULESET.rules)
            words = list(rule.context_words) if roll < 0.65 else list(rule.anchors) + list(rule.context_words)
            if words:
                word = rng.choice(words)
                if not rule.anchors_case_sensitive or word in rule.context_words:
                    word = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)
                pieces.append(word + rng.choice(["", " = '", ": ", '="']))
        else:
            pieces.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 30))).decode("latin-1"))
    return "".join(pieces).encode("latin-1")


def test_gate_never_hides_a_finding() -> None:
    """Closed means nothing to find: no anchor of a rule that reports on its own, and nothing the
    detector finds when made to look anyway (a secret's name without a value-shaped run anywhere)."""
    from akscan.engine.detect import detect
    from akscan.engine.gate import Opening
    from akscan.model import Blob, Origin

    rng = random.Random(11)
    from akscan.engine.rules import gate_run

    token_rules = {i for i, r in enumerate(RULESET.rules) if r.kind == "token"}
    # A key-ID rule's case-insensitive words (an SDK's name) open the gate only beside a value-shaped run,
    # as a lone secret's key names do: their hits in a closed blob are the detector's to judge, below.
    shaped = {i for i, r in enumerate(RULESET.rules) if gate_run(r) is not None}
    assert shaped, "no rule opens the gate by its context and shape: this test's second branch is untested"
    admitted = rejected = named_only = 0
    for _ in range(3000):
        data = _random_text(rng, most=rng.choice((12, 60)))
        lowered = data.lower()
        opening = RULESET.gate.scan(data, lowered)
        if opening.open:
            admitted += 1
            continue
        rejected += 1
        hits = _prefilter(data, lowered, RULESET, Opening(opening.exact, True, lowered))
        assert not {i for i in hits.anchors if i not in token_rules | shaped}, data
        named_only += bool(hits.context) or bool(set(hits.anchors) & shaped)
        forced = Opening(opening.exact, True, lowered)
        assert detect(Blob(data, Origin("f", "file")), RULESET, opening=forced) == [], data
    assert admitted > 300 and rejected > 300 and named_only > 100  # every branch was exercised


def test_a_secrets_name_opens_the_gate_only_beside_a_value_shaped_run(keys: FakeKeys) -> None:
    secret = keys.alibaba_secret()
    gate = RULESET.gate
    assert gate.may_match(f"SECRET_KEY = '{secret}'\n".encode())
    assert not gate.may_match(b"SECRET_KEY = os.environ['SECRET_KEY']\n")  # flask's everyday file
    assert not gate.may_match(f"SECRET_KEY = '{secret[:29]}'\n".encode())  # one short of the shape
    assert gate.may_match(f"SECRET_KEY = 'x'\n# {secret}\n".encode())  # a run anywhere opens it
    assert not gate.may_match(f"token = '{secret}'\n".encode())  # a run without a name does not
    assert not gate.scan(b"SECRET_KEY = 'dev'").empty and gate.scan(b"nothing here").empty
    aws = keys.aws_secret()
    assert gate.may_match(f"aws_secret_access_key = {aws}\n".encode())  # its own shape, with + and /
    found = scan_text(f"config:\n  access_key_secret: '{secret}'\n", RULESET)
    assert [(f.rule_id, f.secret) for f in found] == [("alibaba-access-key-secret", secret)]


@pytest.mark.parametrize(
    ("pattern", "shape"),
    [
        (rb"(?<![A-Za-z0-9])([A-Za-z0-9]{30})(?![A-Za-z0-9])", (string.ascii_letters + string.digits, 30)),
        (rb"(?:(?<=\s)[a-z]{3,8}\s*=)?([A-Za-z0-9+/]{40,64}={0,2})", (string.ascii_letters + string.digits + "+/", 40)),
        (rb"([A-Z2-7\-_]{20,})", (string.ascii_letters + "234567-_", 20)),  # letters in both cases, always
        (rb"(?i)([a-f0-9]{32})", ("abcdefABCDEF0123456789", 32)),
        (rb"a|([a-z]{30})", None),  # a top-level alternative may skip the value
        (rb"(?:x([a-z]{30}))", None),  # inside another group
        (rb"([a-z]{30}|key)", None),  # an alternative inside the value
        (rb"(?P<name>[a-z]{3})([A-Z]{30})", None),  # a named group is group 1, not the plain one after it
        (rb"(?<name>[a-z]{3})([A-Z]{30})", None),
        (rb"(?|(a)|(b))([A-Z]{30})", None),  # a branch reset renumbers
        (rb"x([A-Z]{30})?", None),  # the value itself optional
        (rb"x([A-Z]{30}){0,1}", None),
        (rb"(?<![a-z])([A-Z]{30})(?=\s)", (string.ascii_letters, 30)),  # lookarounds are not groups
        (rb"(\w{30})", None),
        (rb"([^a]{30})", None),
        (rb"([a-z]+)", None),
        (rb"(?x)([a-z ]{30})", None),
        (rb"([a-z]{4})", None),  # too short to tell anything apart
    ],
)
def test_value_run_is_read_off_plain_value_patterns_only(pattern: bytes, shape: tuple[str, int] | None) -> None:
    from akscan.engine.gate import value_run

    run = value_run(pattern)
    if shape is None:
        assert run is None
    else:
        assert run is not None
        assert (sorted(chr(b) for b in range(256) if run.table[b]), run.least) == (sorted(shape[0]), shape[1])


def test_reduced_alphabet_stays_small() -> None:
    # 14 with the Volcengine/Kingsoft/Baidu/JD/GCP anchors (G, O, P, J added): measured no change on ten
    # stdlib copies, +7% on the flask history; 18 with Huawei's HUAWEICLOUD (H, U, W, E): +5% of the
    # reduced-alphabet search on flask's blobs. Every byte kept here is paid on every byte scanned.
    # 24 with the base64 forms of LTAI (T, F, R, M, V, x): +0.05 ms/MB on flask's blobs; 25 with Qiniu's N.
    # 26 with the t of QUtJQ/QUtJR (AKIA, AKID encoded on their own): the pure engine's exact words +0.85
    # ms/MB on flask's blobs (its whole gate +1.6%); Hyperscan, the engine past the first MB, unchanged.
    assert 256 - len(RULESET.gate.exact.delete) <= 26
    gate = Gate.build([], ["LTAI"])
    assert gate.may_match(b"x = 'LTAI'", b"x = 'ltai'")
    assert not gate.may_match(b"L.T.A.I", b"l.t.a.i")  # a false adjacency is confirmed away


def _all_hits(data: bytes, windows: list[tuple[int, int]] | None) -> list[tuple[int, int, tuple[object, ...]]]:
    """Automaton hits as the prefilter keeps them: a case-sensitive anchor only where its exact bytes are."""
    from akscan.engine.detect import _automaton_hits

    confirmed = []
    for start, length, targets in _automaton_hits(RULESET, data.lower(), windows):
        kept = tuple(t for t in targets if t.exact is None or data[start : start + length] == t.exact)
        if kept:
            confirmed.append((start, length, kept))
    return sorted(confirmed, key=lambda hit: (hit[0], hit[1]))


_BASE64 = set(string.ascii_letters + string.digits + "+/")


def _run_length(data: bytes, start: int, end: int) -> int:
    text = data.decode("latin-1")
    while start > 0 and text[start - 1] in _BASE64:
        start -= 1
    while end < len(text) and text[end] in _BASE64:
        end += 1
    return end - start


def _that_matter(data: bytes, hits: list[tuple[int, int, tuple[Any, ...]]]) -> list[tuple[int, int, tuple[Any, ...]]]:
    """The hits the engine can act on: a token anchor only where a key-ID anchor was hit too (a token is
    reported only with its ID), a base64 form of an anchor only inside a run long enough to be decoded."""
    decodable = [
        (
            start,
            length,
            tuple(t for t in targets if t.layer is None or _run_length(data, start, start + length) >= RUN_MIN),
        )
        for start, length, targets in hits
    ]
    key_id_hit = any(RULESET.rules[t.rule_index].kind == "key-id" for _, _, targets in decodable for t in targets)
    kept = []
    for start, length, targets in decodable:
        useful = tuple(t for t in targets if key_id_hit or RULESET.rules[t.rule_index].kind != "token")
        if useful:
            kept.append((start, length, useful))
    return kept


@pytest.mark.parametrize("engine", ["python", "hyperscan"])
def test_spotter_windows_hold_every_automaton_hit(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Walking only the spotter's windows finds exactly what walking the whole blob finds, base64 forms
    of anchors included, and token prefixes wherever a key-ID anchor is in the blob (with sparse blobs,
    so windows are actually used)."""
    from akscan.engine import fastgate
    from akscan.engine.decode.base64_layer import base64_variants

    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    monkeypatch.setattr(fastgate, "_engines", {})
    monkeypatch.setattr(fastgate, "_gated_bytes", fastgate.AFTER_BYTES)
    monkeypatch.setenv("AKSCAN_GATE", engine)
    monkeypatch.setattr(fastgate, "_forced_python", fastgate._forced_python)  # restored after the test
    fastgate.choose()
    rng = random.Random(23)
    extra = [v for r in RULESET.rules if r.anchors_case_sensitive for a in r.anchors for v in base64_variants(a)]
    windowed = 0
    for _ in range(2000):
        filler = [
            "".join(rng.choice(string.ascii_letters + " \n") for _ in range(rng.randint(50, 400)))
            for _ in range(rng.randint(1, 8))
        ]
        words = [w for r in RULESET.rules for w in (*r.anchors, *r.context_words)] + extra
        planted = [rng.choice(words) for _ in range(rng.randint(0, 3))]
        pieces = [piece for pair in zip(filler, planted + [""] * len(filler), strict=False) for piece in pair]
        data = "".join(pieces).encode("latin-1")
        lowered = data.lower()
        windows = RULESET.spotter.windows(data, lowered, RULESET.gate.scan(data, lowered))
        windowed += windows is not None
        assert _that_matter(data, _all_hits(data, windows)) == _that_matter(data, _all_hits(data, None)), data
    assert windowed > 1000  # the windowed path was the one exercised
    used = fastgate._engines.get((RULESET.spotter.covers, RULESET.spotter.words, False, ()))
    assert isinstance(used, fastgate.Hyperscan) == (engine == "hyperscan")


def test_an_encoded_alibaba_key_id_opens_the_gate_by_itself(ruleset: Ruleset, keys: FakeKeys) -> None:
    """An ApsaraMQ for RabbitMQ username is base64("<n>:<instance>:<AccessKey ID>"); in a file that says
    nothing else (no ``secret``, no plain anchor) it is still found, at each base64 alignment."""
    import base64

    for prefix in ("0", "10", "100"):
        key_id = keys.alibaba_id()
        username = base64.b64encode(f"{prefix}:amqp-cn-st21x7kv0001:{key_id}".encode()).decode()
        password = base64.b64encode(f"{keys.alibaba_secret()}:1732867200000".encode()).decode()
        text = f"url: amqp://{username}:{password}@amqp-cn-st21x7kv0001.mq-amqp.aliyuncs.com/vhost\n"
        assert b"secret" not in text.lower().encode() and "LTAI" not in text
        found = scan_text(text, ruleset)
        assert [(f.key_id, f.encoding) for f in found if f.key_id] == [(key_id, "base64")], text


def _hyperscan_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    from akscan.engine import fastgate

    pytest.importorskip("hyperscan")
    monkeypatch.setattr(fastgate, "_engines", {})
    monkeypatch.setattr(fastgate, "_gated_bytes", fastgate.AFTER_BYTES)
    monkeypatch.setattr(fastgate, "_forced_python", False)


def test_both_gate_engines_give_the_same_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hyperscan (one pass, caseless covers, a second pass for value runs) and the pure engine (lowercased
    passes, reduced alphabet, translate for runs): the same open/closed verdict, the same cover verdict,
    the same exact words and the same emptiness, on random text with anchors, context words in random
    case, value-shaped runs, their base64 forms and near misses (L.T.A.I, LTA I)."""
    from akscan.engine import fastgate

    _hyperscan_gate(monkeypatch)
    rng = random.Random(31)
    near_misses = ["L.T.A.I", "LTA I", "SECRE T", "s3cret", "ALIBAB", "aliyu n", "QINI U", "xUQ U"]
    opened = 0
    for _ in range(3000):
        data = _random_text(rng)
        if rng.random() < 0.3:
            data += rng.choice(near_misses).encode()
        fast = RULESET.gate.scan(data)
        pure = RULESET.gate.scan_python(data, data.lower())
        if not pure.open and RULESET.gate.starts_with_anchor(data):  # as scan() does on either engine
            pure = pure._replace(covered=True)
        assert (fast.covered, sorted(fast.exact), fast.empty) == (pure.covered, sorted(pure.exact), pure.empty), data
        opened += pure.open
    assert 300 < opened < 2700
    assert any(isinstance(engine, fastgate.Hyperscan) for engine in fastgate._engines.values())


def test_findings_are_the_same_through_either_gate_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rule example and negative example, scanned with the gate on Hyperscan and on the pure
    engine: identical findings."""
    from akscan.engine import fastgate

    pytest.importorskip("hyperscan")
    texts = [ex for rule in RULESET.rules for ex in (*rule.examples, *rule.negative_examples)]

    def findings(engine: str) -> list[tuple[object, ...]]:
        monkeypatch.setattr(fastgate, "_engines", {})
        monkeypatch.setattr(fastgate, "_gated_bytes", fastgate.AFTER_BYTES)
        monkeypatch.setenv("AKSCAN_GATE", engine)
        monkeypatch.setattr(fastgate, "_forced_python", fastgate._forced_python)  # restored after the test
        fastgate.choose()
        found = [scan_text(text, RULESET) for text in texts]
        key = (RULESET.gate.covers, RULESET.gate.words, True, RULESET.gate.engine_named)
        assert (key in fastgate._engines) == (engine != "python")
        return [tuple((f.rule_id, f.kind, f.key_id, f.secret, f.location.offset) for f in one) for one in found]

    assert findings("hyperscan") == findings("python")
    assert any(findings("python"))


def test_hyperscan_takes_any_literal_a_users_rule_may_hold() -> None:
    """Punctuation, a NUL and non-ASCII bytes in anchors and context words: Hyperscan reads them as
    literals (``\\xHH``), caseless only for ASCII letters — as the pure engine, which lowercases ASCII."""
    from akscan.engine import fastgate

    pytest.importorskip("hyperscan")
    custom = Gate.build(["k.e.y", "Schlüssel"], ["ST.S", "A\x00B", "Ä1"])
    engine = fastgate.Hyperscan.build(custom.covers, custom.words, once=True)
    assert engine is not None
    texts = [b"x K.E.Y y", b"x ST.S", b"STxS", b"A\x00B", b"a\x00b", "Ä1 SCHLüSSEL".encode("latin-1"), b"keyy"]
    for text in texts:
        (exact, covered, _), pure = engine.scan(text), custom.scan_python(text, text.lower())
        assert (covered, sorted(exact)) == (pure.covered, sorted(pure.exact)), text
    assert [custom.scan_python(t, t.lower()).open for t in texts] == [True, True, False, True, False, True, False]


@pytest.mark.parametrize("engine", ["python", "hyperscan"])
def test_a_newline_led_anchor_also_matches_at_the_top_of_a_blob(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``"\\nak ="`` keeps "peak =" out of the gate, and no newline precedes a file's first line: the
    anchor matches there too, through either gate engine, and nowhere else without its newline."""
    from akscan.engine import fastgate

    if engine == "hyperscan":
        _hyperscan_gate(monkeypatch)
    else:
        monkeypatch.setattr(fastgate, "_forced_python", True)
    pair = 'ak = "{}"\nsk = "{}"\n'.format("7da97614f1289936c82dd01f1a9cef03", "93a5be1159c90f028bcab3f156736b80")
    filler = "".join(f"value_{i} = {i}\n" for i in range(200))  # past the bytes Hyperscan waits for
    for text, wanted in [
        (pair + filler, True),
        (filler + pair, True),
        (pair.replace("ak =", "AK =").replace("sk =", "SK =") + filler, True),  # the name in any case
        ("pe" + pair + filler, False),  # "peak =" at the top is no ak
        ("\ufeff" + pair + filler, False),  # not at the very start (the rule's other anchors miss it too)
    ]:
        assert RULESET.gate.scan(text.encode()).open or not wanted, text[:40]
        found = [f.rule_id for f in scan_text(text, RULESET)]
        assert (found == ["baidu-hex-pair"]) == wanted, (text[:40], found)


def test_provider_words_open_the_gate_only_beside_a_value_shaped_run() -> None:
    """A context rule's words (baidu, bce, storage.jcloud.com) say a cloud is named, not that a key is
    there: they open the gate only with a run shaped like the rule's value somewhere in the blob, which the
    gate reads off the pattern (``value_run``). A pattern it cannot read (a group inside the value, a
    branch reset) lets the words open the gate alone: Baidu's, with a lookbehind inside its value, opened it
    for 5,045 more blobs of 26 real histories (cover "storage" and "cloud" for JSS's words). UCloud's is the
    one rule allowed (its value has three unrelated shapes, e-mail-like among them)."""
    from akscan.engine.rules import gate_run

    alone = {
        rule.id
        for rule in RULESET.rules
        if rule.kind == "key-id" and not rule.anchors_case_sensitive and gate_run(rule) is None
    }
    assert alone == {"ucloud-context-public-key"}
    # and the key-ID anchors spelled as escapes or character codes (an ID's own prefix, not a context word)
    from akscan.engine.rules import escaped_anchors

    spelled = {form.encode() for rule in RULESET.rules for form in escaped_anchors(rule)}
    assert len(spelled) == 16  # LTAI, AKIA, AKID, AKLT: \x, \u, and codes with and without spaces
    # and the base64 forms a signature's MAC leaves its signed text's first name and an anchor in
    from akscan.engine.rules import signature_forms

    signed = {form.lower().encode() for rule in RULESET.rules for form in signature_forms(rule)}
    assert signed == {b"zzwnyzxrjzd1bs0le", b"zzwnyzxrjzd1js0le"}  # secretId=AKID, secretId=IKID
    # and the base64 form of what an issued value starts with (Alibaba VOD's UploadAuth, an app's serialized
    # STS credentials)
    from akscan.engine.rules import head_forms

    heads = {form.lower().encode() for rule in RULESET.rules for form in head_forms(rule)}
    assert heads == {
        b"eyjtzwn1cml0evrva2vuijoiq0fju",
        b"eyjhy2nlc3nlzxljzci6ilnuuy",
        b"eyjby2nlc3nlzxljzci6ilnuuy",
        b"eyjhy2nlc3nlzxljzci6icjtvfmu",  # the same JSON as json.dumps writes it: a space after each colon
        b"eyjby2nlc3nlzxljzci6icjtvfmu",
    }
    assert set(RULESET.gate.covers) == {b"ucloud", b"ufile"} | spelled | signed | heads


def test_a_chunk_that_begins_mid_line_has_no_line_start() -> None:
    """A large file is read in overlapping chunks; a later chunk may begin inside a line ("peak = …" cut
    after "pe"). Only a blob that begins a line lets a newline-led anchor match at its first byte."""
    from akscan.engine.detect import detect
    from akscan.model import Blob, Origin

    text = 'ak = "{}"\nsk = "{}"\n'.format("7da97614f1289936c82dd01f1a9cef03", "93a5be1159c90f028bcab3f156736b80")
    data = text.encode()
    assert [f.rule_id for f in detect(Blob(data, Origin("big.txt")), RULESET)] == ["baidu-hex-pair"]
    assert detect(Blob(data, Origin("big.txt"), column_base=2), RULESET) == []


def _greedy_cover(words: list[str]) -> tuple[bytes, ...]:
    """The greedy set cover as first written (every remaining word's substrings recounted each round): the
    specification the faster bucketed version must match exactly, so the gate's words do not change."""
    remaining = {w.lower() for w in words}
    chosen: list[str] = []
    while remaining:
        counts: dict[str, int] = {}
        for word in remaining:
            size = min(5, len(word))
            for sub in {word[i : i + n] for n in range(size, len(word) + 1) for i in range(len(word) - n + 1)}:
                if sub != word and any(sub in common for common in NO_COVER):
                    continue  # never a cover of other words: in every file of code
                counts[sub] = counts.get(sub, 0) + 1
        best = max(counts, key=lambda s: (counts[s], len(s), s))
        chosen.append(best)
        remaining = {w for w in remaining if best not in w}
    return tuple(sorted(w.encode("latin-1") for w in chosen))


def test_cover_words_is_the_greedy_cover() -> None:
    rng = random.Random(5)
    for _ in range(500):
        words = ["".join(rng.choice("abcd._") for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(0, 25))]
        assert cover_words(words) == _greedy_cover(words), words
    ruleset = load_ruleset()
    everything = [a for r in ruleset.rules if not r.anchors_case_sensitive for a in r.anchors]
    assert cover_words(everything) == _greedy_cover(everything)


def test_covers_are_never_words_every_file_holds() -> None:
    """The spotter covers several anchors with one substring they share; a substring like ``token`` (of
    ``securitytoken`` and ``upload_token``) or ``credentials`` is in every file of code, and one such cover
    doubled the spotter's hits over 26 real histories. Such words are a cover only when they are the
    anchor itself."""
    from akscan.engine.gate import cover_words

    assert cover_words(["securitytoken", "upload_token"]) == (b"securitytoken", b"upload_token")
    assert cover_words(["basiccredentials", "globalcredentials"]) == (b"basiccredentials", b"globalcredentials")
    assert cover_words(["aipspeech", "speechsynthesizer"]) == (b"aipspeech", b"speechsynthesizer")
    assert cover_words(["ossaccesskey", "obsaccesskey"]) == (b"saccesskey",)  # a shared rare part still covers
    assert not any(cover in b"client token credentials speech" for cover in RULESET.spotter.covers)


def test_names_kept_as_they_are_drop_those_holding_another() -> None:
    """A key name that holds another name of its group is found wherever it is: one search, not two; the gate
    still opens on the longer name alone (it holds the shorter)."""
    from akscan.engine.gate import _names

    assert _names(["uptoken", "getUpToken", "qiniu", "Qiniu"]) == (b"qiniu", b"uptoken")
    assert all(any(kept in word for kept in _names(["uptoken", "getuptoken"])) for word in (b"getuptoken",))
