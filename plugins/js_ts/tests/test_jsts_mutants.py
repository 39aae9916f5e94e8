"""The JavaScript/TypeScript plugin's pieces seen from their public functions: the definitions a
file holds (keys, spans, functions), parameter shapes and placeholder bodies, the imports a
candidate lacks and where they go, and the generated test's imports, mocks and framework fixes
(written against the survivors of ``scripts/mutation.py js_ts.structure``, ``js_ts.imports`` and
``js_ts.testgen``)."""

from __future__ import annotations

import pytest

from codeflash_engine import Answer, CodeFile, Target, TestsRequest
from codeflash_engine_js_ts.imports import (
    add_imports,
    bindings,
    declared_names,
    import_source,
    insertion_point,
    missing_imports,
    used_names,
)
from codeflash_engine_js_ts.source import Source
from codeflash_engine_js_ts.structure import (
    binding_names,
    definitions,
    function_body,
    function_parameters,
    is_async,
    is_generator,
    is_import,
    is_placeholder_body,
    is_require_call,
    is_require_declaration,
    parameter_shapes,
)
from codeflash_engine_js_ts.testgen import (
    Spec,
    clean_tests,
    import_specs,
    pick_test_code,
    render_commonjs,
    render_esm,
)

# -- structure ---------------------------------------------------------------------------------

JS_FILE = """\
#!/usr/bin/env node
import x from 'x';
const r = require('r');
export function f(a, b = 1, ...c) {}
export default function () {}
export { q };
function* gen() {}
const h = (x) => x;
const u = function named() {};
let m = 1, n = 2;
var [p1, p2] = arr;
const {o1, o2: o3} = obj;
class C {
  @dec1
  @dec2
  get v() { return 1; }
  set v(x) {}
  static s() {}
  static async *ag() {}
  // note
  field = 1;
  #priv = 2;
  static { init(); }
  m() {}
}
export class D extends C {}
exports.e1 = function () {};
module.exports.e2 = (a) => a;
module . exports.e3 = async () => {};
other.e4 = function () {};
exports.e5 = 5;
exports = function () {};
foo();
"""


def _defs(source: Source) -> list[tuple[str | None, str | None, str, str | None, str | None]]:
    return [
        (d.key, d.name, source.span(d.start, d.end), d.class_name, d.function.type if d.function else None)
        for d in definitions(source)
    ]


def test_the_definitions_of_a_javascript_file() -> None:
    """Functions with their ``export``, CommonJS exports of functions, class headers then their
    members (decorators included, comments skipped, accessors and statics told apart), variables;
    imports, requires, the hashbang and comments are not definitions."""
    source = Source.parse("javascript", JS_FILE, "a.js")
    assert _defs(source) == [
        ("f", "f", "export function f(a, b = 1, ...c) {}", None, "function_declaration"),
        (None, None, "export default function () {}", None, "function_expression"),
        (None, None, "export { q };", None, None),
        ("gen", "gen", "function* gen() {}", None, "generator_function_declaration"),
        ("h", "h", "const h = (x) => x;", None, "arrow_function"),
        ("u", "u", "const u = function named() {};", None, "function_expression"),
        ("var m,n", None, "let m = 1, n = 2;", None, None),
        ("var [p1, p2]", None, "var [p1, p2] = arr;", None, None),
        ("var {o1, o2: o3}", None, "const {o1, o2: o3} = obj;", None, None),
        ("class C", None, "class C ", "C", None),
        ("C.get v", "C.get v", "@dec1\n  @dec2\n  get v() { return 1; }", "C", "method_definition"),
        ("C.set v", "C.set v", "set v(x) {}", "C", "method_definition"),
        ("C.static s", "C.static s", "static s() {}", "C", "method_definition"),
        ("C.static ag", "C.static ag", "static async *ag() {}", "C", "method_definition"),
        ("C.field field", None, "field = 1", "C", None),
        ("C.field #priv", None, "#priv = 2", "C", None),
        (None, None, "static { init(); }", "C", None),
        ("C.m", "C.m", "m() {}", "C", "method_definition"),
        ("class D", None, "export class D extends C ", "D", None),
        ("e1", "e1", "exports.e1 = function () {};", None, "function_expression"),
        ("e2", "e2", "module.exports.e2 = (a) => a;", None, "arrow_function"),
        ("e3", "e3", "module . exports.e3 = async () => {};", None, "arrow_function"),
        (None, None, "other.e4 = function () {};", None, None),
        (None, None, "exports.e5 = 5;", None, None),
        (None, None, "exports = function () {};", None, None),
        (None, None, "foo();", None, None),
    ]


