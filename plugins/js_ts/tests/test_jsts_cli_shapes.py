"""JavaScript/TypeScript project shapes found through the published CLI (0.20.6), one test per
bug: what the engine must hand the client so that a realistic run succeeds."""

from __future__ import annotations

import pytest
from jsts_cases import candidates_request

from codeflash_engine import Answer, CodeFile, GeneratedTests, Target, Task, TestsRequest
from codeflash_engine_js_ts import plugin
from codeflash_engine_js_ts.candidates import postprocess
from codeflash_engine_js_ts.source import Source
from codeflash_engine_js_ts.structure import is_commonjs


# --------------------------------------------------------------------------- what the client copies
def optimized(original: CodeFile, answer: str, target: str, language: str = "javascript") -> str:
    request = candidates_request(
        task=Task.OPTIMIZE,
        language=language,
        language_version=None,
        original=(original,),
        answers=(answer,),
        target=target,
    )
    [candidate] = postprocess(request)
    return candidate.files[0].code


GROUPS = CodeFile(
    "src/groups.js",
    "import { key } from './key.js';\n\nexport function group(rows) {\n"
    "  const out = [];\n  for (const r of rows) if (!out.some((g) => g.k === key(r))) out.push({ k: key(r) });\n"
    "  return out;\n}\n",
)


def test_a_new_helper_function_becomes_a_const_the_client_copies() -> None:
    """The client copies new `const`/`let`/class declarations into the file, not new function
    declarations: the helper would be missing (ReferenceError) once the target is replaced."""
    answer = (
        "An index makes it linear.\n```javascript:src/groups.js\nimport { key } from './key.js';\n\n"
        "function buildIndex(rows) {\n  return new Map(rows.map((r) => [key(r), { k: key(r) }]));\n}\n\n"
        "export function* pairs(xs) {\n  yield* xs;\n}\n\n"
        "async function later() {\n  return 1;\n}\n\n"
        "export function group(rows) {\n  later();\n  return [...buildIndex(rows).values()];\n}\n```"
    )
    code = optimized(GROUPS, answer, "group")
    assert "const buildIndex = function buildIndex(rows) {\n" in code, code
    assert "export const pairs = function* pairs(xs) {\n  yield* xs;\n};" in code, code
    assert "const later = async function later() {\n  return 1;\n};" in code, code
    assert "export function group(rows) {" in code  # the target stays a declaration
    assert "import { key } from './key.js';" in code


def test_a_new_import_becomes_a_dynamic_import_the_client_copies() -> None:
    """The client does not copy new imports; in an ES module, `await import` in a `const` is copied."""
    answer = (
        "Hash once.\n```javascript\nimport { key, normalise as norm } from './key.js';\n"
        "import { createHash } from 'node:crypto';\nimport * as path from 'node:path';\n"
        "import fs, { readFileSync } from 'node:fs';\n\n"
        "export function group(rows) {\n  createHash('md5');\n  path.sep;\n  fs.existsSync; readFileSync;\n"
        "  return rows.map((r) => norm(key(r)));\n}\n```"
    )
    code = optimized(GROUPS, answer, "group")
    assert "import { key } from './key.js';\nconst { normalise: norm } = await import('./key.js');" in code, code
    assert "const { createHash } = await import('node:crypto');" in code
    assert "const path = await import('node:path');" in code
    assert "const { default: fs, readFileSync } = await import('node:fs');" in code


WORDS_CJS = CodeFile(
    "src/words.js",
    "'use strict';\n\nconst { normalizeWord } = require('./text');\n\n"
    "function uniqueWords(words) {\n  const out = [];\n  for (const word of words) {\n"
    "    const w = normalizeWord(word);\n    if (w && out.indexOf(w) === -1) out.push(w);\n  }\n  return out;\n}\n\n"
    "module.exports = { uniqueWords };\n",
)
WORDS_BODY = (
    "function uniqueWords(words) {\n  const seen = new Set();\n  const out = [];\n"
    "  for (const word of words) {\n    const w = foldWord(word);\n"
    "    if (w && !seen.has(w)) {\n      seen.add(w);\n      out.push(w);\n    }\n  }\n  return out;\n}\n```"
)


