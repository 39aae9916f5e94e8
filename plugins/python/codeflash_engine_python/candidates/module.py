"""An index of the definitions of one Python file, the unit the candidate merge works on.

Units are keyed the way the CLI names what it replaces: ``name`` for a top-level function or
class, ``Class.name`` for a method, ``=NAME`` for a module-level assignment to one name.
"""

from __future__ import annotations

import ast
import collections
import functools
import re

import attrs

from codeflash_engine_python.candidates.normalize import function_code_key
from codeflash_engine_python.candidates.signature import decorator_name
from codeflash_engine_python.names import bound_names, enclosing_parts, import_statements, module_names
from codeflash_engine_python.source import SourceText, first_line, split_lines

Function = ast.FunctionDef | ast.AsyncFunctionDef


@attrs.define
class Unit:
    """One definition: its key, node, whole-line span (decorators included) and indentation."""

    key: str
    node: ast.stmt
    start: int
    end: int
    indent: str

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, Function)


def assignment_name(node: ast.stmt) -> str | None:
    """The single name a module-level assignment binds, else None."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id
    return None


def import_key(node: ast.Import | ast.ImportFrom) -> tuple[object, ...]:
    """What an import statement imports, comparable across files (layout and comments aside)."""
    names = tuple((alias.name, alias.asname) for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return ("from", node.module, node.level, names)
    return ("import", names)


def unit_key(node: ast.stmt, class_name: str | None = None) -> str | None:
    """The key of a top-level statement (or of a class member when ``class_name`` is given)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return f"{class_name}.{node.name}" if class_name else node.name
    if class_name is None:
        name = assignment_name(node)
        return f"={name}" if name else None
    return None


class ModuleIndex:
    """The units of a parsed file, with their text and (lazily) their normal forms."""

    def __init__(self, text: str, tree: ast.Module) -> None:
        self.source = SourceText(text)
        self.tree = tree
        self.units: dict[str, Unit] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.import_keys = {import_key(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)}
        self.imports = import_statements(tree)
        self._code_keys: dict[str, tuple[object, ...] | None] = {}
        #: every definition of a name defined more than once (a property's getter and setter, overloads)
        self.variants: dict[str, list[Unit]] = {}
        for node in tree.body:
            self._add(node, None)
            if isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
                for item in node.body:
                    self._add(item, node.name)

    def _add(self, node: ast.stmt, class_name: str | None) -> None:
        key = unit_key(node, class_name)
        if key is None:
            return
        start, end = self.source.statement_lines(node)
        line = self.source.lines[first_line(node) - 1]
        unit = Unit(key, node, start, end, line[: len(line) - len(line.lstrip())])
        before = self.units.get(key)
        if before is not None and before.is_function and unit.is_function:
            self.variants.setdefault(key, [before]).append(unit)
        self.units[key] = unit

    def unit_for(self, key: str, node: ast.stmt) -> Unit | None:
        """The definition ``node`` (a candidate's) stands for: the unit of ``key``, or for a name
        defined more than once the one with the same accessor role (a property's getter for a
        getter, its setter for a setter); None when the file has none of that role."""
        unit = self.units.get(key)
        variants = self.variants.get(key)
        if unit is None or variants is None or not isinstance(node, Function):
            return unit
        role = accessor_role(node)
        return next((u for u in variants if isinstance(u.node, Function) and accessor_role(u.node) == role), None)

    def code_key(self, key: str) -> tuple[object, ...] | None:
        """Compiled key of a function or method unit (cached); None when it does not compile."""
        if key not in self._code_keys:
            node = self.units[key].node
            assert isinstance(node, Function)
            self._code_keys[key] = function_code_key(node)
        return self._code_keys[key]

    @functools.cached_property
    def top_level(self) -> set[str]:
        """The names of the file's top-level definitions and single-name assignments."""
        return {key.lstrip("=") for key in self.units if "." not in key}

    @functools.cached_property
    def bound(self) -> set[str]:
        """Every name the file binds."""
        return bound_names(self.tree)

    @functools.cached_property
    def module_bound(self) -> set[str]:
        """The names the file binds at its top level (what its definitions can read as globals)."""
        return module_names(self.tree)

    def text(self, unit: Unit) -> str:
        """The whole lines of a unit."""
        return self.source.text[unit.start : unit.end]

    def class_end(self, class_name: str) -> int:
        """Offset just past the last line of a class (where new methods go)."""
        node = self.classes[class_name]
        return self.source.line_end(node.end_lineno or node.lineno)

    def class_body_indent(self, class_name: str) -> str:
        node = self.classes[class_name]
        line = self.source.lines[node.body[0].lineno - 1]
        return line[: len(line) - len(line.lstrip())]

    def functions(self) -> list[str]:
        """Keys of every function and method, in file order."""
        return [k for k, u in self.units.items() if u.is_function]

    def indent_steps(self, root: ast.AST, stop_at: str | None = None) -> collections.Counter[str]:
        """How many blocks under ``root`` add each indentation (``"    "``, ``"  "``, ``"\\t"``) to
        their header's: one count per block whose first statement starts a line of its own.
        With ``stop_at``, the count stops at the first block that adds that (all that is asked is
        whether any does). Only statements are visited (blocks hold nothing else), not the
        expressions, so a large function costs a walk over its lines, not over its every node."""
        lines = self.source.lines
        steps: collections.Counter[str] = collections.Counter()
        pending: list[ast.AST] = [root]
        while pending:
            node = pending.pop()
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    pending.extend(children)
            body = getattr(node, "body", None)
            if not isinstance(node, ast.stmt) or not isinstance(body, list) or not body:
                continue
            head, inner = lines[node.lineno - 1], lines[first_line(body[0]) - 1]
            head_ws = head[: len(head) - len(head.lstrip())]
            inner_ws = inner[: len(inner) - len(inner.lstrip())]
            if inner.strip() and len(inner_ws) > len(head_ws) and inner_ws.startswith(head_ws):
                step = inner_ws[len(head_ws) :]
                steps[step] += 1
                if step == stop_at:
                    break
        return steps

    @functools.cached_property
    def unseen_attributes(self) -> dict[str, frozenset[str]]:
        """By class, the names its methods read through ``self`` or ``cls`` that the class body does
        not define and no method assigns through ``self``: defined where the file does not show (a
        base class, a property the client left out of the code it sent)."""
        unseen: dict[str, frozenset[str]] = {}
        for name, node in self.classes.items():
            defined = class_body_names(node)
            read: set[str] = set()
            for item in node.body:
                if not isinstance(item, Function) or not (item.args.posonlyargs or item.args.args):
                    continue
                owner = [*item.args.posonlyargs, *item.args.args][0].arg
                for inner in ast.walk(item):
                    if not isinstance(inner, ast.Attribute) or not isinstance(inner.value, ast.Name):
                        continue
                    if inner.value.id == owner:
                        (read if isinstance(inner.ctx, ast.Load) else defined).add(inner.attr)
            unseen[name] = frozenset(read - defined)
        return unseen

    @functools.cached_property
    def words(self) -> frozenset[str]:
        """Every word of the file (see :func:`words`): what its code may refer to."""
        return words(self.source.text)

    @functools.cached_property
    def indent_unit(self) -> str | None:
        """What one level of indentation is in this file: what most of its blocks add to their
        header's indentation; None when no block starts a line of its own."""
        common = self.indent_steps(self.tree).most_common(1)
        return common[0][0] if common else None