def test_the_definitions_of_a_typescript_file() -> None:
    code = (
        "import type { T } from './t';\n"
        "interface I { a: number }\n"
        "type A = string;\n"
        "enum E { X }\n"
        "export abstract class B<T> {\n"
        "  private x: number = 1;\n"
        "  constructor(public y: number) {}\n"
        "  abstract run(): void;\n"
        "  method(a: number, b?: string, c: Foo<Bar> = new Foo(), ...rest: number[]): void {}\n"
        "}\n"
        "export default class {}\n"
        "const z = 1 as const;\n"
    )
    source = Source.parse("typescript", code, "a.ts")
    assert [(k, n, s, c, f) for k, n, s, c, f in _defs(source)] == [
        ("type I", None, "interface I { a: number }", None, None),
        ("type A", None, "type A = string;", None, None),
        ("type E", None, "enum E { X }", None, None),
        ("class B", None, "export abstract class B<T> ", "B", None),
        ("B.field x", None, "private x: number = 1", "B", None),
        ("B.constructor", "B.constructor", "constructor(public y: number) {}", "B", "method_definition"),
        (None, None, "abstract run(): void", "B", None),
        (
            "B.method",
            "B.method",
            "method(a: number, b?: string, c: Foo<Bar> = new Foo(), ...rest: number[]): void {}",
            "B",
            "method_definition",
        ),
        ("class default", None, "export default class ", "default", None),
        ("var z", None, "const z = 1 as const;", None, None),
    ]
    method = next(d for d in definitions(source) if d.key == "B.method")
    assert method.function is not None
    assert parameter_shapes(source, function_parameters(method.function)) == [
        ("plain", ":number"),
        ("optional", ":string"),
        ("default", ":Foo<Bar>"),
        ("rest", ":number[]"),
    ]


@pytest.mark.parametrize(("language", "path"), [("javascript", "a.js"), ("typescript", "a.ts")])
def test_a_member_spans_its_decorators_even_across_a_comment(language: str, path: str) -> None:
    """TypeScript's grammar makes decorators siblings of their member (JavaScript's, children):
    either way a member's unit starts at its first decorator, a comment between them included."""
    code = "class C {\n  @a\n  @b()\n  m() {}\n  @c\n  // x\n  n() {}\n  // y\n  @d f = 1;\n  o() {}\n}\n"
    source = Source.parse(language, code, path)
    assert [(k, s) for k, _, s, _, _ in _defs(source)] == [
        ("class C", "class C "),
        ("C.m", "@a\n  @b()\n  m() {}"),
        ("C.n", "@c\n  // x\n  n() {}"),
        ("C.field f", "@d f = 1"),
        ("C.o", "o() {}"),
    ]


def test_a_commonjs_export_with_a_comment_in_its_statement() -> None:
    """A comment inside the export's statement does not hide it; an assignment in another kind of
    statement is not an export."""
    source = Source.parse("javascript", "exports.e1 = function () {} /* c */;\nthrow exports.t = function () {};\n")
    assert _defs(source) == [
        ("e1", "e1", "exports.e1 = function () {} /* c */;", None, "function_expression"),
        (None, None, "throw exports.t = function () {};", None, None),
    ]


@pytest.mark.parametrize(
    ("code", "require", "import_"),
    [
        ("const a = require('a');", True, True),
        ("const a = require('a').b;", True, True),
        ("let {x} = require('x').y.z;", True, True),
        ("var q = require(`t`);", True, True),
        ("const a = require('a'), b = require('b');", True, True),
        ("const a = require('a'), b = 2;", False, False),
        ("const a = req('a');", False, False),
        ("const a = obj.require('a');", False, False),
        ("const a = require;", False, False),
        ("const a = 1;", False, False),
        ("let a;", False, False),
        ("require('side');", False, False),
        ("import 'side';", False, True),
        ("import a from 'a';", False, True),
    ],
)
def test_requires_and_imports(code: str, require: bool, import_: bool) -> None:
    node = Source.parse("javascript", code).root.named_children[0]
    assert is_require_declaration(node) is require
    assert is_import(node) is import_


def test_a_require_call() -> None:
    source = Source.parse("javascript", "require('a').b.c;\nf('a');\nrequire;\n")
    calls = [n.named_children[0] for n in source.root.named_children]
    assert [is_require_call(c) for c in calls] == [True, False, False]
    assert is_require_call(None) is False


def test_parameters_bodies_and_kinds_of_functions() -> None:
    code = (
        "const f = x => x;\n"
        "const g = async function* (a, {b, c: [d]}, [e = 1, ...f], g = 2) {};\n"
        "function h(a /* c */, b) { return 1; }\n"
    )
    source = Source.parse("javascript", code, "a.js")
    f, g, h = (d.function for d in definitions(source))
    assert f is not None and g is not None and h is not None
    assert parameter_shapes(source, function_parameters(f)) == [("plain", "")]
    assert parameter_shapes(source, function_parameters(g)) == [("plain", "")] * 3 + [("default", "")]
    assert parameter_shapes(source, function_parameters(h)) == [("plain", ""), ("plain", "")]
    assert parameter_shapes(source, None) == []
    assert binding_names(function_parameters(g)) == ["a", "b", "d", "e", "f", "g"]  # type: ignore[arg-type]
    assert binding_names(function_parameters(f)) == ["x"]  # type: ignore[arg-type]
    assert (is_async(g), is_generator(g), is_async(f), is_generator(f)) == (True, True, False, False)
    assert source.text(function_body(f)) == "x"
    assert source.text(function_body(h)) == "{ return 1; }"


def test_typescript_binding_names() -> None:
    source = Source.parse("typescript", "function f(a: number, b?: string, {c}: T = {}, ...d: D[]) {}\n", "a.ts")
    [f] = definitions(source)
    assert f.function is not None
    params = function_parameters(f.function)
    assert params is not None
    assert binding_names(params) == ["a", "b", "c", "d"]
    assert parameter_shapes(source, params) == [
        ("plain", ":number"),
        ("optional", ":string"),
        ("default", ":T"),
        ("rest", ":D[]"),
    ]


