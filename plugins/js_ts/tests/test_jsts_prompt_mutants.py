"""What the JavaScript/TypeScript prompts are told beyond the request (``prompts.language_context``
and ``prompts.build_prompt``), and the plugin's hook wiring (``plugin``): the target a request names
is kept and a missing one inferred from the first file; the target path is the first file's, TSX
and JSX are seen in any path; the module system comes from the client, else from the code (the
first code field that holds some); the runtime names the Node.js version; the import line of the
code under test follows the module system and the export form, the subject being the target's
class, its name, else the ``class_name`` field; the hooks answer for both languages."""

from __future__ import annotations

from typing import Any

import pytest

from codeflash_engine import CodeFile, PromptRequest, Target, Task
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine_js_ts import plugin
from codeflash_engine_js_ts.prompts import build_prompt, import_line, language_context

TWO = "export function helper(a) { return a; }\nexport function main(xs) { return xs.map(helper); }\n"


def _context(
    original: tuple[CodeFile, ...] = (),
    target: str | None = None,
    language: str = "javascript",
    version: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    request = PromptRequest(
        Task.TESTGEN,
        language,
        version,
        original=original,
        target=Target.parse(target) if target else None,
        fields=fields,
    )
    return language_context(request)


def _task_line(user: str) -> str:
    return next(line for line in user.splitlines() if line.startswith("Optimize"))


# ------------------------------------------------------------------------------ the target


def test_a_named_target_is_kept_and_a_missing_one_is_inferred_from_the_code() -> None:
    original = (CodeFile("src/m.js", TWO),)
    named = build_prompt(PromptRequest(Task.OPTIMIZE, "javascript", original=original, target=Target.parse("main")))
    assert named is not None and _task_line(named.user).startswith("Optimize `main` in the following JavaScript")
    inferred = build_prompt(PromptRequest(Task.OPTIMIZE, "javascript", original=original))
    assert inferred is not None and _task_line(inferred.user).startswith("Optimize `helper` in the following")
    bare = build_prompt(PromptRequest(Task.OPTIMIZE, "javascript"))
    assert bare is not None and _task_line(bare.user).startswith("Optimize the following javascript code.")


def test_tasks_left_to_the_core_get_no_prompt_here() -> None:
    assert build_prompt(PromptRequest(Task.RANK, "typescript", original=(CodeFile("a.ts", TWO),))) is None


# ------------------------------------------------------------------------------ the context


def test_the_target_path_is_the_first_files_and_tsx_or_jsx_show_in_any_path() -> None:
    files = (
        CodeFile("src/a.ts", "export const a = 1;\n"),
        CodeFile(None, "x"),
        CodeFile("src/b.tsx", "const b = 2;\n"),
    )
    assert _context(files, function_to_optimize={"file_path": "src/c.jsx"}) == {
        "target_path": "src/a.ts",
        "is_tsx": True,
        "is_jsx": True,
        "module_system": "esm",
        "runtime": None,
    }
    plain = _context((CodeFile("src/a.js", "const a = 1;\n"),), function_to_optimize={"file_path": ""})
    assert plain == {
        "target_path": "src/a.js",
        "is_tsx": False,
        "is_jsx": False,
        "module_system": None,
        "runtime": None,
    }


def test_the_function_to_optimizes_path_counts_when_no_file_has_one() -> None:
    context = _context((CodeFile(None, "const a = 1;\n"),), function_to_optimize={"file_path": "lib/w.jsx"})
    assert (context["target_path"], context["is_jsx"], context["is_tsx"]) == ("lib/w.jsx", True, False)
    assert _context(function_to_optimize="lib/w.jsx")["target_path"] is None


def test_the_runtime_names_the_node_version() -> None:
    assert _context(version="20.11.1")["runtime"] == "Node.js 20.11.1"
    assert _context(version="")["runtime"] is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"module_system": "commonjs", "source_code": "export const a = 1;"}, "commonjs"),
        ({"source_code": "const a = require('a');\nmodule.exports = { a };"}, "commonjs"),
        ({"source_code": "", "original_source_code": "export const a = 1;"}, "esm"),
        # the first field that holds code decides, even when a later one says otherwise
        ({"function_source_code": "module.exports = 1;", "original_code": "export default 1;"}, "commonjs"),
        ({"original_code": "export default 1;"}, "esm"),
        ({"source_code_being_tested": "function f() {}"}, None),
        ({}, None),
    ],
)
def test_the_module_system_comes_from_the_client_else_the_first_code_field(
    fields: dict[str, Any], expected: str | None
) -> None:
    assert _context(**fields)["module_system"] == expected


def test_the_files_code_wins_over_the_fields_and_typescript_is_esm() -> None:
    files = (CodeFile("a.js", "const x = 1;\nmodule.exports = { x };\n"),)
    assert _context(files, source_code="export const a = 1;")["module_system"] == "commonjs"
    assert _context(language="typescript", source_code="module.exports = 1;")["module_system"] == "esm"


# ------------------------------------------------------------------------------ the import line


def test_the_import_line_names_the_targets_class_else_its_name_else_the_class_field() -> None:
    queue = (
        CodeFile("src/queue.js", "class Queue { pop() {} }\nfunction make() {}\nmodule.exports = { Queue, make };\n"),
    )
    assert _context(queue, "Queue.pop", module_path="../src/queue")["import_line"] == (
        "const { Queue } = require('../src/queue');"
    )
    assert _context(queue, "make", module_path="../src/queue")["import_line"] == (
        "const { make } = require('../src/queue');"
    )
    assert _context(class_name="Queue", module_path="../src/queue")["import_line"] == (
        "const { Queue } = require('../src/queue');"
    )
    assert "import_line" not in _context(queue, "make", module_path="")


def test_the_import_line_follows_the_module_system_and_export_form() -> None:
    default = (CodeFile("src/f.js", "export default function fetchAll(urls) { return urls; }\n"),)
    assert import_line("javascript", "fetchAll", "../src/f.js", default, "esm") == "import fetchAll from '../src/f.js';"
    assert import_line("javascript", "fetchAll", "../src/f", default, None) == "const fetchAll = require('../src/f');"
    named = (CodeFile("src/f.ts", "export function fetchAll(urls: string[]) { return urls; }\n"),)
    assert import_line("typescript", "fetchAll", "../src/f", named, None) == "import { fetchAll } from '../src/f';"
    assert import_line("javascript", "fetchAll", "../src/f", named, "commonjs") == (
        "const { fetchAll } = require('../src/f');"
    )


# ------------------------------------------------------------------------------ the hooks


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost()
    host.load()
    return host


def test_both_languages_and_their_aliases_are_registered(host: PluginHost) -> None:
    assert host.language_owner["javascript"] == host.language_owner["typescript"] == "js_ts"
    assert host.languages["javascript"] == plugin.JAVASCRIPT and host.languages["typescript"] == plugin.TYPESCRIPT


def test_validate_reads_each_language_with_its_grammar(host: PluginHost) -> None:
    def problems(language: str, code: str) -> Any:
        return host.call("validate", language, language=language, code=code, language_version=None)

    typed = "const a: number = 1;\n"
    assert problems("typescript", typed) == []
    assert problems("javascript", typed)
    assert problems("javascript", "const a = 1;\n") == []
