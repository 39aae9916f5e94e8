"""The rules of the conformance suite, as plain functions (usable without pytest).

Each ``check_*`` function raises :class:`ConformanceError` (an AssertionError) with a message
that says which rule was broken, by which input, and what to do. :data:`RULES` lists them.
A :class:`PluginUnderTest` loads the plugin the samples name, next to the engine's builtins,
exactly as the engine would (strict: a load error is a failure).
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any

import attrs

from codeflash_engine.plugins.answers import read_answer
from codeflash_engine.plugins.candidates import describe, merge_streamed
from codeflash_engine.plugins.hookspecs import PROJECT_NAME
from codeflash_engine.plugins.manager import PluginHost, PluginLoadError
from codeflash_engine.plugins.types import (
    Answer,
    Candidate,
    CandidatesRequest,
    CodeFile,
    DiffRequest,
    DiffResult,
    GeneratedTests,
    LanguageSpec,
    Prompt,
    SyntaxProblem,
    Target,
    Task,
    TestsRequest,
)
from codeflash_engine.testing.plugin_kit.requests import improved_files, prompt_requests
from codeflash_engine.testing.plugin_kit.samples import LanguageSamples, squeeze
from codeflash_engine.text.markdown import CodeBlock, write_markdown
from codeflash_engine.text.search_replace import render_search_replace
from codeflash_engine.text.v4a import render_v4a

#: the rules, by the name tests use, with what each checks
RULES: dict[str, str] = {
    "registers": "register_languages provides the samples' language, and the plugin loads strictly",
    "foreign": "a hook called for a language the plugin does not own does not raise",
    "validate": "validate accepts valid code and reports the line and column of a syntax error",
    "postprocess-valid": "postprocessing never returns code the plugin's own validate rejects",
    "identical": "postprocessing never returns a candidate identical to the original, nor duplicates",
    "signature": "postprocessing keeps the target's signature (or drops the candidate)",
    "improved": "postprocessing keeps every good answer",
    "cut-off": "an answer cut off by the token limit (finish_reason length) never becomes a candidate",
    "streaming": "each answer cleaned on its own, as the engine does while answers arrive, gives what one call with "
    "every answer gives",
    "build-prompt": "build_prompt renders every task with the runtime context (and with nulls)",
    "prompt-code": "the user message of every task that works on code shows the original code, not only its name",
    "apply-diff": "apply_diff round-trips SEARCH/REPLACE and V4A edits, and applies all or nothing",
    "travels": "every hook's result comes back equal from a pickle round trip (hooks run in the plugin's worker "
    "process)",
    "engine": "the engine answers the client's requests in this language with contract-valid bodies",
}

#: the hooks the engine calls for a language (on the plugin that registered it)
LANGUAGE_HOOKS = ("validate", "build_prompt", "postprocess_candidates", "postprocess_tests", "apply_diff")

#: languages the suite tries as "foreign" (those the plugin registers are left out)
FOREIGN_LANGUAGES = ("codeflash-conformance-foreign", "python", "java", "javascript", "typescript", "go", "rust")

#: a model answer with no code at all
NO_CODE_ANSWER = "I am sorry, I cannot write tests for this function."


class ConformanceError(AssertionError):
    """A plugin broke a rule of the hook contract."""


def fail(rule: str, message: str) -> ConformanceError:
    return ConformanceError(f"[{rule}] {message}")


@attrs.frozen
class Batch:
    """The raw answers the suite sends to postprocess_candidates, and what each one is."""

    answers: tuple[str, ...]
    kinds: tuple[str, ...]

    def indices(self, kind: str) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k == kind]

    def describe(self, index: int) -> str:
        """``answer #1 (improved)``: numbered from 1, as the engine's logs number answers."""
        return f"{describe(index)} ({self.kinds[index]})" if 0 <= index < len(self.kinds) else describe(index)


