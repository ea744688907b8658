"""The README documents every environment variable campaign/settings.py reads and every command
of the `campaign` command line; the design documents the code cites exist in docs/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from campaign.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def environment_variables(path: Path) -> set[str]:
    """Names read through os.environ.get("X"), os.environ["X"] or os.getenv("X") in `path`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                names.add(node.args[0].value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def commands(group: click.Group, prefix: str = "campaign") -> list[str]:
    """Every leaf command as typed: "campaign migrate", "campaign settings set" …"""
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_settings_reads_the_environment_at_all():
    names = environment_variables(ROOT / "campaign" / "settings.py")
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= names


@pytest.mark.parametrize("name", sorted(environment_variables(ROOT / "campaign" / "settings.py")))
def test_every_environment_variable_is_in_the_readme(name):
    assert f"`{name}`" in README, f"README.md does not document the environment variable {name}"


def test_only_settings_reads_the_environment():
    """Configuration is read once, in campaign/settings.py (campaign/__init__.py only points
    Piccolo at its configuration)."""
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "campaign").rglob("*.py")
        if path.name != "settings.py"
        and path != ROOT / "campaign" / "__init__.py"
        and environment_variables(path)
    )
    assert readers == []


def test_the_command_line_has_its_commands():
    assert {"campaign migrate", "campaign settings set", "campaign token create"} <= set(
        commands(main)
    )


@pytest.mark.parametrize("command", commands(main))
def test_every_command_is_in_the_readme(command):
    assert re.search(rf"`{re.escape(command)}\b", README), f"README.md does not list `{command}`"


@pytest.mark.parametrize("name", ["architecture.md", "definitions.md", "adding-a-domain.md"])
def test_the_design_documents_exist_and_are_linked_from_the_readme(name):
    assert (ROOT / "docs" / name).is_file() and f"docs/{name}" in README


def test_code_and_docs_cite_only_documents_of_the_repository():
    cited = re.compile(r"DESIGN §|STACK-NOTES|STYLE\.md|\.\./shared")
    offenders = sorted(
        str(path.relative_to(ROOT))
        for folder in ("campaign", "docs", "tests", "benchmarks")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".md", ".html")
        and path.name != "test_docs.py"
        and cited.search(path.read_text(encoding="utf-8"))
    )
    assert offenders == []
