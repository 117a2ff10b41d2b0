"""Rules are data: load ``rules/*.toml``, validate them, compile one Aho-Corasick automaton and the
per-rule regexes once per run ("build once, query many")."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ahocorasick

from akscan.engine.decode.base64_layer import LAYER, RUN_MIN, SIGNED_HEADS, base64_variants
from akscan.engine.filecontext import FileContext, valid_stem
from akscan.engine.gate import Gate, Spotter, ValueRun, value_run
from akscan.errors import RuleError
from akscan.model import Severity

if TYPE_CHECKING:  # the regex module costs ~10 ms to import: loaded when a pattern is first needed
    import regex

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

KINDS = ("key-id", "secret", "token")
CONFIDENCES = ("high", "medium", "low")

# How a secret's key name is joined to its value: the rest of the key name, closing quotes or tags, then
# an assignment-ish separator (=, :, =>, :=, a comma in a call, a table bar, a CLI space) on one line.
CONTEXT_GLUE = rb"[A-Za-z0-9_.\-]{0,32}?[^A-Za-z0-9\r\n]{1,8}?"

_RULE_KEYS = {
    "id",
    "provider",
    "kind",
    "title",
    "anchors",
    "anchors_case_sensitive",
    "anchors_in_value",
    "fallback",
    "file_names",
    "whole_words",
    "hints",
    "base64_opens_gate",
    "signature_opens_gate",
    "base64_heads",
    "pattern",
    "min_entropy",
    "context_words",
    "pair",
    "severity",
    "lone_severity",
    "description",
    "remediation",
    "examples",
    "negative_examples",
    "validator",
    "window",
    "allow_hex",
    "temporary_remediation",
    "temporary_prefixes",
    "unverifiable",
    "not_near",
    "not_near_bytes",
    "yields_to",
    "second_look",
    "needs_near",
    "needs_near_bytes",
    "own_hosts",
    "exact_length",
    "min_entropy_by_length",
}
_PAIR_KEYS = {
    "secret",
    "token",
    "also_tokens",
    "lines",
    "bytes",
    "token_bytes",
    "kind",
    "severity",
    "temporary_severity",
    "secret_named",
}


class LazyPattern:
    """A rule regex compiled on first use. The gate and the prefilter keep most blobs away from every
    regex, so a typical pre-commit run compiles none (the ``regex`` module takes ~1 ms per pattern)."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: bytes) -> None:
        self.source = source
        self._compiled: regex.Pattern[bytes] | None = None

    def get(self) -> regex.Pattern[bytes]:
        if self._compiled is None:
            import regex

            self._compiled = regex.compile(self.source)
        return self._compiled

    def finditer(self, data: bytes, pos: int, endpos: int, **kwargs: Any) -> Any:
        return self.get().finditer(data, pos, endpos, **kwargs)

    def __getstate__(self) -> bytes:
        return self.source

    def __setstate__(self, state: bytes) -> None:
        self.source = state
        self._compiled = None


