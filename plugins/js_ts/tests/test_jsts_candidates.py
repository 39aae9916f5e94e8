"""Candidate postprocessing on realistic raw answers: ESM and CommonJS JavaScript, TypeScript, TSX."""

from __future__ import annotations

import attrs
import pytest
from jsts_cases import candidates_request, case_names, load_request, report
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import CodeFile, Target, Task
from codeflash_engine_js_ts import plugin
from codeflash_engine_js_ts.candidates import postprocess, target_of, triage


@pytest.mark.parametrize("name", case_names())
def test_case_report(name: str, snapshot: SnapshotAssertion) -> None:
    request = load_request(name)
    assert report(request, triage(request)) == snapshot


@pytest.mark.parametrize("name", case_names())
def test_every_candidate_validates(name: str) -> None:
    request = load_request(name)
    for candidate in postprocess(request):
        for file in candidate.files:
            assert plugin.validate(request.language, file.code, None) == []


def test_expected_fates() -> None:
    fates = {name: [o.reason.split(":")[0] for o in triage(load_request(name))] for name in case_names()}
    assert fates == {
        "commonjs_js": ["kept", "kept", "rejected", "kept"],
        "esm_js": ["kept", "duplicate of answer #1", "identical to the original once normalised"] + ["rejected"] * 3,
        "tsx": ["kept", "duplicate of answer #1", "rejected", "kept"],
        "typescript_generics": ["kept", "kept", "kept", "rejected"],
    }


def test_cut_off_answer_is_not_a_candidate() -> None:
    request = load_request("esm_js")
    cut = tuple(attrs.evolve(a, finish_reason="length") for a in request.answers)
    fates = [o.reason for o in triage(attrs.evolve(request, answers=cut))]
    assert all(f.startswith("rejected: cut off by the token limit") for f in fates)


def test_target_inferred_when_not_given() -> None:
    original = CodeFile("a.js", "class A {\n  constructor() { this.x = 1; }\n  run(n) { return n + this.x; }\n}\n")
    answer = "Faster.\n```javascript:a.js\nclass A {\n  run(n) { return this.x + n; }\n}\n```"
    request = candidates_request(
        task=Task.OPTIMIZE, language="javascript", language_version=None, original=(original,), answers=(answer,)
    )
    [candidate] = postprocess(request)
    assert "this.x + n" in candidate.files[0].code


def test_answer_without_code_is_rejected() -> None:
    original = CodeFile("a.js", "export function f(x) { return x * 2; }\n")
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="javascript",
        language_version=None,
        original=(original,),
        answers=("I could not find anything to speed up.",),
        target="f",
    )
    [outcome] = triage(request)
    assert outcome.reason == "rejected: no code block for any file of the request"


def test_arrow_body_becomes_a_block_for_a_function_declaration() -> None:
    original = CodeFile("a.ts", "export function double(xs: number[]): number[] {\n  return xs.map((x) => x * 2);\n}\n")
    answer = "Loop.\n```ts\nconst double = (xs: number[]) => Array.from(xs, (x) => x * 2);\n```"
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="typescript",
        language_version=None,
        original=(original,),
        answers=(answer,),
        target="double",
    )
    [candidate] = postprocess(request)
    assert candidate.files[0].code == (
        "export function double(xs: number[]): number[] {\n  return Array.from(xs, (x) => x * 2);\n}\n"
    )


def test_search_replace_answer_is_applied_to_the_original() -> None:
    original = CodeFile(
        "src/sum.js", "export function total(xs) {\n  return xs.reduce((acc, x) => acc.concat([x]), []).length;\n}\n"
    )
    answer = (
        "Counting directly avoids building a copy.\n\n"
        "src/sum.js\n<<<<<<< SEARCH\n  return xs.reduce((acc, x) => acc.concat([x]), []).length;\n"
        "=======\n  return xs.length;\n>>>>>>> REPLACE\n"
    )
    request = candidates_request(
        task=Task.REPAIR,
        language="javascript",
        language_version=None,
        original=(original,),
        answers=(answer, answer.replace("SEARCH\n  return xs.reduce", "SEARCH\n  return ys.reduce")),
        target="total",
    )
    outcomes = triage(request)
    assert outcomes[0].candidate is not None
    assert outcomes[0].candidate.files[0].code == "export function total(xs) {\n  return xs.length;\n}\n"
    assert outcomes[0].candidate.explanation == "Counting directly avoids building a copy."
    assert outcomes[1].reason.startswith("rejected: the edit does not apply")


