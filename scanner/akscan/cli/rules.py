"""`akscan rules list`: the loaded rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from akscan.errors import ExitCode


@click.group()
def rules() -> None:
    """Inspect the loaded rules."""


@rules.command("list")
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Extra folder of *.toml rule files (repeatable).",
)
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True, help="Output format."
)
def rules_list(rule_dirs: tuple[str, ...], fmt: str) -> int:
    """List the loaded rules."""
    from akscan.engine.rules import load_ruleset

    ruleset = load_ruleset(tuple(Path(d) for d in rule_dirs))
    out = sys.stdout
    if fmt == "json":
        import json

        rows = [
            {
                "id": r.id,
                "provider": r.provider,
                "kind": r.kind,
                "title": r.title,
                "severity": str(r.severity),
                "source": r.source,
            }
            for r in ruleset.rules
        ]
        json.dump({"ruleset": ruleset.digest, "rules": rows}, out, indent=2)
        out.write("\n")
        return ExitCode.CLEAN
    for rule in ruleset.rules:
        pairs = f" pairs with {rule.pair.secret}" if rule.pair else ""
        out.write(f"{rule.id:28} {rule.provider:8} {rule.kind:7} {rule.title}{pairs}\n")
    out.write(f"{len(ruleset.rules)} rules, ruleset {ruleset.digest}\n")
    return ExitCode.CLEAN


command = rules
