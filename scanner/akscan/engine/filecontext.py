"""A file's own name as a provider's context: ``config/qiniu.yml``, ``QiniuConfig.java``, ``ucloud.json``.

Rails apps keep Qiniu's pair in ``config/qiniu.yml`` under ``access_key:``/``secret_key:`` with no Qiniu word
in the file at all; the file's name is the only thing that says whose keys they are. A context rule (its
anchors are words around the value: an SDK's name, an endpoint) may list ``file_names``: the stems of file
names that put the whole file in its context, as if its anchor stood there.

Only the base name counts: the provider's word with the words config files add around it
(``application-qiniu.yml``, ``qiniu_config.py``, ``QiniuOssConfig.java``), and a config or code extension.
Never a path component (a checkout of a provider's SDK lives under a folder of its name), never docs, pages
or C sources (``huawei.md``, OBS Studio's ``obs.c``), never a test's name (``qiniu.test.js``: a fixture
says what it tests). A stem of three letters or fewer (``obs``, ``bos``, ``ks3``) names only a config file:
one with a config extension, or a PHP file right inside a ``config`` folder (Laravel's and ThinkPHP's
``config/aip.php`` returns the Baidu AI app's keys in an array naming nothing else: those frameworks' config
files are PHP). That folder is the only path component read, and only as a kind of file, never as a
provider's word. Other code in a config folder is not (``config/obs.js``: an OBS Studio uploader's settings).

Read without a regex (compiling one cost the pre-commit hook ~3 ms of its ~150): two letters turn nearly
every name away (~0.3 µs); the few left are taken apart by hand.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Words a config file's name puts before the provider's, and after it (lower case, any separator or none).
_PREFIXES = ("application", "bootstrap", "settings", "config", "conf", "app")
_SUFFIXES = frozenset(
    [
        "config",
        "configs",
        "configuration",
        "conf",
        "cfg",
        "settings",
        "setting",
        "properties",
        "props",
        "key",
        "keys",
        "credential",
        "credentials",
        "secret",
        "secrets",
        "account",
        "accounts",
        "auth",
        "oss",
        "kodo",
        "obs",
        "bos",
        "ufile",
        "us3",
        "ks3",
        "s3",  # amazon_s3.yml, qiniu_s3.yml
        "storage",
        "upload",
        "uploader",
        "sdk",
        "cloud",
        "yun",
        "util",
        "utils",
        "helper",
        "client",
        "service",
        "constant",
        "constants",
        "dev",
        "prod",
        "production",
        "development",
        "local",
        "default",
    ]
)
_LONGEST_SUFFIX = max(len(word) for word in _SUFFIXES)
_SEPARATORS = "-_."
_CONFIG = frozenset(["yml", "yaml", "json", "properties", "ini", "conf", "cfg", "toml", "env", "xml", "plist"])
_CODE = frozenset(
    [
        "py",
        "rb",
        "php",
        "js",
        "mjs",
        "cjs",
        "ts",
        "java",
        "kt",
        "go",
        "cs",
        "swift",
        "m",
        "dart",
        "sh",
        "lua",
        "rs",
        "scala",
        "groovy",
        "vue",
    ]
)
_SECOND = frozenset(["example", "sample", "bak", "dist", "local"])  # qiniu.yml.example
_CONFIG_FOLDERS = frozenset(["config", "configs", "conf"])  # a PHP file right inside one is a config file
_CONFIG_CODE = frozenset(["php"])
SHORT = 3
_STEM = re.compile(r"[a-z0-9]{2,20}")


@dataclass(frozen=True)
class FileContext:
    """Which rules a file's base name brings into context."""

    stems: tuple[tuple[str, tuple[int, ...]], ...]  # (stem, its rules), the longest stems first
    # The first two letters a matching name can start with: nearly every file is turned away by them.
    starts: frozenset[str] = frozenset()

    @classmethod
    def build(cls, stems_by_rule: list[tuple[int, tuple[str, ...]]]) -> FileContext:
        rules_of: dict[str, list[int]] = {}
        for index, stems in stems_by_rule:
            for stem in stems:
                rules_of.setdefault(stem, []).append(index)
        ordered = sorted(rules_of, key=lambda s: (-len(s), s))  # "huaweicloud" before "huawei"
        starts = frozenset(word[:2] for word in (*ordered, *_PREFIXES)) if ordered else frozenset()
        return cls(tuple((stem, tuple(rules_of[stem])) for stem in ordered), starts)

    def rules_for(self, path: str, folder: str | None = None) -> tuple[int, ...]:
        """The rules whose context the file at ``path`` is in by its name (most files: none); ``folder``: the
        name of the folder holding it, when the path does not show it."""
        name = path[path.rfind("/") + 1 :]
        if "\\" in name or "!" in name:  # a Windows path, an archive's member
            name = name[max(name.rfind("\\"), name.rfind("!")) + 1 :]
        if name[:2].lower() not in self.starts:
            return ()
        if folder is None:
            folder = path[: len(path) - len(name)].rstrip("/\\")
            folder = folder[max(folder.rfind("/"), folder.rfind("\\"), folder.rfind("!")) + 1 :]
        return self._by_name(name.lower(), folder.lower() in _CONFIG_FOLDERS)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - a ruleset's context lives as long as the process
    def _by_name(self, name: str, in_config_folder: bool = False) -> tuple[int, ...]:
        stem, dot, extension = name.rpartition(".")
        if dot and extension in _SECOND:
            stem, dot, extension = stem.rpartition(".")
        config = extension in _CONFIG or (in_config_folder and extension in _CONFIG_CODE)
        if not dot or not (config or extension in _CODE):
            return ()
        candidates = [stem]
        for prefix in _PREFIXES:
            if stem.startswith(prefix):
                rest = stem[len(prefix) :]
                candidates += [rest, rest[1:]] if rest[:1] in _SEPARATORS else [rest]
        for candidate in candidates:
            for provider_stem, rules in self.stems:
                if (
                    candidate.startswith(provider_stem)
                    and (config or len(provider_stem) > SHORT)
                    and _only_suffixes(candidate[len(provider_stem) :])
                ):
                    return rules
        return ()


@functools.lru_cache(maxsize=1024)
def _only_suffixes(rest: str) -> bool:
    """Whether ``rest`` is nothing but the words config files add, each after an optional separator."""
    if not rest:
        return True
    if rest[0] in _SEPARATORS:
        rest = rest[1:]
    return any(
        rest[:size] in _SUFFIXES and _only_suffixes(rest[size:])
        for size in range(min(len(rest), _LONGEST_SUFFIX), 1, -1)
    )


def valid_stem(stem: str) -> bool:
    return _STEM.fullmatch(stem) is not None
