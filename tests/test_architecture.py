"""The layout's rules, checked from the source (see app/core/__init__.py): no import cycles
inside app/, arrows between the core's rooms pointing down only, no Qt in app/core, and no
module-level torch in the engine or media rooms (torch lives in app.core.model and the torch
backend)."""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
# room -> rooms it may import (app.paths, a leaf, is open to all)
ALLOWED = {
    "app.core.settings": set(),
    "app.core.presets": {"app.core.settings"},
    "app.core.photo_edits": {"app.core.settings", "app.core.presets"},
    "app.core.media": {"app.core.settings"},
    "app.core.model": {"app.core.settings", "app.core.media"},
    "app.core.engine": {"app.core.settings", "app.core.media", "app.core.model"},
    "app.core.jobs": {"app.core.settings", "app.core.media", "app.core.engine",
                      "app.core.presets", "app.core.photo_edits"},
    # the window's model: above the core (its public API only), below the GUI, no Qt
    "app.session": set(),
}
QT_FREE = ("app.core", "app.session")
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "qtawesome", "superqt", "qtpy")
# the cluster batch's optional dependency: imported inside functions, by these modules only
RAY_MODULES = {"app.core.jobs.cluster", "app.core.jobs.cluster_worker",
               "app.core.jobs.ray_session", "app.bench.cluster"}
TORCH_BACKEND = "app.core.engine.backends.torch_backend"


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(APP.rglob("*.py"))}


def imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import in the file, resolved to the most
    specific module of ``modules`` (``from app.core import x`` -> app.core.x if a module)."""
    tree = ast.parse(path.read_text(), str(path))
    top_level = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                     else node.module for a in node.names]
        for name in names:
            found.append((name, id(node) in top_level))
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as a list of nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def room(module: str) -> str | None:
    for r in ALLOWED:
        if module == r or module.startswith(r + "."):
            return r
    return None


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {m for m, _ in imports(path, modules) if m in modules and m != name}
    return graph


def test_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_inside_app():
    # imports inside functions count too: a lazy import still ties the two modules together
    assert find_cycle(import_graph()) is None


def test_rooms_of_the_core_import_downwards_only():
    wrong = []
    for module, targets in import_graph().items():
        source = room(module)
        if module.startswith("app.core") and source is None and module != "app.core":
            wrong.append(f"{module} belongs to no room")
        for target in targets:
            if target.startswith(("app.gui", "app.cli", "app.bench", "app.__main__")) and \
                    module.startswith(QT_FREE):
                wrong.append(f"{module} -> {target}")
            dest = room(target)
            if source and dest and dest != source and dest not in ALLOWED[source]:
                wrong.append(f"{module} -> {target}")
            if source and source.startswith("app.core") and target == "app.core":
                wrong.append(f"{module} -> app.core (the public API is for callers above)")
    assert not wrong, wrong


def test_core_never_imports_qt_and_engine_media_never_torch_at_module_level():
    modules = all_modules()
    wrong = []
    for name, path in modules.items():
        if not name.startswith(QT_FREE):
            continue
        for target, top_level in imports(path, modules):
            if target.split(".")[0] in QT_MODULES:  # the core and the session: no Qt
                wrong.append(f"{name} imports {target}")
            if (target.split(".")[0] == "torch" and top_level and name != TORCH_BACKEND
                    and room(name) in ("app.core.engine", "app.core.media")):
                wrong.append(f"{name} imports torch at module level")
    assert not wrong, wrong


def test_ray_is_imported_lazily_and_by_the_cluster_modules_only():
    modules = all_modules()
    wrong = []
    for name, path in modules.items():
        for target, top_level in imports(path, modules):
            if target.split(".")[0] != "ray":
                continue
            if name not in RAY_MODULES:
                wrong.append(f"{name} imports {target}")
            elif top_level:
                wrong.append(f"{name} imports {target} at module level")
    assert not wrong, wrong


def test_each_room_says_what_it_is_for_and_files_stay_small():
    for r in ALLOWED:
        init = APP.parent / Path(*r.split(".")) / "__init__.py"
        if init.exists():
            assert ast.get_docstring(ast.parse(init.read_text())), f"{init} has no docstring"
    big = [str(p) for p in APP.rglob("*.py") if len(p.read_text().splitlines()) > 450]
    assert not big, big
