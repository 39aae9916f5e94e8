"""Through the engine's plugin host: this plugin answers for its languages, and only for them."""

from __future__ import annotations

from jsts_cases import load_request

from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.types import CandidatesRequest, CodeFile, PromptRequest, Task


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
    candidates = host.hook.postprocess_candidates(request=request)
    assert [c.answer_index for c in candidates] == [0, 3]
    prompt = host.hook.build_prompt(
        request=PromptRequest(Task.OPTIMIZE, "javascript", "20.11.1", {"function_name": "f", "source_code": ""})
    )
    assert "V8" in prompt.system
    problems = host.hook.validate(language="typescript", code="const x: number = ;", language_version=None)
    assert problems


def test_other_tasks_fall_back_to_the_core_templates() -> None:
    host = loaded()
    prompt = host.hook.build_prompt(request=PromptRequest(Task.RANK, "javascript", None, {"diffs": []}))
    assert prompt is not None and "V8" not in prompt.system


def test_a_python_request_is_not_ours() -> None:
    host = loaded()
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version="3.11",
        original=(CodeFile("a.py", "def f():\n    return 1\n"),),
        answers=("```python:a.py\ndef f():\n    return 2\n```",),
        target="f",
    )
    candidates = host.hook.postprocess_candidates(request=request)
    assert all(f.path == "a.py" for c in candidates for f in c.files)
