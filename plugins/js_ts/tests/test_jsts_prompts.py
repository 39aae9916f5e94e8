"""Prompts for JavaScript and TypeScript: every task renders, and realistic ones are snapshotted."""

from __future__ import annotations

from typing import Any

import pytest
from jsts_cases import CASES
from syrupy.assertion import SnapshotAssertion

from codeflash_engine import CodeFile, Prompt, PromptRequest, Target, Task
from codeflash_engine.testing.plugin_kit.reference import JS_TS
from codeflash_engine.testing.plugin_kit.requests import prompt_requests
from codeflash_engine.testing.plugin_kit.samples import LanguageSamples
from codeflash_engine.text.markdown import parse_markdown
from codeflash_engine_js_ts import plugin
from codeflash_engine_js_ts.prompts import SPECIALISED

STATS = (CASES / "esm_js" / "files" / "src" / "stats.js").read_text()
REPORT = (CASES / "commonjs_js" / "files" / "lib" / "report.js").read_text()
ITEMS = (CASES / "tsx" / "files" / "src" / "components" / "ItemList.tsx").read_text()


def md(tag: str, path: str, code: str) -> str:
    return f"```{tag}:{path}\n{code.strip()}\n```"


#: the body field that holds the read-writable code, as the engine looks for it
CODE_FIELDS = ("source_code_being_tested", "module_source_code", "function_source_code", "original_source_code")
#: tasks whose request names the target (the others' is inferred by the plugin)
NAMED = (Task.TESTGEN, Task.TESTGEN_REPAIR, Task.TESTGEN_REVIEW, Task.OPTIMIZE_LINE_PROFILER)


def render(task: Task, language: str, fields: dict[str, Any], version: str | None = "20.11.1") -> Prompt:
    """The prompt for hand-written ``fields``, with the original files and target the engine would give."""
    code = next((str(fields[k]) for k in (*CODE_FIELDS, "source_code") if fields.get(k)), "")
    named = fields.get("qualified_name") or fields.get("function_name")
    request = PromptRequest(
        task=task,
        language=language,
        language_version=version,
        fence_tag=language,
        original=tuple(CodeFile(b.path, b.code) for b in parse_markdown(code)),
        target=Target.parse(named) if named and task in NAMED else None,
        fields=fields,
    )
    prompt = plugin.build_prompt(request)
    assert prompt is not None
    return prompt


def shown(prompt: Prompt) -> str:
    cached = prompt.user[: prompt.cache_prefix_chars]
    rest = prompt.user[prompt.cache_prefix_chars :]
    return f"=== system\n{prompt.system}\n=== user (cached prefix)\n{cached}\n=== user (rest)\n{rest}"


REALISTIC = {
    "optimize_esm_javascript": (
        Task.OPTIMIZE,
        "javascript",
        {
            "source_code": md("javascript", "src/stats.js", STATS),
            "dependency_code": "",
            "function_name": "topWords",
            "is_async": False,
            "n_candidates": 5,
        },
    ),
    "optimize_line_profiler_tsx": (
        Task.OPTIMIZE_LINE_PROFILER,
        "typescript",
        {
            "source_code": md("typescript", "src/components/ItemList.tsx", ITEMS),
            "dependency_code": md("typescript", "src/format.ts", "export const formatPrice = (n: number) => `$${n}`;"),
            "function_name": "filterItems",
            "line_profiler_results": "| Hits | Time | Per Hit | % Time | Line Contents |\n|---|---|---|---|---|\n"
            "| 1 | 9.1e6 | 9.1e6 | 97.0 | return items.filter( |",
            "n_candidates": 6,
        },
    ),
    "testgen_commonjs_jest_method": (
        Task.TESTGEN,
        "javascript",
        {
            "source_code_being_tested": md("javascript", "lib/report.js", REPORT),
            "function_name": "ReportBuilder.totalsByRegion",
            "qualified_name": "ReportBuilder.totalsByRegion",
            "class_name": "ReportBuilder",
            "module_path": "../lib/report",
            "test_framework": "jest",
            "test_timeout": 15,
            "helper_function_names": ["lib.money.roundCents"],
            "module_system": "commonjs",
            "is_async": False,
        },
    ),
    "testgen_esm_mocha_async": (
        Task.TESTGEN,
        "javascript",
        {
            "source_code_being_tested": md(
                "javascript", "src/fetcher.js", "export default async function fetchAll(urls) {\n  return urls;\n}"
            ),
            "function_name": "fetchAll",
            "qualified_name": "fetchAll",
            "module_path": "../src/fetcher.js",
            "test_framework": "mocha",
            "test_timeout": 15,
            "module_system": "esm",
            "is_async": True,
        },
    ),
    "repair_typescript": (
        Task.REPAIR,
        "typescript",
        {
            "original_source_code": md("typescript", "src/components/ItemList.tsx", ITEMS),
            "modified_source_code": md("typescript", "src/components/ItemList.tsx", ITEMS.replace("every", "some")),
            "function_name": "filterItems",
            "test_diffs": [
                {
                    "scope": "return_value",
                    "original_pass": True,
                    "candidate_pass": False,
                    "original_value": "[]",
                    "candidate_value": "[{id: 'a'}]",
                    "test_src_code": "test('tags', () => { expect(filterItems(items, '', ['x', 'y'])).toEqual([]); });",
                    "candidate_pytest_error": None,
                    "original_pytest_error": None,
                }
            ],
        },
    ),
    "testgen_review_typescript": (
        Task.TESTGEN_REVIEW,
        "typescript",
        {
            "function_name": "topK",
            "function_source_code": "export function topK<T>(items: readonly T[], k: number): T[] { return []; }",
            "tests": [
                {
                    "test_source": "test('k=0', () => { expect(topK([1], 0)).toEqual([]); });",
                    "test_index": 0,
                    "failed_test_functions": ["k=0"],
                    "failure_messages": {"k=0": "TypeError: topK is not a function"},
                }
            ],
            "coverage_summary": "62.5%",
        },
    ),
    "review_javascript": (
        Task.REVIEW,
        "javascript",
        {
            "original_code": STATS,
            "optimized_code": STATS.replace("counts.find", "index.get"),
            "explanation": "Map lookups instead of a linear scan.",
            "speedup": "412.50%",
            "original_runtime": "4.05 milliseconds",
            "optimized_runtime": "790 microseconds",
            "coverage_message": "100.0%",
            "loop_count": 120,
        },
    ),
}


