"""The house's layout holds: packages that say what they own, modules of a readable size, and
a dashboard whose ES modules import one way (chalicelib's Python layers are `lint-imports`'
contract in pyproject.toml, run by `make lint`)."""

from __future__ import annotations

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_LINES = 310  # "about 300": a module longer than this is two concerns
SIZED = ("chalicelib", "local", "bench", "scripts")
IMPORT = re.compile(r"""^\s*import\s[^'"]*?from\s+['"]\./([\w.-]+\.js)['"]""", re.M)


def test_every_chalicelib_package_says_what_it_owns():
    packages = [p for p in (ROOT / "chalicelib").rglob("__init__.py") if "dashboard" not in p.parts]
    assert len(packages) >= 10
    silent = [
        str(p.relative_to(ROOT))
        for p in packages
        if not ast.get_docstring(ast.parse(p.read_text()))
    ]
    assert silent == []


def test_no_module_is_over_about_300_lines():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for folder in SIZED
        for path in (ROOT / folder).rglob("*.py")
    }
    assert len(sizes) > 50
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}


def imports_of_dashboard() -> dict[str, set[str]]:
    folder = ROOT / "chalicelib" / "dashboard"
    return {path.name: set(IMPORT.findall(path.read_text())) for path in folder.glob("*.js")}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every module that can reach itself, with the path it takes (depth first)."""
    found = []
    for start in sorted(graph):
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    found.append([*path, nxt])
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a.js": {"b.js"}, "b.js": {"c.js"}, "c.js": {"a.js"}, "d.js": set()})
    assert cycles({"a.js": {"b.js"}, "b.js": set()}) == []


def test_the_dashboards_es_modules_import_one_way():
    graph = imports_of_dashboard()
    assert graph.get("card.js"), "the import pattern no longer matches"
    missing = {name for targets in graph.values() for name in targets} - set(graph)
    assert missing == set()
    assert cycles(graph) == []
