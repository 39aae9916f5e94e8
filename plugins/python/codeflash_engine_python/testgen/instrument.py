"""Instrument a cleaned generated test file for the CLI: every call of the target is wrapped.

The wrapped call ``f(a, b=1)`` becomes ``codeflash_behavior_call(f, "<test module>", "<Class>" or
None, "<test>", "<function>", "<line id>", a, b=1)``; a method call ``obj.m(a)`` passes the
bound method ``obj.m``; an async target uses the ``_async`` wrapper, whose coroutine is awaited
wherever the original coroutine was. The helpers themselves are in :mod:`.runtime`.

Line ids follow the shape the CLI uses to put runtime comments back on the generated test (it
reads them against the *plain* generated file, whose statements are the same as here): ``"<i>"``
for a call in the ``i``-th statement of a test body, ``"<i>_<j>"`` for a call in the ``j``-th
statement of the body of a ``with``/``for``/``while``/``if`` that is the ``i``-th statement.
Calls in helper functions get ``"h<k>"`` and find their test at run time.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Iterator

import attrs

from codeflash_engine_python.names import all_nodes
from codeflash_engine_python.testgen.runtime import (
    BEHAVIOR_PREAMBLE,
    BEHAVIOR_WRAPPER,
    PERFORMANCE_PREAMBLE,
    PERFORMANCE_WRAPPER,
)

#: compound statements whose body statements get their own line id (``i_j``)
_NESTING = (ast.With, ast.For, ast.While, ast.If)


class Mode(enum.Enum):
    """Which of the two instrumented files to write."""

    BEHAVIOR = "behavior"
    PERFORMANCE = "performance"


@attrs.frozen
class Target:
    """The function under test, as the test file calls it.

    ``name`` is the bare name (``length``); ``qualified_name`` is what the markers and rows carry
    (``Vec.length``); ``is_method`` restricts wrapping to attribute calls (``obj.length(...)``);
    ``aliases`` are other names the test file imported it under. A target named ``__init__`` is
    tested through its class: calls of ``class_name(...)`` are wrapped.
    """

    name: str
    qualified_name: str
    is_method: bool = False
    is_async: bool = False
    class_name: str | None = None
    aliases: tuple[str, ...] = ()


def is_test_function(node: ast.stmt) -> bool:
    """A function pytest and unittest collect by name (``test*``)."""
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")


def test_functions(tree: ast.Module) -> Iterator[tuple[str | None, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(class name or None, test function) for every test at module level or in a top-level class."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_test_function(node):
            yield None, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and is_test_function(item):
                    yield node.name, item


#: values that are evidently not an instance of the code under test: a method named ``get`` is
#: not what ``{...}.get(k)`` or ``expected.get(k)`` (``expected = {...}``) calls
_BUILTIN_VALUES = (
    ast.Constant,
    ast.JoinedStr,
    ast.Dict,
    ast.List,
    ast.Set,
    ast.Tuple,
    ast.DictComp,
    ast.ListComp,
    ast.SetComp,
    ast.GeneratorExp,
)
#: calls that build a builtin container or value (by bare name or as ``collections.<name>``)
_BUILTIN_FACTORIES = frozenset(
    {"dict", "list", "set", "frozenset", "tuple", "str", "bytes", "bytearray"}
    | {"defaultdict", "Counter", "OrderedDict", "deque", "ChainMap"}
)


class CallMatcher:
    """Recognises the calls of the target in a test file.

    With the test file's ``tree``, an attribute call whose receiver is evidently a builtin value
    (a literal, a comprehension, ``dict(...)``, or a name every binding of which in its function,
    else in the module, is one of these; for a method, also a module imported with ``import``)
    is not a call of the target, whatever its name.
    """

    def __init__(self, target: Target, tree: ast.Module | None = None) -> None:
        self.target = target
        self.names = {target.name, *target.aliases}
        if target.name == "__init__" and target.class_name:
            self.names = {target.class_name, *target.aliases}
        self.tree = tree
        self._not_target: set[int] | None = None  # found at the first attribute call of the name

    def __call__(self, call: ast.Call) -> bool:
        func = call.func
        if self.target.name == "__init__":
            return isinstance(func, ast.Name) and func.id in self.names
        if isinstance(func, ast.Attribute):
            return func.attr == self.target.name and id(call) not in self.not_target
        return not self.target.is_method and isinstance(func, ast.Name) and func.id in self.names

    @property
    def not_target(self) -> set[int]:
        """The ids of the attribute calls named like the target whose receiver is a builtin value."""
        if self._not_target is None:
            factories = _BUILTIN_FACTORIES - {self.target.class_name, *self.names}
            tree, name, is_method = self.tree, self.target.name, self.target.is_method
            self._not_target = _plain_receiver_calls(tree, name, factories, is_method) if tree else set()
        return self._not_target


def _is_builtin_value(node: ast.expr | None, factories: frozenset[str]) -> bool:
    if isinstance(node, _BUILTIN_VALUES):
        return True
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    return name in factories


def _plain_names(scope: list[ast.AST], factories: frozenset[str], modules_too: bool) -> dict[str, bool]:
    """For each name bound under ``scope``: whether every binding gives it a builtin value."""
    builtin_targets: set[int] = set()
    plain: dict[str, bool] = {}
    nodes = all_nodes(scope)
    for node in nodes:
        if isinstance(node, ast.Assign) and _is_builtin_value(node.value, factories):
            builtin_targets.update(id(t) for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and _is_builtin_value(node.value, factories):
            builtin_targets.add(id(node.target))
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            plain[node.id] = plain.get(node.id, True) and id(node) in builtin_targets
        elif isinstance(node, ast.arg):
            plain[node.arg] = False
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                plain[bound] = plain.get(bound, True) and modules_too and isinstance(node, ast.Import)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            plain[node.name] = False
    return plain


def _plain_receiver_calls(tree: ast.Module, method: str, factories: frozenset[str], modules_too: bool) -> set[int]:
    """The ids of the ``<receiver>.<method>(...)`` calls in ``tree`` whose receiver is a builtin value.

    Module-level names are judged by the module's top-level bindings, a function's own names
    (parameters included) by its bindings; a call in a nested function is judged in the innermost one.
    """
    by_scope: dict[int, list[ast.Call]] = {}  # id of the innermost function (0: the module) -> its calls
    scopes: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method:
            by_scope.setdefault(scope, []).append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            scope = id(node)
            scopes[scope] = node
        stack.extend((child, scope) for child in ast.iter_child_nodes(node))
    if not by_scope:
        return set()
    top: list[ast.AST] = [
        n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    module_plain = _plain_names(top, factories, modules_too)
    found: set[int] = set()
    for scope, calls in by_scope.items():
        names = module_plain
        if scope:
            function = scopes[scope]
            names = {**module_plain, **_plain_names([function.args, *function.body], factories, modules_too)}
        for call in calls:
            assert isinstance(call.func, ast.Attribute)
            receiver = call.func.value
            if _is_builtin_value(receiver, factories) or (isinstance(receiver, ast.Name) and names.get(receiver.id)):
                found.add(id(call))
    return found


@attrs.define
class _Site:
    """Where a call sits: its test (None in a helper) and the line id."""

    class_name: str | None
    test_name: str | None
    line_id: str


class _Wrapper(ast.NodeTransformer):
    """Replace each matching call under one statement with the wrapper call."""

    def __init__(self, matcher: CallMatcher, wrapper: str, module: str, target: Target, site: _Site) -> None:
        self.matcher = matcher
        self.wrapper = wrapper + ("_async" if target.is_async else "")
        self.module = module
        self.target = target
        self.site = site
        self.count = 0

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not self.matcher(node):
            return node
        self.count += 1
        head: list[ast.expr] = [
            node.func,
            ast.Constant(self.module),
            ast.Constant(self.site.class_name),
            ast.Constant(self.site.test_name),
            ast.Constant(self.target.qualified_name),
            ast.Constant(self.site.line_id),
        ]
        return ast.copy_location(
            ast.Call(func=ast.Name(self.wrapper, ast.Load()), args=[*head, *node.args], keywords=node.keywords),
            node,
        )


def _wrap_test(test: ast.FunctionDef | ast.AsyncFunctionDef, class_name: str | None, make: _WrapperFactory) -> int:
    """Wrap the calls of one test function, numbering its statements as line ids."""
    count = 0
    for i, stmt in enumerate(test.body):
        if isinstance(stmt, _NESTING):
            for j, inner in enumerate(stmt.body):
                wrapper = make(_Site(class_name, test.name, f"{i}_{j}"))
                stmt.body[j] = wrapper.visit(inner)
                count += wrapper.count
            wrapper = make(_Site(class_name, test.name, str(i)))
            for field in _other_fields(stmt):
                count += _visit_field(stmt, field, wrapper)
        else:
            wrapper = make(_Site(class_name, test.name, str(i)))
            test.body[i] = wrapper.visit(stmt)
            count += wrapper.count
    return count


def _other_fields(stmt: ast.stmt) -> tuple[str, ...]:
    """The fields of a compound statement other than its body."""
    return tuple(field for field in stmt._fields if field != "body")


def _visit_field(node: ast.AST, field: str, wrapper: _Wrapper) -> int:
    before = wrapper.count
    value = getattr(node, field)
    if isinstance(value, list):
        setattr(node, field, [wrapper.visit(item) if isinstance(item, ast.AST) else item for item in value])
    elif isinstance(value, ast.AST):
        setattr(node, field, wrapper.visit(value))
    return wrapper.count - before


class _WrapperFactory:
    def __init__(self, matcher: CallMatcher, wrapper: str, module: str, target: Target) -> None:
        self.matcher, self.wrapper, self.module, self.target = matcher, wrapper, module, target

    def __call__(self, site: _Site) -> _Wrapper:
        return _Wrapper(self.matcher, self.wrapper, self.module, self.target, site)


def _wrap_helpers(tree: ast.Module, make: _WrapperFactory, tests: set[int]) -> int:
    """Wrap calls in non-test functions and methods (the test is found at run time)."""
    count = 0
    helper_index = 0
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.append(node)
        elif isinstance(node, ast.ClassDef):
            functions.extend(i for i in node.body if isinstance(i, ast.FunctionDef | ast.AsyncFunctionDef))
    for function in functions:
        if id(function) in tests:
            continue
        for k, stmt in enumerate(function.body):
            wrapper = make(_Site(None, None, f"h{helper_index}"))
            function.body[k] = wrapper.visit(stmt)
            if wrapper.count:
                helper_index += 1
                count += wrapper.count
    return count


def instrument(tree: ast.Module, target: Target, test_module_path: str, mode: Mode) -> tuple[str, int]:
    """Return the instrumented source for ``mode`` and the number of wrapped call sites.

    ``tree`` is consumed (modified in place): parse the cleaned test again for each mode.
    """
    wrapper = BEHAVIOR_WRAPPER if mode is Mode.BEHAVIOR else PERFORMANCE_WRAPPER
    make = _WrapperFactory(CallMatcher(target, tree), wrapper, test_module_path, target)
    wrapped = 0
    tests: set[int] = set()
    for class_name, test in test_functions(tree):
        tests.add(id(test))
        wrapped += _wrap_test(test, class_name, make)
    wrapped += _wrap_helpers(tree, make, tests)
    preamble = BEHAVIOR_PREAMBLE if mode is Mode.BEHAVIOR else PERFORMANCE_PREAMBLE
    return _join(tree, preamble), wrapped


def _join(tree: ast.Module, preamble: str) -> str:
    """The unparsed module with the preamble after its ``__future__`` imports."""
    future: list[ast.stmt] = []
    rest: list[ast.stmt] = []
    for node in tree.body:
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        (future if is_future else rest).append(node)
    head = ast.unparse(ast.Module(body=future, type_ignores=[])) + "\n" if future else ""
    body = ast.unparse(ast.Module(body=rest, type_ignores=[]))
    return f"{head}{preamble}\n\n{body}\n"
