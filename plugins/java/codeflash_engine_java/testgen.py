"""Cleaning a generated Java test file, and its assertion-free performance variant.

The client instruments Java tests itself (contract 3.6) and places the file by its package and
class name, so the server's job is a test that parses, sits in the package of the class under
test (``module_path`` is its fully qualified name), imports that class from the right place,
does not redefine it, imports what the requested framework needs, and keeps its data and loops
within the engine's size budget (see :mod:`codeflash_engine_java.testgen_sizes`). ``instrumented_perf`` is
the same test with its assertions stripped (see :mod:`codeflash_engine_java.assertions`).
"""

from __future__ import annotations

import attrs
from tree_sitter import Node

from codeflash_engine import Answer, GeneratedTests, TestsRequest
from codeflash_engine.plugins.treesitter import Edit, captures
from codeflash_engine.text.markdown import extract_code_blocks
from codeflash_engine_java.assertions import ASSERT_METHODS, strip_assertions
from codeflash_engine_java.imports import import_insertion, imports, package
from codeflash_engine_java.source import LANGUAGE, Source
from codeflash_engine_java.structure import TYPE_NODES
from codeflash_engine_java.testgen_sizes import size_edits


@attrs.frozen
class Framework:
    """What a test framework's tests import: the ``@Test`` annotation and the assertions class."""

    test_annotation: str
    assertions: str


FRAMEWORKS = {
    "junit5": Framework("org.junit.jupiter.api.Test", "org.junit.jupiter.api.Assertions"),
    "junit4": Framework("org.junit.Test", "org.junit.Assert"),
    "testng": Framework("org.testng.annotations.Test", "org.testng.Assert"),
}
#: the framework assertion methods that a static wildcard import of its assertions class provides
FRAMEWORK_ASSERTS = ASSERT_METHODS - {
    "assertThat",
    "assertThatThrownBy",
    "assertThatCode",
    "assertThatExceptionOfType",
    "assertThatNoException",
    "assertThatIllegalArgumentException",
    "assertThatIllegalStateException",
    "assertThatNullPointerException",
    "assertThatIOException",
    "assertSoftly",
    "then",
    "thenThrownBy",
    "thenCode",
}
ANNOTATION_QUERY = "[(marker_annotation name: (identifier) @name) (annotation name: (identifier) @name)]"
BARE_CALL_QUERY = "(method_invocation !object name: (identifier) @name)"


def clean_tests(request: TestsRequest) -> GeneratedTests:
    """The cleaned test (behaviour) and its assertion-free variant (performance)."""
    source = Source.parse(pick_test_code(request.answer))
    if not source.ok:
        raise ValueError(f"the generated test does not parse: {source.problems()[0]}")
    package_name, _, class_name = request.module_path.rpartition(".")
    class_name = class_name or request.target.class_name or ""
    source = _apply(source, size_edits(source))
    source = _apply(source, _package_edits(source, package_name))
    source = _apply(source, _class_edits(source, request.module_path, class_name))
    source = _apply(source, _framework_edits(source, FRAMEWORKS.get(request.test_framework)))
    if not source.ok:
        raise ValueError(f"the cleaned test does not parse: {source.problems()[0]}")
    text = source.code.strip() + "\n"
    perf = Source.parse(strip_assertions(source, request.target.name))
    perf_text = perf.code.strip() + "\n" if perf.ok else text
    return GeneratedTests(generated=text, instrumented_behavior=text, instrumented_perf=perf_text)


def pick_test_code(answer: Answer) -> str:
    """The longest Java code block of the answer, or the answer itself when unfenced."""
    if answer.cut_off:
        raise ValueError("the test answer was cut off by the token limit")
    text = answer.text
    blocks = extract_code_blocks(text, language_tags=("java",), default_language="java")
    if blocks:
        return max(blocks, key=lambda b: len(b.code)).code
    if "```" not in text and text.strip():
        return text.strip()
    raise ValueError("the answer holds no Java code block")


def _apply(source: Source, edits: list[Edit]) -> Source:
    return source.edited(edits) if edits else source


def _package_edits(source: Source, package_name: str) -> list[Edit]:
    """Put the test in the package of the class under test (none for the default package)."""
    own = package(source)
    wanted = f"package {package_name};"
    if own is None:
        return [Edit(0, 0, f"{wanted}\n\n".encode())] if package_name else []
    if not package_name:
        start, end = source.line_span(own)
        return [Edit(start, end, b"")]
    if source.text(own) == wanted:
        return []
    return [Edit(own.start_byte, own.end_byte, wanted.encode("utf-8"))]


def _class_edits(source: Source, module_path: str, class_name: str) -> list[Edit]:
    """Import the class under test from ``module_path``; drop the test's own copies of it."""
    edits: list[Edit] = []
    for imp in imports(source):
        path = _import_path(imp.node)
        if path is None:
            continue
        target = source.text(path)
        if not imp.static and imp.name == class_name and target != module_path:
            edits.append(Edit(imp.node.start_byte, imp.node.end_byte, f"import {module_path};".encode()))
        elif imp.static and target.rpartition(".")[0].endswith(f".{class_name}"):
            owner = target.rpartition(".")[0]
            if owner != module_path:  # the path's own bytes: a comment in the import may name the owner too
                edits.append(Edit(path.start_byte, path.start_byte + len(owner.encode()), module_path.encode()))
    for node in _redefinitions(source, source.root, class_name):
        start, end = source.block_span(node)
        edits.append(Edit(start, end, b""))
    return edits


def _import_path(node: Node) -> Node | None:
    return next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)


def _import_target(source: Source, node: Node) -> str | None:
    path = _import_path(node)
    return source.text(path) if path is not None else None


def _redefinitions(source: Source, scope: Node, class_name: str) -> list[Node]:
    """Type declarations named like the class under test, at the top level or nested one level."""
    found: list[Node] = []
    for node in scope.named_children:
        if node.type not in TYPE_NODES:
            continue
        name = node.child_by_field_name("name")
        if name is not None and source.text(name) == class_name:
            found.append(node)
            continue
        body = node.child_by_field_name("body")
        if scope == source.root and body is not None:  # ==: each .root is a new Node object
            found.extend(_redefinitions(source, body, class_name))
    return found


def _framework_edits(source: Source, framework: Framework | None) -> list[Edit]:
    """Import the framework's ``@Test`` and assertions when the test uses them unimported."""
    if framework is None:
        return []
    present = imports(source)
    bound = {i.name for i in present if i.name}
    wildcard_owners = {(_import_target(source, i.node) or "") for i in present if i.wildcard}
    lines: list[str] = []
    annotations = {source.text(n) for n in captures(LANGUAGE, ANNOTATION_QUERY, source.root).get("name", ())}
    test_package = framework.test_annotation.rpartition(".")[0]
    if "Test" in annotations and "Test" not in bound and test_package not in wildcard_owners:
        lines.append(f"import {framework.test_annotation};")
    calls = {source.text(n) for n in captures(LANGUAGE, BARE_CALL_QUERY, source.root).get("name", ())}
    missing = (calls & FRAMEWORK_ASSERTS) - bound
    if missing and not any(i.static and i.wildcard for i in present):
        lines.append(f"import static {framework.assertions}.*;")
    return [import_insertion(source, lines)] if lines else []
