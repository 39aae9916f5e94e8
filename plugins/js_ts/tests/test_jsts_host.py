"""Through the engine's plugin host: this plugin answers for its languages, and only for them."""

from __future__ import annotations

from jsts_cases import load_request

from codeflash_engine import Answer, CandidatesRequest, CodeFile, PromptRequest, Target, Task
from codeflash_engine.plugins.manager import PluginHost


def loaded() -> PluginHost:
    host = PluginHost()
    host.load()
    return host


def test_languages_are_registered_with_their_aliases() -> None:
    host = loaded()
    assert host.language_owner["javascript"] == host.language_owner["typescript"] == "js_ts"
    assert host.languages["typescript"].fence_tags == ("typescript", "ts", "tsx")


def test_hooks_are_ours_for_javascript_and_typescript() -> None:
    host = loaded()
    request = load_request("tsx")
    candidates = host.call("postprocess_candidates", "typescript", request=request)
    assert [c.answer_index for c in candidates] == [0, 3]
    prompt = host.call("build_prompt", "javascript", request=PromptRequest(Task.OPTIMIZE, "javascript", "20.11.1"))
    assert "V8" in prompt.system
    code = "const x: number = ;"
    problems = host.call("validate", "typescript", language="typescript", code=code, language_version=None)
    assert problems


def test_other_tasks_fall_back_to_the_core_templates() -> None:
    host = loaded()
    request = PromptRequest(Task.RANK, "javascript", None, fields={"diffs": []})
    prompt = host.call("build_prompt", "javascript", request=request)
    assert prompt is not None and "V8" not in prompt.system


def test_a_python_request_is_not_ours() -> None:
    host = loaded()
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version="3.11",
        original=(CodeFile("a.py", "def f():\n    return 1\n"),),
        answers=(Answer("```python:a.py\ndef f():\n    return 2\n```"),),
        target=Target.parse("f"),
    )
    candidates = host.call("postprocess_candidates", "python", request=request)
    assert all(f.path == "a.py" for c in candidates for f in c.files)
