"""The forms the engine gives a JS/TS candidate's additions so the client (0.20.6) keeps them:
which new fields and methods of the target's class are moved out or set by the target, which are
left alone, and how new imports and requires are reduced (written against the survivors of
``scripts/mutation.py js_ts.client_forms``)."""

from __future__ import annotations

import pytest
from jsts_cases import candidates_request

from codeflash_engine import CodeFile, Task
from codeflash_engine_js_ts.candidates import postprocess

LEDGER = CodeFile(
    "src/ledger.js",
    "export class Ledger {\n  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
    "  total(cat) {\n    return this.rows.filter((r) => r.c === cat).reduce((a, r) => a + r.v, 0);\n  }\n}\n",
)


def optimized(answer: str, original: CodeFile = LEDGER, target: str = "Ledger.total") -> str:
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="javascript",
        language_version=None,
        original=(original,),
        answers=(f"```javascript\n{answer}```",),
        target=target,
    )
    [candidate] = postprocess(request)
    return candidate.files[0].code


def ledger(members: str, body: str) -> str:
    """The ledger class with ``members`` added before its constructor and ``body`` as the target's."""
    return (
        f"export class Ledger {{\n{members}\n  constructor(rows) {{\n    this.rows = rows;\n  }}\n\n"
        f"  total(cat) {{\n{body}  }}\n}}\n"
    )


def test_each_new_field_is_judged_on_its_own() -> None:
    """A field with no value and an unread static come first: the fields after them are still
    handled. A static written without `;` goes alone, not with the field on the next line."""
    members = (
        "  count;\n  static UNREAD = 1;\n  static LIMIT = 2\n  label = 'x';\n  seeded = new Map([[1, 2]]);\n"
        "  pairs = [1, 2];\n  lazy = new Set;\n"
    )
    body = (
        "      let t;\n    t = Ledger.LIMIT;\n"
        "    return [t, this.count, this.label, this.seeded, this.pairs, this.lazy, cat];\n"
    )
    code = optimized(ledger(members, body))
    assert code.startswith("const Ledger_LIMIT = 2;\n\nexport class Ledger {\n  count;\n  static UNREAD = 1;\n"), code
    assert "  static UNREAD = 1;\n  label = 'x';\n" in code, code  # only the static line went
    assert "  total(cat) {\n      this.label ??= 'x';\n      this.lazy ??= new Set;\n      let t;\n" in code, code
    assert "t = Ledger_LIMIT;" in code
    assert "this.seeded ??=" not in code and "this.pairs ??=" not in code and "this.count ??=" not in code


@pytest.mark.parametrize(
    "use",
    [
        "({ LIMIT: 3 }).LIMIT",
        "cat.LIMIT",
        "(Ledger.LIMIT = 3)",
        "Ledger.LIMIT++",
        "(Ledger.LIMIT += 1)",
        "(({ LIMIT: l }) => l)(Ledger)",  # the class as a value: its statics read anywhere
        "(() => { const Ledger = { LIMIT: 3 }; return Ledger.LIMIT; })()",  # the name shadowed
        "(() => { function Ledger() {} return Ledger.LIMIT; })()",
    ],
)
def test_a_static_field_used_other_than_read_as_class_name_stays(use: str) -> None:
    code = optimized(ledger("  static LIMIT = 2;\n", f"    return Ledger.LIMIT + {use};\n"))
    assert "Ledger_LIMIT" not in code and "  static LIMIT = 2;\n" in code, code


def test_a_static_field_read_where_a_value_is_assigned_is_moved_out() -> None:
    """Also when the class is constructed, and a key or a method has the field's name."""
    body = "    let t;\n    t = Ledger.LIMIT;\n    return [t, new Ledger([]), { LIMIT: 3 }, this.rows.LIMIT2];\n"
    code = optimized(ledger("  static LIMIT = 2;\n", body))
    assert code.startswith("const Ledger_LIMIT = 2;\n") and "t = Ledger_LIMIT;" in code, code
    assert "new Ledger([]), { LIMIT: 3 }" in code


HELPER = "  _sum(rows) {\n    return rows.reduce((a, r) => a + r.v, 0);\n  }\n"


@pytest.mark.parametrize(
    "before",
    [
        "  get size() {\n    return this.rows.length;\n  }\n",  # a getter, used: stays
        "  static make(rows) {\n    return new Ledger(rows);\n  }\n",  # nothing calls it: stays
    ],
)
def test_a_method_left_alone_does_not_stop_the_next_from_moving(before: str) -> None:
    body = "    const n = this.size;\n    return n && this._sum(this.rows.filter((r) => r.c === cat));\n"
    code = optimized(ledger(before + HELPER, body))
    assert code.startswith("const Ledger__sum = function (rows) {"), code
    assert "Ledger__sum.call(this, this.rows.filter((r) => r.c === cat))" in code, code
    assert before in code


def test_a_new_constructor_stays_and_the_helper_after_it_moves() -> None:
    original = CodeFile("src/ledger.js", "export class Ledger {\n  total(rows) {\n    return rows.length;\n  }\n}\n")
    answer = (
        "export class Ledger {\n  constructor() {\n    this.k = 1;\n  }\n\n" + HELPER + "\n"
        "  total(rows) {\n    return this._sum(rows);\n  }\n}\n"
    )
    code = optimized(answer, original)
    assert code.startswith("const Ledger__sum = function (rows) {"), code
    assert "  constructor() {\n    this.k = 1;\n  }\n" in code and "return Ledger__sum.call(this, rows);" in code


def test_a_call_on_another_object_is_not_taken_for_the_helper() -> None:
    body = "    return cat._sum(1) + this._sum(this.rows);\n"
    code = optimized(ledger(HELPER, body))
    assert "return cat._sum(1) + Ledger__sum.call(this, this.rows);" in code, code


@pytest.mark.parametrize(
    "body",
    [
        "    return this._sum(this._sum(this.rows));\n",  # nested calls
        "    return this._sum`rows`;\n",  # a tagged template
        "    const f = this._sum;\n    return f(this.rows);\n",  # not a call
        "    return new this._sum(this.rows);\n",  # constructed
    ],
)
def test_a_helper_used_in_a_way_a_const_cannot_serve_stays(body: str) -> None:
    code = optimized(ledger(HELPER, body))
    assert "Ledger__sum" not in code and HELPER in code, code


WORDS = CodeFile(
    "src/words.js",
    "const { normalizeWord } = require('./text');\n\n"
    "function uniqueWords(words) {\n  return words.map(normalizeWord);\n}\n\nmodule.exports = { uniqueWords };\n",
)


def test_an_import_before_a_require_does_not_stop_its_reduction() -> None:
    answer = (
        "import { clean } from './clean';\nconst { normalizeWord, foldWord } = require('./text');\n\n"
        "function uniqueWords(words) {\n  return [...new Set(words.map(foldWord).map(clean))];\n}\n"
    )
    code = optimized(answer, WORDS, "uniqueWords")
    assert code.startswith("const { clean } = require('./clean');\nconst { foldWord } = require('./text');\n"), code