def test_commonjs_exports_assignment_is_a_definition() -> None:
    original = CodeFile(
        "lib/a.js",
        "const { clamp } = require('./m');\n\n"
        "exports.scale = function (xs, k) {\n  return xs.map((x) => clamp(x * k));\n};\n",
    )
    answer = (
        "Loop.\n```javascript:lib/a.js\nexports.scale = function (values, k) {\n"
        "  const out = new Array(values.length);\n"
        "  for (let i = 0; i < values.length; i++) out[i] = clamp(values[i] * k);\n  return out;\n};\n```"
    )
    renamed = answer.replace("exports.scale", "exports.scaleFast")
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="javascript",
        language_version=None,
        original=(original,),
        answers=(answer, renamed),
        target="scale",
    )
    first, second = triage(request)
    assert first.candidate is not None
    assert first.candidate.files[0].code.startswith(
        "const { clamp } = require('./m');\n\nexports.scale = function (values, k)"
    )
    assert second.reason == "rejected: the answer does not define scale"


def test_target_of_an_unknown_shape_is_not_enforced() -> None:
    original = CodeFile(
        "lib/a.js", "module.exports = {\n  twice(x) {\n    return [x, x].reduce((a, b) => a + b);\n  },\n};\n"
    )
    answer = "Add.\n```javascript:lib/a.js\nmodule.exports = {\n  twice(x) {\n    return x + x;\n  },\n};\n```"
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="javascript",
        language_version=None,
        original=(original,),
        answers=(answer,),
        target="twice",
    )
    [candidate] = postprocess(request)
    assert "return x + x;" in candidate.files[0].code


def test_inferred_target_is_enforced_when_the_file_starts_with_it() -> None:
    request = load_request("esm_js")
    inferred = attrs.evolve(request, target=None)
    assert [o.reason for o in triage(inferred)] == [o.reason for o in triage(request)]


def test_inferred_target_is_not_trusted_after_other_code() -> None:
    original = CodeFile("a.js", "const LIMIT = 3;\n\nfunction helper(x) {\n  return x;\n}\n")
    answer = "Renamed.\n```javascript:a.js\nfunction helperFast(x) {\n  return x;\n}\n```"
    request = candidates_request(
        task=Task.OPTIMIZE, language="javascript", language_version=None, original=(original,), answers=(answer,)
    )
    assert [o.reason for o in triage(request)] == ["kept"]


STATS = (
    "export class Stats {\n  mean(xs) {\n    return xs.reduce((a, b) => a + b, 0) / xs.length;\n  }\n\n"
    "  max(xs) {\n    return Math.max(...xs);\n  }\n}\n"
)
STRICT = (
    '"use strict";\n\nfunction total(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}\n\n'
    "function count(xs) {\n  return xs.length;\n}\n"
)
SCALE = (
    "exports.scale = function (xs, k) {\n  return xs.map((x) => x * k);\n};\n\n"
    "exports.shift = function (xs, d) {\n  return xs.map((x) => x + d);\n};\n"
)
DERIVED = (
    'import { Base } from "./base";\nimport { clamp } from "./clamp";\n\nexport class Stats extends Base {\n'
    "  constructor() {\n    super();\n    this.limit = 10;\n  }\n\n  mean(xs) {\n"
    "    return clamp(xs.reduce((a, b) => a + b, 0) / xs.length, this.limit);\n  }\n}\n"
)


def _fates(path: str, original: str, answer: str, target: str | None, *more: CodeFile) -> list[str]:
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="javascript",
        language_version=None,
        original=(CodeFile(path, original), *more),
        answers=(answer,),
        target=target,
    )
    return [o.reason for o in triage(request)]


def _kept(path: str, original: str, answer: str, target: str | None) -> str:
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="javascript",
        language_version=None,
        original=(CodeFile(path, original),),
        answers=(answer,),
        target=target,
    )
    [outcome] = triage(request)
    assert outcome.candidate is not None, outcome.reason
    return outcome.candidate.files[0].code


def test_inferred_target_is_the_first_method_of_a_class_that_comes_first() -> None:
    renamed = (
        "Loop.\n```javascript:src/stats.js\nexport class Stats {\n  meanFast(xs) {\n    let s = 0;\n"
        "    for (const x of xs) s += x;\n    return s / xs.length;\n  }\n\n  max(xs) {\n    return Math.max(...xs);\n"
        "  }\n}\n```"
    )
    assert _fates("src/stats.js", STATS, renamed, None) == ["rejected: the answer does not define Stats.mean"]