@dataclass(frozen=True)
class Pairing:
    secret: str
    token: str | None = None
    lines: int = 6
    bytes: int = 1200
    token_bytes: int = 6000
    kind: str = "pair"  # finding kind when paired: pair | sts-credentials
    severity: Severity = Severity.HIGH
    # A pair found with its token is temporary (an STS answer, AWS session keys): its own kind, this severity.
    temporary_severity: Severity = Severity.MEDIUM
    # Only a secret no name calls another value (an ID, a digest, a nonce): a masked ID's SecretKey, not a nonce.
    secret_named: bool = False
    # More token rules whose tokens go with this ID as ``token``'s do: a form whose pattern has no word in
    # common with the token rule's names (a token passed third after its pair, found from "AKID") is a rule
    # of its own, since one alternative without the names' literal made the regex engine try every
    # position of every window (the Tencent token rule ran 12 times slower).
    also_tokens: tuple[str, ...] = ()

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every token rule this ID takes a token from."""
        return ((self.token,) if self.token is not None else ()) + self.also_tokens


@dataclass(frozen=True)
class Rule:
    id: str
    provider: str
    kind: str
    title: str
    pattern: LazyPattern
    anchors: tuple[str, ...]
    anchors_case_sensitive: bool
    min_entropy: float
    context_words: tuple[str, ...]
    context_pattern: LazyPattern | None
    pair: Pairing | None
    severity: Severity
    lone_severity: Severity | None
    description: str
    remediation: str
    examples: tuple[str, ...] = field(repr=False, default=())
    negative_examples: tuple[str, ...] = field(repr=False, default=())
    validator: str | None = None
    window: int = 80
    source: str = ""
    # The base64 forms of the anchors open the gate by themselves: every form (True), or "start" only the
    # form a value encoded on its own begins with (``atob("QUtJQ…")``, a Secret's ``data:`` value).
    base64_opens_gate: bool | str = False
    # The name that begins the text a signature signs, when that text is base64-encoded after its MAC in one
    # value (Tencent VOD's upload signature: HMAC-SHA1 + "secretId=AKID…&currentTimeStamp=…"): that name and
    # each anchor, in the form they take there, open the gate (``signature_forms``).
    signature_opens_gate: str = ""
    # What the text of a base64 value holding this rule's key begins with, fixed by the service that issues it
    # (Alibaba VOD's UploadAuth and PlayAuth: '{"SecurityToken":"CAIS…'): its form at a value's start opens
    # the gate, where the ID's own forms lie deep inside the value at any alignment.
    base64_heads: tuple[str, ...] = ()
    allow_hex: bool = False  # a secret made only of hex digits is still this rule's (Baidu's 32-hex SK)
    temporary_remediation: str = ""  # what to do when the pair is found with its token (temporary)
    temporary_prefixes: tuple[str, ...] = ()  # IDs that are temporary by their prefix alone (AWS's ASIA)
    # Words (lower case) one of which every match starts with, or holds within its first HINT_BEFORE bytes
    # (the names and calls the pattern binds a value to). A rule whose anchors are context words (an SDK's
    # name, thousands of times in its own repository) runs its regex only around these inside its windows:
    # a dozen bytes before to HINT_AFTER after each, not a few KB around every anchor.
    hints: tuple[str, ...] = ()
    # The anchors are part of the value (an ID's prefix, a token's fixed middle), not context words: the
    # text layers (escapes, split literals) are decoded around them. Case-sensitive anchors are, by default.
    anchors_in_value: bool = False
    # A shape-only rule (no provider word near the value): it reads a value only where no other rule does,
    # so a finding another rule made keeps its rule (and its fingerprint, which baselines hold).
    fallback: bool = False
    # Stems of file names that put a whole file in this context rule's context (``config/qiniu.yml``:
    # a Rails app's Qiniu pair with no Qiniu word in it). See ``akscan.engine.filecontext``.
    file_names: tuple[str, ...] = ()
    # Anchors that are context only as words of their own, not inside another (Qiniu's "uptoken", not
    # groupToken or setupToken): one gate word each, where a variant per preceding character was one more
    # search of every blob holding a value's run.
    whole_words: tuple[str, ...] = ()
    # Why the provider's identity API cannot tell whether this rule's pairs are live (keys it does not
    # know, such as Tencent's API gateway keys): set, a pair is never sent and is reported "unverifiable"
    # with this reason. Empty: the provider's verifier decides.
    unverifiable: str = ""
    # Words (lower case) that say a value of this shape is another product's: a key-ID candidate with one
    # of them within ``not_near_bytes`` is not this rule's (Baidu Maps' browser keys, ``ak=`` beside
    # api.map.baidu.com, are no Baidu AI Cloud AccessKeys).
    not_near: tuple[str, ...] = ()
    not_near_bytes: int = 2000
    # Words (lower case) of services that issue keys of this rule's shape and have no rule of their own
    # (MinIO, Ceph: any S3-compatible store's 20/40 pair): a key-ID candidate nearer one of them than any
    # of the rule's own words is theirs, not this provider's.
    yields_to: tuple[str, ...] = ()
    # A key-ID rule that takes only the IDs every other rule left without a partner, and only with a partner
    # of its own: an ID shared with another rule's shape, told apart by what is written beside it (an AWS
    # key ID as the user name of SES SMTP credentials, beside the SMTP password). Never reports an ID alone.
    second_look: bool = False
    # Words (lower case) one of which must be within ``needs_near_bytes`` of a key-ID candidate for it to be
    # this rule's (an SES SMTP user name beside "smtp" or "mail": a 44-character value of the password's
    # shape beside any other AWS key ID is something else's).
    needs_near: tuple[str, ...] = ()
    needs_near_bytes: int = 2000
    # Hosts (lower case) of the provider's own endpoints, for a secret rule whose names other services reuse
    # (S3-compatible stores under AWS's names): a lone secret beside an endpoint setting that names another
    # host (``ENDPOINT_URL = "https://rgw.example.org"``) is that store's, not reported as this provider's
    # (``akscan.engine.endpoints``). A pair (an AKIA ID beside it) is still this provider's.
    own_hosts: tuple[str, ...] = ()
    # A secret rule whose pattern also reads values one character off the issued length (a copy that lost or
    # gained one: a leak all the same, a few dozen guesses from whole): the issued length. A value of another
    # length is never reported alone, and pairs only with an ID that has no partner of this length in the
    # blob (the mistyped copy in a comment beside the real pair is no second finding).
    exact_length: int = 0
    # Floors for some lengths of a rule that matches values of several shapes (an early Alibaba ID: 16 letters
    # and digits, or 24 lower-case letters and digits): one floor cannot fit both, the longer value's random
    # draws reach a higher entropy (benchmarks/floors.py prints what each floor rejects of its own shape).
    min_entropy_by_length: tuple[tuple[int, float], ...] = ()

    def entropy_floor(self, length: int) -> float:
        """The entropy a value of this length must reach."""
        for at, floor in self.min_entropy_by_length:
            if at == length:
                return floor
        return self.min_entropy


@dataclass(frozen=True)
class AnchorTarget:
    rule_index: int
    exact: bytes | None  # the anchor's case-sensitive bytes, or None when any case is accepted
    is_context: bool
    layer: str | None = None  # "base64": the anchor seen through an encoding; decode around the hit
    # (ESCAPED: through text escapes or character codes; the text layers are decoded around it)


ESCAPED = "escaped"


@dataclass
class Ruleset:
    rules: list[Rule]
    automaton: Any  # ahocorasick.Automaton (untyped C extension)
    digest: str
    by_id: dict[str, int]
    gate: Gate
    spotter: Spotter
    # Anchors that begin with a newline (``"\nak ="``: the name at a line's start, not inside "peak ="),
    # without it, with their rule: they also match at a blob's first byte, which no newline precedes (a
    # file, or a window of changed lines, whose first line names the key). (lowered word, exact or None, rule)
    line_starts: tuple[tuple[bytes, bytes | None, int], ...] = ()
    # Rules whose regex ran past its time limit in this process: off for the rest of the scan (one bad rule
    # costs its limit once, not once per file). Per process, never pickled: each worker finds out itself.
    switched_off: set[str] = field(default_factory=set)
    file_context: FileContext = field(default_factory=lambda: FileContext(()))
    # Second-look rules the user's settings turn off: not read at all (``leave_unread``).
    unread: frozenset[str] = frozenset()

    def leave_unread(self, is_on: Callable[[str], bool]) -> None:
        """Second-look rules the settings turn off (or whose secret rule they turn off) are not read: the IDs
        they would have taken stay the first rule's. Filtered out after the scan instead, an SES user name
        would vanish with its pair where the access key alone was reported before. The digest says so (a
        cached result of the other reading is not reused)."""
        off = frozenset(
            rule.id
            for rule in self.rules
            if rule.second_look and (not is_on(rule.id) or (rule.pair is not None and not is_on(rule.pair.secret)))
        )
        if off and off != self.unread:
            self.unread = off
            self.digest = hashlib.sha256(f"{self.digest}\0unread\0{','.join(sorted(off))}".encode()).hexdigest()[:16]

    def rule(self, rule_id: str) -> Rule:
        return self.rules[self.by_id[rule_id]]

    @functools.cached_property
    def second_look_ids(self) -> frozenset[str]:
        return frozenset(rule.id for rule in self.rules if rule.second_look)

    @functools.cached_property
    def token_rules(self) -> tuple[int, ...]:
        """Indexes of the session-token rules (looked for beside key IDs, not by the automaton)."""
        return tuple(index for index, rule in enumerate(self.rules) if rule.kind == "token")

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "switched_off": set()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def builtin_rules_dir() -> Path:
    """The bundled rules: inside the package in a wheel, at the repository top in a checkout."""
    package = Path(__file__).resolve().parent.parent  # akscan/, this file being akscan/engine/rules.py
    packaged = package / "_rules"
    if packaged.is_dir():
        return packaged
    checkout = package.parent.parent / "rules"
    if checkout.is_dir():
        return checkout
    raise RuleError("the bundled rules are missing: reinstall akscan (no akscan/_rules or rules/ found)")


def load_ruleset(
    extra_dirs: tuple[Path, ...] = (),
    include_builtin: bool = True,
    inline: tuple[tuple[dict[str, Any], str], ...] = (),
) -> Ruleset:
    """The bundled rules (their regexes are compiled lazily: the test suite proves they compile), the
    user's rule folders and rules written in the config file (``inline``: (table, where it was
    written)), both compiled now, so a bad pattern is reported before any scan starts."""
    raw: list[tuple[dict[str, Any], str, bool]] = []
    if include_builtin:
        raw.extend((entry, where, False) for entry, where in _builtin_entries(builtin_rules_dir()))
    for directory in extra_dirs:
        if not directory.is_dir():
            raise RuleError(f"rules directory {directory} does not exist: pass a folder of *.toml rule files")
        for path in sorted(directory.glob("*.toml")):
            raw.extend((entry, str(path), True) for entry in _read_rule_file(path, directory))
    raw.extend((entry, where, True) for entry, where in inline)
    return compile_rules(raw)


def _builtin_entries(directory: Path) -> list[tuple[dict[str, Any], str]]:
    """The bundled rules' tables, each with its file. Parsing their TOML costs ~11 ms of every start (the
    pre-commit hook's budget is ~100 ms); the tables are kept as JSON (~0.3 ms to read) in the user's
    cache, named by the SHA-256 of the files' names and bytes, so an edited or upgraded rule file is
    never read from an old copy. The cache is used only in a folder nobody else can write (a planted
    copy could drop a rule)."""
    import hashlib
    import json

    from akscan.errors import ConfigError
    from akscan.storage import private_folder, read_cache, read_regular, user_cache_dir, write_atomic

    if not directory.is_dir():
        raise RuleError(f"rules directory {directory} does not exist: reinstall akscan")
    files: list[tuple[Path, bytes]] = []
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.toml")):
        try:
            data = read_regular(_inside(path, directory), MAX_RULE_FILE, "rule file")
        except (OSError, ConfigError) as exc:
            raise RuleError(f"{path}: cannot read rule file: {exc}") from None
        files.append((path, data))
        digest.update(path.name.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    top = user_cache_dir()
    cached = top / "rules" / f"{digest.hexdigest()}.json"
    trusted = private_folder(cached.parent, top) is None
    stored = read_cache(cached, MAX_RULE_FILE * 4) if trusted else None
    if stored is not None:
        with contextlib.suppress(ValueError):
            tables = json.loads(stored)
            if _tables(tables, len(files)):
                pairs = zip(files, tables, strict=True)
                return [(entry, str(path)) for (path, _), entries in pairs for entry in entries]
    tables = [_parse_rule_file(path, data) for path, data in files]
    if trusted:
        with contextlib.suppress(OSError):
            write_atomic(cached, json.dumps(tables).encode(), private=True)
    return [(entry, str(path)) for (path, _), entries in zip(files, tables, strict=True) for entry in entries]


def _tables(tables: Any, files: int) -> bool:
    """Whether a cached copy has the shape of the parsed files (one list of tables per file)."""
    return (
        isinstance(tables, list)
        and len(tables) == files
        and all(isinstance(entries, list) and all(isinstance(e, dict) for e in entries) for entries in tables)
    )


MAX_RULE_FILE = 4 * 1024 * 1024  # bytes: the bundled files together are ~60 KB


def _read_rule_file(path: Path, directory: Path) -> list[dict[str, Any]]:
    """A rule file's tables: a bounded regular file inside its folder (a link to /dev/zero, to a FIFO or to
    a file elsewhere is one clear error, never a hang, a memory blow-up or a read outside the folder)."""
    from akscan.errors import ConfigError
    from akscan.storage import read_regular

    try:
        data = read_regular(_inside(path, directory), MAX_RULE_FILE, "rule file")
    except ConfigError as exc:
        raise RuleError(str(exc)) from None
    except OSError as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from exc
    return _parse_rule_file(path, data)


def _inside(path: Path, directory: Path) -> Path:
    real, folder = path.resolve(), directory.resolve()
    if folder != real.parent and folder not in real.parents:
        raise RuleError(f"{path}: a rule file must be inside its folder {directory} (it links to {real})")
    return real


def _parse_rule_file(path: Path, data: bytes) -> list[dict[str, Any]]:
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from exc
    entries = document.get("rules")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RuleError(f"{path}: expected one or more [[rules]] tables")
    unknown = set(document) - {"rules"}
    if unknown:
        raise RuleError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    return entries


def compile_rules(raw: list[tuple[dict[str, Any], str, bool]]) -> Ruleset:
    rules: list[Rule] = []
    by_id: dict[str, int] = {}
    digest = hashlib.sha256()
    builtin: set[str] = set()
    for entry, source, validate in raw:
        rule = _compile_rule(entry, source, validate)
        if rule.id in by_id:
            hint = " (a built-in rule has this id: rename yours, or remove it)" if rule.id in builtin else ""
            raise RuleError(f"{source}: rule id {rule.id!r} is defined twice{hint}")
        by_id[rule.id] = len(rules)
        if not validate:  # the bundled rules are the ones not validated at load (the suite proves them)
            builtin.add(rule.id)
        rules.append(rule)
        digest.update(repr(sorted((k, repr(v)) for k, v in entry.items())).encode())
    for rule in rules:
        if rule.pair is None:
            continue
        if rule.kind != "key-id":
            raise RuleError(f"{rule.source}: rule {rule.id!r} is a {rule.kind} rule: only a key-id rule pairs")
        refs = [(rule.pair.secret, "secret")] + [(ref, "token") for ref in rule.pair.tokens]
        for ref, wanted in refs:
            if ref not in by_id:
                raise RuleError(f"{rule.source}: rule {rule.id!r} pairs with unknown rule {ref!r}")
            if rules[by_id[ref]].kind != wanted:
                raise RuleError(
                    f"{rule.source}: rule {rule.id!r}: pair.{wanted} names {ref!r}, a {rules[by_id[ref]].kind} rule "
                    f"(it must name a {wanted} rule)"
                )
    # The gate needs only what can make a finding on its own. A token is reported only with the key ID
    # it belongs to, whose anchor already opens the gate; leaving token anchors out keeps the gate's
    # reduced alphabet small (AWS's "IQoJb3JpZ2luX2Vj" alone would add eight characters to it).
    gated = [r for r in rules if r.kind != "token"]
    sensitive = [a for r in gated if r.anchors_case_sensitive for a in r.anchors]
    sensitive += [v for r in gated if r.base64_opens_gate for v in _gate_encoded_anchors(r)]
    insensitive: list[str] = []
    # A lone secret's key name opens the gate only beside a run shaped like its value (``secret_key`` is
    # in every Flask file; 30 letters and digits in a row are rare), when the pattern says what that
    # shape is; otherwise by itself, as any other word. So do a key-ID rule's words that are not the ID's
    # own prefix ("huawei" in every monitoring template of a project that watches Huawei switches, an ID
    # being 20 letters and digits in a row; "access_key" in flask's docs, JD Cloud's 32 upper-case hex).
    named: list[tuple[tuple[str, ...], ValueRun, bool]] = []  # (words, run, words as they are)
    for rule in gated:
        if rule.anchors_case_sensitive:
            continue
        run = gate_run(rule)
        if run is None:
            insensitive += rule.anchors
        else:
            named.append((rule.anchors, run, True))
    for rule in gated:
        run = value_run(rule.pattern.source) if rule.kind == "secret" and rule.context_words else None
        if run is None:
            insensitive += rule.context_words
        else:
            named.append((rule.context_words, run, False))
    line_starts = tuple(
        (
            anchor[1:].lower().encode("latin-1"),
            anchor[1:].encode("latin-1") if rule.anchors_case_sensitive else None,
            index,
        )
        for index, rule in enumerate(rules)
        if rule.kind != "token"
        for anchor in rule.anchors
        if anchor.startswith("\n") and len(anchor) > 1
    )
    return Ruleset(
        rules=rules,
        automaton=_build_automaton(rules),
        digest=digest.hexdigest()[:16],
        by_id=by_id,
        gate=Gate.build(
            insensitive,
            sensitive,
            named,
            starts=[(word, exact) for word, exact, _ in line_starts],
            whole=[form for r in gated for form in (*escaped_anchors(r), *signature_forms(r), *head_forms(r))],
        ),
        spotter=_spotter(rules, [w.encode("latin-1") for w in sensitive]),
        line_starts=line_starts,
        file_context=FileContext.build([(i, r.file_names) for i, r in enumerate(rules) if r.file_names]),
    )


def gate_run(rule: Rule) -> ValueRun | None:
    """The value-shaped run a key-ID rule with case-insensitive anchors needs beside them to open the
    gate, when its pattern says (see ``value_run``)."""
    if rule.kind != "key-id" or rule.anchors_case_sensitive:
        return None
    return value_run(rule.pattern.source)


def _encoded_anchors(rule: Rule, twice: bool = False) -> list[str]:
    """The base64 forms of a key-ID rule's case-sensitive anchors (the automaton decodes around them);
    with ``twice``, also the forms of those forms: an anchor base64-encoded inside a base64 value (a
    Kubernetes Secret holding a .env whose AMQP username is itself base64) shows no form of its own in the
    outer layer. Decoding around one of them finds the first form inside, and decodes again."""
    if rule.kind != "key-id" or not rule.anchors_case_sensitive:
        return []
    once = [variant for anchor in rule.anchors for variant in base64_variants(anchor)]
    if not twice:
        return once
    return once + sorted({outer for inner in once for outer in base64_variants(inner)} - set(once))


def escaped_anchors(rule: Rule) -> list[str]:
    """The forms, lower case, a key-ID rule's anchors take when a key is hidden on purpose and the rule's
    encoded forms open the gate (``base64_opens_gate``): JavaScript/JSON ``\\x``/``\\u`` escapes of every
    character (an obfuscator's string table, ``'\\x41\\x4b\\x49\\x41…'``) and decimal character codes
    (``String.fromCharCode(65,75,73,65, …)``, ``[76, 84, 65, 73, …]``)."""
    if rule.kind != "key-id" or not rule.base64_opens_gate:
        return []
    forms: set[str] = set()
    for anchor in rule.anchors[:1]:  # AKIA, not ASIA/ABIA/ACCA: each form is one more search of every blob
        forms.add("".join(f"\\x{ord(c):02x}" for c in anchor))
        forms.add("".join(f"\\u{ord(c):04x}" for c in anchor))
        forms.add(",".join(str(ord(c)) for c in anchor))
        forms.add(", ".join(str(ord(c)) for c in anchor))
    return sorted(forms)


def whole_length(rule: Rule) -> int:
    """The one length every ID of a prefixed key-ID rule has (AWS's 20), else 0: such an ID followed by an
    ellipsis is whole (an answer printed with its secret and token cut, 'ASIA…LLSB...'), where a value of a
    rule that reads longer ones is shown cut short. Worked out only when an ellipsis follows a value (the
    parse costs ~1 ms a rule; every start compiles the rules)."""
    if rule.kind != "key-id" or not rule.anchors_case_sensitive:
        return 0
    return whole_width(rule.pattern.source.decode("utf-8"))


@functools.lru_cache(maxsize=256)
def whole_width(pattern: str) -> int:
    """The length of every match of the pattern's first group when it has one length (``AKIA[A-Z2-7]{16}``:
    20), else 0. Read with the standard library's own parser of ``re`` syntax; a pattern it cannot read
    (syntax of the ``regex`` module only) has none."""
    try:
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_parse as parser
    try:
        parsed = parser.parse(pattern)
    except Exception:
        return 0
    stack = [list(parsed)]
    while stack:
        for op, av in stack.pop():
            if op is parser.SUBPATTERN and av[0] == 1:
                low, high = av[-1].getwidth()
                return int(low) if low == high else 0
            if op is parser.BRANCH:
                stack.extend(list(branch) for branch in av[1])
            elif op in (parser.SUBPATTERN, parser.ASSERT, parser.ASSERT_NOT):
                stack.append(list(av[-1]))
            elif op in (parser.MAX_REPEAT, parser.MIN_REPEAT):
                stack.append(list(av[2]))
    return 0


def signature_forms(rule: Rule) -> list[str]:
    """The base64 forms ``signature_opens_gate`` names: the signed text's first name and each anchor, at the
    offset a MAC puts them (HMAC-SHA1's 20 bytes and HMAC-SHA256's 32 leave the same alignment, 2 of 3), as
    much of them as depends on those bytes alone (``zZWNyZXRJZD1BS0lE`` for ``secretId=AKID``). The anchor's
    own form at that alignment (``BS0lE``) is one the spotter already looks for inside base64 runs; alone
    it would add ``0`` and ``l`` to the gate's reduced alphabet (~+27% of what its automaton walks), where
    these are one more case-insensitive search."""
    name = rule.signature_opens_gate
    if not name or rule.kind != "key-id" or not rule.anchors_case_sensitive:
        return []
    alignments = {head % 3 for head in SIGNED_HEADS}
    return sorted({base64_variants(name + anchor)[shift] for anchor in rule.anchors for shift in alignments})


def head_forms(rule: Rule) -> list[str]:
    """The base64 forms ``base64_heads`` names: each text as a value's first characters encode it
    (``eyJTZWN1cml0eVRva2VuIjoiQ0FJU`` for '{"SecurityToken":"CAIS')."""
    return sorted({base64_variants(text)[0] for text in rule.base64_heads})


def _gate_encoded_anchors(rule: Rule) -> list[str]:
    """The base64 forms of a rule's anchors that open the gate (``base64_opens_gate``): all of them, or with
    "start" the form each anchor takes at the start of an encoded value (one new letter, ``t`` of
    ``QUtJQ``, where every alignment of AKIA and AKID would add three)."""
    if rule.base64_opens_gate == "start":
        if rule.kind != "key-id" or not rule.anchors_case_sensitive:
            return []
        return [base64_variants(anchor)[0] for anchor in rule.anchors]
    return _encoded_anchors(rule)


def _spotter(rules: list[Rule], gated: list[bytes]) -> Spotter:
    """Covers for every word the automaton matches in any case; the case-sensitive words it matches
    besides the gate's own (``gated``): the other base64 forms of key-ID anchors."""
    insensitive: set[str] = set()
    extra: set[bytes] = set()
    for rule in rules:
        insensitive.update(rule.context_words)
        if rule.kind == "token":  # looked for beside key IDs only (engine.candidates.CandidateFinder.tokens_near)
            continue
        if not rule.anchors_case_sensitive:
            insensitive.update(rule.anchors)
        elif rule.kind == "key-id":
            extra.update(v.encode("latin-1") for v in _encoded_anchors(rule, twice=True))
        # (a secret rule's case-sensitive anchors are the gate's own)
    return Spotter.build(insensitive, gated, extra, RUN_MIN, whole=[f for r in rules for f in escaped_anchors(r)])


def _build_automaton(rules: list[Rule]) -> Any:
    """Every anchor and context word but session tokens' anchors: "token" is in most code, and a token
    is looked for only around the key IDs found (engine.candidates.CandidateFinder.tokens_near)."""
    targets: dict[str, list[AnchorTarget]] = {}
    for index, rule in enumerate(rules):
        for anchor in rule.anchors if rule.kind != "token" else ():
            exact = anchor.encode("latin-1") if rule.anchors_case_sensitive else None
            targets.setdefault(anchor.lower(), []).append(AnchorTarget(index, exact, False))
        for word in rule.context_words:
            targets.setdefault(word.lower(), []).append(AnchorTarget(index, None, True))
        for variant in _encoded_anchors(rule, twice=True):
            target = AnchorTarget(index, variant.encode("latin-1"), False, LAYER)
            targets.setdefault(variant.lower(), []).append(target)
        for form in escaped_anchors(rule):
            targets.setdefault(form, []).append(AnchorTarget(index, None, False, ESCAPED))
    automaton = ahocorasick.Automaton()
    for word, entries in targets.items():
        automaton.add_word(word, (len(word), tuple(entries)))
    if targets:
        automaton.make_automaton()
    return automaton


def _require(entry: dict[str, Any], key: str, kind: type, source: str) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind):
        rid = entry.get("id", "?")
        raise RuleError(f"{source}: rule {rid!r}: {key!r} must be a {kind.__name__}")
    return value