def test_in_a_commonjs_file_a_new_import_becomes_a_require() -> None:
    """A CommonJS file cannot hold `import`, nor a top-level `await` (Node refuses to `require` a
    module using one): the new names come from `require`; an import of names the file has goes."""
    answer = (
        "Use a Set.\n```js\nimport { normalizeWord } from './text';\n"
        "import { foldWord, clean as tidy } from './text';\nimport fs from 'node:fs';\n"
        "import * as path from 'node:path';\n\n" + WORDS_BODY
    )
    code = optimized(WORDS_CJS, answer, "uniqueWords")
    assert "import " not in code and "await" not in code, code
    assert "const { foldWord, clean: tidy } = require('./text');" in code, code
    assert "const fs = require('node:fs');\nconst path = require('node:path');" in code, code


def test_a_require_of_known_and_new_names_keeps_only_the_new_ones() -> None:
    """The client copies a declaration binding a new name whole: `normalizeWord` declared twice."""
    answer = (
        "Use a Set.\n```js\nconst { normalizeWord, foldWord } = require('./text');\n"
        "const { normalizeWord: n2 } = require('./text'), util = require('node:util');\n"
        "let known = require('./text'), { normalizeWord: again } = require('./text');\n\n" + WORDS_BODY
    )
    words = CodeFile(WORDS_CJS.path, WORDS_CJS.code.replace("'use strict';\n", "'use strict';\nlet known = 1;\n"))
    code = optimized(words, answer, "uniqueWords")
    assert "const { foldWord } = require('./text');\n" in code, code
    assert "const { normalizeWord: n2 } = require('./text'), util = require('node:util');" in code  # all new
    assert "let { normalizeWord: again } = require('./text');" in code, code
    assert "normalizeWord, foldWord" not in code


@pytest.mark.parametrize(
    ("code", "commonjs"),
    [
        ("const x = require('x');\nfunction f() {}\n", True),
        ("function f() {}\nmodule.exports = { f };\n", True),
        ("function f() {}\nmodule.exports.f = f;\n", True),
        ("exports.f = function () {};\n", True),
        ("function f() {}\n", False),  # a plain script: nothing says CommonJS
        ("import x from 'x';\nmodule.exports = x;\n", False),
        ("const x = require('x');\nexport function f() {}\n", False),
        ("function f() { const y = require('y'); }\n", False),  # a require inside a function only
        ("obj.exports.f = 1;\n", False),
    ],
)
def test_what_counts_as_a_commonjs_file(code: str, commonjs: bool) -> None:
    assert is_commonjs(Source.parse("javascript", code)) is commonjs


def test_type_only_imports_stay() -> None:
    original = CodeFile("src/t.ts", "export function f(xs: number[]): number[] {\n  return xs.slice().sort();\n}\n")
    answer = (
        "```typescript\nimport type { Row } from './row';\nimport { type Cell, sortCells } from './cells';\n\n"
        "export function f(xs: number[]): number[] {\n  const c: Cell[] = [];\n  sortCells(c);\n"
        "  return [...xs].sort();\n}\n```"
    )
    code = optimized(original, answer, "f", "typescript")
    assert "import type { Row } from './row';" in code, code
    assert "const { sortCells } = await import('./cells');" in code, code


def test_known_functions_and_overloads_stay_declarations() -> None:
    original = CodeFile(
        "src/t.ts",
        "function helper(x: number): number {\n  return x;\n}\n\n"
        "export function f(xs: number[]): number[] {\n"
        "  return xs.map(helper).filter((x, i) => xs.indexOf(x) === i);\n}\n",
    )
    answer = (
        "```typescript\nfunction helper(x: number): number {\n  return x;\n}\n\n"
        "function pick(x: string): string;\nfunction pick(x: number): number;\n"
        "function pick(x: string | number): string | number {\n  return x;\n}\n\n"
        "export function f(xs: number[]): number[] {\n  return [...new Set(xs.map(helper))].map(pick);\n}\n```"
    )
    code = optimized(original, answer, "f", "typescript")
    assert code.startswith("function helper(x: number): number {"), code
    assert "\nfunction pick(x: string | number): string | number {" in code, code


