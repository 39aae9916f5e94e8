"""Through the engine's plugin host: this plugin answers for Java, and only for it."""

from __future__ import annotations

from java_cases import load_request

from codeflash_engine import PromptRequest, Task
from codeflash_engine.plugins.manager import PluginHost


def loaded() -> PluginHost:
    host = PluginHost()
    host.load()
    return host


def test_java_is_registered() -> None:
    host = loaded()
    assert host.language_owner["java"] == "java"
    assert host.languages["java"].extensions == (".java",)


def test_hooks_are_ours_for_java() -> None:
    host = loaded()
    candidates = host.call("postprocess_candidates", "java", request=load_request("stats"))
    assert [c.answer_index for c in candidates] == [0, 1, 5]
    prompt = host.call("build_prompt", "java", request=PromptRequest(Task.OPTIMIZE, "java", "17"))
    assert "boxing" in prompt.system
    code = "class A { void f() { int x = ; } }"
    assert host.call("validate", "java", language="java", code=code, language_version="17")
