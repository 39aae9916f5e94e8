"""What the test cleanup needs to know about the code under test, built once per request."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

import attrs

from codeflash_engine import CodeFile, TestsRequest
from codeflash_engine_python.syntax import parse


@attrs.frozen
class TestTarget:
    """The function under test and the names the tests may take from the code under test.

    ``import_name`` is the top-level name a test imports to reach the target (the function, or
    the outermost class of a method). ``sources`` maps every other name the tests may need from
    the code under test (helpers, classes defined in the context files) to its dotted module.
    ``shadowed`` are the names a test file must not define itself.
    """

    __test__ = False  # not a pytest test class

    function_name: str
    qualified_name: str
    class_name: str | None
    module_path: str
    import_name: str
    is_async: bool = False
    sources: Mapping[str, str] = attrs.field(factory=dict)
    shadowed: frozenset[str] = frozenset()

    @property
    def is_method(self) -> bool:
        return "." in self.qualified_name

    def module_of(self, name: str) -> str | None:
        """The dotted module a name of the code under test comes from, else None."""
        if name == self.import_name:
            return self.module_path
        return self.sources.get(name)

    def import_line(self, name: str) -> str | None:
        """``from <module> import <name>`` for a name of the code under test, else None."""
        module = self.module_of(name)
        return f"from {module} import {name}" if module else None


def module_of_path(path: str, target_path: str | None, target_module: str) -> str:
    """Dotted module of ``path``, using the target file to learn the source root (``src/``...).

    The client names the files of classes it adds to a tests request's context by their absolute
    path (``/home/me/project/pkg/models.py``) while the target's file is relative: such a path is
    cut where the source root and the target's top-level package start (the last place they do;
    else where the source root starts, when there is one), and is "" (unknown) when neither is in
    it. "" too for anything that is not a dotted name.
    """
    pure = PurePosixPath(path)
    parts = list(pure.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    module_parts = target_module.split(".") if target_module else []
    root: list[str] = []
    if target_path is not None:
        target_parts = list(PurePosixPath(target_path).with_suffix("").parts)
        if module_parts and target_parts[-len(module_parts) :] == module_parts:
            root = target_parts[: len(target_parts) - len(module_parts)]
            if parts[: len(root)] == root:
                parts = parts[len(root) :]
    if pure.is_absolute():
        starts: list[int] = []
        for anchor in ([*root, *module_parts[:1]], root):  # the target's package, else the source root
            starts = [i for i in range(len(parts)) if anchor and parts[i : i + len(anchor)] == anchor]
            if starts:
                break
        parts = parts[starts[-1] + len(root) :] if starts else []
    return ".".join(parts) if parts and all(part.isidentifier() for part in parts) else ""


def _top_level_names(code: str, language_version: str | None) -> tuple[set[str], set[str]]:
    """(classes, functions) defined at the top level of ``code``; empty when it does not parse."""
    try:
        tree = parse(code, language_version)
    except (SyntaxError, ValueError):
        return set(), set()
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    return classes, functions


def _target_file(files: Iterable[CodeFile], module_path: str) -> CodeFile | None:
    for file in files:
        if file.path and module_of_path(file.path, None, "") == module_path:
            return file
    for file in files:
        if file.path and PurePosixPath(file.path).stem == module_path.rsplit(".", 1)[-1]:
            return file
    return None


def _helper_names(helpers: Iterable[str], modules: set[str]) -> dict[str, str]:
    """``pkg.util.norm`` -> ``{"norm": "pkg.util"}``; ``pkg.geo.Vec.scale`` -> ``{"Vec": "pkg.geo"}``.

    The module is the longest prefix that is a module of the context; when none is, everything
    but the last name (a helper of a module the context does not show).
    """
    found: dict[str, str] = {}
    for helper in helpers:
        parts = helper.split(".")
        if len(parts) < 2:
            continue
        known = (cut for cut in range(len(parts) - 1, 0, -1) if ".".join(parts[:cut]) in modules)
        cut = next(known, len(parts) - 1)
        found.setdefault(parts[cut], ".".join(parts[:cut]))
    return found


def build_target(request: TestsRequest) -> TestTarget:
    """The :class:`TestTarget` of a tests request."""
    target_file = _target_file(request.source_code, request.module_path)
    target_path = target_file.path if target_file else None
    sources: dict[str, str] = {}
    modules: set[str] = {request.module_path}
    classes_seen: set[str] = set()
    for file in request.source_code:
        module = module_of_path(file.path, target_path, request.module_path) if file.path else request.module_path
        if file is target_file:
            module = request.module_path
        classes, functions = _top_level_names(file.code, request.language_version)
        classes_seen |= classes
        if not module:  # a file whose module is unknown: its names keep the tests' own imports
            continue
        modules.add(module)
        for name in classes | functions:
            sources.setdefault(name, module)
    helpers = _helper_names(request.helper_function_names, modules)
    for name, module in helpers.items():
        sources[name] = module
    function = request.target
    import_name = function.qualified_name.split(".")[0] if "." in function.qualified_name else function.name
    sources.pop(import_name, None)
    shadowed = frozenset({import_name, *helpers, *classes_seen})
    return TestTarget(
        function_name=function.name,
        qualified_name=function.qualified_name,
        class_name=function.class_name,
        module_path=request.module_path,
        import_name=import_name,
        is_async=request.is_async,
        sources=sources,
        shadowed=shadowed,
    )