LEDGER_JS = CodeFile(
    "src/ledger.js",
    "export class Ledger {\n  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
    "  total(cat) {\n    return this.rows.filter((r) => r.c === cat).reduce((a, r) => a + r.v, 0);\n  }\n}\n",
)


def test_a_new_helper_method_is_lifted_out_of_the_class_where_the_client_copies_it() -> None:
    """The client replaces only the target method: a helper method the answer adds to the class
    would be lost (`this._index is not a function`)."""
    answer = (
        "Index once.\n```javascript:src/ledger.js\nexport class Ledger {\n"
        "  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
        "  _index(extra) {\n    if (!this._byCat) {\n      this._byCat = new Map();\n"
        "      for (const r of this.rows) this._byCat.set(r.c, (this._byCat.get(r.c) || 0) + r.v);\n    }\n"
        "    return this._byCat;\n  }\n\n  static #zero() {\n    return 0;\n  }\n\n"
        "  total(cat) {\n    return this._index(1).get(cat) || Ledger.#zero();\n  }\n}\n```"
    )
    code = optimized(LEDGER_JS, answer, "Ledger.total")
    assert code.startswith("const Ledger__index = function (extra) {\n  if (!this._byCat) {"), code
    assert "const Ledger_zero = function () {\n  return 0;\n};\n" in code, code
    assert "return Ledger__index.call(this, 1).get(cat) || Ledger_zero.call(Ledger);" in code, code
    assert "_index(extra) {" not in code and "#zero() {" not in code


def test_a_new_static_field_becomes_a_module_constant_the_client_copies() -> None:
    """The client replaces only the target method's body: a static field the answer adds would be
    missing, and `Ledger.EMPTY` read `undefined`."""
    answer = (
        "```javascript\nexport class Ledger {\n  // the sum of nothing\n  static EMPTY = 0;\n\n"
        "  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
        "  total(cat) {\n    let t = Ledger.EMPTY;\n    for (const r of this.rows) if (r.c === cat) t += r.v;\n"
        "    return t;\n  }\n}\n```"
    )
    code = optimized(LEDGER_JS, answer, "Ledger.total")
    assert code.startswith("const Ledger_EMPTY = 0;\n\nexport class Ledger {\n  constructor(rows) {"), code
    assert "let t = Ledger_EMPTY;" in code and "EMPTY =" not in code.split("class")[1], code


def test_a_typed_static_field_keeps_its_type_and_one_written_to_stays() -> None:
    original = CodeFile(
        "src/ledger.ts",
        "export class Ledger {\n  static calls = 0;\n\n  constructor(private rows: number[]) {}\n\n"
        "  total(): number {\n    let t = 0;\n    for (let i = 0; i < this.rows.length; i++) t += this.rows[i];\n"
        "    return t;\n  }\n}\n",
    )
    answer = (
        "```typescript\nexport class Ledger {\n  private static readonly LIMIT: number = 64;\n"
        "  static hits = 0;\n  static calls = 0;\n\n  constructor(private rows: number[]) {}\n\n"
        "  total(): number {\n    Ledger.hits++;\n    Ledger.calls += 1;\n"
        "    return this.rows.slice(0, Ledger.LIMIT * 1e6).reduce((a, b) => a + b, 0);\n  }\n}\n```"
    )
    code = optimized(original, answer, "Ledger.total", "typescript")
    assert code.startswith("const Ledger_LIMIT: number = 64;\n\nexport class Ledger {\n  static hits = 0;\n"), code
    assert "this.rows.slice(0, Ledger_LIMIT * 1e6)" in code and "Ledger.hits++;" in code, code