@pytest.mark.parametrize("directive", ['"use strict";', "'use strict' /* sloppy code breaks */;"])
def test_inferred_target_comes_after_the_directive_prologue(directive: str) -> None:
    renamed = (
        "Loop.\n```javascript:lib/total.js\nfunction totalFast(xs) {\n  let s = 0;\n  for (const x of xs) s += x;\n"
        "  return s;\n}\n```"
    )
    original = STRICT.replace('"use strict";', directive)
    assert _fates("lib/total.js", original, renamed, None) == ["rejected: the answer does not define total"]


def test_inferred_target_of_a_commonjs_module_is_its_first_export() -> None:
    renamed = (
        "Loop.\n```javascript:lib/a.js\nexports.scaleFast = function (xs, k) {\n  const out = new Array(xs.length);\n"
        "  for (let i = 0; i < xs.length; i++) out[i] = xs[i] * k;\n  return out;\n};\n```"
    )
    assert _fates("lib/a.js", SCALE, renamed, None) == ["rejected: the answer does not define scale"]


def test_the_target_is_looked_for_in_the_first_file_only() -> None:
    renamed = "Loop.\n```javascript:lib/total.js\nfunction totalFast(xs) {\n  return xs.length;\n}\n```"
    for target in ("total", None):
        fates = _fates("lib/total.js", STRICT, renamed, target, CodeFile("lib/a.js", SCALE))
        assert fates == ["rejected: the answer does not define total"], target
    files = [CodeFile("lib/total.js", STRICT), CodeFile("lib/a.js", SCALE)]
    assert target_of("javascript", files) == Target("total", "total", None, "lib/total.js")


def test_bare_method_goes_back_into_its_class_header_after_the_answer_imports() -> None:
    answer = (
        'Loop.\n```javascript:src/stats.js\nimport { clamp } from "./clamp";\nimport { sum } from "./sum";\n\n'
        "mean(xs) {\n  return clamp(sum(xs) / xs.length, this.limit);\n}\n```"
    )
    assert _kept("src/stats.js", DERIVED, answer, "Stats.mean") == (
        'import { clamp } from "./clamp";\nconst { sum } = await import("./sum");\nimport { Base } from "./base";\n\n'
        "export class Stats extends Base {\n  mean(xs) {\n    return clamp(sum(xs) / xs.length, this.limit);\n  }\n}\n"
    )


def test_a_bare_one_line_method_calling_require_goes_into_its_class() -> None:
    answer = 'Lazy.\n```javascript:src/stats.js\nmean(xs) { return require("./fast").mean(xs, this.limit); }\n```'
    assert _kept("src/stats.js", DERIVED, answer, "Stats.mean") == (
        'import { Base } from "./base";\n\nexport class Stats extends Base {\n'
        '  mean(xs) { return require("./fast").mean(xs, this.limit); }\n}\n'
    )


def test_an_answer_of_broken_imports_only_is_rejected_as_unparseable() -> None:
    answer = 'Broken.\n```javascript:src/stats.js\nimport { clamp from "./clamp";\n```'
    assert _fates("src/stats.js", DERIVED, answer, "Stats.mean") == [
        "rejected: src/stats.js: does not parse (line 1, column 1: unexpected 'import { clamp from \"./clamp\"')"
    ]


def test_a_bare_method_is_not_wrapped_when_the_target_is_not_a_method() -> None:
    # the target (inferred, not trusted) is a free function: nothing to put the method back into
    original = "const LIMIT = 3;\n\nfunction helper(x) {\n  return Math.min(x, LIMIT);\n}\n"
    answer = "Method.\n```javascript:a.js\nhelper(x) {\n  return x < LIMIT ? x : LIMIT;\n}\n```"
    assert _fates("a.js", original, answer, None) == [
        "rejected: a.js: does not parse (line 1, column 1: unexpected 'helper(x)')"
    ]


def test_an_arrow_function_keeps_its_semicolon() -> None:
    original = "export const double = (xs) => {\n  return xs.map((x) => x * 2);\n};\n"
    answer = (
        "Loop.\n```javascript:src/d.js\nexport const double = (xs) => {\n  const out = new Array(xs.length);\n"
        "  for (let i = 0; i < xs.length; i++) out[i] = xs[i] * 2;\n  return out;\n};\n```"
    )
    assert _kept("src/d.js", original, answer, "double").endswith("  return out;\n};\n")


