"""The library's shape, read from its source: no import cycle, and no streamlit.

The imports are read from the syntax tree of every module under ``gapmap/`` (including the ones
made inside functions), so a cycle hidden behind a late import counts as one.
"""

from __future__ import annotations

import ast
from pathlib import Path

from gapmap.labels import ILLUSTRATIVE

GAPMAP = Path(__file__).resolve().parent.parent / "gapmap"


def _module_name(path: Path) -> str:
    parts = path.relative_to(GAPMAP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(GAPMAP.rglob("*.py"))}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``path`` (module ``name``) imports, and every outside top-level name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            # ``from gapmap import io`` imports the module gapmap.io; ``from gapmap.io import x`` the module gapmap.io.
            subs = {f"{source}.{alias.name}" for alias in node.names} & known
            out.update(subs or {source})
    return out


def import_graph() -> dict[str, set[str]]:
    """gapmap module -> the gapmap modules it imports (a package's own ``__init__`` left out as a target)."""
    modules = _modules()
    known = set(modules)
    graph = {}
    for name, path in modules.items():
        targets = {m for m in _imports(path, name, known) if m in known and m != name}
        # Importing gapmap.x runs gapmap/__init__ first; that is no dependency of the importer's own.
        graph[name] = {m for m in targets if m != "gapmap"}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_is_read_from_the_source():
    graph = import_graph()
    assert {"gapmap.registry_gpkg", "gapmap.registry_schema"} <= graph["gapmap.registry"]
    assert "gapmap.registry_schema" in graph["gapmap.registry_postgres"]
    assert "gapmap.analysis" in graph["gapmap.cli.gaps"]  # a relative or absolute import in a subpackage


def test_gapmap_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_library_never_imports_streamlit():
    modules = _modules()
    offenders = sorted(
        name
        for name, path in modules.items()
        if any(m == "streamlit" or m.startswith("streamlit.") for m in _imports(path, name, set(modules)))
    )
    assert offenders == []


def _strings(path: Path) -> list[str]:
    """Every string constant in a module (f-string parts included), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def _where(predicate) -> list[str]:
    """gapmap modules (and pages) with a string constant that ``predicate`` accepts."""
    files = [*GAPMAP.rglob("*.py"), *(GAPMAP.parent / "pages").glob("*.py")]
    return sorted(str(p.relative_to(GAPMAP.parent)) for p in files if any(predicate(s) for s in _strings(p)))


def test_each_wording_and_setting_is_written_once():
    # The sample's label: labels.ILLUSTRATIVE, built on schema.ILLUSTRATIVE_MARK.
    assert _where(lambda s: "Illustrative sample —" in s) == []  # labels.py builds it from schema.ILLUSTRATIVE_MARK
    assert ILLUSTRATIVE == "Illustrative sample — not real providers"
    # Where the install's data lives: config.data_home.
    assert _where(lambda s: s == "GAPMAP_HOME") == ["gapmap/config.py"]


def test_band_wording_comes_from_labels():
    offenders = sorted(
        str(p.relative_to(GAPMAP.parent))
        for p in [*GAPMAP.rglob("*.py"), *(GAPMAP.parent / "pages").glob("*.py")]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "replace"
        and [a.value for a in node.args if isinstance(a, ast.Constant)] == ["plus", "+"]
    )
    assert offenders == []