def test_a_new_instance_field_holding_a_fresh_value_is_set_by_the_target() -> None:
    """`cache = new Map()` would be missing once the client puts the method in: the target sets it
    first. A field holding anything else is left alone (its value may depend on construction)."""
    answer = (
        "```javascript\nexport class Ledger {\n  cache = new Map();\n  seen = [];\n  size = this.rows.length;\n"
        "  #hidden = {};\n  unused = 0;\n\n  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
        "  total(cat) {\n    if (!this.cache.has(cat)) {\n"
        "      this.cache.set(cat, this.rows.filter((r) => r.c === cat).reduce((a, r) => a + r.v, 0));\n"
        "      this.seen.push(cat, this.size, this.#hidden);\n    }\n    return this.cache.get(cat);\n  }\n}\n```"
    )
    code = optimized(LEDGER_JS, answer, "Ledger.total")
    assert (
        "  total(cat) {\n    this.cache ??= new Map();\n    this.seen ??= [];\n"
        "    if (!Ledger_hidden.has(this)) Ledger_hidden.set(this, {});\n    if (!this.cache.has(cat)) {" in code
    ), code
    assert code.startswith("const Ledger_hidden = new WeakMap();\n\nexport class Ledger {\n"), code
    assert "this.seen.push(cat, this.size, Ledger_hidden.get(this));" in code
    assert "this.size ??=" not in code and "this.unused ??=" not in code and "#hidden" not in code


def test_members_nothing_uses_stay_in_the_class() -> None:
    """The client sends the target's class cut down to its fields, constructor and target: an
    answer repeating the class's other methods (or adding ones nothing calls) adds nothing the
    client must copy; lifting them would leave dead code in the user's file."""
    answer = (
        "```javascript\nexport class Ledger {\n  static UNUSED = 1;\n\n"
        "  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
        "  add(row) {\n    this.rows.push(row);\n    return this;\n  }\n\n"
        "  total(cat) {\n    let t = 0;\n    for (const r of this.rows) if (r.c === cat) t += r.v;\n"
        "    return t;\n  }\n}\n```"
    )
    code = optimized(LEDGER_JS, answer, "Ledger.total")
    assert code.startswith("export class Ledger {\n  static UNUSED = 1;\n"), code
    assert "  add(row) {\n" in code and "Ledger_add" not in code and "Ledger_UNUSED" not in code, code


def test_fields_the_original_has_are_left_alone() -> None:
    original = CodeFile(
        "src/ledger.js",
        "export class Ledger {\n  static EMPTY = 0;\n  cache = new Map();\n\n"
        "  total(xs) {\n    return xs.reduce((a, b) => a + b, Ledger.EMPTY);\n  }\n}\n",
    )
    answer = (
        "```javascript\nexport class Ledger {\n  static EMPTY = 0;\n  cache = new Map();\n\n"
        "  total(xs) {\n    let t = Ledger.EMPTY;\n    for (const x of xs) t += x;\n    this.cache.set(1, t);\n"
        "    return t;\n  }\n}\n```"
    )
    code = optimized(original, answer, "Ledger.total")
    assert code.startswith("export class Ledger {\n  static EMPTY = 0;\n  cache = new Map();\n"), code
    assert "let t = Ledger.EMPTY;" in code and "??=" not in code


def test_a_helper_method_used_other_than_by_a_call_stays() -> None:
    answer = (
        "```javascript\nexport class Ledger {\n  _pick(r) {\n    return r.v;\n  }\n\n"
        "  total(cat) {\n    return this.rows.filter((r) => r.c === cat).map(this._pick).reduce((a, b) => a + b, 0);\n"
        "  }\n}\n```"
    )
    code = optimized(LEDGER_JS, answer, "Ledger.total")
    assert "  _pick(r) {" in code and "map(this._pick)" in code, code


# --------------------------------------------------------------------------- Vitest's imports
def request_for(
    answer: str,
    source: CodeFile,
    qualified_name: str,
    *,
    module_path: str,
    language: str = "javascript",
    module_system: str | None = "esm",
) -> TestsRequest:
    return TestsRequest(
        language=language,
        language_version="20.11.1",
        answer=Answer(answer, finish_reason="stop"),
        source_code=(source,),
        target=Target.parse(qualified_name, path=source.path),
        module_path=module_path,
        test_module_path="tests/test_generated",
        test_framework="vitest",
        test_timeout=15,
        module_system=module_system,
    )