@pytest.mark.parametrize(
    ("body", "placeholder"),
    [
        ("{\n  // ... unchanged\n}", True),
        ("{\n  // keep the note\n  /* rest of the code */\n}", True),
        ("{\n  // Same as before\n}", True),
        ("{\n  // note\n}", False),
        ("{}", False),
        ("{\n  // ... unchanged\n  return 1;\n}", False),
    ],
)
def test_a_placeholder_body_holds_only_comments_saying_code_was_left_out(body: str, placeholder: bool) -> None:
    source = Source.parse("javascript", f"function f() {body}\nconst g = () => 1; // ...\n")
    f, g = (d.function for d in definitions(source))
    assert f is not None and g is not None
    assert is_placeholder_body(source, function_body(f)) is placeholder
    assert is_placeholder_body(source, function_body(g)) is False
    assert is_placeholder_body(source, None) is False


def test_only_named_function_declarations_and_single_identifiers_define_functions() -> None:
    code = (
        "export default (x) => x;\nconst {a} = () => 1;\nconst [b] = function () {};\n"
        "function f(a, b = 1, ...c) {}\nfunction g({h = 3, i}) {}\n"
    )
    source = Source.parse("javascript", code)
    assert _defs(source) == [
        (None, None, "export default (x) => x;", None, None),
        ("var {a}", None, "const {a} = () => 1;", None, None),
        ("var [b]", None, "const [b] = function () {};", None, None),
        ("f", "f", "function f(a, b = 1, ...c) {}", None, "function_declaration"),
        ("g", "g", "function g({h = 3, i}) {}", None, "function_declaration"),
    ]
    f, g = (d.function for d in definitions(source)[3:])
    assert f is not None and g is not None
    assert parameter_shapes(source, function_parameters(f)) == [("plain", ""), ("default", ""), ("rest", "")]
    assert binding_names(function_parameters(g)) == ["h", "i"]  # type: ignore[arg-type]
    assert parameter_shapes(source, function_parameters(g)) == [("plain", "")]


# -- imports -----------------------------------------------------------------------------------

ORIGINAL_IMPORTS = """\
import d, { a, b as bb, c } from './m';
import * as ns from "ns";
import type { T, U } from './types';
import './side';
const whole = require('whole');
const { p, q: qq, r = 1 } = require('props');
let one = require('one').member, two = require('two');
function f() {}
"""


def test_the_bindings_of_imports_and_requires() -> None:
    source = Source.parse("typescript", ORIGINAL_IMPORTS, "a.ts")
    assert [(b.name, b.kind, b.piece, b.source) for b in bindings(source)] == [
        ("d", "default", "d", "'./m'"),
        ("a", "named", "a", "'./m'"),
        ("bb", "named", "b as bb", "'./m'"),
        ("c", "named", "c", "'./m'"),
        ("ns", "namespace", "* as ns", '"ns"'),
        ("T", "named", "T", "'./types'"),
        ("U", "named", "U", "'./types'"),
        ("whole", "require", "whole = require('whole')", "require('whole')"),
        ("p", "property", "p", "require('props')"),
        ("qq", "property", "q: qq", "require('props')"),
        ("r", "property", "r = 1", "require('props')"),
        ("one", "require", "one = require('one').member", "require('one').member"),
        ("two", "require", "two = require('two')", "require('two')"),
    ]
    assert [import_source(source, n) for n in source.root.named_children] == [
        "./m",
        "ns",
        "./types",
        "./side",
        "whole",
        "props",
        "one",
        None,
    ]


def test_missing_imports_bring_back_whole_statements_or_only_the_names_used() -> None:
    original = Source.parse("typescript", ORIGINAL_IMPORTS, "a.ts")
    candidate = Source.parse(
        "typescript",
        "function f(x: T): number { return a(x) + bb + ns.k + whole + p + qq + r + one + two + d; }\n",
        "a.ts",
    )
    assert missing_imports(original, candidate) == [
        "import d, { a, b as bb } from './m';",
        'import * as ns from "ns";',
        "import type { T } from './types';",
        "const whole = require('whole');",
        "const { p, q: qq, r = 1 } = require('props');",
        "let one = require('one').member, two = require('two');",
    ]


def test_missing_imports_of_a_javascript_candidate() -> None:
    """Only what the candidate uses outside its own imports and does not declare itself; a
    destructured require keeps only the properties used, a declaration list the declarators."""
    original = Source.parse(
        "javascript",
        "import d, * as ns2 from 'x';\n"
        "import { y, c } from './m';\n"
        "const { p, q: qq, r = 1 } = require('props');\n"
        "let one = require('one').member, two = require('two');\n"
        "var [u1, u2] = require('arr'), w = require('w');\n"
        "import { own } from './own';\n",
        "a.js",
    )
    candidate = Source.parse(
        "javascript",
        "import { y as c } from './m';\nfunction own() {}\n"
        "function f() { return ns2 + c + qq + two + u2 + u1 + own + { p }; }\n",
        "a.js",
    )
    assert missing_imports(original, candidate) == [
        "import * as ns2 from 'x';",
        "const { p, q: qq } = require('props');",
        "let two = require('two');",
        "var [u1, u2] = require('arr');",
    ]
    assert "y" not in used_names(candidate) and "c" in used_names(candidate) and "p" in used_names(candidate)
    assert declared_names(candidate) == {"c", "own", "f"}


def test_each_destructured_require_of_a_statement_keeps_its_own_module() -> None:
    original = Source.parse(
        "javascript",
        "const two = require('two'), { p, q } = require('props'), three = require('three');\n"
        "const { a } = require('a'), { b, c } = require('b');\n",
    )
    candidate = Source.parse("javascript", "f(two, p, a, b);\n")
    assert missing_imports(original, candidate) == [
        "const two = require('two');\nconst { p } = require('props');",
        "const { a } = require('a');\nconst { b } = require('b');",
    ]


