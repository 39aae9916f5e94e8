"""New class attributes of an answer, moved to the module's top level.

Models often give a class they optimise a constant of its own (``_VOWELS = frozenset("aeiou")``
beside the method that reads ``self._VOWELS``). The client takes only the methods of an existing
class from a candidate (contract 4.4: it replaces functions and adds module-level assignments, not
class attributes), so the method would run without its attribute: ``AttributeError``, and the
candidate is lost. A new class attribute that the candidate reads as ``self.NAME``, ``cls.NAME``
or ``Class.NAME`` therefore becomes a module-level assignment of the same name just before the
class, and those reads become reads of the global, which the client carries over.

Only what keeps its meaning moves: a plain assignment (or one annotated ``ClassVar``/``Final``:
an annotated one may be a dataclass field) to one new name of a class the original defines, not
starting with two underscores (a dunder; a private ``__NAME`` is mangled, in the class a global
``__NAME`` is read as ``_Class__NAME``), whose value is no function (a lambda or a function's name
would be bound as a method), reads no other name of the class body that stays, and whose name no
module-level binding and no function of the candidate binds (``_TABLE = self._TABLE`` would read
its own local once rewritten); and only when the candidate never assigns or deletes the attribute
through the instance or class, nor matches against it in a ``case`` pattern (``case self._STOP:``
compares with the attribute, ``case _STOP:`` would capture anything), nor prints it in an
f-string's ``{self._STOP=}`` (whose text is part of the value). Anything else is left as it was.
"""

from __future__ import annotations

import ast

from codeflash_engine_python.candidates.module import (
    ModuleIndex,
    assignment_name,
    class_body_names,
    reindent,
    string_continuation_lines,
)
from codeflash_engine_python.names import all_nodes, bound_names, used_names
from codeflash_engine_python.source import Edit, apply_edits, first_line
from codeflash_engine_python.syntax import parse

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _movable(item: ast.stmt, new: set[str], functions: set[str]) -> str | None:
    """The name a class-body statement binds when it may move to the module, else None."""
    name = assignment_name(item)
    if (
        not isinstance(item, ast.Assign | ast.AnnAssign)
        or name is None
        or name not in new
        or name.startswith("__")  # a dunder, or private: ``__NAME`` in the class reads ``_Class__NAME``
    ):
        return None
    if isinstance(item, ast.AnnAssign):
        annotation = ast.unparse(item.annotation)
        if "ClassVar" not in annotation and "Final" not in annotation:
            return None
    value = item.value
    if value is None or isinstance(value, ast.Lambda):
        return None
    if isinstance(value, ast.Name) and value.id in functions:
        return None
    return name


def _reads(item: ast.stmt) -> set[str]:
    value = getattr(item, "value", None)
    return used_names([value]) if isinstance(value, ast.expr) else set()


def _shares_a_line(item: ast.stmt, cls: ast.ClassDef) -> bool:
    """Another statement of the class body is on a line of ``item`` (``a = 1; b = 2``)."""
    lines = range(item.lineno, (item.end_lineno or item.lineno) + 1)
    return any(
        other is not item and (other.lineno in lines or (other.end_lineno or other.lineno) in lines)
        for other in cls.body
    )


def _references(tree: ast.Module, cls: ast.ClassDef, names: set[str]) -> tuple[list[ast.Attribute], set[str]]:
    """The reads of ``names`` through ``self``/``cls`` in the class's methods or through the class
    anywhere, and the names among them that are also written or deleted that way, or compared
    with in a ``case`` pattern (a dotted name there is a value, a bare name would be a capture) or
    printed with its own text (``f"{self._X=}"``)."""
    reads: list[ast.Attribute] = []
    written: set[str] = set()
    patterns: set[int] = set()  # the values of ``case`` patterns (walked before them: breadth first)
    scopes: list[tuple[ast.AST, set[str]]] = [(tree, {cls.name})]
    for item in cls.body:
        if isinstance(item, Function):
            first = [a.arg for a in [*item.args.posonlyargs, *item.args.args][:1]]
            scopes.append((item, {cls.name, *first}))
    seen: set[int] = set()
    for root, owners in reversed(scopes):  # methods first: their ``self`` reads before the module's walk
        for node in all_nodes([root]):
            if isinstance(node, ast.MatchValue):
                patterns.add(id(node.value))
                continue
            if isinstance(node, ast.JoinedStr):  # ``f"{self._X=}"`` prints its own text: it stays
                patterns.update(id(inner) for inner in _self_documenting(node))
                continue
            if not isinstance(node, ast.Attribute) or node.attr not in names or id(node) in seen:
                continue
            if not (isinstance(node.value, ast.Name) and node.value.id in owners):
                continue
            seen.add(id(node))
            if isinstance(node.ctx, ast.Load) and id(node) not in patterns:
                reads.append(node)
            else:
                written.add(node.attr)
    return reads, written


