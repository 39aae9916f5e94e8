"""Generated Go tests (framework ``go-test``), cleaned for the way the client runs them.

What the client does with the answer (contract 3.6): it writes the test files beside the source
file, so in the package's directory, named ``*_test.go``; it runs ``instrumented_behavior_tests``
as sent, and turns every ``func TestXxx(t *testing.T) {`` of ``instrumented_perf_tests`` into
``func BenchmarkXxx(t *testing.B) {`` looping ``t.N`` times over the body (it finds the end of
the body by counting braces). Two generated files (``test_index`` 0 and 1) and their perf
variants share the package. So the cleaning:

- puts the test in the package of the code under test (or keeps ``<pkg>_test``, the external
  test package, when the answer chose it), and imports ``testing`` and what else it uses;
- removes copies of the code under test the model pasted in (they would be redeclared), and the
  model's own ``Benchmark``/``Example``/``Fuzz`` functions and ``TestMain`` (the client makes the
  benchmarks), then the imports nothing uses any more;
- suffixes every top-level name of the file (``TestSum`` -> ``TestSum_cf0``; ``_cf0p`` in the
  perf variant), so that the four files of one function never declare a name twice;
- caps the sizes of the slices, strings and loops the tests build to the engine's budget (see
  :mod:`codeflash_engine_go.testgen_sizes`);
- writes each test's header on one line, as the client's conversion expects;
- in the perf variant, escapes braces inside string and rune literals (they would miscount).

ValueError when no test can be made: no Go block, a syntax error, or no ``Test`` function.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from tree_sitter import Node

from codeflash_engine import GeneratedTests, TestsRequest
from codeflash_engine.plugins.treesitter import Edit
from codeflash_engine.text.markdown import extract_code_blocks
from codeflash_engine_go.candidates import LANGUAGE_TAGS
from codeflash_engine_go.imports import add_imports
from codeflash_engine_go.source import ImportSpec, Source, descendants
from codeflash_engine_go.syntax import source_problems
from codeflash_engine_go.testgen_sizes import size_edits

#: functions the client would not run as tests, or would clash with its benchmarks
_NOT_TESTS = re.compile(r"^(Benchmark|Example|Fuzz)([A-Z0-9_]|$)|^TestMain$")
_TEST = re.compile(r"^Test([A-Z0-9_]|$)")


def clean_tests(request: TestsRequest) -> GeneratedTests:
    """The behaviour test file (also returned as the plain one) and its perf variant."""
    code = _first_block(request)
    source = Source.parse(code)
    if source.root.has_error:
        raise ValueError(f"the generated test does not parse: {source_problems(source)[0]}")
    originals = [Source.parse(f.code) for f in request.source_code]
    package = _package_under_test(originals, request.module_path) or source.package_name() or "main"
    source = _set_package(source, package)
    edits = size_edits(source)
    if edits:
        source = source.edited(edits)
    internal = source.package_name() == package
    source = _drop(source, originals if internal else [])
    tests = [f for f in source.functions() if not f.receiver and _TEST.match(f.name)]
    if not tests:
        raise ValueError("the generated file holds no Test function")
    imports = [spec for original in originals for spec in original.imports()]
    source = prune_imports(add_imports(_one_line_headers(source), imports))
    index = _file_tag(request.test_module_path)
    behaviour = _renamed(source, f"_cf{index}")
    perf = _escape_braces(_renamed(source, f"_cf{index}p"))
    for label, variant in (("behaviour", behaviour), ("perf", perf)):
        problems = source_problems(variant, request.language_version)
        if problems:
            raise ValueError(f"the generated test ({label}) does not compile: {problems[0]}")
    plain, timed = behaviour.code.strip() + "\n", perf.code.strip() + "\n"
    return GeneratedTests(generated=plain, instrumented_behavior=plain, instrumented_perf=timed)


def _first_block(request: TestsRequest) -> str:
    if request.answer.cut_off:
        raise ValueError("the test answer was cut off by the token limit")
    tags = tuple(request.fence_tags) or LANGUAGE_TAGS
    blocks = extract_code_blocks(request.answer.text, language_tags=tags, default_language="go")
    code = next((b.code for b in blocks if b.code.strip()), None)
    if code is None:
        raise ValueError("the answer holds no Go code block")
    return code.strip() + "\n"


def _package_under_test(originals: Iterable[Source], module_path: str) -> str | None:
    """The package of the code under test: its package clause, else its folder's name."""
    for original in originals:
        name = original.package_name()
        if name:
            return name
    folder = PurePosixPath(module_path.replace("\\", "/")).parent.name if module_path else ""
    return folder if folder.isidentifier() else None


def _set_package(source: Source, package: str) -> Source:
    current = source.package_name()
    if current in (package, f"{package}_test"):
        return source
    clause = source.package()
    if clause is None:
        return Source.parse(f"package {package}\n\n{source.code}")
    return source.edited([Edit(clause.start_byte, clause.end_byte, f"package {package}".encode())])