def class_body_names(node: ast.ClassDef) -> set[str]:
    """The names a class body binds at its own level: methods, nested classes, attributes (not
    the variables of a comprehension or the parameters of a lambda, which have scopes of their own)."""
    names: set[str] = set()
    for item in node.body:
        if isinstance(item, Function | ast.ClassDef):
            names.add(item.name)
        else:
            names |= bound_names(enclosing_parts(item))
    return names


#: the decorators that give one name several definitions, by the role each definition plays
_ROLES = {"property": "getter", "cached_property": "getter", "getter": "getter", "setter": "setter"}
_ROLES |= {"deleter": "deleter", "overload": "overload"}


def accessor_role(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """Which of several definitions of one name ``node`` is: ``getter``, ``setter``, ``deleter``
    (``@property`` and its ``@x.setter``...), ``overload`` (a ``typing.overload`` stub), else ''."""
    for decorator in node.decorator_list:
        name = decorator_name(decorator)
        if name in _ROLES:
            return _ROLES[name]
    return ""


_WORD = re.compile(r"\w+")


def words(text: str) -> frozenset[str]:
    """Every word of ``text``: a superset of the names code refers to (attributes, imports and
    strings such as ``__all__`` entries included), cheap to read."""
    return frozenset(_WORD.findall(text))


def dedent(text: str, indent: str) -> str:
    """Remove ``indent`` from the lines of ``text`` that start with it."""
    if not indent:
        return text
    width = len(indent)
    return "".join(line[width:] if line.startswith(indent) else line for line in split_lines(text))


def reindent(text: str, old: str, new: str, keep_lines: frozenset[int] = frozenset()) -> str:
    """Swap the leading ``old`` indentation of each line for ``new``; lines in ``keep_lines`` (0-based) stay."""
    if old == new:
        return text
    out: list[str] = []
    for number, line in enumerate(split_lines(text)):
        if number in keep_lines or not line.strip():
            out.append(line if line.strip() else line.lstrip(" \t"))
        elif line.startswith(old):
            out.append(new + line[len(old) :])
        else:
            out.append(line)
    return "".join(out)


def convert_indentation(text: str, base: str, step: tuple[str, str], keep_lines: frozenset[int] = frozenset()) -> str:
    """Re-express the indentation each line of ``text`` has beyond ``base`` from one indentation
    unit to another (``step`` = (from, to): four spaces to a tab, to two spaces...); lines in
    ``keep_lines`` (0-based: inside multi-line strings), lines not starting with ``base`` and what
    is left over after whole units stay as they are."""
    old, new = step
    out: list[str] = []
    for number, line in enumerate(split_lines(text)):
        if number in keep_lines or not line.strip() or not line.startswith(base):
            out.append(line)
            continue
        levels = 0
        at = len(base)
        while line.startswith(old, at):
            levels += 1
            at += len(old)
        out.append(base + new * levels + line[at:])
    return "".join(out)


def string_continuation_lines(node: ast.stmt, first: int) -> frozenset[int]:
    """0-based lines (relative to line ``first``) inside multi-line strings other than docstrings."""
    docstrings: set[int] = set()
    for scope in ast.walk(node):
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and scope.body:
            head = scope.body[0]
            if isinstance(head, ast.Expr) and isinstance(head.value, ast.Constant):
                docstrings.add(id(head.value))
    lines: set[int] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant | ast.JoinedStr) and id(inner) not in docstrings:
            end = inner.end_lineno or inner.lineno
            if end > inner.lineno:
                lines.update(range(inner.lineno + 1 - first, end + 1 - first))
    return frozenset(lines)