def test_a_comment_among_named_imports_or_declarators_is_skipped() -> None:
    source = Source.parse("javascript", "import { a, /* c */ b } from './m';\n")
    assert [b.name for b in bindings(source)] == ["a", "b"]
    source = Source.parse("javascript", "const a = require('a'), /* c */ b = require('b');\n")
    assert [b.name for b in bindings(source)] == ["a", "b"]


def test_a_candidate_that_kept_every_import_needs_none() -> None:
    original = Source.parse("javascript", "import { a } from './a';\nconst b = 1;\n", "a.js")
    kept = Source.parse("javascript", "import { a } from './a';\nfunction f() { return a + b; }\n", "a.js")
    assert missing_imports(original, kept) == []
    dropped = Source.parse("javascript", "function f() { return a + b; }\n", "a.js")
    assert missing_imports(original, dropped) == ["import { a } from './a';"]


def test_names_declared_at_the_top_level() -> None:
    code = (
        "import { a } from './a';\n"
        "const { b, c: [d] } = obj, e = 1;\n"
        "export function f() { const inner = 1; }\n"
        "export class G {}\n"
        "interface H {}\n"
        "export type I = 1;\n"
        "export let j;\n"
        "export default 5;\n"
    )
    source = Source.parse("typescript", code, "a.ts")
    assert declared_names(source) == {"a", "b", "d", "e", "f", "G", "H", "I", "j"}
    assert {"H", "I", "obj"} <= used_names(source)
    assert "a" not in used_names(source)


def test_type_names_count_as_used_only_in_typescript() -> None:
    original_ts = Source.parse("typescript", "import { T } from './t';\n", "a.ts")
    assert missing_imports(original_ts, Source.parse("typescript", "let x: T = 1;\n", "a.ts")) == [
        "import { T } from './t';"
    ]
    assert "T" in used_names(Source.parse("typescript", "let x: T = 1;\n", "a.ts"))


def test_a_require_without_a_plain_string_has_no_source() -> None:
    source = Source.parse(
        "javascript",
        "const q = require(`t`);\nconst r = require();\nconst w = require(x);\nconst a = require('a', opts);\n"
        "const f = foo('x');\n",
    )
    assert [import_source(source, n) for n in source.root.named_children] == [None, None, None, "a", None]


def test_a_name_right_after_an_import_is_used() -> None:
    """A name used right after the end of an import statement counts; only the names needed of a
    statement binding several are brought back."""
    original = Source.parse("javascript", "import { a, c } from './m';\nimport {b} from './b';\n")
    candidate = Source.parse("javascript", "import { c } from './m';b();a();")
    assert missing_imports(original, candidate) == ["import { a } from './m';", "import {b} from './b';"]


@pytest.mark.parametrize(
    ("code", "point", "result"),
    [
        (
            "import a from 'a';\nconst b = require('b');\n\nfoo();\n",
            (42, True),
            "import a from 'a';\nconst b = require('b');\nimport z from 'z';\nconst y = require('y');\n\nfoo();\n",
        ),
        (
            "#!/usr/bin/env node\n'use strict';\n// header\n\n// about f\n// more\nfunction f() {}\n",
            (45, False),
            "#!/usr/bin/env node\n'use strict';\n// header\n\nimport z from 'z';\nconst y = require('y');\n\n"
            "// about f\n// more\nfunction f() {}\n",
        ),
        ("", (0, False), "import z from 'z';\nconst y = require('y');\n\n"),
        ("// only\n", (8, False), "// only\nimport z from 'z';\nconst y = require('y');\n\n"),
        ("// only", (7, False), "// only\nimport z from 'z';\nconst y = require('y');\n\n"),
        ("'use strict'; foo();", (14, False), "'use strict'; \nimport z from 'z';\nconst y = require('y');\n\nfoo();"),
        ("foo();\n", (0, False), "import z from 'z';\nconst y = require('y');\n\nfoo();\n"),
        (
            "'use strict' /* c */;\nfoo();\n",
            (22, False),
            "'use strict' /* c */;\nimport z from 'z';\nconst y = require('y');\n\nfoo();\n",
        ),
        (" foo();", (1, False), " \nimport z from 'z';\nconst y = require('y');\n\nfoo();"),
        ("// a\nfoo();\n// end\n", (0, False), "import z from 'z';\nconst y = require('y');\n\n// a\nfoo();\n// end\n"),
        ("// a\nfoo();\n", (0, False), "import z from 'z';\nconst y = require('y');\n\n// a\nfoo();\n"),
    ],
)
def test_imports_go_after_the_last_import_or_before_the_first_code(
    code: str, point: tuple[int, bool], result: str
) -> None:
    source = Source.parse("javascript", code)
    assert insertion_point(source) == point
    edit = add_imports(source, ["import z from 'z';", "  ", "const y = require('y');"])
    assert edit is not None
    assert source.edited([edit], "javascript").code == result


def test_no_statements_no_edit() -> None:
    assert add_imports(Source.parse("javascript", "x"), [" ", ""]) is None
    assert add_imports(Source.parse("javascript", "x"), []) is None


# -- generated tests ---------------------------------------------------------------------------