def _str_list(entry: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{source}: rule {entry.get('id', '?')!r}: {key!r} must be a list of strings")
    return tuple(value)


def _as_bytes_text(words: tuple[str, ...], where: str, case_sensitive: bool) -> tuple[str, ...]:
    """Words as the engine holds them: one character per byte (latin-1), since the gate, the spotter and
    the automaton all search bytes. A word in another script (百度, 阿里云: the provider named only in a
    Chinese comment) becomes its UTF-8 bytes. Such a word must be case-insensitive and keep its bytes under
    ``str.lower`` (CJK's UTF-8 bytes do): the engine lowers words as text and blobs as bytes, which agree
    only on ASCII; a case-sensitive word's bytes would also join the gate's reduced alphabet, which every
    blob in that script would then keep."""
    out = []
    for word in words:
        if word.isascii():
            out.append(word)
            continue
        as_bytes = (word if case_sensitive else word.lower()).encode("utf-8").decode("latin-1")
        cased = any(c.lower() != c or c.upper() != c for c in word if not c.isascii())  # Ä, full-width Ａ
        if case_sensitive or cased or as_bytes.lower() != as_bytes:
            raise RuleError(
                f"{where}: {word!r}: a rule word outside ASCII must be case-insensitive and in a script"
                " without case (Chinese, Japanese, Korean)"
            )
        out.append(as_bytes)
    return tuple(out)


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity.parse(str(value))
    except KeyError:
        raise RuleError(f"{where}: unknown severity {value!r} (use info, low, medium, high, critical)") from None


def _compile_rule(entry: dict[str, Any], source: str, validate: bool = True) -> Rule:
    rule_id = _require(entry, "id", str, source)
    where = f"{source}: rule {rule_id!r}"
    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    kind = _require(entry, "kind", str, source)
    if kind not in KINDS:
        raise RuleError(f"{where}: kind must be one of {', '.join(KINDS)}")
    pattern = LazyPattern(_require(entry, "pattern", str, source).encode("utf-8"))
    if validate:  # a user's rule: compile now, so a bad pattern stops the run before it starts
        import regex

        _check_cost(pattern.source, where)
        try:
            compiled = pattern.get()
        except regex.error as exc:
            raise RuleError(f"{where}: bad pattern: {exc}") from exc
        except (MemoryError, OverflowError, RecursionError):
            raise RuleError(f"{where}: pattern too costly to compile: simplify it") from None
        if compiled.groups != 1:  # a second group may be the one that matched, leaving the first empty
            raise RuleError(
                f"{where}: pattern needs exactly one capturing group around the value (it has {compiled.groups}:"
                " use (?:…) for the others, or (?|…|…) for alternatives that each capture the value)"
            )
    _check_values(entry, where)
    case_sensitive = bool(entry.get("anchors_case_sensitive", False))
    anchors = _as_bytes_text(_str_list(entry, "anchors", source), where, case_sensitive)
    context_words = _as_bytes_text(_str_list(entry, "context_words", source), where, False)
    if kind != "secret" and not anchors:
        raise RuleError(f"{where}: a {kind} rule needs anchors for the prefilter")
    for word in anchors + context_words:
        if len(word) < 3:
            raise RuleError(f"{where}: anchor {word!r} is too short to be a useful prefilter")
    hints = tuple(word.lower() for word in _str_list(entry, "hints", source))
    not_near, not_near_bytes = _words_within(entry, "not_near", kind == "key-id", where, source)
    yields_to = _as_bytes_text(_str_list(entry, "yields_to", source), where, False)
    # A lone-secret rule held to its provider's words (needs_near) yields to other services' words nearer.
    lone_secret_by_words = kind == "secret" and "needs_near" in entry and "lone_severity" in entry
    if yields_to and not lone_secret_by_words and (kind != "key-id" or case_sensitive):
        raise RuleError(
            f"{where}: yields_to is for key-ID rules read by context words (case-insensitive anchors) and secret"
            " rules with needs_near and a lone_severity"
        )
    if any(len(word) < 3 for word in yields_to):
        raise RuleError(f"{where}: a yields_to word must have at least 3 characters")
    file_names = _str_list(entry, "file_names", source)
    if file_names and (kind != "key-id" or entry.get("anchors_case_sensitive", False)):
        raise RuleError(f"{where}: file_names is for key-ID rules read by context words (case-insensitive anchors)")
    for stem in file_names:
        if not valid_stem(stem):
            raise RuleError(f"{where}: file name stem {stem!r} must be 2-20 lower-case letters or digits")
    whole_words = tuple(word.lower() for word in _str_list(entry, "whole_words", source))
    if any(word not in {a.lower() for a in anchors} for word in whole_words) or (whole_words and case_sensitive):
        raise RuleError(f"{where}: whole_words must be some of the rule's (case-insensitive) anchors")
    for word in hints:
        if len(word) < 2:
            raise RuleError(f'{where}: hint {word!r} is too short: hints are words a match holds ("ak", "access")')
    context_pattern = None
    if context_words:
        words = b"|".join(re.escape(w.lower().encode("latin-1")) for w in context_words)
        context_pattern = LazyPattern(rb"(?i:" + words + rb")" + CONTEXT_GLUE + pattern.source)
    pair = None
    if "pair" in entry:
        pair = _pairing(entry["pair"], where)
    lone = entry.get("lone_severity")
    # needs_near also holds a lone secret's generic name (secret_key) to its provider's words.
    lone_secret = kind == "secret" and lone is not None
    needs_near, needs_near_bytes = _words_within(entry, "needs_near", kind == "key-id" or lone_secret, where, source)
    second_look = bool(entry.get("second_look", False))
    if second_look and (kind != "key-id" or pair is None or lone is not None):
        raise RuleError(f"{where}: second_look is for key-ID rules with a pair and no lone_severity")
    own_hosts = _own_hosts(entry, kind, lone, where, source)
    exact_length = entry.get("exact_length", 0)
    if isinstance(exact_length, bool) or not isinstance(exact_length, int) or not 0 <= exact_length <= 4096:
        raise RuleError(f"{where}: exact_length must be a whole number of characters from 1 to 4096")
    if exact_length and kind != "secret":
        raise RuleError(f"{where}: exact_length is for secret rules")
    optional = {"window": entry["window"]} if "window" in entry else {}
    return Rule(
        id=rule_id,
        provider=_require(entry, "provider", str, source),
        kind=kind,
        title=entry.get("title", rule_id),
        pattern=pattern,
        anchors=anchors,
        anchors_case_sensitive=case_sensitive,
        min_entropy=float(entry.get("min_entropy", 0.0)),  # no floor unless the rule sets one
        context_words=context_words,
        context_pattern=context_pattern,
        pair=pair,
        severity=_severity(entry.get("severity", "medium"), where),
        lone_severity=_severity(lone, where) if lone is not None else None,
        description=_require(entry, "description", str, source),
        remediation=_require(entry, "remediation", str, source),
        examples=_str_list(entry, "examples", source),
        negative_examples=_str_list(entry, "negative_examples", source),
        validator=entry.get("validator"),
        source=source,
        base64_opens_gate=entry.get("base64_opens_gate", False),
        signature_opens_gate=str(entry.get("signature_opens_gate", "")),
        base64_heads=_str_list(entry, "base64_heads", source),
        allow_hex=bool(entry.get("allow_hex", False)),
        temporary_remediation=str(entry.get("temporary_remediation", "")),
        temporary_prefixes=_str_list(entry, "temporary_prefixes", source),
        hints=hints,
        anchors_in_value=bool(entry.get("anchors_in_value", entry.get("anchors_case_sensitive", False))),
        fallback=bool(entry.get("fallback", False)),
        file_names=file_names,
        whole_words=whole_words,
        unverifiable=_unverifiable(entry, where),
        not_near=tuple(word.lower() for word in not_near),
        not_near_bytes=not_near_bytes,
        yields_to=tuple(word.lower() for word in yields_to),
        second_look=second_look,
        needs_near=tuple(word.lower() for word in needs_near),
        needs_near_bytes=needs_near_bytes,
        own_hosts=own_hosts,
        exact_length=exact_length,
        min_entropy_by_length=_floors_by_length(entry, where),
        **optional,
    )


def _floors_by_length(entry: dict[str, Any], where: str) -> tuple[tuple[int, float], ...]:
    """``min_entropy_by_length = { 24 = 3.3 }``: TOML's keys are text, each a length in characters."""
    table = entry.get("min_entropy_by_length", {})
    if table and entry.get("kind") == "token":  # a token is judged by its head, whatever its length
        raise RuleError(f"{where}: min_entropy_by_length is for key-ID and secret rules")
    if not isinstance(table, dict):
        raise RuleError(f"{where}: min_entropy_by_length must be a table of lengths and floors, as {{ 24 = 3.3 }}")
    floors = []
    for length, floor in table.items():
        if not (length.isascii() and length.isdigit()) or not 1 <= int(length) <= 4096:
            raise RuleError(f"{where}: min_entropy_by_length: {length!r} is no length from 1 to 4096")
        if isinstance(floor, bool) or not isinstance(floor, (int, float)) or not 0 <= floor <= 8:
            raise RuleError(f"{where}: min_entropy_by_length: the floor for {length} must be a number from 0 to 8")
        floors.append((int(length), float(floor)))
    return tuple(floors)


def _words_within(
    entry: dict[str, Any], key: str, allowed: bool, where: str, source: str
) -> tuple[tuple[str, ...], int]:
    """A key-ID rule's ``not_near`` or ``needs_near`` words (held as bytes text) and their reach in bytes
    (``needs_near`` also a lone-secret rule's: ``allowed`` says whether the rule may have them)."""
    found = _as_bytes_text(_str_list(entry, key, source), where, False)
    reach = entry.get(f"{key}_bytes", 2000)
    if found and not allowed:
        also = " and secret rules with a lone_severity" if key == "needs_near" else ""
        raise RuleError(f"{where}: {key} is for key-ID rules{also}")
    if isinstance(reach, bool) or not isinstance(reach, int) or not 0 < reach <= 10_000:
        raise RuleError(f"{where}: {key}_bytes must be a whole number of bytes from 1 to 10000")
    if any(len(word) < 3 for word in found):
        raise RuleError(f"{where}: a {key} word must have at least 3 characters")
    return found, reach


_HOST = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)+")