def cleaned(request: TestsRequest) -> str:
    result = plugin.postprocess_tests(request)
    assert isinstance(result, GeneratedTests)
    return result.generated


# --------------------------------------------------------------------------- Vitest's imports
WORDS = CodeFile(
    "src/words.js",
    "function uniqueWords(words) {\n  return [...new Set(words)];\n}\n\nmodule.exports = { uniqueWords };\n",
)
JEST_STYLE = """```javascript
const { uniqueWords } = require('../src/words');

describe('uniqueWords', () => {
  test.each([
    [[], []],
    [['a', 'a'], ['a']],
  ])('uniqueWords(%j)', (input, expected) => {
    expect(uniqueWords(input)).toEqual(expected);
  });

  it('keeps the order', () => {
    expect(uniqueWords(['b', 'a'])).toEqual(['b', 'a']);
  });
});
```"""


WORDS_ESM = CodeFile("src/words.js", "export function uniqueWords(words) {\n  return [...new Set(words)];\n}\n")
JEST_STYLE_ESM = JEST_STYLE.replace(
    "const { uniqueWords } = require('../src/words');", "import { uniqueWords } from '../src/words.js';"
)


def esm_request(answer: str) -> TestsRequest:
    return request_for(answer, WORDS_ESM, "uniqueWords", module_path="../src/words.js")


def test_a_jest_style_test_gets_the_vitest_api_it_uses_imported() -> None:
    """`test.each` without a plain `test(`: the client's own import (names found by `name(`)
    would leave `test` out, and the file fails with `test is not defined`."""
    text = cleaned(esm_request(JEST_STYLE_ESM))
    assert text.startswith("import { describe, test, it, expect } from 'vitest';\n"), text
    assert "import { uniqueWords } from '../src/words.js';" in text


def test_an_incomplete_import_from_vitest_is_completed() -> None:
    answer = JEST_STYLE_ESM.replace("```javascript\n", "```javascript\nimport { describe, expect } from 'vitest';\n")
    text = cleaned(esm_request(answer))
    assert "import { describe, expect, test, it } from 'vitest';" in text, text
    assert text.count("from 'vitest'") == 1


def test_a_complete_or_namespace_import_from_vitest_is_left_alone() -> None:
    complete = "import { describe, it, test, expect } from 'vitest';\n"
    namespace = "import * as vt from 'vitest';\n"
    for head in (complete, namespace):
        answer = JEST_STYLE_ESM.replace("```javascript\n", f"```javascript\n{head}")
        text = cleaned(esm_request(answer))
        assert text.count("from 'vitest'") == 1 and head in text, text


def test_vitest_is_imported_in_a_form_the_client_keeps_in_a_commonjs_project() -> None:
    """In a CommonJS project the client turns `import { ... } from 'vitest'` into a `require`,
    which Vitest refuses: the engine imports the namespace (left alone) and destructures it."""
    heads = ("", "import { describe, it, expect } from 'vitest';\n", "const { describe, it } = require('vitest');\n")
    for head in heads:
        answer = JEST_STYLE.replace("```javascript\n", f"```javascript\n{head}")
        request = request_for(answer, WORDS, "uniqueWords", module_path="../src/words", module_system="commonjs")
        text = cleaned(request)
        assert text.startswith("import * as vitest from 'vitest';\nconst { "), text
        assert text.count("'vitest'") == 1 and "require('vitest')" not in text, text
        header = text.splitlines()[1]
        assert all(name in header for name in ("describe", "test", "it", "expect")), header
        assert "const { uniqueWords } = require('../src/words');" in text


# --------------------------------------------------------------------------- method calls on unnamed objects
LEDGER = CodeFile(
    "src/ledger.ts",
    "export class Ledger {\n  constructor(private rows: number[] = []) {}\n"
    "  total(min?: number): number {\n    return this.rows.reduce((a, b) => a + b, 0);\n  }\n}\n",
)
LEDGER_TESTS = """```typescript
import { describe, it, expect } from 'vitest';
import { Ledger } from '../src/ledger';

const make = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('Ledger.total', () => {
  it('is zero when empty', () => {
    expect(new Ledger().total()).toBe(0);
  });

  it('sums many rows', () => {
    const sum = new Ledger(make(4000)).total(2);
    const ledger = new Ledger([1, 2]);
    const again = ledger.total();
    expect(sum).toBe(7998000);
    expect(again).toBe(3);
  });

  it('awaits', async () => {
    const value = await Promise.resolve(new Ledger([1]).total());
    expect(value).toBe(1);
  });
});
```"""