class PluginUnderTest:
    """The plugin the samples name, loaded beside the engine's builtins, plus cached results."""

    def __init__(self, samples: LanguageSamples, host: PluginHost) -> None:
        self.samples = samples
        self.host = host
        self.name = samples.plugin_name
        self._cache: dict[Any, Any] = {}

    @classmethod
    def load(cls, samples: LanguageSamples) -> PluginUnderTest:
        """Load strictly: the entry point named ``samples.plugin``, or the plugin object itself."""
        name = samples.plugin_name
        host = PluginHost(strict=True, allow=[name])
        try:
            if isinstance(samples.plugin, str):
                eps = [ep for ep in entry_points(group=PROJECT_NAME) if ep.name == samples.plugin]
                if not eps:
                    raise fail(
                        "registers",
                        f"no entry point named {samples.plugin!r} in group {PROJECT_NAME!r}: install the plugin's "
                        "distribution in this environment (pip install -e .) and check [project.entry-points]",
                    )
                host.load(eps)
            else:
                host.load([])
                host.register(samples.plugin, name)
        except PluginLoadError as exc:
            raise fail("registers", f"the plugin does not load: {exc}") from exc
        return cls(samples, host)

    # ------------------------------------------------------------------ the plugin's hooks
    def implements(self, hook: str) -> bool:
        return any(impl.plugin_name == self.name for impl in getattr(self.host.pm.hook, hook).get_hookimpls())

    def call(self, hook: str, **kwargs: Any) -> Any:
        """Call ``hook`` for the samples' language as the engine does (the plugin, else the builtin)."""
        expected = (ValueError,) if hook == "postprocess_tests" else ()
        return self.host.call(hook, self.samples.language, expected=expected, **kwargs)

    def call_own(self, hook: str, **kwargs: Any) -> Any:
        """Call the plugin's own implementation of ``hook`` (not the builtin fallback)."""
        for impl in getattr(self.host.pm.hook, hook).get_hookimpls():
            if impl.plugin_name == self.name:
                return impl.function(*[kwargs[arg] for arg in impl.argnames])
        raise LookupError(f"{self.name} does not implement {hook}")

    @property
    def owned(self) -> list[str]:
        """Every name and alias of the languages the plugin registered."""
        owner = self.host.language_owner
        return [n for spec in self.host.languages.values() for n in spec.names if owner.get(spec.name) == self.name]

    @property
    def spec(self) -> LanguageSpec:
        spec = self.host.languages.get(self.samples.language)
        if spec is None or self.host.language_owner.get(spec.name) != self.name:
            raise fail("registers", f"the plugin does not register language {self.samples.language!r}")
        return spec

    @property
    def fence_tag(self) -> str:
        return self.spec.fence_tags[0] if self.spec.fence_tags else self.spec.name

    def validate(self, code: str) -> list[SyntaxProblem]:
        """Problems per the plugin's validate (empty when the plugin has no validator)."""
        s = self.samples
        found = self.call("validate", language=s.language, code=code, language_version=s.language_version)
        return list(found or [])

    # ------------------------------------------------------------------ inputs and cached results
    def batch(self) -> Batch:
        """The samples' answers plus the suite's own (verbatim original, invalid code, a duplicate)."""
        s = self.samples
        verbatim = "Here is the code.\n\n" + write_markdown(
            [CodeBlock(language=self.fence_tag, path=f.path, code=f.code) for f in s.original]
        )
        broken = "This should be faster.\n\n" + write_markdown(
            [CodeBlock(language=self.fence_tag, path=s.target_path, code=s.invalid)]
        )
        parts: list[tuple[str, str]] = [(a, "improved") for a in s.improved]
        parts += [(a, "identical") for a in (*s.identical, verbatim)]
        parts += [(a, "changed signature") for a in s.changed_signature]
        parts += [(a, "invalid") for a in (*s.invalid_answers, broken)]
        parts.append((s.improved[0], "duplicate"))
        return Batch(answers=tuple(a for a, _ in parts), kinds=tuple(k for _, k in parts))

    def request(self, answers: tuple[Answer, ...], *, named_target: bool) -> CandidatesRequest:
        """A candidates request for the samples' original with ``answers``."""
        s = self.samples
        return CandidatesRequest(
            task=Task.OPTIMIZE,
            language=s.language,
            language_version=s.language_version,
            original=s.original,
            answers=answers,
            target=Target.parse(s.target, path=s.target_path) if named_target else None,
            is_async=False,
            fence_tags=self.spec.fence_tags,
        )

    def candidates(self, *, named_target: bool) -> list[Candidate]:
        """postprocess_candidates over :meth:`batch` (through the engine's hook), cached.

        ``named_target=False`` is what the engine sends for /ai/optimize (the plugin infers the
        target); True names it as ``samples.target``.
        """
        key = ("candidates", named_target)
        if key not in self._cache:
            request = self.request(tuple(self.answer(a) for a in self.batch().answers), named_target=named_target)
            result = self.call("postprocess_candidates", request=request)
            self._cache[key] = _checked_candidates(result, len(request.answers))
        found: list[Candidate] = self._cache[key]
        return found

    def answer(self, text: str, finish_reason: str | None = "stop") -> Answer:
        """``text`` as the engine hands it to postprocessing (an edit applied through apply_diff)."""
        return read_answer(
            self.host, self.samples.language, text, original=self.samples.original, finish_reason=finish_reason
        )

    def tests_request(self, answer: str, finish_reason: str | None = "stop") -> TestsRequest:
        s = self.samples
        return TestsRequest(
            language=s.language,
            language_version=s.language_version,
            answer=Answer(text=answer, finish_reason=finish_reason),
            source_code=s.original,
            target=Target(name=s.function_name, qualified_name=s.target, class_name=s.class_name, path=s.target_path),
            module_path=s.module_path,
            test_module_path=s.test_module_path,
            test_framework=s.test_framework,
            test_timeout=15,
            helper_function_names=(),
            is_async=False,
            module_system=s.testgen_fields.get("module_system"),
            fence_tags=self.spec.fence_tags,
        )


