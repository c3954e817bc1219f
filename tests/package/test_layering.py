"""The package is a DAG of layers, lowest first; a module may import only its own layer or lower ones.

compat (third-party fixes) < registry / version / zoo (floor utilities) < layers (pure torch) < checkpoint
< models < engine / datasets / evaluation < apis < the package root. The check reads every module's imports with
`ast`, including imports inside functions, so a cycle cannot hide behind a deferred import.
"""
import ast
import pathlib
from typing import Dict, Iterator, Set, Tuple

import pytest

import eva_mm

PACKAGE_DIR = pathlib.Path(eva_mm.__file__).parent
LAYER_OF_TOP = {
    'compat': 0,
    'registry': 1, 'version': 1, 'zoo': 1,
    'layers': 2,
    'checkpoint': 3,
    'models': 4,
    'engine': 5, 'datasets': 5, 'evaluation': 5,
    'apis': 6,
}
ROOT_LAYER = max(LAYER_OF_TOP.values()) + 1


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _modules() -> Dict[str, pathlib.Path]:
    return {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob('*.py')) if '.mim' not in p.parts}


def _layer(module: str) -> int:
    parts = module.split('.')
    if len(parts) == 1:
        return ROOT_LAYER
    if parts[1] not in LAYER_OF_TOP:
        raise AssertionError(f'{module}: top-level eva_mm module {parts[1]!r} has no layer; add it to LAYER_OF_TOP '
                             f'in {__file__}')
    return LAYER_OF_TOP[parts[1]]


def _eva_mm_imports(module: str, path: pathlib.Path) -> Iterator[Tuple[str, int, bool]]:
    """(imported eva_mm module, line, imported inside a function) for every import statement of `path`."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == '__init__.py' else module.rpartition('.')[0]
    functions = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                 for n in ast.walk(f)}
    for node in ast.walk(tree):
        nested = id(node) in functions
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'eva_mm':
                    yield alias.name, node.lineno, nested
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                target = '.'.join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ''
            if target.split('.')[0] != 'eva_mm':
                continue
            for alias in node.names:  # `from . import models` imports a module, `from .x import f` a name
                sub = f'{target}.{alias.name}'
                yield (sub if sub in MODULES else target), node.lineno, nested


MODULES = _modules()


def _resolve(target: str) -> str:
    while target not in MODULES and '.' in target:
        target = target.rpartition('.')[0]
    return target


@pytest.mark.parametrize('module', sorted(MODULES))
def test_imports_go_down_only(module):
    mine = _layer(module)
    for target, line, _ in _eva_mm_imports(module, MODULES[module]):
        target = _resolve(target)
        if target == 'eva_mm' and module != 'eva_mm':
            raise AssertionError(f'{module}:{line} imports the package root; import the module it needs')
        assert _layer(target) <= mine, (
            f'{module} (layer {mine}) imports {target} (layer {_layer(target)}) at line {line}: lower layers never '
            f'import higher ones ({" < ".join(sorted(LAYER_OF_TOP, key=LAYER_OF_TOP.get))})')


def test_no_deferred_eva_mm_imports():
    """An import inside a function exists only to dodge a cycle or a cost; neither should be needed in eva_mm."""
    deferred = [f'{m}:{line} imports {t}' for m, p in MODULES.items() for t, line, nested in _eva_mm_imports(m, p)
                if nested]
    assert not deferred, 'deferred eva_mm imports:\n' + '\n'.join(deferred)


def test_module_imports_are_acyclic():
    graph: Dict[str, Set[str]] = {m: {_resolve(t) for t, _, nested in _eva_mm_imports(m, p) if not nested} - {m}
                                  for m, p in MODULES.items()}
    # A package __init__ importing its own submodules and a submodule importing a sibling through the package are
    # the normal shape of a package; a cycle is only a problem between modules that are not each other's parents.
    state: Dict[str, int] = {}

    def visit(node: str, stack: list) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if node.startswith(nxt + '.') or nxt.startswith(node + '.'):
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
                raise AssertionError('import cycle: ' + ' -> '.join(cycle))
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_every_eva_mm_top_level_module_has_a_layer():
    tops = {m.split('.')[1] for m in MODULES if '.' in m}
    assert tops <= set(LAYER_OF_TOP), sorted(tops - set(LAYER_OF_TOP))
