"""Dependencies point one way (docs/architecture.md): no import cycle between `campaign` modules —
imports inside functions included — and a domain's controllers, jobs and rules never read another
domain's tables (they go through that domain's `queries.py`)."""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "campaign"

#: Module names (last part) that must not touch another domain's tables.
UPPER_LAYERS = ("controllers", "jobs", "rules")
#: Libraries a pure `rules.py` must not import.
FRAMEWORKS = ("litestar", "piccolo", "arq", "redis", "asyncpg")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "piccolo_migrations" not in path.parts
    }


def imported_names(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in the file (functions and TYPE_CHECKING included),
    resolved to a module of the project where it names one."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


@cache
def graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (packages' own __init__ imports aside)."""
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = {target for target in imported_names(path) if target in known}
        # `from campaign.x import y` names both campaign.x and campaign.x.y: keep the module
        targets -= {t for t in targets if any(o.startswith(t + ".") for o in targets)}
        edges[name] = targets - {name}
    return edges


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else None


def test_no_import_cycle_between_campaign_modules():
    cycles = find_cycles(graph())
    assert cycles == [], "import cycles (break them; see docs/architecture.md):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(edges) == [["a", "b", "c"]]


def test_imports_inside_functions_and_relative_imports_count(tmp_path, monkeypatch):
    module = tmp_path / "campaign" / "x" / "y.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "def f():\n    from campaign.cases import queries\n    from . import z\n    import a.b\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert {"campaign.cases.queries", "campaign.x.z", "a.b"} <= imported_names(module)


def upper_layer_modules() -> list[str]:
    return [
        name
        for name in modules()
        if domain_of(name) and name.rsplit(".", 1)[-1].endswith(UPPER_LAYERS)
    ]


@pytest.mark.parametrize("module", upper_layer_modules())
def test_controllers_jobs_and_rules_use_other_domains_only_through_their_queries(module):
    own = domain_of(module)
    wrong = sorted(
        target
        for target in graph()[module]
        if domain_of(target) not in (None, own)
        and target.rsplit(".", 1)[-1] in ("tables", "controllers")
    )
    assert wrong == [], f"{module} reads another domain's tables/controllers: {wrong}"


#: The layers above the domains' tables/rules/queries/forms/jobs (docs/architecture.md).
TOP = ("campaign.web", "campaign.app", "campaign.worker", "campaign.cli", "campaign.home")


def below_the_web(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return domain_of(module) not in (None, "home", "demo") and not last.endswith(
        ("controllers", "controller")
    )


@pytest.mark.parametrize("module", [m for m in modules() if below_the_web(m)])
def test_domain_logic_never_imports_upwards(module):
    """tables, rules, queries, forms, jobs … never import controllers, the web layer, the app,
    the worker or the home dashboard: requests and wiring sit on top of them, not under."""
    upwards = sorted(
        target
        for target in graph()[module]
        if target.startswith(TOP) or target.endswith(("controllers", "controller"))
    )
    assert upwards == [], f"{module} imports upwards: {upwards}"


@pytest.mark.parametrize("module", [m for m in modules() if m.endswith(".rules")])
def test_rules_are_pure(module):
    frameworks = sorted(
        name for name in imported_names(modules()[module]) if name.split(".")[0] in FRAMEWORKS
    )
    assert frameworks == [], f"{module} imports {frameworks}; rules.py is pure logic"


def test_tests_share_helpers_only_through_tests_helpers():
    """Test modules import shared builders and steps from tests/helpers/, never from another
    test module or a conftest (which pytest loads by itself)."""
    wrong = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                name = node.module or ""
                if node.level or (
                    name.startswith("tests") and not name.startswith("tests.helpers")
                ):
                    wrong.append(f"{path.relative_to(ROOT)}: from {'.' * node.level}{name}")
            elif isinstance(node, ast.Import):
                wrong += [
                    f"{path.relative_to(ROOT)}: import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("tests") and not alias.name.startswith("tests.helpers")
                ]
    assert wrong == []


# -- Typed rows at the seams -------------------------------------------------------------------


def names(text: str) -> set[str]:
    return set(text.split())


#: Public `queries.py` functions that still return bare dict rows (docs/architecture.md, "Typed
#: rows"). Each entry is a debt, not a licence: convert the rows to a frozen dataclass (usually a
#: `campaign.rows.Row`) and delete the name here. `home_card` everywhere and home's `cards_for`
#: stay dicts on purpose: a card is the context of its own template; the other dicts left say why
#: they are dicts.
DICT_ROWS_ALLOWED: dict[str, set[str]] = {
    # column values for an insert (Table(**values)), not rows read back
    "campaign.duties.queries": names("review_values stored_organisation"),
    # also names the calendar's partial rows; volunteers.checkin_event still hands it on as a dict
    "campaign.events.queries": names("with_names"),
    # a card is the context of its own template
    "campaign.home.queries": names("cards_for"),
    # the figures are frozen into the bulletin as JSON when it is published
    "campaign.reports.queries": names("compute_figures"),
    # board events travel as JSON between processes (warnings.live / feed), so they stay dicts
    "campaign.warnings.queries": names("events_above events_after"),
}


def returns_bare_dict(annotation: ast.expr | None) -> bool:
    """Does a return annotation hand out dict rows: a bare `dict` anywhere in it (`dict`,
    `dict | None`, `list[dict]`, `tuple[int, list[dict]]`) or `dict[str, Any]`? A typed mapping
    such as `dict[str, int]` (code → count) is not a row."""
    if annotation is None:
        return False
    subscripted = {id(n.value) for n in ast.walk(annotation) if isinstance(n, ast.Subscript)}
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id == "dict" and id(node) not in subscripted:
            return True
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "dict"
            and ast.unparse(node.slice).replace(" ", "").strip("()") == "str,Any"
        ):
            return True
    return False


def dict_returning_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("_")
        and returns_bare_dict(node.returns)
    }


@pytest.mark.parametrize("module", [m for m in modules() if m.endswith(".queries")])
def test_queries_hand_out_typed_rows(module):
    found = dict_returning_functions(modules()[module]) - {"home_card"}
    allowed = DICT_ROWS_ALLOWED.get(module, set())
    assert found <= allowed, (
        f"{module}: {sorted(found - allowed)} return bare dicts; return a frozen dataclass row "
        "(campaign.rows.Row, docs/adding-a-domain.md)"
    )
    assert allowed <= found, f"{module}: {sorted(allowed - found)} are typed now; drop them here"


@pytest.mark.parametrize(
    "annotation, bare",
    [
        ("dict", True),
        ("dict | None", True),
        ("list[dict]", True),
        ("tuple[int, list[dict]]", True),
        ("dict[str, Any]", True),
        ("dict[str, list[dict]]", True),
        ("dict[str, int]", False),
        ("list[Unit]", False),
        ("Unit | None", False),
        ("dict[int, rules.TypeSpec]", False),
    ],
)
def test_the_row_check_tells_dict_rows_from_typed_ones(annotation, bare):
    assert returns_bare_dict(ast.parse(annotation, mode="eval").body) is bare