def _drop(source: Source, originals: list[Source]) -> Source:
    """Remove pasted copies of the code under test (same package) and non-test entry points."""
    defined = {f.key for o in originals for f in o.functions()}
    names = {n for o in originals for n in o.declared_names()}
    cuts: list[Edit] = []
    for node in source.root.named_children:
        drop = False
        if node.type in ("function_declaration", "method_declaration"):
            function = next(f for f in source.functions() if f.node.start_byte == node.start_byte)
            drop = function.key in defined or (not function.receiver and bool(_NOT_TESTS.match(function.name)))
        elif node.type in ("type_declaration", "var_declaration", "const_declaration") and names:
            declared = [source.text(n) for spec in node.named_children for n in spec.children_by_field_name("name")]
            drop = bool(declared) and all(name in names for name in declared)
        if drop:
            start, end = _with_doc_comment(node)
            blank = re.match(rb"[ \t]*\n(?:[ \t]*\n)*", source.data[end:])
            cuts.append(Edit(start, end + (len(blank.group(0)) if blank else 0), b""))
    return source.edited(cuts) if cuts else source


def _with_doc_comment(node: Node) -> tuple[int, int]:
    """The bytes of a declaration with the comment lines right above it."""
    start, above, previous = node.start_byte, node, node.prev_named_sibling
    while previous is not None and previous.type == "comment" and previous.end_point[0] + 1 >= above.start_point[0]:
        start = previous.start_byte
        above, previous = previous, previous.prev_named_sibling
    return start, node.end_byte


def prune_imports(source: Source) -> Source:
    """Remove imports the file does not use (Go refuses to compile them); ``_`` and ``.`` stay."""
    used = source.selector_operands()
    cuts: list[Edit] = []
    for declaration in source.import_declarations():
        specs = list(descendants(declaration, "import_spec"))
        unused = [s for s in specs if _spec(source, s).name not in used and _spec(source, s).alias not in ("_", ".")]
        if unused and len(unused) == len(specs):
            cuts.append(Edit(declaration.start_byte, declaration.end_byte, b""))
        else:
            cuts.extend(Edit(*source.line_span(s), b"") for s in unused)
    return source.edited(cuts) if cuts else source


def _spec(source: Source, node: Node) -> ImportSpec:
    path = source.text(node.child_by_field_name("path")).strip('"`')
    return ImportSpec(path=path, alias=source.text(node.child_by_field_name("name")) or None, text=source.text(node))


def _one_line_headers(source: Source) -> Source:
    """``func TestXxx(t *testing.T) {`` on one line, whatever the model's layout."""
    edits: list[Edit] = []
    for function in source.functions():
        if function.receiver or not _TEST.match(function.name):
            continue
        node = function.node
        body = node.child_by_field_name("body")
        params = node.child_by_field_name("parameters")
        if body is None or params is None:
            continue
        declarations = [p for p in params.named_children if p.type == "parameter_declaration"]
        if len(declarations) != 1 or source.squeezed(declarations[0].child_by_field_name("type")) != b"*testing.T":
            continue
        names = declarations[0].children_by_field_name("name")
        param = source.text(names[0]) if names else "t"
        header = f"func {function.name}({param} *testing.T) "
        if source.data[node.start_byte : body.start_byte].decode("utf-8") != header:
            edits.append(Edit(node.start_byte, body.start_byte, header.encode()))
    return source.edited(edits) if edits else source


def _file_tag(test_module_path: str) -> str:
    """A short tag unique to the generated file: its index when the path ends with one."""
    digits: list[str] = re.findall(r"\d+", test_module_path or "")
    if digits:
        return digits[-1]
    return hashlib.sha1((test_module_path or "").encode()).hexdigest()[:4]


def _renamed(source: Source, suffix: str) -> Source:
    """Every top-level name declared in the file, and its uses, with ``suffix`` appended."""
    names = source.declared_names()
    edits: list[Edit] = []
    for node in descendants(source.root, "identifier", "type_identifier"):
        if source.text(node) not in names or _is_other_name(node):
            continue
        edits.append(Edit(node.end_byte, node.end_byte, suffix.encode()))
    return source.edited(edits) if edits else source


def _is_other_name(node: Node) -> bool:
    """True where the identifier names something else: a package's member or a struct literal's field."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "qualified_type" and parent.child_by_field_name("name") == node:
        return True
    if parent.type == "literal_element" and parent.parent is not None and parent.parent.type == "keyed_element":
        return parent.parent.named_children[0] == parent and not _in_map_literal(parent.parent)
    return False


def _in_map_literal(keyed: Node) -> bool:
    """True for an element of a ``map[K]V{...}`` literal, whose keys are values (not field names)."""
    body = keyed.parent
    literal = body.parent if body is not None else None
    kind = literal.child_by_field_name("type") if literal is not None else None
    return kind is not None and kind.type == "map_type"


def _escape_braces(source: Source) -> Source:
    """Braces inside string and rune literals written as ``\\x7b``/``\\x7d`` (raw strings re-quoted)."""
    edits: list[Edit] = []
    for node in descendants(source.root, "interpreted_string_literal", "rune_literal", "raw_string_literal"):
        text = source.text(node)
        if "{" not in text and "}" not in text:
            continue
        if node.type == "raw_string_literal":
            text = _quote(text[1:-1].replace("\r", ""))
        edits.append(Edit(node.start_byte, node.end_byte, text.replace("{", "\\x7b").replace("}", "\\x7d").encode()))
    return source.edited(edits) if edits else source


def _quote(raw: str) -> str:
    """A raw string's content as an interpreted string literal."""
    out = []
    for ch in raw:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
