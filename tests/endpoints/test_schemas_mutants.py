"""The /ai request schemas' documented bounds and defaults, at their edges (what the mutation run
of http/schemas.py found untested): every text and list bound accepts exactly its size and
refuses one more, ids refuse the empty string, the defaults the CLI relies on when it leaves a
field out, the Python-name check and its message, and the /ai/log_features size checks (per
field, per unknown field, the count and names of unknown fields).

The bounds are written out here as numbers (not imported): a changed constant must fail a test.
"""

from __future__ import annotations

import json
from typing import Any

import endpoint_samples as s
import pytest
from pydantic import BaseModel, ValidationError

from codeflash_engine.http import schemas
from codeflash_engine.http.schemas import (
    MAX_TEXT,
    REFINEMENT_BODY,
    AdaptiveRequest,
    CodeRepairRequest,
    ExplainRequest,
    FunctionToOptimize,
    LineProfilerRequest,
    LogFeaturesRequest,
    OptimizeRequest,
    RankRequest,
    RewriteJitRequest,
    TestgenRepairRequest,
    TestgenRequest,
    TestgenReviewRequest,
    WorkflowGenRequest,
    is_dotted_module,
)
from codeflash_engine.testing.engine import EngineClient, call

MIB = 1024 * 1024


def _refused(model: type[BaseModel], body: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return caught.value


def _locs(error: ValidationError) -> list[tuple[int | str, ...]]:
    return [tuple(e["loc"]) for e in error.errors()]


# --- text bounds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (OptimizeRequest, s.optimize(), "source_code"),
        (CodeRepairRequest, s.code_repair(), "modified_source_code"),
        (ExplainRequest, s.explain(), "annotated_tests"),
    ],
)
def test_a_text_field_holds_one_mib_and_not_a_character_more(
    model: type[BaseModel], body: dict[str, Any], field: str
) -> None:
    """A text field of a request takes 1 MiB of characters; one more is a validation error
    naming the field."""
    assert getattr(model.model_validate({**body, field: "x" * MIB}), field) == "x" * MIB
    assert _locs(_refused(model, {**body, field: "x" * (MIB + 1)})) == [(field,)]


def test_a_text_field_inside_an_item_holds_one_mib_and_not_a_character_more() -> None:
    """The objects inside a body (a test difference) have the same 1 MiB bound."""
    diff = s.code_repair()["test_diffs"][0]
    assert CodeRepairRequest.model_validate(s.code_repair(test_diffs=[{**diff, "test_src_code": "x" * MIB}]))
    error = _refused(CodeRepairRequest, s.code_repair(test_diffs=[{**diff, "test_src_code": "x" * (MIB + 1)}]))
    assert _locs(error) == [("test_diffs", 0, "test_src_code")]


def test_a_workflow_gen_file_holds_one_mib() -> None:
    """/ai/workflow-gen's files hold what any text field holds (the client cuts them at 8 KB)."""
    ok = WorkflowGenRequest.model_validate(s.workflow_gen(repo_files={"setup.py": "x" * MAX_TEXT}))
    assert len(ok.repo_files["setup.py"]) == MAX_TEXT == MIB
    error = _refused(WorkflowGenRequest, s.workflow_gen(repo_files={"setup.py": "x" * (MAX_TEXT + 1)}))
    assert _locs(error) == [("repo_files", "setup.py")]


def test_a_workflow_gen_request_names_at_most_two_thousand_files() -> None:
    files = {f"f{i}.py": "" for i in range(2_000)}
    assert len(WorkflowGenRequest.model_validate(s.workflow_gen(repo_files=files)).repo_files) == 2_000
    files["one_more.py"] = ""
    assert _locs(_refused(WorkflowGenRequest, s.workflow_gen(repo_files=files))) == [("repo_files",)]


# --- list bounds -------------------------------------------------------------------------------


def test_a_refinement_body_has_at_most_eight_items() -> None:
    item = s.refinement_item()
    assert len(REFINEMENT_BODY.validate_python([item] * 8)) == 8
    with pytest.raises(ValidationError):
        REFINEMENT_BODY.validate_python([item] * 9)


