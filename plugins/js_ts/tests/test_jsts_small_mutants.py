"""How a JS/TS module exports the code under test (default, named, or unknown), read from ESM
export statements and CommonJS assignments, and what that does to a generated test's import
(written against the survivors of ``scripts/mutation.py js_ts.exports``)."""

from __future__ import annotations

import pytest

from codeflash_engine import Answer, CodeFile, Target, TestsRequest
from codeflash_engine.plugins.treesitter import Edit
from codeflash_engine_js_ts import plugin
from codeflash_engine_js_ts.exports import DEFAULT, NAMED, export_style
from codeflash_engine_js_ts.source import Source
from codeflash_engine_js_ts.testgen_sizes import size_edits


def _style(code: str, name: str = "foo", language: str = "javascript", path: str = "m.js") -> str | None:
    return export_style([Source.parse(language, code, path)], name)


@pytest.mark.parametrize(
    ("code", "style"),
    [
        ("export default function foo() {}", DEFAULT),
        ("export function foo() {}", NAMED),
        ("export class foo {}", NAMED),
        ("export default foo;", DEFAULT),
        ("export const foo = 1;", NAMED),
        ("export var foo = 1;", NAMED),
        ("export const a = 1, foo = 2;", NAMED),
        ("export let a, foo;", NAMED),
        ("export const a = 1, /* the next */ foo = 2;", NAMED),
        ("export const /* c */ foo = 1;", NAMED),
        ("export const { foo } = obj;", None),
        ("export const [foo] = arr;", None),
        ("export const a = 1, b = 2;", None),
        ("export function bar() {}", None),
        ("export { bar, foo };", NAMED),
        ("export { foo as default };", DEFAULT),
        ("export { bar as default, foo };", NAMED),
        ("export { foo as bar };", NAMED),
        ("export { bar as foo };", None),
        ("export * from './other';", None),
        ("const foo = 1;\nexport { foo };", NAMED),
    ],
)
def test_esm_exports(code: str, style: str | None) -> None:
    """A declaration (each of its declarators with a plain name, comments between them passed
    over), a default value, or an export list (the local name; ``as default`` makes it the
    default export)."""
    assert _style(code) == style


@pytest.mark.parametrize(
    ("code", "style"),
    [
        ("module.exports = foo;", DEFAULT),
        ("module.exports = function foo() {};", DEFAULT),
        ("module.exports = class foo {};", DEFAULT),
        ("module . exports = foo;", DEFAULT),
        ("module.exports = bar;", None),
        ("module.exports = { bar, foo };", NAMED),
        ("module.exports = { bar: 1, foo: foo };", NAMED),
        ("module.exports = { foo: bar };", NAMED),
        ("module.exports = { bar: foo };", None),
        ("module.exports = { bar };", None),
        ("module.exports = [foo];", None),
        ("module.exports.foo = 1;", NAMED),
        ("exports.foo = () => 1;", NAMED),
        ("exports.foo = 1 /* one */;", NAMED),
        ("module.exports = foo /* the function */;", DEFAULT),
        ("exports.bar = 1;", None),
        ("foo = 1;", None),
        ("window.foo = 1;", None),
        ("foo();", None),
    ],
)
def test_commonjs_exports(code: str, style: str | None) -> None:
    """``module.exports = foo`` is the default export; an object literal's keys (shorthand or
    not) and ``exports.foo =`` are named ones; any other assignment exports nothing. A comment
    after the assignment is part of its statement, not the statement's expression."""
    assert _style(code) == style


@pytest.mark.parametrize(
    ("code", "style"),
    [
        ("exports.bar = 1;\nexport default function foo() {}", DEFAULT),
        ("x = 1 /* set */;\nmodule.exports = foo;", DEFAULT),
        ("module.exports.bar = 1 /* foo */;\nexports.foo = 2;", NAMED),
        ("module.exports = { bar };\nexport default foo;", DEFAULT),
        ("export { bar };\nexport { foo as default };", DEFAULT),
        ("throw module.exports = foo;\nexports.foo = 1;", NAMED),
    ],
)
def test_the_first_statement_that_exports_the_name_decides(code: str, style: str | None) -> None:
    """Statements exporting other names are passed over; only top-level expression statements
    are read as CommonJS exports (an assignment inside ``throw`` never runs to completion)."""
    assert _style(code) == style


