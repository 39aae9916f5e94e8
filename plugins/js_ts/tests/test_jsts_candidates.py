"""Candidate postprocessing on realistic raw answers: ESM and CommonJS JavaScript, TypeScript, TSX."""

from __future__ import annotations

import attrs
import pytest
from jsts_cases import candidates_request, case_names, load_request, report
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import CodeFile, Task
from codeflash_engine_js_ts import plugin
from codeflash_engine_js_ts.candidates import postprocess, triage


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