def _own_hosts(entry: dict[str, Any], kind: str, lone: object, where: str, source: str) -> tuple[str, ...]:
    """``own_hosts``: lower-case domain names (``amazonaws.com``), for secret rules that report secrets alone and
    for key-ID rules whose IDs are never reported alone (an early AWS ID: its shape is every S3 store's)."""
    hosts = _str_list(entry, "own_hosts", source)
    if hosts and not (kind == "secret" and lone is not None) and not (kind == "key-id" and lone is None):
        raise RuleError(f"{where}: own_hosts is for secret rules with a lone_severity and key-ID rules without one")
    for host in hosts:
        if not _HOST.fullmatch(host):
            raise RuleError(f"{where}: own_hosts entry {host!r} must be a lower-case domain name (amazonaws.com)")
    return hosts


def _unverifiable(entry: dict[str, Any], where: str) -> str:
    reason = entry.get("unverifiable", "")
    if not isinstance(reason, str) or (reason and entry.get("kind") != "key-id") or len(reason) > 300:
        raise RuleError(f"{where}: unverifiable is a key-ID rule's one-line reason (a string under 300 characters)")
    return reason


def bundled_unverifiable() -> dict[str, str]:
    """Bundled rule id -> why its pairs are never sent, read from the rule tables (not compiled): the
    word on a finding read back from a report written before findings carried it themselves."""
    return dict(_bundled_unverifiable())