def test_the_first_file_that_exports_the_name_decides() -> None:
    sources = [
        Source.parse("javascript", "export function bar() {}", "a.js"),
        Source.parse("javascript", "module.exports = foo;", "b.js"),
        Source.parse("javascript", "export function foo() {}", "c.js"),
    ]
    assert export_style(sources, "foo") == DEFAULT
    assert export_style(sources, "bar") == NAMED
    assert export_style(sources, "baz") is None
    assert export_style([], "foo") is None


def test_typescript_exports() -> None:
    code = "export const a: number = 1, foo = (x: number): number => x;\nexport default class Bar {}"
    assert _style(code, "foo", "typescript", "m.ts") == NAMED
    assert _style(code, "Bar", "typescript", "m.ts") == DEFAULT


def test_a_default_import_of_a_name_exported_among_other_declarators_is_made_named() -> None:
    """The generated test's ``import foo from`` becomes ``import { foo } from`` when the module
    exports ``foo`` as the second declarator of one ``export const`` (it was left a default
    import, undefined at run time, when only the first declarator was read)."""
    answer = (
        "```javascript\n"
        "import foo from './m';\n\n"
        "describe('foo', () => {\n  test('adds', () => {\n    expect(foo(1)).toBe(2);\n  });\n});\n"
        "```\n"
    )
    request = TestsRequest(
        answer=Answer(answer, finish_reason="stop"),
        source_code=(CodeFile("src/m.js", "export const one = 1, foo = (x) => x + one;\n"),),
        language="javascript",
        language_version="20.11.1",
        target=Target.parse("foo", path="src/m.js"),
        module_path="../src/m",
        test_module_path="tests/generated",
        test_framework="jest",
        test_timeout=15,
        module_system="esm",
    )
    tests = plugin.postprocess_tests(request)
    assert tests is not None
    assert "import { foo } from '../src/m';" in tests.generated
    assert "import foo from" not in tests.generated


@pytest.mark.parametrize(
    ("language", "code", "path", "typescript", "tsx"),
    [
        ("javascript", "const a = <div />;", "a.jsx", False, False),
        ("javascript", "const a = 1;", None, False, False),
        ("typescript", "const a: number = 1;", "a.ts", True, False),
        ("typescript", "const a = <div />;", "a.tsx", True, True),
        ("typescript", "const a = <number>b;", None, True, False),
        ("typescript", "const a = <div>hi</div>;", None, True, True),
    ],
)
def test_the_grammar_a_source_was_parsed_with(
    language: str, code: str, path: str | None, typescript: bool, tsx: bool
) -> None:
    """TypeScript (TSX or not) by the language, TSX by the ``.tsx`` path or, without a path, by
    JSX that plain TypeScript does not parse."""
    source = Source.parse(language, code, path)
    assert source.ok
    assert source.is_typescript is typescript
    assert source.is_tsx is tsx


def test_an_edited_source_is_parsed_again_with_its_path() -> None:
    """The edit's result keeps the path (so the ``.tsx`` grammar) and is a fresh tree."""
    code = "const a = <div />;\n"
    source = Source.parse("typescript", code, "a.tsx")
    start = code.index("a =")
    edited = source.edited([Edit(start, start + 1, b"bb")], "typescript")
    assert edited.code == "const bb = <div />;\n"
    assert edited.path == "a.tsx"
    assert edited.is_tsx is True
    assert edited.ok
    assert edited.root.named_children[0].type == "lexical_declaration"


# ---------------------------------------------------------------------- generated tests' sizes


def _capped(body: str, language: str = "javascript") -> str:
    source = Source.parse(language, body)
    capped = source.edited(size_edits(source), language)
    assert capped.ok
    return capped.code


