"""Clean a generated test file, one small text-to-text step at a time.

Every step parses its input, decides with ``ast`` and edits the text at ast positions, so the
comments and layout of the model's test survive (the CLI shows this file to the user and puts
runtime comments on its lines). Steps never change the number or order of the statements in a
test function body: the line ids of the instrumentation are statement indices of this file.
"""

from __future__ import annotations

import ast
import functools
import re
import sys

from codeflash_engine_python.names import MODULE_ALIASES, bound_names, missing_imports, used_names
from codeflash_engine_python.source import Edit, SourceText, apply_edits, first_line, lines_after_imports
from codeflash_engine_python.syntax import parse
from codeflash_engine_python.testgen.context import TestTarget
from codeflash_engine_python.testgen.instrument import is_test_function, test_functions
from codeflash_engine_python.testgen.sizes import (
    MAX_ELEMENTS,
    MAX_LOOP_ITERATIONS,
    MAX_RANGE,
    MAX_REPEAT,
    MAX_TEXT_REPEAT,
    capped_values,
    fold_int,
)

_TOP_LEVEL_START = re.compile(r"^(?:async\s+def|def|class|@|if\s+__name__)\b|^@", re.MULTILINE)


@functools.lru_cache(maxsize=8)
def _parse(code: str, language_version: str | None) -> ast.Module:
    """Parse, remembering the last trees: a step that changes nothing spares the next one a parse
    (within one :func:`clean_tests`, which forgets them).

    The cleanup steps only read the trees; never mutate one obtained here.
    """
    return parse(code, language_version)


class TestCleanupError(ValueError):
    """No usable test could be made from the answer."""

    __test__ = False


def recover_truncated(code: str, language_version: str | None) -> str:
    """``code`` if it parses; else its longest prefix ending before a top-level statement that does.

    Models that hit their output limit stop mid-test; the tests before the cut are still good.
    """
    try:
        _parse(code, language_version)
        return code
    except SyntaxError:
        pass
    starts = [m.start() for m in _TOP_LEVEL_START.finditer(code)]
    for cut in reversed(starts):
        prefix = code[:cut].rstrip() + "\n"
        try:
            parse(prefix, language_version)
        except SyntaxError:
            continue
        return prefix
    raise TestCleanupError("the generated tests do not parse, even when cut back to a complete test")


def _may_name_code_under_test(node: ast.ImportFrom, target: TestTarget, imported: set[str]) -> bool:
    """Whether an import's module may be a (wrong) name of the code under test: a relative import,
    a module of the code under test or one named like one (``sorter`` for ``pkg.sorter``), or a
    module outside the standard library. A standard-library module that is none of these is left
    alone: ``from statistics import mean`` in the tests of ``pkg.stats.mean`` imports the reference
    the tests compare with, not the function under test. So is a standard module named like one of
    ours when the file also imports each of its names from our module (``imported``): in the tests
    of ``pkg.statistics.mean``, ``from statistics import mean as ref`` beside
    ``from pkg.statistics import mean`` is the reference."""
    if node.level or not node.module:
        return True
    ours = {target.module_path, *target.sources.values()}
    top, last = node.module.split(".")[0], node.module.rsplit(".", 1)[-1]
    standard = top in sys.stdlib_module_names
    if any(mod.split(".")[0] == top or mod.rsplit(".", 1)[-1] == last for mod in ours):
        return not (standard and node.module not in ours and all(a.name in imported for a in node.names))
    return not standard


def fix_target_imports(code: str, target: TestTarget, language_version: str | None) -> str:
    """Point imports of the code under test at its real module (``from sorter import x`` -> ``pkg.sorter``)."""
    tree = _parse(code, language_version)
    source = SourceText(code)
    edits: list[Edit] = []
    ours = {target.module_path, *target.sources.values()}
    imported = {
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and not node.level and node.module in ours
        for alias in node.names
    }
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
            continue
        if not _may_name_code_under_test(node, target, imported):
            continue
        module = "." * node.level + (node.module or "")
        real = {alias.name: target.module_of(alias.name) or module for alias in node.names}
        if all(mod == module for mod in real.values()):
            continue
        groups: dict[str, list[str]] = {}
        for alias in node.names:
            groups.setdefault(real[alias.name], []).append(alias.name + (f" as {alias.asname}" if alias.asname else ""))
        indent = " " * node.col_offset
        text = "".join(f"{indent}from {mod} import {', '.join(names)}\n" for mod, names in groups.items())
        edits.append(Edit(*source.statement_lines(node), text))
    return apply_edits(code, edits)