def test_an_adaptive_chain_has_one_to_sixteen_candidates() -> None:
    one = s.adaptive()["candidates"][0]
    assert len(AdaptiveRequest.model_validate(s.adaptive(candidates=[one] * 16)).candidates) == 16
    assert _locs(_refused(AdaptiveRequest, s.adaptive(candidates=[one] * 17))) == [("candidates",)]
    assert _locs(_refused(AdaptiveRequest, s.adaptive(candidates=[]))) == [("candidates",)]
    assert len(AdaptiveRequest.model_validate(s.adaptive(candidates=[one])).candidates) == 1


def test_a_code_repair_has_at_most_sixty_four_test_diffs() -> None:
    diff = s.code_repair()["test_diffs"][0]
    assert len(CodeRepairRequest.model_validate(s.code_repair(test_diffs=[diff] * 64)).test_diffs) == 64
    assert _locs(_refused(CodeRepairRequest, s.code_repair(test_diffs=[diff] * 65))) == [("test_diffs",)]


def test_a_testgen_review_judges_at_most_thirty_two_tests() -> None:
    test = s.testgen_review()["tests"][0]
    assert len(TestgenReviewRequest.model_validate(s.testgen_review(tests=[test] * 32)).tests) == 32
    assert _locs(_refused(TestgenReviewRequest, s.testgen_review(tests=[test] * 33))) == [("tests",)]


def test_a_testgen_repair_rewrites_at_most_sixty_four_functions() -> None:
    fn = {"function_name": "test_empty", "reason": "weak"}
    body = s.testgen_repair(functions_to_repair=[fn] * 64)
    assert len(TestgenRepairRequest.model_validate(body).functions_to_repair) == 64
    error = _refused(TestgenRepairRequest, s.testgen_repair(functions_to_repair=[fn] * 65))
    assert _locs(error) == [("functions_to_repair",)]


@pytest.mark.parametrize(("field", "value"), [("diffs", "d"), ("optimization_ids", "o"), ("speedups", 1.5)])
def test_a_ranking_has_one_to_thirty_two_candidates(field: str, value: object) -> None:
    assert len(getattr(RankRequest.model_validate(s.rank(**{field: [value] * 32})), field)) == 32
    assert _locs(_refused(RankRequest, s.rank(**{field: [value] * 33}))) == [(field,)]
    assert _locs(_refused(RankRequest, s.rank(**{field: []}))) == [(field,)]
    assert len(getattr(RankRequest.model_validate(s.rank(**{field: [value]})), field)) == 1


def test_the_other_lists_and_maps_have_at_most_two_hundred_fifty_six_entries() -> None:
    names = [f"h{i}" for i in range(256)]
    assert len(TestgenRequest.model_validate(s.testgen(helper_function_names=names)).helper_function_names) == 256
    error = _refused(TestgenRequest, s.testgen(helper_function_names=[*names, "h256"]))
    assert _locs(error) == [("helper_function_names",)]
    files = {f"f{i}.py": "" for i in range(256)}
    item = REFINEMENT_BODY.validate_python([s.refinement_item(additional_context_files=files)])[0]
    assert item.additional_context_files is not None and len(item.additional_context_files) == 256
    with pytest.raises(ValidationError):
        REFINEMENT_BODY.validate_python([s.refinement_item(additional_context_files={**files, "one_more.py": ""})])


# --- ids -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (OptimizeRequest, s.optimize()),
        (CodeRepairRequest, s.code_repair()),
        (AdaptiveRequest, s.adaptive()),
        (RankRequest, s.rank()),
        (LogFeaturesRequest, s.log_features()),
        (RewriteJitRequest, s.rewrite_jit()),
    ],
)
def test_a_trace_id_has_one_to_two_hundred_characters(model: type[BaseModel], body: dict[str, Any]) -> None:
    for trace_id in ("t", "t" * 200):
        assert model.model_validate({**body, "trace_id": trace_id}).model_dump()["trace_id"] == trace_id
    for trace_id in ("", "t" * 201):
        assert _locs(_refused(model, {**body, "trace_id": trace_id})) == [("trace_id",)]


