"""The candidate pipelines (pipelines/candidates.py, refine.py, repair.py, adaptive.py,
workflow.py): what their mutation runs found untested.

- candidates: a job of no calls asks nothing; the diverse arm gives each call of a fan-out its
  own prompt, the control arm n identical ones; a job is not asynchronous unless it says so;
- refine: two calls per item, each item's candidates with its own id as parent, a failing item
  costs only its own candidates, and only when every item failed is it an error;
- repair and adaptive: two calls, the first surviving candidate, its parent; the chain's attempts
  newest first (an edit applies to the last attempt with a code block);
- workflow: which project files the prompt shows, cut and capped, and the steps read from the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import endpoint_samples as s
import pytest

from codeflash_engine.http.state import ENGINE
from codeflash_engine.infra.llm.deadline import Deadline
from codeflash_engine.pipelines import adaptive, candidates, refine, repair, strategies, workflow
from codeflash_engine.pipelines.adaptive import ADAPTIVE_ATTEMPTS
from codeflash_engine.pipelines.candidates import CandidateJob, CandidateOut
from codeflash_engine.pipelines.common import Engine, files_of
from codeflash_engine.pipelines.refine import REFINEMENTS_PER_ITEM
from codeflash_engine.pipelines.repair import REPAIR_ATTEMPTS
from codeflash_engine.pipelines.workflow import MAX_FILE_CHARS, MAX_TOTAL_CHARS, relevant_files
from codeflash_engine.plugins.types import Prompt, Task
from codeflash_engine.testing.engine import EngineClient, call
from codeflash_engine.testing.fake_llm import STRATEGY_LINE, FakeLLM, Fault, echo
from codeflash_engine.text.cuts import marker


def _job(engine: Engine, n: int, **over: object) -> CandidateJob:
    values: dict[str, object] = {
        "task": Task.OPTIMIZE,
        "trace_id": s.TRACE,
        "language": engine.languages.resolve("python"),
        "language_version": "3.11.7",
        "original": files_of(s.SORTER_MD, "source_code"),
        "fields": {"source_code": s.SORTER_MD, "dependency_code": ""},
        "n": n,
        **over,
    }
    return CandidateJob(**values)  # type: ignore[arg-type]


# --- candidates ----------------------------------------------------------------------------------


async def test_a_job_of_no_calls_asks_nothing_and_one_call_asks_once(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    engine = engine_client.app[ENGINE]
    fake_llm.reply(s.FAST_ANSWER)
    assert await candidates.generate(engine, _job(engine, 0), engine.deadline()) == []
    assert await candidates.generate(engine, _job(engine, -2), engine.deadline()) == []
    assert fake_llm.requests == []
    [one] = await candidates.generate(engine, _job(engine, 1), engine.deadline())
    assert one.source_code == s.FAST_MD and one.parent_id is None and one.model == "gpt-4.1"
    assert len(fake_llm.requests) == 1


async def test_the_diverse_arm_gives_two_calls_two_prompts_and_the_control_arm_one(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """Two calls of the diverse arm: the first unconstrained, the second with a strategy line;
    the identical arm (and a job without an arm): the same prompt twice."""
    engine = engine_client.app[ENGINE]
    fake_llm.add(echo)
    found = await candidates.generate(engine, _job(engine, 2, arm=strategies.DIVERSE), engine.deadline())
    users = [r.user for r in fake_llm.requests]
    assert len(users) == 2 and len(set(users)) == 2 and len(found) == 2
    assert sum(STRATEGY_LINE.strip() in u for u in users) == 1
    for arm in (strategies.IDENTICAL, None):
        fake_llm.requests.clear()
        found = await candidates.generate(engine, _job(engine, 2, arm=arm), engine.deadline())
        users = [r.user for r in fake_llm.requests]
        assert len(users) == 2 and users[0] == users[1] and STRATEGY_LINE.strip() not in users[0]
        assert len(found) == 1  # the same prompt, the same echo: one candidate


async def test_a_job_is_not_asynchronous_unless_it_says_so(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    """A refinement's job says nothing of asynchrony: its prompt does not call the function a
    coroutine (the Python templates do for an asynchronous job)."""
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/refinement", [s.refinement_item()])
    assert status == 200, body
    assert fake_llm.requests and not any("coroutine" in r.user for r in fake_llm.requests)
    engine = engine_client.app[ENGINE]
    fake_llm.requests.clear()
    await candidates.generate(engine, _job(engine, 1, task=Task.REFINE, is_async=True), engine.deadline())
    assert "coroutine" in fake_llm.requests[0].user


# --- workflow ------------------------------------------------------------------------------------


def test_the_install_and_test_files_are_chosen_by_path_or_by_name() -> None:
    """A pattern with a folder matches the whole path, the others the file's name in any folder."""
    files = {
        ".github/workflows/ci.yml": "on: push",
        "docs/.github/workflows/x.yml": "nested",
        "sub/dir/requirements-dev.txt": "pytest",
        "pkg/pyproject.toml": "[project]",
        "pkg/sorter.py": "def f(): pass",
        "pyproject.toml.bak": "old",
    }
    assert relevant_files(files) == {
        ".github/workflows/ci.yml": "on: push",
        "pkg/pyproject.toml": "[project]",
        "sub/dir/requirements-dev.txt": "pytest",
    }