@functools.lru_cache(maxsize=1)
def _bundled_unverifiable() -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(entry["id"]), entry["unverifiable"])
        for entry, _ in _builtin_entries(builtin_rules_dir())
        if isinstance(entry.get("unverifiable"), str) and entry["unverifiable"]
    )


MAX_PATTERN = 8192  # characters of a user's pattern
MAX_REPEAT = 10_000  # the largest count in one {m,n}
MAX_EXPANSION = 1_000_000  # what counted repeats, nested, expand the pattern to at compile time
_COUNT = re.compile(rb"\{(\d+)(?:,(\d*))?\}")


def _check_cost(source: bytes, where: str) -> None:
    """A user's pattern must stay cheap to compile: bounded length, counted repeats of at most
    ``MAX_REPEAT`` each (``a{4294967294}`` exhausts memory at compile time), and nested ones bounded by what
    they expand to (``((a{100}){100}){100}``: a million)."""
    if len(source) > MAX_PATTERN:
        raise RuleError(f"{where}: pattern of {len(source)} characters (at most {MAX_PATTERN})")
    for match in _COUNT.finditer(source):
        largest = max(int(match.group(1)), int(match.group(2) or 0))
        if largest > MAX_REPEAT:
            raise RuleError(f"{where}: a counted repeat of {largest} (at most {MAX_REPEAT}): simplify the pattern")
    if _expansion(source) > MAX_EXPANSION:
        raise RuleError(
            f"{where}: counted repeats nested so deep that the pattern expands past {MAX_EXPANSION:,} steps: "
            "simplify it"
        )