def _checked_candidates(result: object, n_answers: int) -> list[Candidate]:
    if not isinstance(result, list) or not all(isinstance(c, Candidate) for c in result):
        raise fail("postprocess-valid", f"postprocess_candidates must return a list of Candidate, got {result!r:.200}")
    for c in result:
        if not c.files or not all(isinstance(f, CodeFile) and isinstance(f.code, str) for f in c.files):
            raise fail("postprocess-valid", f"a candidate must hold at least one CodeFile: {c!r:.200}")
        if not 0 <= c.answer_index < n_answers:
            raise fail("postprocess-valid", f"answer_index {c.answer_index} is not an index of the answers sent")
    return result


def _both(put: PluginUnderTest) -> list[tuple[str, list[Candidate]]]:
    return [
        ("target inferred, as /ai/optimize sends it", put.candidates(named_target=False)),
        ("target named", put.candidates(named_target=True)),
    ]


def _first(problems: Sequence[SyntaxProblem]) -> str:
    return str(problems[0]) if problems else "no problem"


# ---------------------------------------------------------------------------- registers


def check_registers(put: PluginUnderTest) -> None:
    """The plugin loads, registers the samples' language, and the language is its own."""
    spec = put.spec
    if put.host.errors():
        raise fail("registers", f"load errors: {put.host.errors()}")
    if not spec.extensions or not spec.fence_tags:
        raise fail("registers", f"{spec.name}: declare file extensions and markdown fence tags in the LanguageSpec")


# ---------------------------------------------------------------------------- foreign languages


def foreign_call(put: PluginUnderTest, hook: str, language: str | None) -> Any:
    """Call the plugin's own ``hook`` with inputs in the samples' language but labelled ``language``."""
    s = put.samples
    version = s.language_version
    if hook == "validate":
        return put.call_own(hook, language=language, code=s.valid, language_version=version)
    if hook == "build_prompt":
        prompt = prompt_requests(s)[Task.OPTIMIZE]
        return put.call_own(hook, request=attrs.evolve(prompt, language=str(language)))
    if hook == "postprocess_candidates":
        request = CandidatesRequest(
            task=Task.OPTIMIZE,
            language=str(language),
            language_version=version,
            original=s.original,
            answers=tuple(Answer(text=a, finish_reason="stop") for a in s.improved),
            fence_tags=(str(language),),
        )
        return put.call_own(hook, request=request)
    if hook == "postprocess_tests":
        try:
            return put.call_own(hook, request=attrs.evolve(put.tests_request(s.test_answer), language=str(language)))
        except ValueError:  # the hook's way to say "no usable test": allowed
            return None
    if hook == "apply_diff":
        files = {f.path: f.code for f in s.original if f.path}
        edit = render_search_replace({s.target_path: (files[s.target_path], files[s.target_path] + "\n")})
        return put.call_own(hook, request=DiffRequest(language=language, files=files, edit=edit))
    raise ValueError(hook)


