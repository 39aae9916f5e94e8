"""Cleaning a generated JavaScript/TypeScript test file.

The client instruments JS/TS tests itself (contract 3.6), so the server's job is a test file that
parses, imports the code under test from ``module_path`` in the project's module system
(``import`` for ESM and for all TypeScript, ``require`` for CommonJS JavaScript), with the export
form the source uses (default or named), and does not redefine the code under test (a model
sometimes pastes the function into the test, which would then test the copy), and whose data and
loops stay within the engine's size budget (see :mod:`codeflash_engine_js_ts.testgen_sizes`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

import attrs
from tree_sitter import Node

from codeflash_engine import Answer, GeneratedTests, TestsRequest
from codeflash_engine.plugins.treesitter import Edit, matches, walk
from codeflash_engine.text.markdown import extract_code_blocks
from codeflash_engine_js_ts.candidates import LANGUAGE_TAGS
from codeflash_engine_js_ts.exports import DEFAULT, NAMED, export_style
from codeflash_engine_js_ts.imports import declared_names, import_source, insertion_point
from codeflash_engine_js_ts.source import Source
from codeflash_engine_js_ts.structure import (
    CLASS_NODES,
    FUNCTION_NODES,
    VARIABLE_NODES,
    binding_names,
    is_import,
    is_require_call,
)
from codeflash_engine_js_ts.testgen_sizes import size_edits

#: module paths inside mock calls (``jest.mock("../src/x")``, ``vi.mock(...)``)
MOCK_QUERY = """
(call_expression
  function: (member_expression object: (identifier) @object property: (property_identifier) @method)
  arguments: (arguments . (string) @path))