def _expansion(source: bytes) -> int:
    """How far counted repeats expand a pattern: a group's size is its longest alternative, and ``{m,n}``
    multiplies the size of what it follows by n (a cheap over-estimate of the compiled program)."""
    stack: list[tuple[int, int, int]] = []  # (best alternative so far, current sequence, last atom) per group
    best = sequence = last = 0
    index = 0
    while index < len(source):
        char = source[index : index + 1]
        if char == b"\\":
            last, index = 1, index + 2
            sequence += 1
            continue
        if char == b"[":
            close = index + 1
            if source[close : close + 1] == b"^":
                close += 1
            if source[close : close + 1] == b"]":
                close += 1
            while close < len(source) and source[close : close + 1] != b"]":
                close += 2 if source[close : close + 1] == b"\\" else 1
            last, index = 1, close + 1
            sequence += 1
            continue
        if char == b"(":
            stack.append((best, sequence, last))
            best = sequence = last = 0
        elif char == b"|":
            best, sequence, last = max(best, sequence), 0, 0
        elif char == b")" and stack:
            size = max(best, sequence)
            best, sequence, _ = stack.pop()
            sequence += size
            last = size
        elif char == b"{" and (count := _COUNT.match(source, index)) is not None:
            times = max(int(count.group(1)), int(count.group(2) or 0), 1)
            sequence += last * (times - 1)
            last *= times
            index = count.end()
            continue
        elif char not in (b"*", b"+", b"?"):
            sequence += 1
            last = 1
        index += 1
    return max(best, sequence)