def remove_redefinitions(code: str, target: TestTarget, language_version: str | None) -> str:
    """Delete top-level definitions that shadow the code under test (the target, helpers, classes)."""
    tree = _parse(code, language_version)
    source = SourceText(code)
    edits = [
        Edit(*source.statement_and_blank_lines(node), "")
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name in target.shadowed
    ]
    edits += [
        Edit(*source.statement_and_blank_lines(node), "")
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in target.shadowed
    ]
    return apply_edits(code, edits)


def _is_kept_definition(node: ast.stmt) -> bool:
    """Definitions the test runner reaches without a reference: tests, test classes, fixtures, hooks."""
    if isinstance(node, ast.ClassDef):
        bases = " ".join(ast.unparse(b) for b in node.bases)
        return node.name.startswith("Test") or "TestCase" in bases
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return True
    if is_test_function(node) or node.name.startswith(("setup", "teardown", "setUp", "tearDown", "pytest_")):
        return True
    return any("fixture" in ast.unparse(d) for d in node.decorator_list)


def _references(nodes: list[ast.stmt]) -> set[str]:
    names = used_names(nodes)
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                names.add(node.value)
    return names


def remove_unused_definitions(code: str, language_version: str | None) -> str:
    """Delete top-level helper functions and classes that no test reaches."""
    tree = _parse(code, language_version)
    kept = [node for node in tree.body if _is_kept_definition(node)]
    optional = {node.name: node for node in tree.body if not _is_kept_definition(node) and hasattr(node, "name")}
    reachable = _references(kept)
    frontier = [name for name in optional if name in reachable]
    while frontier:
        name = frontier.pop()
        new = _references([optional[name]]) - reachable
        reachable |= new
        frontier.extend(n for n in new if n in optional)
    source = SourceText(code)
    edits = [
        Edit(*source.statement_and_blank_lines(node), "") for name, node in optional.items() if name not in reachable
    ]
    return apply_edits(code, edits)


def cap_sizes(code: str, language_version: str | None) -> str:
    """Shrink huge loop counts and data sizes so the tests finish within the CLI's timeout and
    memory (the budget and the shapes are in :mod:`.sizes`).

    A capped size above :data:`MAX_RANGE` is replaced wherever its value appears as an integer
    literal expression, so that ``n = 10**6``, ``range(n)`` and ``assert len(out) == 10**6`` stay
    consistent; a smaller one (a dimension of a shape, a nested loop's bound) only where it is
    used as a size, since small numbers mean many things.

    A value computed from a size cannot follow it (``range(3000)`` and ``len(windows(data, 30))
    == 2971``): a test that compares with a large number that is not itself a size keeps its
    sizes as they are when together they stay within :data:`MAX_LOOP_ITERATIONS` (see
    :func:`_keeps_sizes`), else its check would fail on the original code.
    """
    tree = _parse(code, language_version)
    capped = capped_values(tree)
    if not capped:
        return code
    by_value: dict[int, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.expr) and id(node) in capped:
            old = fold_int(node)
            if old is not None and abs(old) > MAX_RANGE:
                new = capped[id(node)][1]
                by_value[old] = min(by_value.get(old, new), new, key=abs)
    kept = {id(scope) for scope in _scopes(tree) if _keeps_sizes(scope, capped, by_value)}
    if kept:
        capped = dict(capped)
        for scope in _scopes(tree):
            if id(scope) in kept:
                for node in ast.walk(scope):
                    capped.pop(id(node), None)
        remaining = {fold_int(node) for node in ast.walk(tree) if isinstance(node, ast.expr) and id(node) in capped}
        by_value = {old: new for old, new in by_value.items() if old in remaining}
    source = SourceText(code)
    edits: list[Edit] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.expr):
            value = fold_int(node)
            if value is not None:
                if value in by_value:
                    edits.append(Edit(*source.node_span(node), str(by_value[value])))
                elif id(node) in capped:
                    edits.append(Edit(*source.node_span(node), str(capped[id(node)][1])))
                return
        for child in ast.iter_child_nodes(node):
            visit(child)

    for scope in _scopes(tree):
        if id(scope) not in kept:
            visit(scope)
    return apply_edits(code, edits)


def _scopes(tree: ast.Module) -> list[ast.stmt]:
    """The statements sizes are judged by: top-level functions and statements, and the members of
    top-level classes (test methods; the class headers hold no sizes)."""
    return [item for node in tree.body for item in (node.body if isinstance(node, ast.ClassDef) else [node])]