def test_a_method_called_on_an_unnamed_object_is_called_on_a_name() -> None:
    """The client's instrumentation turns `new Ledger(rows).total()` into
    `new Ledger(rows).codeflash.capture(...)`: the call is made on a named parameter instead."""
    text = cleaned(
        request_for(
            LEDGER_TESTS,
            LEDGER,
            "Ledger.total",
            module_path="../src/ledger",
            language="typescript",
        )
    )
    assert "const sum = ((receiver) => receiver.total(2))(new Ledger(make(4000)));" in text, text
    assert "Promise.resolve(((receiver) => receiver.total())(new Ledger([1])))" in text, text
    assert "const again = ledger.total();" in text  # a named object: as it was
    assert "expect(new Ledger().total()).toBe(0);" in text  # inside expect: the client skips it


# --------------------------------------------------------------------------- calls the client does not see
DEDUPE = CodeFile("src/dedupe.ts", "export default function dedupeBy<T>(xs: T[]): T[] {\n  return xs;\n}\n")
HOIST_TESTS = """```ts
import { describe, it, expect } from 'vitest';
import dedupeBy from '../src/dedupe';

describe('dedupeBy', () => {
  it('dedupes', async () => {
    expect(dedupeBy([1, 1]).length).toBe(1);
    expect(await dedupeBy([2])).toEqual([2]);
    expect(Object.keys(dedupeBy([3]))).toEqual(['0']);
    expect(dedupeBy([4])).toEqual([4]);
    expect(() => dedupeBy([5])).not.toThrow();
    expect(ready && dedupeBy([6]).length).toBe(1);
  });
});
```"""


def test_a_call_inside_expect_but_not_its_whole_argument_is_moved_before_it() -> None:
    """The client captures (times) a call in `expect` only when it is the whole argument:
    `expect(f(big).length)` runs uncaptured, and the speedup on the big input goes unseen."""
    request = request_for(HOIST_TESTS, DEDUPE, "dedupeBy", module_path="../src/dedupe", language="typescript")
    text = cleaned(request)
    assert "    const result1 = dedupeBy([1, 1]);\n    expect(result1.length).toBe(1);\n" in text, text
    assert "    const result2 = await dedupeBy([2]);\n    expect(result2).toEqual([2]);\n" in text, text
    assert "    const result3 = dedupeBy([3]);\n    expect(Object.keys(result3)).toEqual(['0']);\n" in text, text
    assert "    expect(dedupeBy([4])).toEqual([4]);\n" in text  # the whole argument: the client sees it
    assert "expect(() => dedupeBy([5])).not.toThrow();" in text  # in a function: when it runs matters
    assert "expect(ready && dedupeBy([6]).length).toBe(1);" in text  # behind &&: it may not run


@pytest.mark.parametrize(
    "body",
    ["this.#seen = new Set([r.c]); return r.v;", "return super.pick(r);"],
    ids=["private-field", "super"],
)
def test_a_helper_method_that_needs_its_class_stays(body: str) -> None:
    """Outside its class, ``this.#seen`` or ``super`` would not parse: the method stays (a private
    field only read goes to a WeakMap first, see test_jsts_client_forms_mutants.py)."""
    answer = (
        "```javascript\nexport class Ledger {\n  #seen = new Set();\n\n"
        f"  _pick(r) {{\n    {body}\n  }}\n\n"
        "  total(cat) {\n    return this.rows.filter((r) => r.c === cat).reduce((a, r) => a + this._pick(r), 0);\n"
        "  }\n}\n```"
    )
    code = optimized(LEDGER_JS, answer, "Ledger.total")
    assert "  _pick(r) {" in code and "this._pick(r)" in code and "Ledger__pick" not in code, code