@pytest.mark.parametrize("name", sorted(REALISTIC))
def test_realistic_prompt(name: str, snapshot: SnapshotAssertion) -> None:
    task, language, context = REALISTIC[name]
    assert shown(render(task, language, context)) == snapshot


@pytest.mark.parametrize("language", ["javascript", "typescript"])
@pytest.mark.parametrize("task", sorted(SPECIALISED))
def test_every_task_renders_with_a_sparse_context(task: Task, language: str) -> None:
    prompt = render(task, language, {"function_name": "f"}, version=None)
    assert prompt.system and prompt.user
    assert "{{" not in prompt.system + prompt.user
    assert "<<<cache-break>>>" not in prompt.user


def test_answer_formats_the_core_parses_are_kept() -> None:
    assert "<explanation></explanation>" in render(Task.EXPLAIN, "javascript", {}).system
    assert "<review>high|medium|low</review>" in render(Task.REVIEW, "typescript", {}).system
    assert '{"reviews": [{"test_index": 0' in render(Task.TESTGEN_REVIEW, "javascript", {}).system


def test_code_answers_ask_for_the_language_tag_and_path() -> None:
    system = render(Task.OPTIMIZE, "typescript", {"source_code": md("typescript", "src/a.ts", "export const a = 1;")})
    assert "```typescript:src/a.ts" in system.system


def test_tasks_left_to_the_core() -> None:
    assert plugin.build_prompt(PromptRequest(Task.RANK, "javascript", None)) is None


@pytest.mark.parametrize("samples", JS_TS, ids=lambda s: s.language)
def test_optimize_prompt_from_a_real_request_names_the_target(
    samples: LanguageSamples, snapshot: SnapshotAssertion
) -> None:
    """/ai/optimize names no function: the prompt names the one the cleaner infers from the code."""
    request = prompt_requests(samples)[Task.OPTIMIZE]
    assert request.target is None
    prompt = plugin.build_prompt(request)
    assert prompt is not None
    assert f"`{samples.target}`" in prompt.user
    assert shown(prompt) == snapshot


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import { sum } from './sum.js';\nexport function f(a) { return sum(a); }", "ES modules"),
        ("export default function f(a) { return a; }", "ES modules"),
        ("const { sum } = require('./sum');\nfunction f(a) { return sum(a); }", "CommonJS"),
        ("function f(a) { return a; }\nmodule.exports = { f };", "CommonJS"),
        ("function f(a) { return a; }\nexports.f = f;", "CommonJS"),
        # words in comments and strings, or a require inside a function, say nothing
        ("// call require('x') or module.exports here\nfunction f(a) { return 'import x'; }", None),
        ("function f(a) { const x = require('x'); return x(a); }", None),
    ],
)
def test_the_module_system_is_read_from_the_code_when_the_client_sends_none(code: str, expected: str | None) -> None:
    """Without a ``module_system`` field, the prompt states the one the file's own statements show."""
    prompt = render(Task.OPTIMIZE, "javascript", {"source_code": md("javascript", "src/f.js", code)})
    stated = [s for s in ("ES modules", "CommonJS") if f"The project uses {s}" in prompt.system + prompt.user]
    assert stated == ([expected] if expected else [])