SORT_NAMED = "export function sortList(xs) { return xs; }\n"
SORT_DEFAULT = "export default function sortList(xs) { return xs; }\n"
SORT_MODULE = "module.exports = function sortList(xs) { return xs; };\n"
SORT_PLAIN = "function sortList(xs) { return xs; }\n"


def _request(
    answer: str,
    *,
    src: str = SORT_NAMED,
    path: str = "src/sort.js",
    qualified: str = "sortList",
    language: str = "javascript",
    module_system: str | None = None,
    framework: str = "jest",
    module_path: str = "../src/sort",
    cut_off: bool = False,
) -> TestsRequest:
    return TestsRequest(
        language=language,
        language_version=None,
        answer=Answer(answer, finish_reason="length" if cut_off else "stop"),
        source_code=(CodeFile(path, src),),
        target=Target.parse(qualified, path=path),
        module_path=module_path,
        test_module_path="tests/t",
        test_framework=framework,
        test_timeout=15,
        module_system=module_system,
    )


def _clean(test: str, **options: str) -> str:
    fence = "typescript" if options.get("language") == "typescript" else "javascript"
    tests = clean_tests(_request(f"```{fence}\n{test}\n```", **options))  # type: ignore[arg-type]
    assert tests.instrumented_behavior == tests.instrumented_perf == tests.generated
    return tests.generated


T = "test('a', () => {});"


@pytest.mark.parametrize(
    ("test", "options", "cleaned"),
    [
        pytest.param(
            "import { sortList } from './sort';\nimport { cmp } from './compare';\nimport { a } from './a.mjs';\n"
            f"import x from 'lodash';\nimport {{ h }} from './helpers/h';\nimport {{ z }} from '../z';\n"
            f"const t = require(`./tpl`);\n{T}",
            {"module_system": "esm", "module_path": "../src/sort.js"},
            "import { sortList } from '../src/sort.js';\nimport { cmp } from '../src/compare.js';\n"
            "import { a } from '../src/a.mjs';\nimport x from 'lodash';\nimport { h } from './helpers/h';\n"
            f"import {{ z }} from '../z';\nconst t = require(`./tpl`);\n{T}\n",
            id="siblings move with the target and take its extension",
        ),
        pytest.param(
            f"import {{ sortList }} from './sort.js';\nimport {{ cmp }} from './compare';\n{T}",
            {"module_system": "esm", "module_path": "../src/sort.js"},
            f"import {{ sortList }} from '../src/sort.js';\nimport {{ cmp }} from '../src/compare';\n{T}\n",
            id="same extension: none added",
        ),
        pytest.param(
            f"import {{ sortList }} from './sorting';\nimport {{ cmp }} from './compare';\n{T}",
            {"module_system": "esm"},
            f"import {{ sortList }} from '../src/sort';\nimport {{ cmp }} from './compare';\n{T}\n",
            id="another stem: siblings stay",
        ),
        pytest.param(
            f"import {{ sortList }} from 'sort';\nimport {{ cmp }} from 'compare';\n{T}",
            {"module_system": "esm"},
            f"import {{ sortList }} from '../src/sort';\nimport {{ cmp }} from 'compare';\n{T}\n",
            id="a bare specifier: nothing else moves",
        ),
        pytest.param(
            f"import {{ sortList }} from './lib/sort';\nimport {{ cmp }} from './lib/compare';\n{T}",
            {"module_system": "esm", "module_path": "sort"},
            f"import {{ sortList }} from 'sort';\nimport {{ cmp }} from './compare';\n{T}\n",
            id="a moved sibling stays relative",
        ),
        pytest.param(
            f"import {{ sortList }} from './sort';\nimport {{ sortList as q, x }} from './other';\n{T}",
            {"module_system": "esm"},
            f"import {{ sortList }} from '../src/sort';\nimport {{ sortList as q, x }} from '../src/other';\n{T}\n",
            id="a sibling importing the name under an alias moves",
        ),
        pytest.param(
            f"import {{ sortList }} from './a/sort';\nconst {{ sortList }} = require('./b/sort');\n"
            f"import {{ c }} from './a/c';\n{T}",
            {"module_system": "esm"},
            f"import {{ sortList }} from '../src/sort';\nimport {{ sortList }} from '../src/sort';\n"
            f"import {{ c }} from './a/c';\n{T}\n",
            id="two old paths: no sibling moves",
        ),
    ],
)
def test_the_import_of_the_target_moves_and_its_siblings_with_it(
    test: str, options: dict[str, str], cleaned: str
) -> None:
    assert _clean(test, **options) == cleaned


