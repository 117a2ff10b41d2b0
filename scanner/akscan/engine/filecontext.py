"""A file's own name as a provider's context: ``config/qiniu.yml``, ``QiniuConfig.java``, ``ucloud.json``.

Rails apps keep Qiniu's pair in ``config/qiniu.yml`` under ``access_key:``/``secret_key:`` with no Qiniu word
in the file at all; the file's name is the only thing that says whose keys they are. A context rule (its
anchors are words around the value: an SDK's name, an endpoint) may list ``file_names``: the stems of file
names that put the whole file in its context, as if its anchor stood there.

Only the base name counts, and only when it is the provider's word itself with the words config files
add (``application-qiniu.yml``, ``qiniu_config.py``, ``QiniuOssConfig.java``), never a path component: a
checkout of a provider's SDK lives under a folder of its name, and a harvested fixture's name says what it
is a test of. Cost: one anchored regex on the base name of each file the gate keeps closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words a config file's name adds around the provider's (lower case, any separator or none).
_BEFORE = r"(?:(?:application|app|config|conf|settings|bootstrap)[-_.]?)?"
_AFTER = (
    r"(?:[-_.]?(?:config|configs|configuration|conf|cfg|settings|setting|properties|props|keys?|credentials?|"
    r"secrets?|accounts?|auth|oss|kodo|obs|bos|ufile|us3|ks3|storage|upload|uploader|sdk|cloud|yun|util|utils|"
    r"helper|client|service|constants?|dev|prod|production|development|local|default))*"
)
# Config files and the languages apps are written in; not C sources, docs or pages (OBS Studio's obs.c,
# a notes file called huawei.md), nor a test's name (qiniu.test.js: a fixture says what it tests).
_CONFIG = r"(?:ya?ml|json|properties|ini|conf|cfg|toml|env|xml|plist)"
_CODE = r"(?:py|rb|php|js|mjs|cjs|ts|java|kt|go|cs|swift|m|dart|sh|lua|rs|scala|groovy|vue)"
_EXTENSION = rf"\.(?:{_CONFIG}|{_CODE})(?:\.(?:example|sample|bak|dist|local))?"
# A stem of three letters or fewer (obs, bos, bce, ks3, us3) only names a config file: obs.js is as likely
# anything else's.
_SHORT = 3
_STEM = re.compile(r"[a-z0-9]{2,20}")
_PREFIXES = ("application", "app", "config", "conf", "settings", "bootstrap")  # as _BEFORE names them


@dataclass(frozen=True)
class FileContext:
    """Which rules a file's base name brings into context."""

    pattern: re.Pattern[str] | None
    rules_by_group: tuple[tuple[int, ...], ...]
    # The first two letters a matching name can start with: nearly every file is turned away by them
    # (~0.3 µs, against ~1.5 µs for the regex; a directory scan pays it for every file the gate closes).
    starts: frozenset[str] = frozenset()

    @classmethod
    def build(cls, stems_by_rule: list[tuple[int, tuple[str, ...]]]) -> FileContext:
        rules_of: dict[str, list[int]] = {}
        for index, stems in stems_by_rule:
            for stem in stems:
                rules_of.setdefault(stem, []).append(index)
        if not rules_of:
            return cls(None, ())
        ordered = sorted(rules_of, key=lambda s: (-len(s), s))  # the longest first: "huaweicloud" before "huawei"
        long = "|".join(f"({re.escape(stem)})" for stem in ordered if len(stem) > _SHORT)
        short = "|".join(f"({re.escape(stem)})" for stem in ordered if len(stem) <= _SHORT)
        branches = [f"(?:{long}){_AFTER}{_EXTENSION}"] if long else []
        branches += [f"(?:{short}){_AFTER}\\.{_CONFIG}"] if short else []
        pattern = re.compile(f"{_BEFORE}(?:{'|'.join(branches)})")
        ordered = [stem for stem in ordered if len(stem) > _SHORT] + [stem for stem in ordered if len(stem) <= _SHORT]
        starts = frozenset(word[:2] for word in (*ordered, *_PREFIXES))
        return cls(pattern, tuple(tuple(rules_of[stem]) for stem in ordered), starts)

    def rules_for(self, path: str) -> tuple[int, ...]:
        """The rules whose context the file at ``path`` is in by its name (most files: none)."""
        if self.pattern is None:
            return ()
        name = path[path.rfind("/") + 1 :]
        if "\\" in name or "!" in name:  # a Windows path, an archive's member
            name = name[max(name.rfind("\\"), name.rfind("!")) + 1 :]
        if name[:2].lower() not in self.starts:
            return ()
        match = self.pattern.fullmatch(name.lower())
        if match is None:
            return ()
        return self.rules_by_group[match.lastindex - 1] if match.lastindex else ()


def valid_stem(stem: str) -> bool:
    return _STEM.fullmatch(stem) is not None
