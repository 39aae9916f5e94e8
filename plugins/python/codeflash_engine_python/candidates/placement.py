"""Where the client puts a new module-level assignment, and whether it can run there.

The client (contract 4.4) does not keep the answer's order for a module-level assignment to a new
name: one whose value mentions a function or class of the module goes after the module's last
definition; any other goes right after the imports, before the module's own assignments. A new
``_SUB = _SPLIT.sub`` (or a class attribute ``_FACTOR = SCALE`` that :mod:`.hoist` moved to the top
level) would then run before ``_SPLIT = re.compile(...)``: the module fails to import with a
``NameError``; so would a new ``_TOP = max(_TABLE)`` before a new ``_TABLE = _build()``, which
goes after the definitions. Nothing the candidate can say moves it, so such a candidate is refused.

What counts is what the value reads when the module runs (a lambda's body runs later; a
comprehension's own variables are not read from the module), among the names the original binds
only by statements after its imports (a name an import, function or class binds is there in time).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from codeflash_engine_python.candidates.module import ModuleIndex
from codeflash_engine_python.names import all_nodes, bound_names, used_names

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _is_import_block(node: ast.stmt) -> bool:
    """An import, or an ``if`` holding nothing but imports: what the client counts as imports."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    return isinstance(node, ast.If) and all(isinstance(inner, ast.Import | ast.ImportFrom) for inner in node.body)


def bound_after_imports(tree: ast.Module) -> set[str]:
    """The names the module binds only by statements at or after the place where the client puts
    new assignments (after the last import that comes before the first function or class), and
    not by an import, a function or a class."""
    insertion = 0
    for at, node in enumerate(tree.body):
        if _is_import_block(node):
            insertion = at + 1
        if isinstance(node, Function | ast.ClassDef):
            break
    early: set[str] = set()
    late: set[str] = set()
    for at, node in enumerate(tree.body):
        if isinstance(node, Function | ast.ClassDef):
            early.add(node.name)
        elif _is_import_block(node) or at < insertion:
            early |= bound_names(node)
        else:
            late |= bound_names(node)
    return late - early


def _mentioned(value: ast.expr) -> set[str]:
    """Every name the client sees in a value: its names and attribute names, lambdas included."""
    return {n.id for n in all_nodes([value]) if isinstance(n, ast.Name)} | {
        n.attr for n in all_nodes([value]) if isinstance(n, ast.Attribute)
    }


def _read_when_run(value: ast.expr) -> set[str]:
    """The names a value reads when it is evaluated: not in a lambda's body, and not the variables
    its comprehensions bind."""
    lambdas = [n for n in all_nodes([value]) if isinstance(n, ast.Lambda)]
    later = {id(n) for lam in lambdas for n in all_nodes([lam.body])}
    read = {n.id for n in all_nodes([value]) if isinstance(n, ast.Name) and id(n) not in later}
    return (read & used_names([value])) - bound_names(value)


def assignment_too_early(
    assignments: Sequence[ast.stmt], original: ModuleIndex, candidate: ModuleIndex
) -> tuple[str, str] | None:
    """The first new assignment of ``assignments`` that the client would run before a name it
    reads is bound, with that name; None when every one can run where the client puts it.

    Those that go right after the imports come before the module's own assignments, and before
    the new assignments that go after the definitions: what either binds is read too early.
    """
    definitions = {n.name for n in original.tree.body if isinstance(n, Function | ast.ClassDef)}
    definitions |= {n.name for n in candidate.tree.body if isinstance(n, Function | ast.ClassDef)}
    valued = [(n, n.value) for n in assignments if isinstance(n, ast.Assign | ast.AnnAssign) and n.value is not None]
    after_imports = [(n, value) for n, value in valued if not _mentioned(value) & definitions]
    if not after_imports:
        return None
    late = bound_after_imports(original.tree)
    late |= {name for n, value in valued if _mentioned(value) & definitions for name in bound_names(n)}
    for node, value in after_imports:
        missing = sorted(_read_when_run(value) & late)
        if missing:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            return ast.unparse(target), missing[0]
    return None