@pytest.mark.parametrize(
    ("test", "options", "cleaned"),
    [
        pytest.param(
            "import def, { sortList as sl, other } from \"./sort\";\nimport * as all from './sort';\n"
            "import { sortList } from './sort';\n" + T,
            {"module_system": "commonjs"},
            'const def = require("../src/sort");\nconst { sortList: sl, other } = require("../src/sort");\n'
            "const all = require('../src/sort');\nconst { sortList } = require('../src/sort');\n" + T + "\n",
            id="to CommonJS",
        ),
        pytest.param(
            "const { sortList: sl, other } = require(\"./sort\");\nconst whole = require('./sort');\n"
            "const m = require('./sort').member;\nconst sortList = require('./sort').sortList;\n" + T,
            {"module_system": "esm"},
            "import { sortList as sl, other } from \"../src/sort\";\nimport whole from '../src/sort';\n"
            "import { member as m } from '../src/sort';\nimport { sortList } from '../src/sort';\n" + T + "\n",
            id="to ESM",
        ),
        pytest.param(
            "import a, * as c from './sort';\nimport b, { d, sortList } from './sort';\n" + T,
            {"module_system": "esm"},
            "import a from '../src/sort';\nimport * as c from '../src/sort';\n"
            "import b, { d, sortList } from '../src/sort';\n" + T + "\n",
            id="defaults and namespaces",
        ),
        pytest.param(
            "import * as ns from './sort';\nimport { sortList } from './sort';\n" + T,
            {"module_system": "esm"},
            "import * as ns from '../src/sort';\nimport { sortList } from '../src/sort';\n" + T + "\n",
            id="a namespace alone",
        ),
        pytest.param(
            "const [sortList] = require('./sort');\n" + T,
            {},
            "const [sortList] = require('../src/sort');\n" + T + "\n",
            id="an array pattern: only the path",
        ),
        pytest.param(
            "const { sortList, ...rest } = require('./sort');\n" + T,
            {},
            "const { sortList, ...rest } = require('../src/sort');\n" + T + "\n",
            id="a rest property: only the path",
        ),
        pytest.param(
            "const { sortList, b: { c } } = require('./sort');\n" + T,
            {},
            "const { sortList, b: { c } } = require('../src/sort');\n" + T + "\n",
            id="a nested pattern: only the path",
        ),
        pytest.param(
            "const { sortList, b: { c } } = require('./sort');\n" + T,
            {"module_system": "esm"},
            "const { sortList, b: { c } } = require('../src/sort');\n" + T + "\n",
            id="a nested pattern is not made an ESM import",
        ),
        pytest.param(
            "const { sortList } = require('./sort').default;\n" + T,
            {},
            "const { sortList } = require('../src/sort').default;\n" + T + "\n",
            id="a pattern of a member: only the path",
        ),
        pytest.param(
            'const { sortList, b } = require("./sort");\ntest("a", () => {});',
            {},
            'const { sortList, b } = require("../src/sort");\ntest("a", () => {});\n',
            id="double quotes kept",
        ),
        pytest.param(
            "const { sortList } = require(\"./sort\"); // 'x' 'y' 'z'\n" + T,
            {},
            "const { sortList } = require(\"../src/sort\"); // 'x' 'y' 'z'\n" + T + "\n",
            id="the quote of the statement",
        ),
        pytest.param(
            "const { sortList } = require(`./sort`);\n" + T,
            {},
            "const { sortList } = require('../src/sort');\n" + T + "\n",
            id="no quote: single quotes",
        ),
        pytest.param(
            "import type { Opts } from './sort';\nimport { type Opts2, sortList, type X as Y } from './sort';\n" + T,
            {"language": "typescript", "path": "src/sort.ts"},
            "import type { Opts } from '../src/sort';\n"
            "import { type Opts2, sortList, type X as Y } from '../src/sort';\n" + T + "\n",
            id="TypeScript type imports stay type imports",
        ),
        pytest.param(
            "const { sortList } = require('./sort');\n" + T,
            {"language": "typescript", "path": "src/sort.ts", "module_system": "commonjs"},
            "import { sortList } from '../src/sort';\n" + T + "\n",
            id="TypeScript is always ESM",
        ),
    ],
)
def test_imports_of_the_target_are_rewritten_in_the_module_system(
    test: str, options: dict[str, str], cleaned: str
) -> None:
    assert _clean(test, **options) == cleaned


@pytest.mark.parametrize(
    ("test", "options", "cleaned"),
    [
        pytest.param(
            "import { sortList } from './sort';\nconst { sortList: s2 } = require('./sort');\n" + T,
            {"src": SORT_DEFAULT},
            "import sortList from '../src/sort';\nimport { sortList as s2 } from '../src/sort';\n" + T + "\n",
            id="named to default",
        ),
        pytest.param(
            "const sortList = require('./sort');\n" + T,
            {"src": SORT_MODULE, "module_system": "esm"},
            "import sortList from '../src/sort';\n" + T + "\n",
            id="module object to default",
        ),
        pytest.param(
            "import sortList from './sort';\n" + T,
            {"module_system": "esm"},
            "import { sortList } from '../src/sort';\n" + T + "\n",
            id="default to named",
        ),
        pytest.param(
            "const sortList = require('./sort');\n" + T,
            {"module_system": "commonjs"},
            "const { sortList } = require('../src/sort');\n" + T + "\n",
            id="module object to named",
        ),
        pytest.param(
            "import * as sortList from './sort';\n" + T,
            {"src": SORT_DEFAULT, "module_system": "esm"},
            "import sortList from '../src/sort';\n" + T + "\n",
            id="namespace to default",
        ),
        pytest.param(
            "const { other: sortList } = require('./sort');\n" + T,
            {"src": SORT_PLAIN, "module_system": "commonjs"},
            "const { other: sortList } = require('../src/sort');\n" + T + "\n",
            id="unknown style: as written",
        ),
        pytest.param(
            "test('a', () => { sortList([]); });",
            {"src": SORT_PLAIN, "module_system": "esm"},
            "import { sortList } from '../src/sort';\n\ntest('a', () => { sortList([]); });\n",
            id="inserted, unknown style, ESM",
        ),
        pytest.param(
            "test('a', () => { sortList([]); });",
            {"src": SORT_PLAIN, "module_system": "commonjs"},
            "const { sortList } = require('../src/sort');\n\ntest('a', () => { sortList([]); });\n",
            id="inserted, unknown style, CommonJS",
        ),
        pytest.param(
            "test('a', () => { sortList([]); });",
            {"src": SORT_DEFAULT, "module_system": "commonjs"},
            "const sortList = require('../src/sort');\n\ntest('a', () => { sortList([]); });\n",
            id="inserted, default, CommonJS",
        ),
        pytest.param(
            "test('a', () => { sortList([]); });",
            {"src": SORT_DEFAULT, "module_system": "esm"},
            "import sortList from '../src/sort';\n\ntest('a', () => { sortList([]); });\n",
            id="inserted, default, ESM",
        ),
        pytest.param(
            "test('a', () => { sortList([]); });",
            {"src": SORT_MODULE, "module_system": "esm"},
            "import sortList from '../src/sort';\n\ntest('a', () => { sortList([]); });\n",
            id="inserted, module object, ESM",
        ),
        pytest.param(
            "import { x } from 'lib';\n" + T,
            {},
            "import { x } from 'lib';\nimport { sortList } from '../src/sort';\n" + T + "\n",
            id="inserted after the imports, ESM when the test uses import",
        ),
        pytest.param(
            "const { x } = require('lib');\n" + T,
            {},
            "const { x } = require('lib');\nconst { sortList } = require('../src/sort');\n" + T + "\n",
            id="inserted after the requires, CommonJS otherwise",
        ),
    ],
)
def test_the_target_is_imported_in_the_export_form_of_its_module(
    test: str, options: dict[str, str], cleaned: str
) -> None:
    assert _clean(test, **options) == cleaned