@pytest.mark.parametrize(
    "body",
    [
        "const when = new Date(1700000000000);",
        "const m = new Map(10_000_000);",
        "const t = new Float64Array(buffer, 0, 10_000_000);",
        "const a = new Array(10_000_000, 1);",
        "const r = compute(10_000_000);",
        "expect(total).toBe(10_000_000);",
        "const p = Array.of(10_000_000);",
        "const v = render({ length: 10_000_000 });",
        "const b = Array.from([10_000_000]);",
        "const s = 'ab'.repeat(10_000_000, 2);",
        "const s = repeat(10_000_000);",
        "const x = Buffer.from(10_000_000);",
        "f();\nconst o = obj.method();\nconst e = Array.from();",
    ],
)
def test_numbers_that_are_no_sizes_are_left_alone(body: str) -> None:
    """A timestamp, a call's argument, an expected value: only the listed constructors and calls
    with their size in its place are capped."""
    assert _capped(body) == body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("const b = Buffer.alloc(2 ** 30, 1);", "const b = Buffer.alloc(100000, 1);"),
        ("const b = Buffer.allocUnsafe(2 ** 30);", "const b = Buffer.allocUnsafe(100000);"),
        (
            "const a = Array.from({ other: 1, length: 10_000_000 }, f);",
            "const a = Array.from({ other: 1, length: 100000 }, f);",
        ),
        ("const a = Array.from({ 'length': 10_000_000 });", "const a = Array.from({ 'length': 100000 });"),
    ],
)
def test_the_size_argument_is_the_one_capped(body: str, expected: str) -> None:
    """A buffer's size is its first argument (not the fill); ``Array.from``'s is the ``length``
    key of its object, whatever comes before it."""
    assert _capped(body) == expected


def test_a_name_bound_once_is_capped_where_it_is_bound() -> None:
    """A declaration without a value elsewhere (``let n;`` in another function) does not count
    as a second binding of the name."""
    body = "const n = 10_000_000;\nconst a = new Array(n).fill(0);\nfunction g() {\n  let n;\n  return n;\n}"
    assert _capped(body) == body.replace("10_000_000", "100000")


def test_a_name_bound_twice_is_left_alone() -> None:
    body = "const n = 10_000_000;\nconst a = new Array(n).fill(0);\nfunction g() {\n  let n = 3;\n  return n;\n}"
    assert _capped(body) == body


@pytest.mark.parametrize(
    "loop",
    [
        "for (let i = 1; i < 1073741824; i *= 2) { f(i); }",
        "for (let i = 0; i < 1000000; j += 1) { f(i); }",
        "for (let i = 0; i < 1000000; i -= 1) { f(i); }",
        "for (let i = 0, j = 0; i < 1000000; i++) { f(i, j); }",
        "for (let i = 0; j < 1000000; i++) { f(i); }",
        "for (let i = 0; i > 1000000; i++) { f(i); }",
        "for (let i = 0; (i < 1000000); i++) { f(i); }",
        "let i = 0;\nfor (; i < 1000000; i++) { f(i); }",
        "for (let i = 0; i < 1000000;) { f(i++); }",
        "for (let i = 0; ; i++) { if (i > 1000000) break; }",
    ],
)
def test_loops_that_are_not_counted_up_by_their_own_variable_are_left_alone(loop: str) -> None:
    """Only ``for (let i = a; i < b; i++ / i += k)`` (``<=`` too) is a counted loop: a doubling,
    another variable's step or bound, two declarators, a parenthesized or missing part are not."""
    assert _capped(loop) == loop


@pytest.mark.parametrize(
    ("loop", "expected"),
    [
        ("for (let i = 0; i < 1000000; ++i) { f(i); }", "for (let i = 0; i < 10000; ++i) { f(i); }"),
        ("for (var i = 5; i <= 1000000; i += 1) { f(i); }", "for (var i = 5; i <= 10004; i += 1) { f(i); }"),
    ],
)
def test_counted_loops_are_capped_from_their_start(loop: str, expected: str) -> None:
    assert _capped(loop) == expected