def check_foreign(put: PluginUnderTest, hook: str) -> None:
    """``hook`` called for languages the plugin does not own (and apply_diff for None) does not raise.

    The engine calls a language's hooks on the plugin that registered it only, so this happens
    only through a mistake (or a plugin that registers several languages and assumes one): the
    hook must still answer (anything, None included) rather than raise.
    """
    owned = {n.lower() for n in put.owned}
    languages: list[str | None] = [lang for lang in FOREIGN_LANGUAGES if lang not in owned]
    if hook == "apply_diff":
        languages.append(None)
    for language in languages:
        try:
            foreign_call(put, hook, language)
        except Exception as exc:
            raise fail(
                "foreign",
                f"{hook}(language={language!r}) raised {type(exc).__name__}: {exc}; a hook must not assume "
                "which of its languages it is called for, nor fail on a language it does not know",
            ) from exc


# ---------------------------------------------------------------------------- validate


def check_validate_valid(put: PluginUnderTest) -> None:
    """Valid code (and every file of the original) gives no problem."""
    for label, code in [("valid", put.samples.valid), *((f"original {f.path}", f.code) for f in put.samples.original)]:
        problems = put.validate(code)
        if problems:
            raise fail("validate", f"validate rejects the {label} sample: {_first(problems)}")


def check_validate_position(put: PluginUnderTest) -> None:
    """Invalid code gives problems with 1-based positions, the first one where the samples say."""
    s = put.samples
    problems = put.validate(s.invalid)
    if not problems:
        raise fail("validate", "validate accepts the invalid sample")
    lines = s.invalid.count("\n") + 1
    for p in problems:
        if not isinstance(p, SyntaxProblem):
            raise fail("validate", f"validate must return SyntaxProblem objects, got {p!r}")
        if not (1 <= p.line <= lines + 1 and p.column >= 1):
            raise fail("validate", f"problem outside the code (lines and columns are 1-based): {p}")
    first = problems[0]
    if first.line != s.invalid_line:
        raise fail("validate", f"the first problem is on line {first.line}, expected line {s.invalid_line}: {first}")
    if s.invalid_column is not None and first.column != s.invalid_column:
        raise fail(
            "validate", f"the first problem is at column {first.column}, expected column {s.invalid_column}: {first}"
        )


# ---------------------------------------------------------------------------- postprocess


def check_candidates_validate(put: PluginUnderTest) -> None:
    """Every file of every candidate passes the plugin's own validate."""
    batch = put.batch()
    for label, found in _both(put):
        for c in found:
            for f in c.files:
                problems = put.validate(f.code)
                if problems:
                    raise fail(
                        "postprocess-valid",
                        f"{label}: the candidate from {batch.describe(c.answer_index)} has {f.path} that validate "
                        f"rejects ({_first(problems)}); check every file before returning it",
                    )


def check_tests_validate(put: PluginUnderTest) -> None:
    """The three test files validate; an answer without usable test code raises ValueError."""
    if not put.implements("postprocess_tests"):
        return
    tests = put.call("postprocess_tests", request=put.tests_request(put.samples.test_answer))
    if not isinstance(tests, GeneratedTests):
        raise fail("postprocess-valid", f"postprocess_tests must return GeneratedTests, got {tests!r:.200}")
    for field in ("generated", "instrumented_behavior", "instrumented_perf"):
        code = getattr(tests, field)
        if not isinstance(code, str) or not code.strip():
            raise fail("postprocess-valid", f"postprocess_tests gave an empty {field}")
        problems = put.validate(code)
        if problems:
            raise fail(
                "postprocess-valid", f"postprocess_tests gave a {field} that validate rejects: {_first(problems)}"
            )
    broken = "Tests:\n\n" + write_markdown([CodeBlock(language=put.fence_tag, path=None, code=put.samples.invalid)])
    unusable = (
        ("an answer without code", NO_CODE_ANSWER, "stop"),
        ("an answer with invalid code", broken, "stop"),
        ("an answer cut off by the token limit", put.samples.test_answer, "length"),
    )
    for label, answer, finish in unusable:
        try:
            result = put.call("postprocess_tests", request=put.tests_request(answer, finish))
        except ValueError:
            continue
        if not isinstance(result, GeneratedTests):
            raise fail("postprocess-valid", f"postprocess_tests({label}) returned {result!r:.120}: raise ValueError")
        for field in ("generated", "instrumented_behavior", "instrumented_perf"):
            problems = put.validate(getattr(result, field))
            if problems or not getattr(result, field).strip():
                raise fail(
                    "postprocess-valid",
                    f"postprocess_tests({label}) returned an unusable {field} ({_first(problems)}): "
                    "raise ValueError with a readable message instead",
                )