def _pairing(value: Any, where: str) -> Pairing:
    if not isinstance(value, dict):
        raise RuleError(f"{where}: 'pair' must be a table")
    unknown = set(value) - _PAIR_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown pair key(s) {', '.join(sorted(unknown))}")
    if not isinstance(value.get("secret"), str):
        raise RuleError(f"{where}: pair.secret must name the secret rule")
    for key in ("lines", "bytes", "token_bytes"):
        if key in value and (not isinstance(value[key], int) or isinstance(value[key], bool) or value[key] < 0):
            raise RuleError(f"{where}: pair.{key} must be a whole number of at least 0, not {value[key]!r}")
    if "kind" in value and value["kind"] not in ("pair", "sts-credentials"):
        raise RuleError(f"{where}: pair.kind must be 'pair' or 'sts-credentials', not {value['kind']!r}")
    if "token" in value and not isinstance(value["token"], str):
        raise RuleError(f"{where}: pair.token must name the token rule")
    also = value.get("also_tokens", [])
    if not isinstance(also, list) or not all(isinstance(ref, str) for ref in also):
        raise RuleError(f"{where}: pair.also_tokens must be a list of token rule ids")
    if also and "token" not in value:
        raise RuleError(f"{where}: pair.also_tokens needs pair.token")
    if "secret_named" in value and not isinstance(value["secret_named"], bool):
        raise RuleError(f"{where}: pair.secret_named must be true or false")
    fields = {
        key: value[key] for key in ("token", "lines", "bytes", "token_bytes", "kind", "secret_named") if key in value
    }
    for key in ("severity", "temporary_severity"):
        if key in value:
            fields[key] = _severity(value[key], where)
    return Pairing(secret=value["secret"], also_tokens=tuple(also), **fields)