def test_an_optimization_id_is_not_empty() -> None:
    assert REFINEMENT_BODY.validate_python([s.refinement_item(optimization_id="o")])[0].optimization_id == "o"
    with pytest.raises(ValidationError):
        REFINEMENT_BODY.validate_python([s.refinement_item(optimization_id="")])
    assert CodeRepairRequest.model_validate(s.code_repair(optimization_id="o")).optimization_id == "o"
    assert _locs(_refused(CodeRepairRequest, s.code_repair(optimization_id=""))) == [("optimization_id",)]


# --- defaults and numeric bounds ---------------------------------------------------------------


def _without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in names}


@pytest.mark.parametrize(
    ("model", "body", "default"),
    [
        (OptimizeRequest, s.optimize(), 5),
        (LineProfilerRequest, s.line_profiler(), 6),
        (RewriteJitRequest, s.rewrite_jit(), 3),
    ],
)
def test_n_candidates_defaults_and_may_be_zero_not_negative(
    model: type[BaseModel], body: dict[str, Any], default: int
) -> None:
    """A client that leaves n_candidates out gets the route's default; 0 is allowed (no
    candidates), a negative count is refused."""
    assert model.model_validate(_without(body, "n_candidates")).model_dump()["n_candidates"] == default
    assert model.model_validate({**body, "n_candidates": 0}).model_dump()["n_candidates"] == 0
    assert _locs(_refused(model, {**body, "n_candidates": -1})) == [("n_candidates",)]


def test_the_async_flags_default_to_synchronous() -> None:
    assert OptimizeRequest.model_validate(_without(s.optimize(), "is_async")).is_async is False
    assert FunctionToOptimize.model_validate({"function_name": "f"}).is_async is False


def test_testgen_defaults_and_a_timeout_of_at_least_one_second() -> None:
    request = TestgenRequest.model_validate(_without(s.testgen(), "test_timeout", "test_index"))
    assert (request.test_timeout, request.test_index) == (15, 0)
    assert TestgenRequest.model_validate(s.testgen(test_timeout=1)).test_timeout == 1
    assert _locs(_refused(TestgenRequest, s.testgen(test_timeout=0))) == [("test_timeout",)]


@pytest.mark.parametrize(
    "cls",
    [
        schemas.TestgenRequest,
        schemas.TestgenReviewRequest,
        schemas.TestgenRepairRequest,
        schemas.TestgenResponse,
        schemas.TestgenRepairResponse,
        schemas.TestReview,
        schemas.TestgenReviewResponse,
    ],
)
def test_schema_classes_named_test_are_not_pytest_test_classes(cls: type[BaseModel]) -> None:
    """pytest collects classes named Test* from every test module that imports them (and warns
    that a pydantic model cannot be collected): the request and response bases opt out."""
    assert getattr(cls, "__test__", True) is False


# --- Python names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pkg.sorter", True),
        ("sorter", True),
        ("_pkg.Sorter2", True),
        ("pkg.class", False),
        ("pkg..x", False),
        ("1pkg.x", False),
        ("pkg/sorter", False),
        ("", False),
    ],
)
def test_is_dotted_module(value: str, expected: bool) -> None:
    assert is_dotted_module(value) is expected


def test_names_of_other_languages_are_not_python_names() -> None:
    """Only a Python request's names must be Python names: a Java test module is a path."""
    java = {"module_path": "src/main/java/Sorter.java", "test_module_path": "src/test/java/SorterTest.java"}
    assert TestgenRequest.model_validate(s.testgen(language="java", **java)).module_path == java["module_path"]
    assert TestgenRequest.model_validate(s.testgen(language=" Python3 ", module_path="pkg.sorter"))
    error = _refused(TestgenRequest, s.testgen(language=" Python3 ", **java))
    assert "module_path" in str(error)


