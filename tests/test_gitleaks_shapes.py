"""gitleaks' alibaba-secret-key test shapes — a random 30-character value bound to an identifier that contains
"alibaba" in many languages' syntaxes — are found by the built-in alibaba-named-secret rule; the same
values behind other names are not."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

from tests.conftest import run_akscan

# The syntaxes gitleaks' generator writes a secret in (identifier, then the value).
SHAPES = [
    '{name}Token := "{v}"',  # Go
    'var {name}Token string = "{v}"',  # Go
    '{NAME}_TOKEN ?= "{v}"',  # Makefile
    "{NAME}_TOKEN := {v}",  # Makefile
    "{name}_token = '{v}'",  # Python
    '{name}Token = "{v}";',  # Java / C# / Kotlin
    'String {name}Token = "{v}";',  # Java
    'val {name}Token = "{v}"',  # Kotlin
    '${name}Token = "{v}";',  # PHP
    '{{"{name}_token": "{v}"}}',  # JSON
    '{{"config": "{{\\"{name}_token\\": \\"{v}\\"}}"}}',  # JSON in a string
    "<{name}Token>{v}</{name}Token>",  # XML
    "{name}_token: {v}",  # YAML
    "{name}_token = {v}",  # INI
    '{name}_token => "{v}"',  # logstash
    'System.setProperty("{NAME}_TOKEN", "{v}")',  # System.setProperty
    'aliyunKey := "{v}"',  # the other name
]


def _value(rng: random.Random) -> str:
    while True:
        value = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(30))
        if any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value):
            return value


def _tree(tmp_path: Path, name: str = "alibaba") -> dict[str, str]:
    rng = random.Random(26)
    made = {}
    for index, shape in enumerate(SHAPES):
        value = _value(rng)
        text = shape.format(name=name, NAME=name.upper(), v=value)
        if name != "alibaba":
            text = text.replace("aliyun", name)
        (tmp_path / f"sample{index:02d}.txt").write_text(text + "\n")
        made[f"sample{index:02d}.txt"] = value
    return made


def test_every_gitleaks_shape_is_found_by_default(tmp_path: Path) -> None:
    made = _tree(tmp_path)
    result = run_akscan("scan", str(tmp_path), "--no-config", "--format", "json", "--no-redact")
    findings = json.loads(result.out)["findings"]
    found = {Path(f["path"]).name: f["secret"] for f in findings if f["rule_id"] == "alibaba-named-secret"}
    assert found == made
    assert {(f["kind"], f["severity"]) for f in findings} == {("secret", "medium")}


def test_the_same_values_behind_other_names_are_not_enough(tmp_path: Path) -> None:
    _tree(tmp_path, name="payment")
    result = run_akscan("scan", str(tmp_path), "--no-config", "--format", "json")
    assert json.loads(result.out)["findings"] == []