def check_not_identical(put: PluginUnderTest) -> None:
    """No candidate equals the original (whitespace aside); no file is returned unchanged."""
    batch = put.batch()
    original = {f.path: squeeze(f.code) for f in put.samples.original}
    for label, found in _both(put):
        for c in found:
            what = batch.describe(c.answer_index)
            unchanged = [f.path for f in c.files if original.get(f.path) == squeeze(f.code)]
            if len(unchanged) == len(c.files):
                raise fail("identical", f"{label}: the candidate from {what} is identical to the original")
            if unchanged:
                raise fail("identical", f"{label}: the candidate from {what} returns {unchanged} unchanged")
            if batch.kinds[c.answer_index] == "identical":
                raise fail("identical", f"{label}: {what} is the original again, yet became a candidate")


def check_no_duplicates(put: PluginUnderTest) -> None:
    """Two answers with the same code give one candidate."""
    batch = put.batch()
    for label, found in _both(put):
        seen: dict[tuple[tuple[str | None, str], ...], int] = {}
        for c in found:
            key = tuple(sorted(((f.path, squeeze(f.code)) for f in c.files), key=lambda x: x[0] or ""))
            if key in seen:
                raise fail(
                    "identical",
                    f"{label}: the candidates from {batch.describe(seen[key])} and {batch.describe(c.answer_index)} "
                    "are the same code: drop duplicates within the batch",
                )
            seen[key] = c.answer_index


def check_signature(put: PluginUnderTest) -> None:
    """Every candidate that holds the target's file keeps the target's signature."""
    batch = put.batch()
    s = put.samples
    wanted = squeeze(s.signature)
    for label, found in _both(put):
        for c in found:
            for f in c.files:
                if f.path == s.target_path and wanted not in squeeze(f.code):
                    raise fail(
                        "signature",
                        f"{label}: the candidate from {batch.describe(c.answer_index)} lost the signature "
                        f"{s.signature!r} of {s.target}: restore it or drop the candidate",
                    )


def check_cut_off(put: PluginUnderTest) -> None:
    """Good answers that the token limit cut off (finish_reason length) give no candidate."""
    s = put.samples
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language=s.language,
        language_version=s.language_version,
        original=s.original,
        answers=tuple(put.answer(a, "length") for a in s.improved),
        fence_tags=put.spec.fence_tags,
    )
    found = _checked_candidates(put.call("postprocess_candidates", request=request), len(request.answers))
    if found:
        raise fail(
            "cut-off",
            f"{describe(found[0].answer_index)} (improved) ended with finish_reason 'length' yet became a "
            "candidate: a function missing its last statements may parse and is wrong",
        )


def check_streaming(put: PluginUnderTest) -> None:
    """Each answer of the batch cleaned in a call of its own, then merged as the engine merges
    them, gives the candidates (files, answer) of one call with the whole batch (merged alike)."""
    batch = put.batch()
    answers = [put.answer(a) for a in batch.answers]
    for named in (False, True):
        label = "target named" if named else "target inferred, as /ai/optimize sends it"
        found = []
        for index, answer in enumerate(answers):
            alone = put.call("postprocess_candidates", request=put.request((answer,), named_target=named))
            found.append((index, _checked_candidates(alone, 1)))
        streamed = [(index, c.files) for index, c in merge_streamed(found)]
        by_answer: dict[int, list[Candidate]] = {}
        for c in put.candidates(named_target=named):
            by_answer.setdefault(c.answer_index, []).append(c)
        # duplicates are the identical rule's business: both sides go through the engine's merge
        whole = [(index, c.files) for index, c in merge_streamed(list(by_answer.items()))]
        if streamed != whole:
            got = [batch.describe(i) for i, _ in streamed]
            want = [batch.describe(i) for i, _ in whole]
            raise fail(
                "streaming",
                f"{label}: answers cleaned one at a time give candidates from {got}, one call gives {want}: "
                "the engine cleans each answer as it arrives and keeps the first candidate of each Candidate.key; "
                "give candidates the key your own deduplication uses (CandidateCleaner does)",
            )