"""
MOCKERS = frozenset({"jest", "vi"})
MOCK_METHODS = frozenset({"mock", "doMock", "unmock", "requireActual", "requireMock", "importActual"})
#: the calls that replace a module with mocks (removed when aimed at the code under test)
MOCKING = frozenset({"mock", "doMock"})

#: Node's assert modules, which a model may require without the ``node:`` prefix
NODE_BUILTIN_ASSERT = frozenset({"assert", "assert/strict"})

#: what a binding takes from a module, besides an exported name
ESM_DEFAULT = "default"
NAMESPACE = "*"
MODULE_OBJECT = "module.exports"


@attrs.frozen
class Spec:
    """One imported binding: ``local`` name and what it takes (a name, default, ``*``, the module);
    ``type_only`` for a TypeScript ``import { type T }`` specifier."""

    local: str
    imported: str
    type_only: bool = False


def clean_tests(request: TestsRequest) -> GeneratedTests:
    """The cleaned test (used for all three fields: the client instruments JS/TS itself)."""
    code = pick_test_code(request.answer)
    source = Source.parse(request.language, code)
    if not source.ok:
        raise ValueError(f"the generated test does not parse: {source.problems()[0]}")
    subject = request.target.class_name or request.target.name
    originals = [Source.parse(request.language, f.code, f.path) for f in request.source_code]
    style = export_style(originals, subject)
    esm = wants_esm(request, source)
    edits = [
        *size_edits(source),
        *_redefinitions(source, subject),
        *_import_edits(source, subject, style, esm, request.module_path),
        *_framework_edits(source, request.test_framework),
        *_vitest_import_edits(source, request.test_framework, esm),
        *_receiver_edits(source, request.target.name),
        *_hoist_edits(source, request.target.name),
    ]
    cleaned = source.edited(edits, request.language) if edits else source
    if not cleaned.ok:
        raise ValueError(f"the cleaned test does not parse: {cleaned.problems()[0]}")
    text = cleaned.code.strip() + "\n"
    return GeneratedTests(generated=text, instrumented_behavior=text, instrumented_perf=text)


def pick_test_code(answer: Answer) -> str:
    """The longest code block of the answer (a test file), or the answer itself when unfenced."""
    if answer.cut_off:
        raise ValueError("the test answer was cut off by the token limit")
    text = answer.text
    blocks = extract_code_blocks(text, language_tags=LANGUAGE_TAGS, default_language="javascript")
    if blocks:
        return max(blocks, key=lambda b: len(b.code)).code
    if "```" not in text and text.strip():
        return text.strip()
    raise ValueError("the answer holds no JavaScript or TypeScript code block")


def wants_esm(request: TestsRequest, source: Source) -> bool:
    """ESM syntax for TypeScript and ESM projects; CommonJS when asked; else what the test uses."""
    if request.language == "typescript" or request.module_system == "esm":
        return True
    if request.module_system == "commonjs":
        return False
    return any(n.type == "import_statement" for n in source.root.named_children)


def _framework_edits(source: Source, framework: str) -> list[Edit]:
    """Edits so that the test framework's globals the client adds do not clash with the test's own.

    Before running a generated test, the client (0.20.6) prepends the framework's globals unless
    the test already imports them in the form it looks for: for Mocha, ``assert`` from
    ``node:assert/strict`` unless some import or require names ``node:assert...``; for Jest,
    ``import {describe, it, expect, ...} from '@jest/globals'`` unless there is such an import.
    A model's ``require('assert')`` or ``require('@jest/globals')`` would then be declared twice,
    and the file would not load. ``assert`` and ``node:assert`` are the same module, so the first
    is renamed; a ``require`` of ``@jest/globals`` is dropped (Jest defines those globals anyway).
    """
    edits: list[Edit] = []
    for node in source.root.named_children:
        if not is_import(node):
            continue
        module = import_source(source, node)
        if framework == "mocha" and module in NODE_BUILTIN_ASSERT:
            edits.append(_swap_path(source, node, f"node:{module}"))
        elif framework == "jest" and module == "@jest/globals" and node.type != "import_statement":
            start, end = source.removal_span(node)
            edits.append(Edit(start, end, b""))
    return edits


def _redefinitions(source: Source, subject: str) -> list[Edit]:
    """Edits removing top-level definitions of ``subject`` from the test."""
    edits: list[Edit] = []
    for node in source.root.named_children:
        inner = node.child_by_field_name("declaration") if node.type == "export_statement" else node
        if inner is not None and not is_import(inner) and _defines(source, inner, subject):
            start, end = source.removal_span(node)
            edits.append(Edit(start, end, b""))
    return edits


def _defines(source: Source, node: Node, subject: str) -> bool:
    if node.type in FUNCTION_NODES or node.type in CLASS_NODES:
        name = node.child_by_field_name("name")
        return name is not None and source.text(name) == subject
    if node.type in VARIABLE_NODES:
        declarators = [c for c in node.named_children if c.type == "variable_declarator"]
        name = declarators[0].child_by_field_name("name") if len(declarators) == 1 else None
        return name is not None and source.text(name) == subject
    return False


def _import_edits(source: Source, subject: str, style: str | None, esm: bool, module_path: str) -> list[Edit]:
    """Edits that import ``subject`` from ``module_path`` in the right syntax and export form."""
    statements = [n for n in source.root.named_children if is_import(n)]
    specs = {n.start_byte: import_specs(source, n) for n in statements}
    binding = [n for n in statements if _binds(source, n, specs[n.start_byte], subject)]
    if not binding:
        return [_insert_import(source, subject, style, esm, module_path)]
    old = {import_source(source, n) for n in binding}
    edits: list[Edit] = []
    rebase = _rebaser(next(iter(old)) if len(old) == 1 else None, module_path)
    for node in statements:
        if import_source(source, node) not in old:
            moved = rebase(import_source(source, node))
            if moved is not None:
                edits.append(_swap_path(source, node, moved))
            continue
        node_specs = specs[node.start_byte]
        quote = _quote(source, node)
        if node_specs is None or any(c.type == "type" for c in node.children):
            edits.append(_swap_path(source, node, module_path))
            continue
        adjusted = [_with_style(s, subject, style) for s in node_specs]
        text = render_esm(adjusted, module_path, quote) if esm else render_commonjs(adjusted, module_path, quote)
        edits.append(Edit(node.start_byte, node.end_byte, text.encode("utf-8")))
    edits.extend(_mock_edits(source, old | {module_path}, module_path, rebase))
    return edits


def _binds(source: Source, node: Node, specs: list[Spec] | None, subject: str) -> bool:
    """Whether an import or require statement binds ``subject`` (one too unusual to rewrite too:
    ``const [sortList] = require("./sort")``, whose path is then the one swapped)."""
    if specs is not None:
        return any(s.local == subject for s in specs)
    patterns = (c.child_by_field_name("name") for c in node.named_children if c.type == "variable_declarator")
    return any(subject in binding_names(p) for p in patterns if p is not None)


def _insert_import(source: Source, subject: str, style: str | None, esm: bool, module_path: str) -> Edit:
    spec = Spec(subject, ESM_DEFAULT if style == DEFAULT else subject)
    if not esm and style == DEFAULT:
        spec = Spec(subject, MODULE_OBJECT)
    text = render_esm([spec], module_path, "'") if esm else render_commonjs([spec], module_path, "'")
    at, after = insertion_point(source)
    payload = f"\n{text}" if after else f"{text}\n\n"
    return Edit(at, at, payload.encode("utf-8"))


def _with_style(spec: Spec, subject: str, style: str | None) -> Spec:
    if spec.local != subject or style is None:
        return spec
    if style == NAMED:
        return Spec(spec.local, subject)
    return Spec(spec.local, ESM_DEFAULT) if spec.imported not in (MODULE_OBJECT, ESM_DEFAULT) else spec


def import_specs(source: Source, node: Node) -> list[Spec] | None:
    """The bindings of an import or require statement, or None when too unusual to rewrite."""
    if node.type == "import_statement":
        return _esm_specs(source, node)
    specs: list[Spec] = []
    for declarator in (c for c in node.named_children if c.type == "variable_declarator"):
        found = _require_specs(source, declarator)
        if found is None:
            return None
        specs.extend(found)
    return specs


def _esm_specs(source: Source, node: Node) -> list[Spec]:
    clause = next((c for c in node.named_children if c.type == "import_clause"), None)
    specs: list[Spec] = []
    for part in clause.named_children if clause is not None else ():
        if part.type == "identifier":
            specs.append(Spec(source.text(part), ESM_DEFAULT))
        elif part.type == "namespace_import":
            alias = next((c for c in part.named_children if c.type == "identifier"), None)
            if alias is not None:
                specs.append(Spec(source.text(alias), NAMESPACE))
        elif part.type == "named_imports":
            for specifier in (s for s in part.named_children if s.type == "import_specifier"):
                name = specifier.child_by_field_name("name")
                alias = specifier.child_by_field_name("alias") or name
                if name is not None and alias is not None:
                    type_only = any(c.type == "type" for c in specifier.children)
                    specs.append(Spec(source.text(alias), source.text(name), type_only))
    return specs


def _require_specs(source: Source, declarator: Node) -> list[Spec] | None:
    pattern = declarator.child_by_field_name("name")
    value = declarator.child_by_field_name("value")
    if pattern is None or value is None:
        return None
    if value.type == "member_expression":
        prop = value.child_by_field_name("property")
        inner = value.child_by_field_name("object")
        if pattern.type != "identifier" or prop is None or not is_require_call(inner):
            return None
        return [Spec(source.text(pattern), source.text(prop))]
    if pattern.type == "identifier":
        return [Spec(source.text(pattern), MODULE_OBJECT)]
    if pattern.type != "object_pattern":
        return None
    specs: list[Spec] = []
    for prop in pattern.named_children:
        if prop.type == "shorthand_property_identifier_pattern":
            specs.append(Spec(source.text(prop), source.text(prop)))
        elif prop.type == "pair_pattern":
            key, local = prop.child_by_field_name("key"), prop.child_by_field_name("value")
            if key is None or local is None or local.type != "identifier":
                return None
            specs.append(Spec(source.text(local), source.text(key)))
        else:
            return None
    return specs


def render_esm(specs: list[Spec], module: str, quote: str) -> str:
    """ESM import statements for ``specs`` (a CommonJS module object becomes the default import)."""
    target = f"{quote}{module}{quote}"
    defaults = [s.local for s in specs if s.imported in (ESM_DEFAULT, MODULE_OBJECT)]
    spaces = [s.local for s in specs if s.imported == NAMESPACE]
    named = [s for s in specs if s.imported not in (ESM_DEFAULT, MODULE_OBJECT, NAMESPACE)]
    head: list[str] = defaults[:1]
    if named:
        head.append("{ " + ", ".join(_esm_piece(s) for s in named) + " }")
    lines = [f"import {', '.join(head)} from {target};"] if head else []
    lines.extend(f"import {local} from {target};" for local in defaults[1:])
    lines.extend(f"import * as {local} from {target};" for local in spaces)
    return "\n".join(lines)


def _esm_piece(spec: Spec) -> str:
    piece = spec.local if spec.local == spec.imported else f"{spec.imported} as {spec.local}"
    return f"type {piece}" if spec.type_only else piece


def render_commonjs(specs: list[Spec], module: str, quote: str) -> str:
    """``require`` declarations for ``specs`` (default and namespace imports take the module)."""
    target = f"require({quote}{module}{quote})"
    wholes = [s.local for s in specs if s.imported in (ESM_DEFAULT, MODULE_OBJECT, NAMESPACE)]
    named = [s for s in specs if s.imported not in (ESM_DEFAULT, MODULE_OBJECT, NAMESPACE)]
    lines = [f"const {local} = {target};" for local in wholes]
    if named:
        pieces = ", ".join(s.local if s.local == s.imported else f"{s.imported}: {s.local}" for s in named)
        lines.append(f"const {{ {pieces} }} = {target};")
    return "\n".join(lines)


def _rebaser(old: str | None, new: str) -> Callable[[str | None], str | None]:
    """Move sibling relative imports the way the import of the code under test moved.

    When the test imported the code under test from ``./collections`` and the right path is
    ``../src/collections``, an import of ``./compare`` most likely means ``../src/compare``.
    """
    if old is None or not old.startswith(".") or _stem(old) != _stem(new):
        return lambda path: None
    old_dir, new_dir = posixpath.dirname(old) or ".", posixpath.dirname(new) or "."
    extension = posixpath.splitext(new)[1] if posixpath.splitext(old)[1] != posixpath.splitext(new)[1] else ""

    def rebase(path: str | None) -> str | None:
        if path is None or not path.startswith(".") or posixpath.dirname(path) != old_dir or path == old:
            return None
        moved = posixpath.normpath(posixpath.join(new_dir, posixpath.basename(path)))
        if not posixpath.splitext(moved)[1]:
            moved += extension
        return moved if moved.startswith(".") else f"./{moved}"

    return rebase


def _stem(path: str) -> str:
    return posixpath.splitext(posixpath.basename(path))[0]


def _quote(source: Source, node: Node) -> str:
    text = source.text(node)
    return '"' if text.count('"') > text.count("'") else "'"


def _swap_path(source: Source, node: Node, module_path: str) -> Edit:
    """Replace only the module specifier string of an import or require statement."""
    for string in _strings(node):
        if source.text(string)[1:-1] == import_source(source, node):
            quote = source.text(string)[0]
            return Edit(string.start_byte, string.end_byte, f"{quote}{module_path}{quote}".encode())
    return Edit(node.start_byte, node.start_byte, b"")


def _strings(node: Node) -> list[Node]:
    return [n for n in walk(node, prune=_is_string) if _is_string(n)]


def _is_string(node: Node) -> bool:
    return node.type == "string"


def _mock_edits(
    source: Source, paths: set[str | None], module_path: str, rebase: Callable[[str | None], str | None]
) -> list[Edit]:
    """Remove top-level mocks of the code under test; point other mock helpers at ``module_path``;
    move the paths of mocks of its siblings as their imports moved (see :func:`_rebaser`)."""
    edits: list[Edit] = []
    for match in matches(source.grammar, MOCK_QUERY, source.root):
        obj, method, path = match["object"][0], match["method"][0], match["path"][0]
        if source.text(obj) not in MOCKERS or source.text(method) not in MOCK_METHODS:
            continue
        if source.text(path)[1:-1] not in paths:
            moved = rebase(source.text(path)[1:-1])
            if moved is not None:
                quote = source.text(path)[0]
                edits.append(Edit(path.start_byte, path.end_byte, f"{quote}{moved}{quote}".encode()))
            continue
        statement = _top_level_statement(source, path)
        if source.text(method) in MOCKING and statement is not None:
            start, end = source.removal_span(statement)
            edits.append(Edit(start, end, b""))
        else:
            quote = source.text(path)[0]
            edits.append(Edit(path.start_byte, path.end_byte, f"{quote}{module_path}{quote}".encode()))
    return edits


def _top_level_statement(source: Source, node: Node) -> Node | None:
    """The top-level expression statement that is a call whose argument list holds ``node``."""
    current: Node | None = node
    while current is not None and current.parent is not None and current.parent != source.root:
        current = current.parent
    if current is None or current.type != "expression_statement":
        return None
    call = current.named_children[0] if current.named_children else None
    arguments = call.child_by_field_name("arguments") if call is not None and call.type == "call_expression" else None
    return current if arguments is not None and node.parent == arguments else None


#: Vitest's test API, which Vitest (without ``globals: true``) only provides through an import
VITEST_GLOBALS = (
    "describe",
    "suite",
    "test",
    "it",
    "expect",
    "vi",
    "beforeAll",
    "afterAll",
    "beforeEach",
    "afterEach",
)


def _vitest_import_edits(source: Source, framework: str, esm: bool) -> list[Edit]:
    """Edits importing from ``vitest`` the test API the test uses, in a form the client keeps.

    Vitest does not define ``describe``, ``test`` or ``expect`` as globals, and a model writing in
    Jest's style leaves the import out. The client (0.20.6) adds one, but finds the names by
    looking for ``name(`` only: a test using ``test.each(...)`` or ``it.each`` but no plain
    ``test(`` then fails with ``test is not defined``. So in an ESM test, the missing names are
    added to its import from ``vitest`` (or that import is added).

    In a CommonJS project the client first turns every ``import { ... } from`` and ``import x
    from`` into a ``require``, and Vitest refuses to be required ("Vitest cannot be imported in a
    CommonJS module using require()"). There, whatever the test imports or requires from
    ``vitest`` becomes ``import * as vitest from 'vitest';`` (a form the client leaves alone, and
    whose ``from 'vitest'`` stops it adding its own) and ``const { ... } = vitest;``.
    """
    if framework != "vitest":
        return []
    used = _used_globals(source)
    statements = [n for n in source.root.named_children if is_import(n) and import_source(source, n) == "vitest"]
    specs = [s for n in statements for s in (import_specs(source, n) or [Spec("", NAMESPACE)])]
    if any(s.imported in (NAMESPACE, MODULE_OBJECT, ESM_DEFAULT) for s in specs):
        return []
    imported = {s.local for s in specs} | declared_names(source)
    missing = [name for name in VITEST_GLOBALS if name in used and name not in imported]
    if esm:
        return _complete_esm_import(source, statements, missing)
    if not statements and not missing:
        return []
    wanted = [s for s in specs if not s.type_only] + [Spec(name, name) for name in missing]
    pieces = ", ".join(s.local if s.local == s.imported else f"{s.imported}: {s.local}" for s in wanted)
    text = f"import * as vitest from 'vitest';\nconst {{ {pieces} }} = vitest;\n"
    if statements:  # in place of the first, the others removed
        first = statements[0]
        rest = [Edit(*source.removal_span(n), b"") for n in statements[1:]]
        return [Edit(first.start_byte, first.end_byte, text.rstrip("\n").encode("utf-8")), *rest]
    at = next((n.start_byte for n in source.root.named_children if n.type != "hash_bang_line"), 0)
    return [Edit(at, at, text.encode("utf-8"))]


def _complete_esm_import(source: Source, statements: list[Node], missing: list[str]) -> list[Edit]:
    if not missing:
        return []
    named = next((n for n in statements if n.type == "import_statement" and _named_imports(n) is not None), None)
    if named is not None:
        clause = _named_imports(named)
        assert clause is not None
        specifiers = [c for c in clause.named_children if c.type == "import_specifier"]
        names = ", ".join(missing)
        at, text = (specifiers[-1].end_byte, f", {names}") if specifiers else (clause.start_byte + 1, f" {names} ")
        return [Edit(at, at, text.encode("utf-8"))]
    text = f"import {{ {', '.join(missing)} }} from 'vitest';\n"
    at = next((n.start_byte for n in source.root.named_children if n.type != "hash_bang_line"), 0)
    return [Edit(at, at, text.encode("utf-8"))]


def _named_imports(node: Node) -> Node | None:
    clause = next((c for c in node.named_children if c.type == "import_clause"), None)
    return next((c for c in clause.named_children if c.type == "named_imports"), None) if clause else None


def _used_globals(source: Source) -> set[str]:
    """The names of :data:`VITEST_GLOBALS` the test refers to and does not declare itself."""
    used: set[str] = set()
    declared: set[str] = set()
    for node in walk(source.root):
        if node.type == "identifier":
            name = source.text(node)
            if name in VITEST_GLOBALS:
                parent = node.parent
                field = parent.child_by_field_name("name") if parent is not None else None
                is_declaration = parent is not None and field is not None and field.id == node.id
                if is_declaration and parent is not None and parent.type != "import_specifier":
                    declared.add(name)
                elif parent is None or parent.type not in (
                    "import_specifier",
                    "import_clause",
                ):
                    used.add(name)
    return used - declared


#: a receiver the client's instrumentation understands: a name, or a chain of names
_PLAIN_RECEIVER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def _receiver_edits(source: Source, method: str) -> list[Edit]:
    """Edits giving a name to the object a call of ``method`` is made on, when it has none.

    The client (0.20.6) finds the calls to instrument with a regular expression that takes the
    object the method is called on to be a chain of names (``ledger.total()``,
    ``this.ledger.total()``). On any other object (``new Ledger(rows).total()``,
    ``makeLedger().total()``, ``ledgers[0].total()``) it writes ``new Ledger(rows).codeflash.capture(...)``,
    and the test fails on the original code. ``obj.method(args)`` becomes
    ``((receiver) => receiver.method(args))(obj)``: the same evaluation order and ``this``, and a
    call the client instruments. Calls inside ``expect(...)`` are left alone: the client skips them.
    """
    if not method:
        return []
    name = "receiver"
    while re.search(rf"\b{name}\b", source.code):
        name = f"_{name}"
    edits: list[Edit] = []

    def needs(node: Node) -> bool:
        return _needs_receiver(source, node, method)

    for node in walk(source.root, prune=needs):  # a call inside one rewritten goes with it
        if not needs(node):
            continue
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        assert function is not None and arguments is not None
        receiver = function.child_by_field_name("object")
        assert receiver is not None
        text = f"(({name}) => {name}.{method}{source.text(arguments)})({source.text(receiver)})"
        edits.append(Edit(node.start_byte, node.end_byte, text.encode("utf-8")))
    return edits


def _needs_receiver(source: Source, call: Node, method: str) -> bool:
    if call.type != "call_expression":
        return False
    function = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    if function is None or arguments is None or function.type != "member_expression":
        return False
    prop, receiver = (
        function.child_by_field_name("property"),
        function.child_by_field_name("object"),
    )
    if prop is None or receiver is None or source.text(prop) != method:
        return False
    if any(c.type == "optional_chain" for c in function.children) or _PLAIN_RECEIVER.fullmatch(source.text(function)):
        return False
    if _inside_expect(source, call) or _has(arguments, ("await_expression", "yield_expression")):
        return False
    return not _has(receiver, ("await_expression", "yield_expression"))


def _inside_expect(source: Source, node: Node) -> bool:
    current = node.parent
    while current is not None and current.type not in FUNCTION_NODES:
        if current.type == "call_expression":
            callee = current.child_by_field_name("function")
            if callee is not None and source.text(callee) == "expect":
                return True
        current = current.parent
    return False


def _has(node: Node, types: tuple[str, ...]) -> bool:
    """Whether ``node`` holds a node of ``types`` outside the functions nested in it."""
    return any(n.type in types for n in walk(node, prune=_is_function))


def _is_function(node: Node) -> bool:
    return node.type in FUNCTION_NODES


#: where a call inside ``expect(...)`` may sit for it to be evaluated first, unconditionally
_HOISTABLE_PATH = frozenset(
    {
        "arguments",
        "call_expression",
        "member_expression",
        "subscript_expression",
        "parenthesized_expression",
        "await_expression",
        "array",
        "spread_element",
        "template_string",
        "template_substitution",
        "unary_expression",
        "binary_expression",
        "as_expression",
        "non_null_expression",
    }
)
_SHORT_CIRCUIT = frozenset({"&&", "||", "??"})


def _hoist_edits(source: Source, name: str) -> list[Edit]:
    """Edits moving calls of ``name`` out of ``expect(...)`` when the client would not see them.

    The client (0.20.6) captures (times and compares) a call inside ``expect`` only when it is the
    whole argument: ``expect(f(x)).toEqual(y)``. ``expect(f(x).length).toBe(n)``,
    ``expect(await f(x))``, ``expect(Object.keys(f(x)))`` run the function uncaptured, so the
    test's biggest inputs are not timed and a real speedup goes unseen. The call is moved into a
    ``const`` right before the statement, which the client captures:
    ``const result1 = f(x);`` then ``expect(result1.length).toBe(n);``. Calls inside a nested
    function (``expect(() => f(x)).toThrow()``) or behind ``&&``, ``||``, ``??``, ``?:`` or
    ``?.`` stay where they are: moving them would change when they run.
    """
    if not name:
        return []
    edits: list[Edit] = []
    counter = 0
    for node in walk(source.root):
        if node.type != "call_expression" or not _calls(source, node, name):
            continue
        moved = node.parent if node.parent is not None and node.parent.type == "await_expression" else node
        statement = _expect_statement(source, moved, node)
        if statement is None:
            continue
        counter += 1
        local = f"result{counter}"
        while re.search(rf"\b{local}\b", source.code):
            local = f"_{local}"
        indent = source.code[: statement.start_byte].rsplit("\n", 1)[-1]
        indent = indent if not indent.strip() else ""
        call = _call_text(source, node, name)
        value = f"await {call}" if moved is not node else call
        edits.append(Edit(statement.start_byte, statement.start_byte, f"const {local} = {value};\n{indent}".encode()))
        edits.append(Edit(moved.start_byte, moved.end_byte, local.encode("utf-8")))
    return edits


def _calls(source: Source, call: Node, name: str) -> bool:
    function = call.child_by_field_name("function")
    if function is None:
        return False
    if function.type == "identifier":
        return source.text(function) == name
    prop = function.child_by_field_name("property") if function.type == "member_expression" else None
    return (
        prop is not None
        and source.text(prop) == name
        and not any(c.type == "optional_chain" for c in function.children)
    )


def _expect_statement(source: Source, node: Node, call: Node) -> Node | None:
    """The statement ``expect(...)...;`` whose argument holds ``node`` (``call``, or its ``await``),
    unless that argument is ``call`` itself."""
    current = node
    while True:
        parent = current.parent
        if parent is None or parent.type not in _HOISTABLE_PATH:
            return None
        if parent.type == "binary_expression" and _operator(parent) in _SHORT_CIRCUIT:
            return None
        if parent.type == "call_expression" and current.type == "arguments":
            callee = parent.child_by_field_name("function")
            if callee is not None and source.text(callee) == "expect":
                arguments = [c for c in current.named_children if c.type not in ("comment",)]
                if arguments and arguments[0].id == call.id:
                    return None
                return _statement_of(parent)
        current = parent


def _operator(node: Node) -> str:
    operator = node.child_by_field_name("operator")
    return (operator.text or b"").decode("utf-8") if operator is not None else ""


def _statement_of(expect_call: Node) -> Node | None:
    current = expect_call
    while current.parent is not None and current.parent.type in (
        "member_expression",
        "call_expression",
        "await_expression",
    ):
        current = current.parent
    statement = current.parent
    if statement is None or statement.type != "expression_statement":
        return None
    block = statement.parent
    return statement if block is not None and block.type in ("statement_block", "program") else None


def _call_text(source: Source, call: Node, name: str) -> str:
    """The call's text, made on a named object when the client would not instrument it otherwise."""
    function = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    if function is None or arguments is None or function.type != "member_expression":
        return source.text(call)
    receiver = function.child_by_field_name("object")
    if receiver is None or _PLAIN_RECEIVER.fullmatch(source.text(function)):
        return source.text(call)
    return f"((receiver) => receiver.{name}{source.text(arguments)})({source.text(receiver)})"
