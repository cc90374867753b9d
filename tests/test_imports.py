"""The package has no import cycles, every module imports on its own, and recipes know every
component kind without the engine having been imported first."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mmreward

ROOT = Path(mmreward.__file__).parent
PYTHON = sys.executable


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(_module_name(path) for path in ROOT.rglob("*.py"))


def _top_level_imports(path: Path, name: str) -> set[str]:
    """Modules of the package that `path` imports when it is imported (not under
    `if TYPE_CHECKING:` and not inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)

    visit(tree.body)
    return {module for module in found if module in MODULES and module != name}


def test_the_package_has_no_import_cycles():
    graph = {
        _module_name(path): _top_level_imports(path, _module_name(path))
        for path in ROOT.rglob("*.py")
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                walk(target, [*trail, target])
        state[module] = 2

    for module in MODULES:
        if module not in state:
            walk(module, [module])
    assert cycles == [], "\n".join(" -> ".join(cycle) for cycle in cycles)


# Third-party packages, and `mmreward` itself (which every `import mmreward.X` runs first), are
# imported once in the parent before it forks a child per module: each child then imports the
# rest of the package in the order its one module pulls it in.
_FRESH_IMPORTS = """
import importlib.util, os, sys, traceback
for heavy in ("torch", "transformers", "transformers.modeling_utils",
              "transformers.models.auto.modeling_auto", "transformers.models.llama.modeling_llama",
              "transformers.models.qwen2.modeling_qwen2", "sympy", "fastapi", "ultralytics", "trl",
              "datasets", "pyarrow", "ray", "redis", "httpx", "uvicorn", "PIL", "mmreward"):
    if importlib.util.find_spec(heavy) is not None:
        __import__(heavy)
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        failed.append(name)
print("FAILED:" + ",".join(failed))
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_every_module_imports_on_its_own():
    done = subprocess.run(
        [PYTHON, "-c", _FRESH_IMPORTS, *MODULES], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-4000:]
    failed = done.stdout.strip().rpartition("FAILED:")[2]
    assert failed == "", f"{failed}\n{done.stderr[-4000:]}"


def test_recipes_know_every_kind_in_a_fresh_interpreter():
    script = """
import sys
import mmreward.recipes as recipes
assert "mmreward.engine" not in sys.modules
recipe = recipes.parse_recipe({
    "name": "everything",
    "components": [
        {"kind": "accuracy", "params": {"verifier": "math"}},
        {"kind": "prm", "params": {"aggregate": "mean"}},
        {"kind": "orm", "params": {"output": "raw"}},
        {"kind": "grounding", "params": {"task": "count"}},
    ],
})
print(",".join(c.kind for c in recipe.components))
print(",".join(recipes.component_kinds()))
"""
    done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    parsed, known = done.stdout.split()
    assert parsed == "accuracy,prm,orm,grounding"
    assert set(known.split(",")) == {"accuracy", "format", "length", "prm", "orm", "grounding"}


def test_the_http_client_does_not_import_the_engine():
    script = """
import sys
from mmreward.clients import RewardClient, Scorer
assert RewardClient and Scorer
print("mmreward.engine" in sys.modules, "torch" in sys.modules)
"""
    done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