def _travelled(what: str, result: object) -> None:
    try:
        back = pickle.loads(pickle.dumps(result))
    except Exception as exc:
        raise fail(
            "travels",
            f"{what} returned a result that does not pickle ({type(exc).__name__}: {exc}): the engine runs "
            "hooks in the plugin's worker process and sends results back as pickles; return the API's types "
            "(attrs classes of plain values), not objects holding parsers, locks or open files",
        ) from exc
    if back != result:
        raise fail(
            "travels",
            f"{what} returned a result that comes back from a pickle round trip different: return the API's "
            "types, whose equality is their values",
        )


def check_travels(put: PluginUnderTest) -> None:
    """What each hook the plugin implements returns survives the trip from its worker process."""
    s = put.samples
    if put.implements("postprocess_candidates"):
        _travelled("postprocess_candidates", put.candidates(named_target=False))
    if put.implements("validate"):
        _travelled("validate", put.validate(s.invalid))
    if put.implements("build_prompt"):
        requests = prompt_requests(s, comment_prefix=put.spec.comment_prefix)
        task = Task.OPTIMIZE if Task.OPTIMIZE in requests else next(iter(requests))
        _travelled("build_prompt", put.call("build_prompt", request=requests[task]))
    if put.implements("postprocess_tests"):
        _travelled("postprocess_tests", put.call("postprocess_tests", request=put.tests_request(s.test_answer)))
    if put.implements("apply_diff"):
        before, after = diff_texts(put)
        edit = render_search_replace({p: (before[p], after[p]) for p in after})
        _travelled("apply_diff", _apply(put, before, edit))


def check_improved(put: PluginUnderTest) -> None:
    """Each improved answer becomes a candidate."""
    batch = put.batch()
    for label, found in _both(put):
        kept = {c.answer_index for c in found}
        for index in batch.indices("improved"):
            if index not in kept:
                raise fail(
                    "improved",
                    f"{label}: {batch.describe(index)} is a good answer but gave no candidate:\n"
                    f"{batch.answers[index][:400]}",
                )


# ---------------------------------------------------------------------------- build_prompt

#: tasks whose prompt must show the code (rank works on diffs, workflow on project files)
CODE_TASKS = frozenset(Task) - {Task.RANK, Task.WORKFLOW}
#: what a rendered prompt must not show (``{{`` is left out: GitHub Actions' ``${{ }}`` is legitimate)
_TEMPLATE_SYNTAX = ("{%", "<<<cache-break>>>")


def check_build_prompt(put: PluginUnderTest, task: Task, *, nulls: bool) -> None:
    """The prompt of ``task`` renders with the runtime context (or all-null optional fields)."""
    which = "with null optional fields" if nulls else "with the runtime context"
    request = prompt_requests(put.samples, comment_prefix=put.spec.comment_prefix, nulls=nulls)[task]
    if put.implements("build_prompt"):
        try:
            own = put.call_own("build_prompt", request=request)
        except Exception as exc:
            message = f"{task.value} {which}: build_prompt raised {type(exc).__name__}: {exc}"
            raise fail("build-prompt", message) from exc
        if own is not None and not isinstance(own, Prompt):
            raise fail("build-prompt", f"{task.value}: build_prompt must return a Prompt or None, got {own!r:.120}")
    prompt = put.call("build_prompt", request=request)
    if not isinstance(prompt, Prompt):
        raise fail("build-prompt", f"{task.value} {which}: no prompt")
    if not prompt.system.strip() or not prompt.user.strip():
        raise fail("build-prompt", f"{task.value} {which}: the system or the user message is empty")
    if not 0 <= prompt.cache_prefix_chars <= len(prompt.user):
        raise fail("build-prompt", f"{task.value}: cache_prefix_chars {prompt.cache_prefix_chars} is outside the user")
    text = prompt.system + "\n" + prompt.user
    context_text = repr(dict(request.fields))
    for token in _TEMPLATE_SYNTAX:
        if token in text and token not in context_text:
            raise fail("build-prompt", f"{task.value} {which}: {token!r} left in the rendered prompt")
    if task in CODE_TASKS and put.samples.function_name not in text:
        raise fail(
            "build-prompt",
            f"{task.value} {which}: the prompt does not show the code (no {put.samples.function_name!r} in it)",
        )