def _self_documenting(node: ast.JoinedStr) -> list[ast.AST]:
    """The nodes of the ``{expression=}`` fields of an f-string, whose text is part of its value
    (the text before such a field ends with the expression and ``=``, spaces aside)."""

    def compact(text: str) -> str:
        return "".join(text.split())

    return [
        inner
        for before, value in zip(node.values, node.values[1:], strict=False)
        if isinstance(value, ast.FormattedValue)
        and isinstance(before, ast.Constant)
        and compact(str(before.value)).endswith(compact(ast.unparse(value.value)) + "=")
        for inner in all_nodes([value.value])
    ]


def hoist_class_attributes(candidate: ModuleIndex, original: ModuleIndex, language_version: str | None) -> ModuleIndex:
    """``candidate`` with the new class attributes its code reads moved to the top level (see the
    module docstring); the same index when there are none."""
    classes = [
        node
        for node in candidate.tree.body
        if isinstance(node, ast.ClassDef) and node.name in original.classes and len(node.body) > 1
    ]
    if not classes:
        return candidate
    functions = {n.name for n in candidate.tree.body if isinstance(n, Function)}
    functions |= {k for k, u in original.units.items() if u.is_function and "." not in k}
    module_bound = original.module_bound | candidate.module_bound
    local: set[str] | None = None
    source = candidate.source
    edits: list[Edit] = []
    for cls in classes:
        own, before = class_body_names(cls), class_body_names(original.classes[cls.name])
        new = own - before - module_bound
        if not new:
            continue
        if local is None:  # a name some function binds itself (``_TABLE = self._TABLE``) would read its local
            local = {n for node in all_nodes([candidate.tree]) if isinstance(node, Function) for n in bound_names(node)}
        new -= local
        movable = {id(item): name for item in cls.body if (name := _movable(item, new, functions))}
        if not movable:
            continue
        staying = (own | before) - set(movable.values())
        moved = [item for item in cls.body if id(item) in movable and not (_reads(item) & staying)]
        moved = [item for item in moved if not _shares_a_line(item, cls)]
        reads, written = _references(candidate.tree, cls, {movable[id(item)] for item in moved})
        read_names = {node.attr for node in reads} - written
        moved = [item for item in moved if movable[id(item)] in read_names]
        if not moved or len(moved) == len(cls.body):
            continue
        texts = []
        for item in moved:
            start, end = source.statement_lines(item)
            line = source.lines[first_line(item) - 1]
            keep = string_continuation_lines(item, first_line(item))  # a multi-line string's value stays
            text = reindent(source.text[start:end], line[: len(line) - len(line.lstrip())], "", keep)
            if isinstance(item, ast.AnnAssign) and item.value is not None:  # ``ClassVar`` means nothing outside
                value_start, value_end = source.node_span(item.value)
                text = f"{movable[id(item)]} = {source.text[value_start:value_end]}\n"
            texts.append(text.rstrip("\n") + "\n")
            edits.append(Edit(start, end, ""))
        at = source.line_start(first_line(cls))
        edits.append(Edit(at, at, "".join(texts) + "\n\n"))
        names = {movable[id(item)] for item in moved}
        for node in reads:
            if node.attr in names:
                start, end = source.node_span(node)
                edits.append(Edit(start, end, node.attr))
    if not edits:
        return candidate
    try:
        code = apply_edits(source.text, edits)
        return ModuleIndex(code, parse(code, language_version))
    except (SyntaxError, ValueError):
        return candidate