def _keeps_sizes(scope: ast.stmt, capped: dict[int, tuple[int, int]], by_value: dict[int, int]) -> bool:
    """Whether ``scope`` keeps its capped sizes: it compares with a number over :data:`MAX_RANGE`
    that is no capped size (so likely computed from one), or with an integer expression written
    from a capped size (``5000 // 90 * 10``: cutting the size would not follow it), and its
    capped sizes multiply to at most :data:`MAX_LOOP_ITERATIONS` (affordable as they are)."""
    sizes = [node for node in ast.walk(scope) if isinstance(node, ast.expr) and id(node) in capped]
    if not sizes:
        return False
    derived = False
    for node in ast.walk(scope):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                value = fold_int(operand)
                if value is None or id(operand) in capped:
                    continue
                if abs(value) > MAX_RANGE and value not in by_value:
                    derived = True
                elif not isinstance(operand, ast.Constant) and _holds_a_capped_value(operand, by_value):
                    derived = True  # ``5000 // 90 * 10``: computed from a size, whatever its own value
    if not derived:
        return False
    total = 1
    for node in sizes:
        total *= abs(fold_int(node) or 1)
    return total <= MAX_LOOP_ITERATIONS


def _holds_a_capped_value(node: ast.expr, by_value: dict[int, int]) -> bool:
    """An integer literal of ``node`` (an integer expression) is a capped size's value."""
    return any(
        isinstance(inner, ast.Constant) and type(inner.value) is int and inner.value in by_value
        for inner in ast.walk(node)
    )


def mark_async_tests(code: str, framework: str, language_version: str | None) -> str:
    """Give ``async def test_*`` functions ``@pytest.mark.asyncio`` when they have no async marker."""
    if framework != "pytest":
        return code
    tree = _parse(code, language_version)
    source = SourceText(code)
    edits: list[Edit] = []
    for class_name, test in test_functions(tree):
        if class_name is not None or not isinstance(test, ast.AsyncFunctionDef):
            continue
        if any(re.search(r"asyncio|anyio|trio", ast.unparse(d)) for d in test.decorator_list):
            continue
        start = source.line_start(first_line(test))
        edits.append(Edit(start, start, " " * test.col_offset + "@pytest.mark.asyncio\n"))
    return apply_edits(code, edits)


def add_missing_imports(code: str, target: TestTarget, language_version: str | None) -> str:
    """Import what the tests use and nobody defines: the code under test, pytest, standard modules."""
    tree = _parse(code, language_version)
    known = {name: line for name in target.sources if (line := target.import_line(name))}
    known[target.import_name] = f"from {target.module_path} import {target.import_name}"
    known["pytest"] = "import pytest"
    known.update({alias: f"import {module} as {alias}" for alias, module in MODULE_ALIASES.items()})
    lines = missing_imports(used_names([tree]), bound_names(tree), known)
    if not lines:
        return code
    insertion = lines_after_imports(SourceText(code), tree, "".join(line + "\n" for line in lines))
    return apply_edits(code, [insertion])


def require_tests(code: str, language_version: str | None) -> str:
    """``code`` if it still holds at least one test function, else :class:`TestCleanupError`."""
    tree = _parse(code, language_version)
    if not any(True for _ in test_functions(tree)):
        raise TestCleanupError("the generated code holds no test function (test_* at module level or in a class)")
    return code


def clean_tests(code: str, target: TestTarget, framework: str, language_version: str | None) -> str:
    """Run every cleanup step in order and return the cleaned test file.

    The steps' trees are forgotten when it returns: kept, every garbage collection walked them
    (eight trees of 256 KB of tests are about a million objects, several hundred milliseconds of
    a stalled event loop per collection).
    """
    try:
        code = recover_truncated(code.replace("\r\n", "\n"), language_version)
        code = fix_target_imports(code, target, language_version)
        code = remove_redefinitions(code, target, language_version)
        code = remove_unused_definitions(code, language_version)
        code = cap_sizes(code, language_version)
        code = mark_async_tests(code, framework, language_version)
        code = add_missing_imports(code, target, language_version)
        return require_tests(code.strip() + "\n", language_version)
    finally:
        _parse.cache_clear()


__all__ = [
    "MAX_ELEMENTS",
    "MAX_RANGE",
    "MAX_REPEAT",
    "MAX_TEXT_REPEAT",
    "TestCleanupError",
    "clean_tests",
    "is_test_function",
]
