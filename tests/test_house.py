"""The package's structure: imports go one way, the table stands alone."""
import ast
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'ghost_mm')


def _modules():
    """{dotted name: (path, is_package)} of every module of ghost_mm."""
    modules = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].split(os.sep)
            is_package = parts[-1] == '__init__'
            modules['.'.join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def _imported(name, path, is_package, modules):
    """The ghost_mm modules ``name`` imports anywhere in its file (module level
    or inside functions: a deferred import still ties the two files)."""
    package = name if is_package else name.rpartition('.')[0]
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parent = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(parent + ([node.module] if node.module else []))
            # `from pkg import sub` imports the submodule when there is one
            targets = [f'{base}.{alias.name}' if f'{base}.{alias.name}' in modules else base
                       for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def import_graph():
    modules = _modules()
    return {name: _imported(name, path, is_package, modules)
            for name, (path, is_package) in modules.items()}


def find_cycle(graph):
    """One import cycle as a list of modules (first == last), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 'open':
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = 'done'
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert 'ghost_mm.weights.ghostnet_files' in graph and len(graph) > 40
    cycle = find_cycle(graph)
    assert cycle is None, 'import cycle: ' + ' -> '.join(cycle)


def test_the_cycle_finder_finds_a_deferred_import_cycle():
    graph = import_graph()
    # the circle this package had: the backbone reaching the loader, which
    # built the backbone
    graph['ghost_mm.weights.ghostnet_files'] = (graph['ghost_mm.weights.ghostnet_files']
                                                | {'ghost_mm.models.ghostnet'})
    cycle = find_cycle(graph)
    assert cycle and 'ghost_mm.models.ghostnet' in cycle


@pytest.mark.parametrize('module', ['ghost_mm.models.arch'])
def test_the_architecture_table_imports_nothing_of_ghost_mm(module):
    assert import_graph()[module] == set()


def test_weights_depend_on_the_table_not_on_the_backbone():
    graph = import_graph()
    loaders = {name for name in graph if name.startswith('ghost_mm.weights.')}
    loaders -= {'ghost_mm.weights.convert'}  # builds a backbone to check a file against
    for name in loaders:
        assert 'ghost_mm.models.ghostnet' not in graph[name], name
    assert 'ghost_mm.models.arch' in graph['ghost_mm.weights.ghostnet_files']