def check_prompt_shows_code(put: PluginUnderTest, task: Task) -> None:
    """The user message of a task that works on code holds the original code, not only its name.

    At least four lines in five of the target's file (stripped, blank lines aside) must appear
    in the user message (the system message is the same for every request: code belongs in the
    user message).
    """
    if task not in CODE_TASKS:
        return
    request = prompt_requests(put.samples, comment_prefix=put.spec.comment_prefix)[task]
    try:
        prompt = put.call("build_prompt", request=request)
    except Exception:  # rendering itself is the build-prompt rule's concern
        return
    code_lines = [line.strip() for line in put.samples.original[0].code.splitlines() if line.strip()]
    missing = [line for line in code_lines if line not in prompt.user]
    if len(missing) * 5 > len(code_lines):
        raise fail(
            "prompt-code",
            f"{task.value}: the user message lacks {len(missing)} of the {len(code_lines)} lines of "
            f"{put.samples.target_path}, e.g. {missing[0]!r}: render the request's code "
            "(fields such as source_code) in the user template",
        )


# ---------------------------------------------------------------------------- apply_diff


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def diff_texts(put: PluginUnderTest) -> tuple[dict[str, str], dict[str, str]]:
    """(before, after): the original files and the samples' edited version of them."""
    s = put.samples
    before = {f.path: _with_newline(f.code) for f in s.original if f.path}
    if s.edited is not None:
        after = {p: _with_newline(t) for p, t in s.edited.items()}
    else:
        after = {f.path: _with_newline(f.code) for f in improved_files(s) if f.path}
    after = {p: t for p, t in after.items() if before.get(p) != t}
    if not after:
        raise ValueError("the samples give no edited text different from the original: set `edited`")
    return before, after


def _apply(put: PluginUnderTest, files: Mapping[str, str], edit: str) -> DiffResult:
    result = put.call("apply_diff", request=DiffRequest(language=put.samples.language, files=files, edit=edit))
    if not isinstance(result, DiffResult):
        raise fail("apply-diff", f"apply_diff must return a DiffResult, got {result!r:.120}")
    return result


def _outcome(result: DiffResult) -> str:
    return f"errors {list(result.errors)}, files {dict(result.files)!r:.300}"


def check_apply_diff_round_trip(put: PluginUnderTest) -> None:
    """An edit from the original to the edited text, and back, gives each text exactly."""
    before, after = diff_texts(put)
    renderers: dict[str, Callable[[Mapping[str, tuple[str | None, str]]], str]] = {
        "SEARCH/REPLACE": render_search_replace,
        "V4A": render_v4a,
    }
    for name, render in renderers.items():
        forward = render({p: (before[p], after[p]) for p in after})
        result = _apply(put, before, forward)
        if not result.ok or dict(result.files) != after:
            raise fail("apply-diff", f"{name} edit to the edited text: {_outcome(result)}")
        edited = {**before, **after}
        back = render({p: (after[p], before[p]) for p in after})
        result = _apply(put, edited, back)
        expected = {p: before[p] for p in after}
        if not result.ok or dict(result.files) != expected:
            raise fail("apply-diff", f"{name} edit back to the original: {_outcome(result)}")


def check_apply_diff_all_or_nothing(put: PluginUnderTest) -> None:
    """An edit with one block that does not match changes nothing and reports errors."""
    before, after = diff_texts(put)
    path = next(iter(after))
    good = render_search_replace({path: (before[path], after[path])})
    absent = f"this line is not in the file {put.samples.function_name}"
    missing = f"{path}\n<<<<<<< SEARCH\n{absent}\n=======\nx\n>>>>>>> REPLACE\n"
    result = _apply(put, before, good + "\n" + missing)
    if result.ok or result.files:
        raise fail("apply-diff", f"an edit whose second block does not match was applied: {dict(result.files)!r:.200}")


# ---------------------------------------------------------------------------- registry


@functools.lru_cache(maxsize=32)
def _loaded(samples: LanguageSamples) -> PluginUnderTest:
    return PluginUnderTest.load(samples)


def plugin_under_test(samples: LanguageSamples, *, fresh: bool = False) -> PluginUnderTest:
    """The loaded plugin of ``samples`` (cached per samples object unless ``fresh``)."""
    return PluginUnderTest.load(samples) if fresh else _loaded(samples)