def test_the_name_error_says_what_a_module_and_a_name_must_be() -> None:
    module = str(_refused(TestgenRequest, s.testgen(module_path="pkg/sorter.py")))
    assert "field 'module_path' must be a dotted Python module name such as 'pkg.sorter'" in module
    fto = {**s.FUNCTION_TO_OPTIMIZE, "function_name": "sort list"}
    name = str(_refused(TestgenRequest, s.testgen(function_to_optimize=fto)))
    assert "field 'function_to_optimize.function_name' must be a Python name (got 'sort list')" in name
    parents = {**s.FUNCTION_TO_OPTIMIZE, "parents": [{"name": "Ok"}, {"name": "not ok"}]}
    parent = str(_refused(TestgenRequest, s.testgen(function_to_optimize=parents)))
    assert "field 'function_to_optimize.parents.1.name' must be a Python name" in parent


def test_the_name_error_quotes_the_first_hundred_characters() -> None:
    value = "a b" + "c" * 200
    error = str(_refused(TestgenRequest, s.testgen(qualified_name=value)))
    assert f"(got {value[:100]!r})" in error


async def test_a_bad_name_is_a_422_before_any_llm_call(engine_client: EngineClient) -> None:
    status, answer = await call(engine_client, "/ai/testgen", s.testgen(class_name="not a class"))
    assert status == 422, answer
    assert "class_name" in answer["error"], answer


# --- /ai/log_features ----------------------------------------------------------------------------

FEATURE_BYTES = 256 * 1024


def _metadata_of(size: int) -> dict[str, str]:
    """A metadata map of exactly ``size`` bytes of JSON."""
    value = {"k": "x" * (size - len('{"k": ""}'))}
    assert len(json.dumps(value)) == size
    return value


def test_a_feature_field_holds_exactly_256_kib_of_json() -> None:
    ok = LogFeaturesRequest.model_validate(s.log_features(metadata=_metadata_of(FEATURE_BYTES)))
    assert ok.metadata == _metadata_of(FEATURE_BYTES)
    error = _refused(LogFeaturesRequest, s.log_features(metadata=_metadata_of(FEATURE_BYTES + 1)))
    assert _locs(error) == [("metadata",)]
    assert f"{FEATURE_BYTES + 1} bytes of JSON; at most {FEATURE_BYTES} are accepted per field" in str(error)


def test_numbers_and_nulls_pass_the_size_check() -> None:
    request = LogFeaturesRequest.model_validate(s.log_features(original_runtime=4050000, metadata=None))
    assert (request.original_runtime, request.metadata) == (4050000, None)


def test_the_version_is_at_most_two_hundred_characters() -> None:
    assert LogFeaturesRequest.model_validate(s.log_features(codeflash_version="v" * 200)).codeflash_version == "v" * 200
    assert _locs(_refused(LogFeaturesRequest, s.log_features(codeflash_version="v" * 201))) == [("codeflash_version",)]


def test_unknown_features_are_kept_up_to_thirty_two() -> None:
    extra = {f"feature_{i}": i for i in range(32)}
    assert LogFeaturesRequest.model_validate(s.log_features(**extra)).model_extra == extra
    error = _refused(LogFeaturesRequest, s.log_features(**extra, feature_32=32))
    assert "33 unknown fields; at most 32 are kept" in str(error)


def test_an_unknown_feature_name_has_at_most_two_hundred_characters() -> None:
    assert LogFeaturesRequest.model_validate(s.log_features(**{"n" * 200: 1})).model_extra == {"n" * 200: 1}
    error = str(_refused(LogFeaturesRequest, s.log_features(**{"n" * 201: 1})))
    assert f"field name '{'n' * 40}...' is longer than 200 characters" in error


def test_an_unknown_feature_holds_exactly_256_kib_of_json() -> None:
    ok = LogFeaturesRequest.model_validate(s.log_features(later=_metadata_of(FEATURE_BYTES)))
    assert ok.model_extra == {"later": _metadata_of(FEATURE_BYTES)}
    error = str(_refused(LogFeaturesRequest, s.log_features(later=_metadata_of(FEATURE_BYTES + 1))))
    assert f"field 'later' has {FEATURE_BYTES + 1} bytes of JSON; at most {FEATURE_BYTES} are accepted" in error