def test_a_rejection_names_the_first_syntax_error() -> None:
    original = "export const double = (xs) => {\n  return xs.map((x) => x * 2);\n};\n"
    answer = (
        "Broken.\n```javascript:src/d.js\nexport const double = (xs) => {\n  return xs.map((x) => x * );\n};\n"
        "const y = ;\n```"
    )
    assert _fates("src/d.js", original, answer, "double") == [
        "rejected: src/d.js: does not parse (line 2, column 26: unexpected '*')"
    ]


def test_a_left_out_body_restored_from_a_broken_original_names_its_first_syntax_error() -> None:
    original = (
        "export function total(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}\n\n"
        "export function count(xs) {\n  return xs.length + ;\n  const y = ;\n}\n"
    )
    answer = (
        "Loop.\n```javascript:src/t.js\nexport function total(xs) {\n  let s = 0;\n  for (const x of xs) s += x;\n"
        "  return s;\n}\n\nexport function count(xs) {\n  // ... unchanged\n}\n```"
    )
    assert _fates("src/t.js", original, answer, "total") == [
        "rejected: src/t.js: does not parse after restoring signatures (line 8, column 21: missing 'identifier')"
    ]


STEPS = (
    "const STEPS = [1, 2, 4];\nlet seen = 0;\n\nexport function next(i, limit) {\n  seen += 1;\n"
    "  return Math.min(STEPS[i % STEPS.length], limit);\n}\n"
)


def _answers(original: str, *answers: str) -> list[str]:
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="javascript",
        language_version=None,
        original=(CodeFile("src/steps.js", original),),
        answers=tuple(f"Faster.\n```javascript:src/steps.js\n{code}```" for code in answers),
        target="next",
    )
    return [o.reason for o in triage(request)]


def test_a_trailing_comma_in_an_array_is_no_change() -> None:
    assert _answers(STEPS, STEPS.replace("[1, 2, 4]", "[1, 2, 4,]")) == ["identical to the original once normalised"]


def test_answers_calling_different_methods_are_different_candidates() -> None:
    call = "Math.min(STEPS[i % STEPS.length], limit)"
    smaller = STEPS.replace(call, "Math.min(limit, STEPS[i % 3])")
    larger = STEPS.replace(call, "Math.max(limit, STEPS[i % 3])")
    assert _answers(STEPS, smaller, larger) == ["kept", "kept"]


def test_answers_differing_by_one_comma_are_different_candidates() -> None:
    call = "Math.min(STEPS[i % STEPS.length], limit)"
    assert _answers(
        STEPS,
        STEPS.replace(call, "Math.min(STEPS[i % 3], -limit)"),
        STEPS.replace(call, "Math.min(STEPS[i % 3] -limit)"),
    ) == ["kept", "kept"]


def test_a_changed_value_without_semicolons_is_a_change() -> None:
    bare = STEPS.replace(";\n", "\n")
    assert _answers(bare, bare.replace("let seen = 0\n", "let seen = 1\n")) == ["kept"]


def test_a_changed_declaration_kind_is_a_change() -> None:
    assert _answers(STEPS, STEPS.replace("const STEPS", "let STEPS")) == ["kept"]


def test_a_class_header_written_without_its_space_is_the_same_header() -> None:
    original = (
        "export class Stats {\n  constructor() {\n    this.n = 0;\n  }\n\n  mean(xs) {\n"
        "    return xs.reduce((a, b) => a + b, 0) / xs.length;\n  }\n}\n"
    )
    faster = original.replace("xs.reduce((a, b) => a + b, 0)", "sum(xs)")
    tight = faster.replace("export class Stats {", "export class Stats{")
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="javascript",
        language_version=None,
        original=(CodeFile("src/stats.js", original),),
        answers=tuple(f"Sum.\n```javascript:src/stats.js\n{code}```" for code in (faster, tight)),
        target="Stats.mean",
    )
    assert [o.reason for o in triage(request)] == ["kept", "duplicate of answer #1"]


def test_answers_calling_different_imported_functions_are_different_candidates() -> None:
    original = 'import { ceil, floor } from "./round";\n\nexport function half(x) {\n  return floor(x / 2);\n}\n'
    request = candidates_request(
        task=Task.OPTIMIZE,
        language="javascript",
        language_version=None,
        original=(CodeFile("src/half.js", original),),
        answers=tuple(
            f"Multiply.\n```javascript:src/half.js\n{original.replace('floor(x / 2)', call)}```"
            for call in ("floor(x * 0.5)", "ceil(x * 0.5)")
        ),
        target="half",
    )
    assert [o.reason for o in triage(request)] == ["kept", "kept"]