@pytest.mark.parametrize(
    ("test", "options", "cleaned"),
    [
        pytest.param(
            "import { sortList } from './sort';\n\n// a copy\nexport function sortList(xs) { return xs; }\n\n"
            "class sortList2 {}\nconst sortList = (xs) => xs, other = 1;\nlet other2 = 2;\n" + T,
            {"module_system": "esm"},
            "import { sortList } from '../src/sort';\n\nclass sortList2 {}\nconst sortList = (xs) => xs, other = 1;\n"
            "let other2 = 2;\n" + T + "\n",
            id="an exported function with its comment; a list of declarators stays",
        ),
        pytest.param(
            "const sortList = (xs) => xs;\nvar sortList;\n" + T,
            {},
            "const { sortList } = require('../src/sort');\n\n" + T + "\n",
            id="variables",
        ),
        pytest.param(
            "class Cache { get() {} }\ntest('a', () => { new Cache().get(); });",
            {"src": "export class Cache { get() { return 1; } }\n", "qualified": "Cache.get", "module_path": "../c"},
            "const { Cache } = require('../c');\n\n"
            "test('a', () => { ((receiver) => receiver.get())(new Cache()); });\n",
            id="the class of a method",
        ),
        pytest.param(
            "function other() {}\nexport const x = 1;\nexport default sortList;\n" + T,
            {"module_system": "esm"},
            "import { sortList } from '../src/sort';\n\nfunction other() {}\nexport const x = 1;\n"
            "export default sortList;\n" + T + "\n",
            id="other definitions stay",
        ),
    ],
)
def test_redefinitions_of_the_target_are_removed(test: str, options: dict[str, str], cleaned: str) -> None:
    assert _clean(test, **options) == cleaned


def test_mocks_of_the_target_are_removed_and_helpers_pointed_at_it() -> None:
    """Top-level ``jest.mock``/``vi.mock``/``doMock`` calls of the code under test (old or new
    path) are removed; other mock helpers, and mocks inside a function, point at its path; a mock
    of a sibling module moves as its import did; other calls and other modules are left alone."""
    test = (
        "import { sortList } from './sort';\njest.mock('./sort');\nvi.mock('../src/sort', () => ({}));\n"
        "jest.doMock('./sort');\njest.unmock('./sort');\nbeforeEach(() => { jest.mock('./sort'); });\n"
        "const real = vi.importActual('./sort');\nconst m = jest.requireMock(\"./sort\");\n"
        "jest.fn('./sort');\nfoo.mock('./sort');\njest.mock('./other');\njest.mock('./sort').foo;\n"
        "jest.requireActual('./sort');\njest.mock('lodash');\njest.mock('./helpers/h');\n"
        "vi.importActual(\"./other\");\nfoo.mock('./other');\n" + T
    )
    assert _clean(test, module_system="esm") == (
        "import { sortList } from '../src/sort';\njest.unmock('../src/sort');\n"
        "beforeEach(() => { jest.mock('../src/sort'); });\nconst real = vi.importActual('../src/sort');\n"
        "const m = jest.requireMock(\"../src/sort\");\njest.fn('./sort');\nfoo.mock('./sort');\n"
        "jest.mock('../src/other');\njest.mock('../src/sort').foo;\njest.requireActual('../src/sort');\n"
        "jest.mock('lodash');\njest.mock('./helpers/h');\nvi.importActual(\"../src/other\");\n"
        "foo.mock('./other');\n" + T + "\n"
    )


def test_only_a_mock_call_statement_is_removed() -> None:
    """A mock call with a comment inside its statement is still the statement; a mock call in
    another kind of statement only has its path moved."""
    test = (
        "import { sortList } from './sort';\njest.mock('./sort') /* c */;\n"
        "export default jest.mock('./sort');\nthrow jest.mock('./sort');\n" + T
    )
    assert _clean(test, module_system="esm") == (
        "import { sortList } from '../src/sort';\nexport default jest.mock('../src/sort');\n"
        "throw jest.mock('../src/sort');\n" + T + "\n"
    )