def _check_values(entry: dict[str, Any], where: str) -> None:
    """Types and ranges of a rule's optional values: one clear line for each mistake."""
    from akscan.engine.filters import VALIDATORS

    entropy = entry.get("min_entropy", 0.0)
    if isinstance(entropy, bool) or not isinstance(entropy, (int, float)) or not 0 <= entropy <= 8:
        raise RuleError(f"{where}: min_entropy must be a number from 0 to 8, not {entropy!r}")
    window = entry.get("window", 80)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise RuleError(f"{where}: window must be a whole number of at least 1, not {window!r}")
    for flag in ("anchors_case_sensitive", "anchors_in_value", "fallback", "allow_hex", "second_look"):
        if flag in entry and not isinstance(entry[flag], bool):
            raise RuleError(f"{where}: {flag} must be true or false")
    if "base64_opens_gate" in entry and not (
        isinstance(entry["base64_opens_gate"], bool) or entry["base64_opens_gate"] == "start"
    ):
        raise RuleError(f'{where}: base64_opens_gate must be true, false or "start"')
    heads = entry.get("base64_heads", [])
    if not isinstance(heads, list) or any(not isinstance(t, str) or len(t) < 6 or not t.isascii() for t in heads):
        raise RuleError(f"{where}: base64_heads must be a list of ASCII texts of at least 6 characters")
    if "signature_opens_gate" in entry:
        name = entry["signature_opens_gate"]
        if not isinstance(name, str) or not name or not name.isascii():
            raise RuleError(f"{where}: signature_opens_gate must be the name the signed text starts with (ASCII)")
        if entry.get("kind") != "key-id" or not entry.get("anchors_case_sensitive", False):
            raise RuleError(f"{where}: signature_opens_gate needs a key-id rule with case-sensitive anchors")
    validator = entry.get("validator")
    if validator is not None and validator not in VALIDATORS:
        raise RuleError(f"{where}: unknown validator {validator!r} (known: {', '.join(sorted(VALIDATORS))})")
    for key in ("title", "description", "remediation", "provider"):
        if key in entry and not isinstance(entry[key], str):
            raise RuleError(f"{where}: {key} must be a string")
