"""JavaScript/TypeScript project shapes found through the published CLI (0.20.6), one test per
bug: what the engine must hand the client so that a realistic run succeeds."""

from __future__ import annotations

import pytest
from jsts_cases import candidates_request

from codeflash_engine import CodeFile, Task
from codeflash_engine_js_ts.candidates import postprocess


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


def test_a_helper_method_used_other_than_by_a_call_stays() -> None:
    answer = (
        "```javascript\nexport class Ledger {\n  _pick(r) {\n    return r.v;\n  }\n\n"
        "  total(cat) {\n    return this.rows.filter((r) => r.c === cat).map(this._pick).reduce((a, b) => a + b, 0);\n"
        "  }\n}\n```"
    )
    code = optimized(LEDGER_JS, answer, "Ledger.total")
    assert "  _pick(r) {" in code and "map(this._pick)" in code, code


@pytest.mark.parametrize(
    "body",
    ["return this.#seen.size + r.v;", "return super.pick(r);"],
    ids=["private-field", "super"],
)
def test_a_helper_method_that_needs_its_class_stays(body: str) -> None:
    """Outside its class, ``this.#seen`` or ``super`` would not parse: the method stays."""
    answer = (
        "```javascript\nexport class Ledger {\n  #seen = new Set();\n\n"
        f"  _pick(r) {{\n    {body}\n  }}\n\n"
        "  total(cat) {\n    return this.rows.filter((r) => r.c === cat).reduce((a, r) => a + this._pick(r), 0);\n"
        "  }\n}\n```"
    )
    code = optimized(LEDGER_JS, answer, "Ledger.total")
    assert "  _pick(r) {" in code and "this._pick(r)" in code and "Ledger__pick" not in code, code