def test_a_file_is_cut_past_its_cap_and_the_files_stop_at_the_total() -> None:
    exact = "x" * MAX_FILE_CHARS
    assert relevant_files({"setup.py": exact}) == {"setup.py": exact}
    over = relevant_files({"setup.py": exact + "yz"})["setup.py"]
    assert over == exact + "\n" + marker(2)
    # five files of the cap fit the total exactly; the sixth (in path order) does not, nor any after it
    names = ["a/setup.py", "b/setup.py", "c/setup.py", "d/setup.py", "e/setup.py"]
    full = {name: "y" * MAX_FILE_CHARS for name in names}
    assert (MAX_FILE_CHARS, MAX_TOTAL_CHARS) == (12_000, 60_000)
    assert list(relevant_files(full)) == names
    assert list(relevant_files({**full, "f/setup.py": "z"})) == names
    # a file that does not fit ends the list, even when a smaller one after it would fit
    short = {**full, "e/setup.py": "y" * (MAX_FILE_CHARS - 5), "f/setup.py": "z" * 10, "g/go.mod": "m"}
    assert list(relevant_files(short)) == names


async def test_workflow_steps_are_the_yaml_block_or_the_whole_answer(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """The fenced YAML of the answer without the prose around it; an answer without a fence is
    the steps as they are (stripped); the prompt shows the chosen files only."""
    fake_llm.reply("Here are the steps:\n```yaml\n- run: pip install .\n```\nGood luck.", times=1)
    fake_llm.reply("  - run: pip install codeflash\n  ")
    status, body = await call(engine_client, "/ai/workflow-gen", s.workflow_gen())
    assert status == 200 and body == {"workflow_steps": "- run: pip install ."}, body
    prompt = fake_llm.requests[0].user
    assert "requirements.txt:" in prompt and "pyproject.toml:" in prompt and "pkg/sorter.py:" not in prompt
    status, body = await call(engine_client, "/ai/workflow-gen", s.workflow_gen())
    assert status == 200 and body == {"workflow_steps": "- run: pip install codeflash"}, body


@pytest.mark.parametrize(
    ("answer", "steps"),
    [
        ("Steps:\n```yml\n- run: pytest\n```\nDone.", "- run: pytest"),
        ("```python\nx = 1\n```\n```yaml\non: push\n```", "on: push"),
        ("Steps:\n```\n- name: Install\n  run: pip install .\n```\nDone.", "- name: Install\n  run: pip install ."),
        ("~~~yaml\n- run: pytest\n~~~", "- run: pytest"),
        ("```yaml\n- name: Test\n  run: pytest", "- name: Test\n  run: pytest"),
        ("```bash\npip install .\n```", "```bash\npip install .\n```"),
    ],
    ids=["yml-tag", "after-another-language", "untagged", "tildes", "cut-off", "no-yaml-block"],
)
async def test_workflow_steps_are_the_first_yaml_block_however_it_is_fenced(
    engine_client: EngineClient, fake_llm: FakeLLM, answer: str, steps: str
) -> None:
    """The body of the first YAML block (tagged, untagged, tildes, cut off), its indentation kept;
    a block of another language is not the steps, and without a YAML block the answer is."""
    fake_llm.reply(answer)
    status, body = await call(engine_client, "/ai/workflow-gen", s.workflow_gen())
    assert status == 200 and body == {"workflow_steps": steps}, body


async def test_workflow_steps_never_read_are_an_error(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply("   \n  ")
    status, body = await call(engine_client, "/ai/workflow-gen", s.workflow_gen())
    assert status == 502 and "no workflow steps" in body["error"], body
    assert len(fake_llm.requests) == 2
    fake_llm.reset()
    fake_llm.fail(Fault.bad_request("no"))
    status, body = await call(engine_client, "/ai/workflow-gen", s.workflow_gen())
    assert status == 502 and "every LLM call" in body["error"], body


# --- explain -------------------------------------------------------------------------------------


async def test_an_explanation_without_tags_is_the_whole_answer_stripped(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    fake_llm.reply("  **Faster**: one pass instead of two.\n")
    status, body = await call(engine_client, "/ai/explain", s.explain())
    assert status == 200 and body == {"explanation": "**Faster**: one pass instead of two."}, body
    assert len(fake_llm.requests) == 1


async def test_the_explanation_prompt_is_the_detected_language_s_or_the_core_s(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """The request names no language: Python code gets the Python plugin's prompt; code no plugin
    recognises gets the core prompt, for "code"."""
    fake_llm.reply("<explanation>ok</explanation>")
    status, _ = await call(engine_client, "/ai/explain", s.explain())
    assert status == 200
    assert "optimizations of Python code" in fake_llm.requests[-1].system
    plain = {"source_code": "SELECT a FROM t;", "optimized_code": "SELECT a FROM t LIMIT 1;"}
    status, _ = await call(engine_client, "/ai/explain", s.explain(**plain))
    assert status == 200
    assert "optimizations of code to" in fake_llm.requests[-1].system


# --- refine --------------------------------------------------------------------------------------


def _item(optimization_id: str, **over: object) -> dict[str, object]:
    return s.refinement_item(optimization_id=optimization_id, **over)


async def test_each_item_gets_two_calls_and_its_own_parent(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/refinement", [_item("r-1"), _item("r-2", language="")])
    assert status == 200, body
    assert len(fake_llm.requests) == 2 * REFINEMENTS_PER_ITEM == 4
    assert sorted(c["parent_id"] for c in body["refinements"]) == ["r-1", "r-2"]


async def test_a_failing_item_costs_only_its_own_refinements(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/refinement", [_item("r-1", language="cobol"), _item("r-2")])
    assert status == 200, body
    assert [c["parent_id"] for c in body["refinements"]] == ["r-2"]


async def test_when_every_item_fails_the_first_failure_is_the_answer(
    engine_client: EngineClient, fake_llm: FakeLLM
) -> None:
    """The first item's failure (an unsupported language: 422) is answered, not the second's (its
    every LLM call failed: 502), and never an empty success; no items: no refinements."""
    fake_llm.fail(Fault.bad_request("no"))
    status, body = await call(engine_client, "/ai/refinement", [_item("r-1", language="cobol"), _item("r-2")])
    assert status == 422 and "'cobol' is not supported" in body["error"], body
    status, body = await call(engine_client, "/ai/refinement", [_item("r-2"), _item("r-1", language="cobol")])
    assert status == 502 and "every LLM call" in body["error"], body
    status, body = await call(engine_client, "/ai/refinement", [])
    assert status == 200 and body == {"refinements": []}, body


class _Stop(BaseException):
    """Not an Exception: a cancellation or an interpreter exit, never swallowed."""


async def test_an_item_s_base_exception_is_raised_even_when_another_item_succeeded(
    engine_client: EngineClient, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_client.app[ENGINE]
    fake_llm.reply(s.FAST_ANSWER)
    real = candidates.generate

    async def generate(engine: Engine, job: CandidateJob, deadline: Deadline) -> list[CandidateOut]:
        if job.parent_id == "r-stop":
            raise _Stop
        return await real(engine, job, deadline)

    monkeypatch.setattr(candidates, "generate", generate)
    found = await refine.refine(engine, [_item("r-1"), _item("r-2")])
    assert sorted(c.parent_id or "" for c in found) == ["r-1", "r-2"]
    with pytest.raises(_Stop):
        await refine.refine(engine, [_item("r-1"), _item("r-stop")])


# --- repair and adaptive -------------------------------------------------------------------------


def _capture(monkeypatch: pytest.MonkeyPatch, found: list[CandidateOut]) -> list[CandidateJob]:
    """Replace the candidate generation by one that keeps each job and answers ``found``."""
    jobs: list[CandidateJob] = []

    async def generate(engine: Engine, job: CandidateJob, deadline: Deadline) -> list[CandidateOut]:
        jobs.append(job)
        return found

    monkeypatch.setattr(candidates, "generate", generate)
    return jobs


def _out(ident: str, parent: str | None) -> CandidateOut:
    return CandidateOut(
        source_code=s.FAST_MD, explanation=ident, optimization_id=ident, parent_id=parent, model="gpt-4.1"
    )


async def test_repair_asks_twice_from_the_failing_candidate_and_returns_the_first(
    engine_client: EngineClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_client.app[ENGINE]
    request = s.code_repair()
    jobs = _capture(monkeypatch, [_out("first", request["optimization_id"]), _out("second", "x")])
    got = await repair.repair(
        engine,
        trace_id=s.TRACE,
        language="python",
        language_version="3.11.7",
        optimization_id=request["optimization_id"],
        original_source_code=request["original_source_code"],
        modified_source_code=request["modified_source_code"],
        fields={"test_diffs": request["test_diffs"]},
    )
    assert got.optimization_id == "first"
    [job] = jobs
    assert (job.task, job.n, job.parent_id, job.is_async, job.arm) == (
        Task.REPAIR,
        2,
        request["optimization_id"],
        False,
        None,
    )
    assert [f.code for f in job.base] == ["def sort_list(xs):\n    return sorted(set(xs))"]
    assert [f.code for f in job.original] == [s.SORTER_CODE]


async def test_repair_with_two_answers_asks_two_calls(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/code_repair", s.code_repair())
    assert status == 200, body
    assert len(fake_llm.requests) == REPAIR_ATTEMPTS == 2


async def test_adaptive_builds_on_the_newest_attempt_with_code(
    engine_client: EngineClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last attempt with a code block is the base, the earlier ones follow newest first (an
    attempt without a block is skipped); the parent is the chain's last candidate."""
    engine = engine_client.app[ENGINE]
    jobs = _capture(monkeypatch, [_out("first", "a3"), _out("second", "a3")])
    chain = [
        {"optimization_id": "a1", "source_code": s.FAST_MD},
        {"optimization_id": "a2", "source_code": "```python:pkg/sorter.py\ndef sort_list(xs):\n    return xs\n```"},
        {"optimization_id": "a3", "source_code": "no code block at all"},
    ]
    got = await adaptive.adaptive(
        engine, trace_id=s.TRACE, original_source_code=s.SORTER_MD, chain=chain, fields={"candidates": chain}
    )
    assert got.optimization_id == "first"
    [job] = jobs
    assert (job.task, job.n, job.parent_id, job.language.name) == (Task.ADAPTIVE, 2, "a3", "python")
    assert [f.code for f in job.base] == ["def sort_list(xs):\n    return xs"]
    assert [[f.code for f in files] for files in job.earlier] == [[s.FAST_CODE]]
    jobs.clear()
    await adaptive.adaptive(engine, trace_id=s.TRACE, original_source_code=s.SORTER_MD, chain=[], fields={})
    [job] = jobs
    assert job.parent_id is None and job.base == () and job.earlier == ()


async def test_adaptive_asks_two_calls(engine_client: EngineClient, fake_llm: FakeLLM) -> None:
    fake_llm.reply(s.FAST_ANSWER)
    status, body = await call(engine_client, "/ai/adaptive_optimize", s.adaptive())
    assert status == 200, body
    assert len(fake_llm.requests) == ADAPTIVE_ATTEMPTS == 2


# --- workflow: what the prompt builder is given ----------------------------------------------------


async def test_the_workflow_prompt_is_given_the_first_500_file_names_and_the_chosen_files(
    engine_client: EngineClient, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the prompt builder receives (the core template lists the names; a plugin's may not)."""
    engine = engine_client.app[ENGINE]
    seen: list[Mapping[str, Any]] = []

    async def prompt(self: Engine, task: Task, *args: Any, **kwargs: Any) -> Prompt:
        seen.append(args[2])
        return Prompt(system="s", user="u")

    monkeypatch.setattr(Engine, "prompt", prompt)
    fake_llm.reply("```yaml\n- run: make\n```")
    files = {f"src/f{i:03}.py": "" for i in range(501)} | {"Makefile": "test:\n\tpytest"}
    steps = await workflow.workflow_steps(engine, trace_id=None, fields={"repo_files": files, "other": 1})
    assert steps == "- run: make"
    [fields] = seen
    assert fields["file_names"] == sorted(files)[:500] and len(fields["file_names"]) == 500
    assert fields["repo_files"] == {"Makefile": "test:\n\tpytest"} and fields["other"] == 1