def test_without_a_moved_import_sibling_mocks_stay() -> None:
    test = "import { sortList } from './sorting';\njest.mock('./other');\njest.mock('./sorting');\n" + T
    assert _clean(test, module_system="esm") == (
        "import { sortList } from '../src/sort';\njest.mock('./other');\n" + T + "\n"
    )


@pytest.mark.parametrize(
    ("test", "framework", "cleaned"),
    [
        pytest.param(
            "import assert from 'assert';\nconst strict = require(\"assert/strict\");\n"
            "const x = require('node:assert');\nconst { describe } = require('@jest/globals');\nconst n = 1;\n"
            "const again = require('assert');\nit('a', () => {});",
            "mocha",
            "import assert from 'node:assert';\nconst strict = require(\"node:assert/strict\");\n"
            "const x = require('node:assert');\nconst { describe } = require('@jest/globals');\nconst n = 1;\n"
            "const again = require('node:assert');\nimport { sortList } from '../src/sort';\nit('a', () => {});\n",
            id="mocha",
        ),
        pytest.param(
            "const { describe, it } = require('@jest/globals');\n\nconst assert = require('assert');\n"
            "import { expect } from '@jest/globals';\nit('a', () => {});",
            "jest",
            "const assert = require('assert');\nimport { expect } from '@jest/globals';\n"
            "import { sortList } from '../src/sort';\nit('a', () => {});\n",
            id="jest",
        ),
        pytest.param(
            "const assert = require('assert');\nconst { it } = require('@jest/globals');\nit('a', () => {});",
            "vitest",
            "const assert = require('assert');\nconst { it } = require('@jest/globals');\n"
            "const { sortList } = require('../src/sort');\nit('a', () => {});\n",
            id="vitest",
        ),
    ],
)
def test_framework_globals_do_not_clash(test: str, framework: str, cleaned: str) -> None:
    assert _clean(test, framework=framework) == cleaned


def test_the_test_code_of_an_answer() -> None:
    short, long = "```js\nshort();\n```", "```javascript\nthe(); longest(); block();\n```"
    assert pick_test_code(Answer(f"{short}\ntext\n{long}\n{short}")) == "the(); longest(); block();"
    assert pick_test_code(Answer("\n  test('a', () => {});\n\n")) == "test('a', () => {});"
    with pytest.raises(ValueError, match="no JavaScript"):
        pick_test_code(Answer("```python\nx = 1\n```"))
    with pytest.raises(ValueError, match="no JavaScript"):
        pick_test_code(Answer("  \n"))
    with pytest.raises(ValueError, match="cut off"):
        pick_test_code(Answer("```js\nx();\n```", finish_reason="length"))
    with pytest.raises(ValueError, match="cut off"):
        clean_tests(_request("```js\nx();\n```", cut_off=True))
    with pytest.raises(ValueError) as generated:
        clean_tests(_request("```js\nf(a b);\nf(a c);\n```"))
    assert str(generated.value) == "the generated test does not parse: line 1, column 5: unexpected 'b'"


def test_a_rewrite_that_does_not_parse_is_refused_with_its_first_problem() -> None:
    """A computed key of a destructured require has no ESM form: the test is refused, citing the
    first of the problems of the rewritten file."""
    test = "const { [k]: d, sortList } = require('./sort');\nconst { [j]: e } = require('./sort');\n" + T
    with pytest.raises(ValueError) as cleaned:
        _clean(test, module_system="esm")
    assert str(cleaned.value) == "the cleaned test does not parse: line 1, column 1: unexpected 'import { [k] as'"


def test_specs_and_their_rendering() -> None:
    source = Source.parse(
        "javascript",
        "const a = require('a'), { b, c: d } = require('b');\nconst e = require('e').f;\nconst [g] = require('g');\n"
        "let h;\nconst i = require('i')[0];\nimport j, { l as m } from 'n';\nimport 'side';\nimport * as k from 'n';\n",
    )
    nodes = source.root.named_children
    assert import_specs(source, nodes[0]) == [Spec("a", "module.exports"), Spec("b", "b"), Spec("d", "c")]
    assert import_specs(source, nodes[1]) == [Spec("e", "f")]
    assert import_specs(source, nodes[2]) is None
    assert import_specs(source, nodes[3]) is None
    assert import_specs(source, nodes[5]) == [Spec("j", "default"), Spec("m", "l")]
    assert import_specs(source, nodes[6]) == []
    assert import_specs(source, nodes[7]) == [Spec("k", "*")]
    other = Source.parse("javascript", "const m = foo.bar;\n")
    assert import_specs(other, other.root.named_children[0]) is None  # a member of something else than a require
    specs = [Spec("a", "default"), Spec("b", "module.exports"), Spec("c", "*"), Spec("d", "d"), Spec("e", "f")]
    assert render_esm(specs, "./m", '"') == (
        'import a, { d, f as e } from "./m";\nimport b from "./m";\nimport * as c from "./m";'
    )
    assert render_esm([Spec("c", "*")], "./m", "'") == "import * as c from './m';"
    assert render_esm([], "./m", "'") == ""
    assert render_commonjs(specs, "./m", "'") == (
        "const a = require('./m');\nconst b = require('./m');\nconst c = require('./m');\n"
        "const { d, f: e } = require('./m');"
    )
    assert render_commonjs([], "./m", "'") == ""
