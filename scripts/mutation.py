"""Mutation score of the core, per module, with cosmic-ray (slow: not part of CI).

Each module of :data:`MODULES` is mutated in a copy of a checkout (``engine/``, ``plugins/``,
``tests/``, the root conftest and pyproject; by default this one as it is now, uncommitted edits
included), imported from that copy through ``PYTHONPATH`` (ahead of the editable installs). Only
the module's own tests run against each mutant (``pytest -x``): cosmic-ray's local distributor
runs one test command per mutant, which asks a fork server (``--serve``) to run pytest in a fresh
fork of a process that has imported pytest, aiohttp, the LLM SDKs and every other third-party
module the fixtures need, but nothing of the engine (so each mutant's module is imported afresh).
Modules that are only partly in scope (the stores) name the definitions whose mutants count.

Which mutants: cosmic-ray's operators, less the replacements that say nothing more than the ones
kept (:func:`wanted`: a comparison moved across its boundary or negated, + and - swapped, * and /
swapped, a unary operator dropped; numbers +/-1; and/or, True/False, break/continue, loops run
zero times, exceptions not caught, decorators removed) and less mutants in annotations and ``def``
lines (:func:`_inert`). ``--sample K`` (or a module's own ``sample``) keeps every K-th mutant in
cosmic-ray's deterministic job order (``--offset J`` picks the J-th of each K instead of the first,
so a sampled module's other mutants can be run too); the report says which modules were sampled.

A surviving mutant is either killed by a new test or listed in ``scripts/mutation_equivalents.json``
with the reason it cannot change behaviour; the report subtracts the listed ones. An entry is
keyed by file, operator, column and the stripped text of its line, so it survives edits elsewhere
in the file (the +1 and -1 replacements of one number share a key: the reason says which one
survives); an entry whose key matches no mutant of a full run is reported as stale.

Usage (from the repository root, with the project's .venv; PostgreSQL's binaries for the stores)::

    nice -n 10 .venv/bin/python scripts/mutation.py                 # every module
    nice -n 10 .venv/bin/python scripts/mutation.py text.v4a llm.retry
    .venv/bin/python scripts/mutation.py --list                     # modules, tests, samples
    nice -n 10 .venv/bin/python scripts/mutation.py --sample 3 text.matching
    nice -n 10 .venv/bin/python scripts/mutation.py --offset 5 text.v4a      # another twelfth
    nice -n 10 .venv/bin/python scripts/mutation.py --source /tmp/old-checkout --work /tmp/before
    nice -n 10 .venv/bin/python scripts/mutation.py --work /tmp/after --reuse --retest text.v4a

Results and cosmic-ray's session databases stay in ``--work`` (default /tmp/cfe-mutation);
``--reuse`` carries on (or just reports) the sessions there, ``--retest`` also copies the tests
afresh and runs the survivors again. The exit status is 1 when a module scores below 85 %.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.json"

#: the replacements kept, as in the mutation tools that model plausible slips: a comparison
#: moved across its boundary or negated, + and - swapped, * and / swapped, a unary operator
#: dropped. cosmic-ray also replaces every operator by every other one (``<`` by ``is``, ``+`` by
#: ``<<``): type errors or wild numbers that multiply the run time and say nothing more.
_COMPARISONS = {
    ("Lt", "LtE"),
    ("Lt", "GtE"),
    ("LtE", "Lt"),
    ("LtE", "Gt"),
    ("Gt", "GtE"),
    ("Gt", "LtE"),
    ("GtE", "Gt"),
    ("GtE", "Lt"),
    ("Eq", "NotEq"),
    ("NotEq", "Eq"),
    ("Is", "IsNot"),
    ("IsNot", "Is"),
}
_BINARY = {
    ("Add", "Sub"),
    ("Sub", "Add"),
    ("Mul", "Div"),
    ("Div", "Mul"),
    ("FloorDiv", "Mul"),
    ("Mod", "FloorDiv"),
    ("Pow", "Mul"),
    ("BitOr", "BitAnd"),
    ("BitAnd", "BitOr"),
    ("LShift", "RShift"),
    ("RShift", "LShift"),
}


def wanted(operator: str) -> bool:
    """Whether a cosmic-ray operator (``core/Name[_From_To]``) is one this run keeps."""
    name = operator.removeprefix("core/")
    kind, _, rest = name.partition("_")
    if kind == "ReplaceComparisonOperator":
        return tuple(rest.split("_")) in _COMPARISONS
    if kind == "ReplaceBinaryOperator":
        return tuple(rest.split("_")) in _BINARY
    if kind == "ReplaceUnaryOperator":
        return rest in ("USub_UAdd", "Delete_Not", "Delete_USub", "Delete_Invert")
    return kind not in ("VariableInserter", "VariableReplacer")


_TEXT_TESTS = [
    "tests/text/test_edit_properties.py",
    "tests/text/test_edit_overlaps.py",
    "tests/text/test_edit_dispatch.py",
    "tests/text/test_search_replace.py",
    "tests/text/test_search_replace_shares.py",
    "tests/text/test_v4a.py",
    "tests/text/test_v4a_shares.py",
    "tests/text/test_unified.py",
    "tests/text/test_uneven_indentation.py",
    "tests/text/test_matching.py",
    "tests/text/test_matching_shares.py",
    "tests/text/test_apply_patch_hostile.py",
]
_PY_CANDIDATES = [
    "plugins/python/tests/test_candidates.py",
    "plugins/python/tests/test_candidate_filters.py",
    "plugins/python/tests/test_candidate_files.py",
    "plugins/python/tests/test_base_carry_over.py",
    "plugins/python/tests/test_edits.py",
    "plugins/python/tests/test_merge_shapes.py",
    "tests/test_plugin_candidates.py",
]
#: answers merged through the whole cleaner, each file pinning one shape of the merge
_PY_MERGE_SHAPES = [
    "plugins/python/tests/test_dropped_decorators.py",
    "plugins/python/tests/test_property_accessors.py",
    "plugins/python/tests/test_methods_answered_at_top_level.py",
    "plugins/python/tests/test_class_attributes.py",
    "plugins/python/tests/test_new_definitions_before_module_code.py",
    "plugins/python/tests/test_assignment_placement.py",
    "plugins/python/tests/test_new_module_blocks.py",
    "plugins/python/tests/test_cli_shapes_24.py",
]
_PY_INSTRUMENT = [
    "plugins/python/tests/test_instrument_sites.py",
    "plugins/python/tests/test_testgen.py",
    "plugins/python/tests/test_instrumented_run.py",
    "plugins/python/tests/test_cli_oracle.py",
]
#: the generated tests' cleanup: their own tests first, then the generated tests run for real
_PY_TESTGEN = [
    "plugins/python/tests/test_testgen.py",
    "plugins/python/tests/test_testgen_mutants.py",
    "plugins/python/tests/test_testgen_sizes.py",
    "plugins/python/tests/test_instrumented_run.py",
]
#: the Java and JS/TS cleaners: their own tests first (fastest), then the kit's conformance suite
#: (collected from the plugin's conftest) and the answers through the whole engine
_JAVA_CANDIDATES = [
    "plugins/java/tests/test_java_candidates.py",
    "plugins/java/tests/test_java_unclosed_fence.py",
    "plugins/java/tests/conftest.py",
    "plugins/java/tests/test_java_engine.py",
    "plugins/java/tests/test_java_cut_off.py",
]
_JS_TS_CANDIDATES = [
    "plugins/js_ts/tests/test_jsts_candidates.py",
    "plugins/js_ts/tests/test_jsts_unclosed_fence.py",
    "plugins/js_ts/tests/conftest.py",
    "plugins/js_ts/tests/test_jsts_engine.py",
]
_STORE_TESTS = [
    "tests/db/test_guards.py",
    "tests/db/test_memory_store.py",
    "tests/db/test_postgres_store.py",
    "tests/db/test_quota_per_trace.py",
    "tests/db/test_tenancy.py",
    "tests/db/test_store_contract.py",
]
_RATE_AND_QUOTA = [
    "_Counter",
    "_check_window",
    "_Refused",
    "_quota_decision",
    "_check_call_limit",
    "_Waiting",
    "_AdmitBatcher",
    "MemoryStore.hit",
    "MemoryStore.hit_calls",
    "MemoryStore.admit",
    "MemoryStore.peek_rate",
    "MemoryStore.plan_quota_used",
    "MemoryStore.consume_optimization",
    "MemoryStore._consume_plan_quota",
    "MemoryStore.admit_trace",
    "MemoryStore.charge",
    "PostgresStore.hit",
    "PostgresStore.hit_calls",
    "PostgresStore.admit",
    "PostgresStore._admit_many",
    "PostgresStore.peek_rate",
    "PostgresStore.plan_quota_used",
    "PostgresStore.consume_optimization",
    "PostgresStore._consume_plan_quota",
    "PostgresStore.admit_trace",
    "PostgresStore.charge",
    "PostgresStore._trace_args",
    "PostgresStore._trace_decision",
    "rate_decision",
    "period_start",
    "period_end",
]


@dataclass(frozen=True)
class Module:
    """One module under mutation: its file, the tests that guard it, what part of it counts."""

    path: str
    tests: list[str]
    #: qualified names (``Class.method`` or top-level names) whose mutants count; None: the file
    only: list[str] | None = None
    #: keep every k-th mutant (1: all)
    sample: int = 1
    needs_postgres: bool = False
    #: more pytest arguments (a -k selection)
    pytest_args: tuple[str, ...] = ()


#: the guards do the same over either store: their mutants run against the in-memory one
_MEMORY = ("-k", "not postgres")
_GUARD_TESTS = [
    "tests/db/test_guards.py",
    "tests/db/test_meter.py",
    "tests/db/test_quota_per_trace.py",
    "tests/db/test_tenancy.py",
]

MODULES: dict[str, Module] = {
    "text.edits": Module("engine/codeflash_engine/text/edits.py", _TEXT_TESTS, sample=2),
    "text.search_replace": Module("engine/codeflash_engine/text/search_replace.py", _TEXT_TESTS, sample=10),
    "text.v4a": Module("engine/codeflash_engine/text/v4a.py", _TEXT_TESTS, sample=12),
    "text.matching": Module("engine/codeflash_engine/text/matching.py", _TEXT_TESTS, sample=10),
    "text.unified": Module("engine/codeflash_engine/text/unified.py", _TEXT_TESTS, sample=2),
    "text.markdown": Module(
        "engine/codeflash_engine/text/markdown.py",
        [
            "tests/text/test_markdown_scan.py",
            "tests/text/test_markdown_extract.py",
            "tests/text/test_markdown_client.py",
            "tests/text/test_markdown_shares.py",
            "tests/text/test_prose.py",
            "tests/text/test_project_relative.py",
        ],
        sample=10,
    ),
    "text.xml": Module("engine/codeflash_engine/text/xml.py", ["tests/text/test_xml.py"]),
    "text.prose": Module(
        "engine/codeflash_engine/text/prose.py", ["tests/text/test_prose.py", "tests/text/test_unified.py"]
    ),
    "text.sizes": Module(  # the tree-sitter plugins' size caps are its users
        "engine/codeflash_engine/text/sizes.py",
        [
            "tests/text/test_sizes.py",
            "tests/text/test_sizes_shares.py",
            "plugins/java/tests/test_java_testgen_sizes.py",
            "plugins/js_ts/tests/test_jsts_testgen_sizes.py",
            "plugins/go/tests/test_go_testgen_sizes.py",
        ],
        sample=10,
    ),
    "http.guards": Module(
        "engine/codeflash_engine/http/guards.py",
        [*_GUARD_TESTS, "tests/test_guards_shares.py"],
        sample=2,
        needs_postgres=True,
        pytest_args=_MEMORY,
    ),
    "http.limits": Module(
        "engine/codeflash_engine/http/limits.py",
        ["tests/endpoints/test_planned_calls.py", "tests/db/test_tenancy.py"],
        needs_postgres=True,
        pytest_args=_MEMORY,
    ),
    "http.quota": Module(
        "engine/codeflash_engine/http/quota.py", _GUARD_TESTS, sample=2, needs_postgres=True, pytest_args=_MEMORY
    ),
    "db.memory": Module(
        "engine/codeflash_engine/infra/db/memory.py",
        [
            "tests/db/test_rate_windows.py",
            "tests/db/test_memory_store.py",
            "tests/db/test_store_contract.py",
            "tests/db/test_store_dashboard_contract.py",  # keys' last use, touched on admission
            "tests/db/test_quota_per_trace.py",
        ],
        only=_RATE_AND_QUOTA,
        sample=4,
        needs_postgres=True,
    ),
    "db.postgres": Module(
        "engine/codeflash_engine/infra/db/postgres.py",
        [
            "tests/db/test_rate_windows.py",
            "tests/db/test_postgres_store.py",
            "tests/db/test_store_contract.py",
            "tests/db/test_store_dashboard_contract.py",  # keys' last use, touched on admission
            "tests/db/test_quota_per_trace.py",
            "tests/db/test_guard_round_trips.py",  # the guards' statements, counted
        ],
        only=_RATE_AND_QUOTA,
        sample=4,
        needs_postgres=True,
    ),
    "db.types": Module(
        "engine/codeflash_engine/infra/db/types.py",
        ["tests/db/test_rate_windows.py", "tests/db/test_store_contract.py"],
        only=_RATE_AND_QUOTA,
        sample=2,
        needs_postgres=True,
    ),
    "llm.retry": Module("engine/codeflash_engine/infra/llm/retry.py", ["tests/llm/test_llm_retry.py"]),
    "llm.stragglers": Module(
        "engine/codeflash_engine/infra/llm/stragglers.py",
        ["tests/llm/test_llm_stragglers.py", "tests/endpoints/test_streaming.py"],
    ),
    "llm.fan_out": Module(  # the fan-out: cut-off, shared-prompt batches, each call's record
        "engine/codeflash_engine/infra/llm/client.py",
        [
            "tests/llm/test_llm_stragglers.py",
            "tests/llm/test_llm_choices.py",
            "tests/llm/test_llm_billed_attempts.py",
            "tests/llm/test_llm_mix.py",
            "tests/llm/test_llm_reliability.py",
            "tests/llm/test_fan_out_shares.py",
        ],
        only=["LLMClient.fan_out", "LLMClient.fan_out_each", "LLMClient._shares_prompt", "LLMClient._succeeded"],
        sample=2,
    ),
    "infra.recorder": Module(  # every LLM call's billing record goes through it
        "engine/codeflash_engine/infra/recorder.py",
        [
            "tests/llm/test_llm_recorder.py",
            "tests/llm/test_recorder_stamps.py",
            "tests/llm/test_llm_records_db.py",
            "tests/ops/test_hostile_records.py",
        ],
        needs_postgres=True,
    ),
    "pipelines.fan_out": Module(  # answers cleaned as they arrive (issue 19)
        "engine/codeflash_engine/pipelines/common.py",
        [
            "tests/endpoints/test_streaming.py",
            "tests/endpoints/test_endpoints.py",
            "tests/endpoints/test_hostile_fanout.py",
            "tests/endpoints/test_honest_answers.py",
        ],
        only=["Engine.ask_each", "Engine.ask", "_every_call_failed"],
    ),
    "llm.slots": Module(  # one tenant's calls never take every slot
        "engine/codeflash_engine/infra/llm/slots.py",
        [
            "tests/llm/test_keyed_slots.py",
            "tests/llm/test_llm_reliability.py",
            "tests/endpoints/test_hostile_fanout.py",
        ],
    ),
    "plugins.lanes": Module(  # one tenant's or one hung call's plugin work never holds up the others
        "engine/codeflash_engine/plugins/lanes.py",
        ["tests/test_plugin_lanes.py", "tests/endpoints/test_plugin_containment.py"],
    ),
    "infra.frames": Module(  # frames to and from the child processes: whole, in order, an end or a deadline told apart
        "engine/codeflash_engine/infra/frames.py",
        ["tests/test_frames.py", "tests/test_plugin_lanes.py", "tests/ops/test_parse_worker.py"],
    ),
    "plugins.workers": Module(  # a plugin's process: calls answered in order, stopped, crashed, let go of
        "engine/codeflash_engine/plugins/workers.py",
        ["tests/test_plugin_lanes.py", "tests/endpoints/test_plugin_containment.py"],
    ),
    "plugins.manager": Module(  # a plugin's bug or hang costs its own language only
        "engine/codeflash_engine/plugins/manager.py",
        [
            "tests/test_plugin_host.py",
            "tests/test_plugin_host_reporting.py",
            "tests/endpoints/test_plugin_containment.py",
            "tests/test_plugin_lanes.py",
            "tests/test_plugin_manager_shares.py",
        ],
        sample=3,
    ),
    "http.body": Module(  # hostile bodies: size, encoding, JSON, timeouts
        "engine/codeflash_engine/http/body.py",
        ["tests/test_http_body.py", "tests/test_http_errors.py", "tests/ops/test_hostile_connections.py"],
    ),
    "http.parsing": Module(  # large bodies parsed in a worker process, the same outcome as inline
        "engine/codeflash_engine/http/parsing.py",
        ["tests/ops/test_parse_worker.py", "tests/test_http_errors.py", "tests/ops/test_bad_input.py"],
    ),
    "llm.reasoning": Module("engine/codeflash_engine/infra/llm/reasoning.py", ["tests/llm/test_reasoning_text.py"]),
    "llm.providers": Module(  # each SDK's request and answer, usage billed, errors classified
        "engine/codeflash_engine/infra/llm/providers.py",
        [
            "tests/llm/test_llm_providers.py",
            "tests/llm/test_llm_retry.py",
            "tests/llm/test_llm_billed_attempts.py",
            "tests/llm/test_llm_secrets.py",
            "tests/llm/test_llm_choices.py",
            "tests/llm/test_provider_answers.py",
            "tests/llm/test_providers_mutants.py",
            "tests/llm/test_llm_reliability.py",
            "tests/llm/test_providers_shares.py",
        ],
        sample=3,
    ),
    "pipelines.testgen": Module(  # the target read from the request, the retry, the reviews kept
        "engine/codeflash_engine/pipelines/testgen.py",
        [
            "tests/endpoints/test_testgen_pipeline_mutants.py",
            "tests/endpoints/test_endpoints.py",
            "tests/endpoints/test_honest_answers.py",
            "tests/endpoints/test_cut_off_answers.py",
            "tests/endpoints/test_prompt_judges.py",
            "tests/endpoints/test_testgen_prompt_paths.py",
            "tests/endpoints/test_testgen_sizes.py",
            "tests/endpoints/test_prompt_fields.py",
        ],
        pytest_args=("-k", "testgen"),
    ),
    "pipelines.answers": Module(  # fields read out of free-form answers, asked again once
        "engine/codeflash_engine/pipelines/answers.py",
        [
            "tests/endpoints/test_answers_mutants.py",
            "tests/endpoints/test_honest_answers.py",
            "tests/endpoints/test_endpoints.py",
            "tests/endpoints/test_prompt_judges.py",
        ],
    ),
    "llm.mix": Module(  # CODEFLASH_ENGINE_MODELS read, the weighted split, fallbacks
        "engine/codeflash_engine/infra/llm/mix.py",
        ["tests/llm/test_llm_mix.py", "tests/llm/test_llm_mix_mutants.py", "tests/test_prompt_budget_units.py"],
    ),
    "text.suggestions": Module(  # which changes become review suggestions, and their comments
        "engine/codeflash_engine/text/suggestions.py",
        ["tests/text/test_suggestions.py", "tests/cfapi/test_pull_request_text.py"],
    ),
    "text.paths": Module(  # file paths as LLMs write them, matched to the request's files
        "engine/codeflash_engine/text/paths.py",
        [
            "tests/text/test_paths.py",
            "tests/text/test_markdown_scan.py",
            "tests/text/test_markdown_extract.py",
            "tests/text/test_markdown_client.py",
            "tests/text/test_search_replace.py",
            "tests/text/test_v4a.py",
        ],
    ),
    "pipelines.rank": Module(  # the order of candidates the CLI receives, or [] (it ranks itself)
        "engine/codeflash_engine/pipelines/rank.py",
        [
            "tests/endpoints/test_rank_mutants.py",
            "tests/endpoints/test_endpoints.py",
            "tests/endpoints/test_honest_answers.py",
            "tests/endpoints/test_prompt_judges.py",
            "tests/endpoints/test_hostile_fanout.py",
            "tests/ops/test_large_valid_bodies.py",
        ],
    ),
    "pipelines.review": Module(  # the review's verdict: high, medium, low or no review
        "engine/codeflash_engine/pipelines/review.py",
        [
            "tests/endpoints/test_review_mutants.py",
            "tests/endpoints/test_honest_answers.py",
            "tests/endpoints/test_endpoints.py",
            "tests/endpoints/test_prompt_judges.py",
        ],
    ),
    "pipelines.strategies": Module(  # each call of an optimize fan-out its own strategy line (issue 22)
        "engine/codeflash_engine/pipelines/strategies.py",
        [
            "tests/test_strategy_features.py",
            "tests/endpoints/test_strategies_mutants.py",
            "tests/endpoints/test_prompt_diversity.py",
        ],
    ),
    "pipelines.optimize": Module(  # the first candidates, the prompt arm recorded with the features
        "engine/codeflash_engine/pipelines/optimize.py",
        [
            "tests/endpoints/test_optimize_mutants.py",
            "tests/endpoints/test_prompt_diversity.py",
            "tests/endpoints/test_endpoints.py",
            "tests/db/test_verified_wins.py",  # the tenant's wins shown as examples (in-memory store)
        ],
        pytest_args=_MEMORY,
    ),
    "infra.records": Module(  # the records of LLM calls (tokens, cost), errors and features
        "engine/codeflash_engine/infra/records.py",
        [
            "tests/llm/test_llm_records_db.py",
            "tests/llm/test_llm_recorder.py",
            "tests/llm/test_recorder_stamps.py",
            "tests/ops/test_hostile_records.py",
            "tests/db/test_records_mutants.py",
        ],
        needs_postgres=True,
    ),
    "infra.tenancy": Module(  # privacy mode (features rows, log lines) and a plan's model mix
        "engine/codeflash_engine/infra/tenancy.py",
        [
            "tests/llm/test_recorder_stamps.py",
            "tests/db/test_tenancy_engine.py",
            "tests/db/test_tenancy_mutants.py",
        ],
        pytest_args=_MEMORY,  # the privacy test dumps every table: not on a shared DATABASE_URL
    ),
    "http.errors": Module(  # the JSON error a client gets, the error an operator finds recorded
        "engine/codeflash_engine/http/errors.py",
        [
            "tests/test_http_errors.py",
            "tests/endpoints/test_hostile_errors.py",
            "tests/test_http_body.py",
            "tests/test_errors_mutants.py",
        ],
    ),
    "pipelines.budget": Module(
        "engine/codeflash_engine/pipelines/budget.py",
        ["tests/test_prompt_budget_units.py", "tests/endpoints/test_prompt_budgets.py", "tests/test_budget_shares.py"],
        sample=2,
    ),
    "plugins.answers": Module(  # an edit applied to the candidate shown, then to the original
        "engine/codeflash_engine/plugins/answers.py",
        [
            "tests/test_plugin_candidates.py",
            "plugins/python/tests/test_edits.py",
            "plugins/python/tests/test_base_carry_over.py",
        ],
    ),
    "plugins.candidates": Module(  # the per-answer triage and the streamed batch part (issue 19)
        "engine/codeflash_engine/plugins/candidates.py",
        [
            "tests/test_plugin_candidates.py",
            "tests/test_candidate_skeleton.py",
            "tests/endpoints/test_streaming.py",
            "tests/kit/test_kit_suite.py",
            "plugins/python/tests/test_candidates.py",
            "plugins/python/tests/test_candidate_filters.py",
            "plugins/java/tests/test_java_candidates.py",
            "plugins/js_ts/tests/test_jsts_candidates.py",
            "plugins/go/tests/test_go_candidates.py",
            "tests/test_plugin_candidates_shares.py",
            "tests/ops/test_large_valid_bodies.py",
        ],
        sample=2,
    ),
    "python.merge": Module(
        "plugins/python/codeflash_engine_python/candidates/merge.py",
        [*_PY_CANDIDATES, "plugins/python/tests/test_merge_shares.py", *_PY_MERGE_SHAPES],
        sample=3,
    ),
    "python.signature": Module(
        "plugins/python/codeflash_engine_python/candidates/signature.py",
        [
            *_PY_CANDIDATES,
            "plugins/python/tests/test_dropped_decorators.py",
            "plugins/python/tests/test_property_accessors.py",
            "plugins/python/tests/test_signature_shares.py",
        ],
        sample=3,
    ),
    "python.normalize": Module("plugins/python/codeflash_engine_python/candidates/normalize.py", _PY_CANDIDATES),
    "python.pipeline": Module(
        "plugins/python/codeflash_engine_python/candidates/pipeline.py",
        [
            *_PY_CANDIDATES,
            "plugins/python/tests/test_merge_shares.py",
            *_PY_MERGE_SHAPES,
            "plugins/python/tests/test_pipeline_shares.py",
            "plugins/python/tests/test_verbatim_definitions.py",
            "tests/ops/test_large_valid_bodies.py",
        ],
        sample=6,
    ),
    "python.placement": Module(  # new module-level assignments the client would run too early
        "plugins/python/codeflash_engine_python/candidates/placement.py",
        [
            "plugins/python/tests/test_assignment_placement.py",
            "plugins/python/tests/test_merge_shapes.py",
            "plugins/python/tests/test_placement_shares.py",
        ],
    ),
    "java.candidates": Module("plugins/java/codeflash_engine_java/candidates.py", _JAVA_CANDIDATES),
    "java.normalize": Module("plugins/java/codeflash_engine_java/normalize.py", _JAVA_CANDIDATES),
    "js_ts.candidates": Module("plugins/js_ts/codeflash_engine_js_ts/candidates.py", _JS_TS_CANDIDATES),
    "js_ts.normalize": Module("plugins/js_ts/codeflash_engine_js_ts/normalize.py", _JS_TS_CANDIDATES),
    "js_ts.client_forms": Module(  # what the client copies: new imports, requires, fields and methods (session 13)
        "plugins/js_ts/codeflash_engine_js_ts/candidates.py",
        [
            *_JS_TS_CANDIDATES,
            "plugins/js_ts/tests/test_jsts_cli_shapes.py",
            "plugins/js_ts/tests/test_jsts_client_forms_mutants.py",
            "plugins/js_ts/tests/test_jsts_lifting_differential.py",
        ],
        only=[
            "client_copyable_edits",
            "_new_imports",
            "_new_requires",
            "_import_statements",
            "_static_import",
            "_destructured",
            "lifted_field_edits",
            "_fresh_local",
            "_movable_statics",
            "_swapped",
            "_movable",
            "_field_uses",
            "_typed_function",
            "_type_parameters",
            "_type_names",
            "_inside_only",
            "_in_method",
            "_is_written",
            "_names_its_class",
            "_is_this_member",
            "_is_fresh",
            "_static_reads",
            "lifted_method_edits",
            "_member_uses",
            "_is_arguments",
            "_method",
            "_private_names",
            "_is_constant",
            "_declaration_of",
            "_dedented",
            "_call_arguments",
            "_parent",
            "_receives_no_other_this",
            "_is_class_reference",
            "_is_this_constructor",
            "_this_scope",
            "_use_of",
            "_liftable_members",
            "_setter_key",
            "_member_name",
            "_has_token",
            "_is_assigned_alone",
        ],
    ),
    "python.instrument": Module(
        "plugins/python/codeflash_engine_python/testgen/instrument.py",
        [*_PY_INSTRUMENT, "plugins/python/tests/test_instrument_shares.py"],
        sample=2,
    ),
    "python.testgen_context": Module("plugins/python/codeflash_engine_python/testgen/context.py", _PY_TESTGEN),
    "python.names": Module(  # the imports a merged candidate or a generated test is given
        "plugins/python/codeflash_engine_python/names.py",
        [
            "plugins/python/tests/test_names_mutants.py",
            "plugins/python/tests/test_testgen.py",
            "plugins/python/tests/test_testgen_mutants.py",
            *_PY_CANDIDATES[:-1],
        ],
    ),
    "python.testgen_sizes": Module(  # generated tests' loops, arrays and repetitions capped
        "plugins/python/codeflash_engine_python/testgen/sizes.py",
        [
            "plugins/python/tests/test_sizes_mutants.py",
            "plugins/python/tests/test_testgen_sizes_shares.py",
            "plugins/python/tests/test_testgen_sizes.py",
            "plugins/python/tests/test_testgen_mutants.py",
            "plugins/python/tests/test_testgen.py",
        ],
        sample=2,
    ),
    "python.source": Module(  # ast positions to string offsets, edits that keep every other byte
        "plugins/python/codeflash_engine_python/source.py",
        [
            "plugins/python/tests/test_source_mutants.py",
            "plugins/python/tests/test_testgen.py",
            "plugins/python/tests/test_testgen_mutants.py",
            *_PY_CANDIDATES[:-1],
        ],
    ),
    "python.syntax": Module(  # parsing by the client's version, in pieces; stray characters mended
        "plugins/python/codeflash_engine_python/syntax.py",
        [
            "plugins/python/tests/test_syntax_mutants.py",
            "plugins/python/tests/test_syntax_shares.py",
            "plugins/python/tests/test_syntax.py",
            "plugins/python/tests/test_candidates.py",
            "plugins/python/tests/test_testgen.py",
        ],
        sample=3,
    ),
    "python.testgen_cleanup": Module(
        "plugins/python/codeflash_engine_python/testgen/cleanup.py",
        [*_PY_TESTGEN, "tests/ops/test_large_valid_bodies.py"],
    ),
    "python.testgen_pipeline": Module(  # the kit's conformance suite calls postprocess_tests with odd answers
        "plugins/python/codeflash_engine_python/testgen/pipeline.py", [*_PY_TESTGEN, "plugins/python/tests/conftest.py"]
    ),
    "cfapi.routes": Module(  # the CLI's cfapi calls: PR creation, suggestions, staging, events
        "engine/codeflash_engine/http/routes/cfapi.py",
        [
            "tests/cfapi/test_cfapi_routes_mutants.py",
            "tests/cfapi/test_completion_email.py",
            "tests/cfapi/test_cfapi_http.py",
            "tests/cfapi/test_cfapi_pull_request_routes.py",
            "tests/cfapi/test_client_routes.py",
        ],  # no needs_postgres: with DATABASE_URL the test apps would take their keys from that database
    ),
    "infra.github": Module(  # the GitHub REST calls behind the pull requests
        "engine/codeflash_engine/infra/github.py",
        [
            "tests/cfapi/test_github_mutants.py",
            "tests/cfapi/test_cfapi_pull_request_routes.py",
            "tests/cfapi/test_cfapi_http.py",
            "tests/cfapi/test_client_routes.py",
        ],
    ),
    "text.pull_request": Module(  # the pull request's title and body
        "engine/codeflash_engine/text/pull_request.py",
        [
            "tests/cfapi/test_pull_request_text.py",
            "tests/cfapi/test_pull_request_body.py",
            "tests/cfapi/test_pull_request_mutants.py",
        ],
    ),
    "db.wins": Module(  # a tenant's verified wins, ranked as examples for its prompts
        "engine/codeflash_engine/infra/db/wins.py",
        ["tests/db/test_verified_wins.py", "tests/db/test_wins_mutants.py"],
        # no needs_postgres: with DATABASE_URL the engine tests' in-memory apps would use that database
        pytest_args=_MEMORY,
    ),
    "db.key_use": Module(  # last-used stamps of keys, batched
        "engine/codeflash_engine/infra/db/key_use.py",
        ["tests/db/test_store_dashboard_contract.py", "tests/db/test_key_use_mutants.py"],
        needs_postgres=True,
    ),
    "db.memory_reports": Module(  # the in-memory store's usage reports (the dashboard's tables)
        "engine/codeflash_engine/infra/db/memory_reports.py",
        [
            "tests/db/test_store_dashboard_contract.py",
            "tests/db/test_usage_command.py",
            "tests/db/test_reports_mutants.py",
        ],
        pytest_args=_MEMORY,
    ),
    "db.apikeys": Module(  # key format, hashing, prefixes
        "engine/codeflash_engine/infra/db/apikeys.py",
        ["tests/db/test_keys_commands.py", "tests/db/test_guards.py", "tests/db/test_apikeys_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "pipelines.refine": Module(  # /ai/refinement: one call per candidate, the refined code
        "engine/codeflash_engine/pipelines/refine.py",
        ["tests/endpoints/test_pipelines_mutants.py", "tests/endpoints/test_endpoints.py"],
    ),
    "pipelines.repair": Module(  # /ai/code_repair
        "engine/codeflash_engine/pipelines/repair.py",
        ["tests/endpoints/test_pipelines_mutants.py", "tests/endpoints/test_endpoints.py"],
    ),
    "pipelines.adaptive": Module(  # /ai/adaptive_optimize: a chain of earlier attempts
        "engine/codeflash_engine/pipelines/adaptive.py",
        [
            "tests/endpoints/test_pipelines_mutants.py",
            "tests/endpoints/test_endpoints.py",
            "tests/ops/test_large_valid_bodies.py",
        ],
    ),
    "pipelines.examples": Module(  # the tenant's verified wins shown in the prompt
        "engine/codeflash_engine/pipelines/examples.py",
        ["tests/endpoints/test_examples_mutants.py", "tests/db/test_verified_wins.py"],
        pytest_args=_MEMORY,
    ),
    "pipelines.workflow": Module(  # /ai/workflow-gen
        "engine/codeflash_engine/pipelines/workflow.py",
        ["tests/endpoints/test_pipelines_mutants.py", "tests/endpoints/test_endpoints.py"],
    ),
    "pipelines.candidates": Module(  # answers to candidates through the plugin
        "engine/codeflash_engine/pipelines/candidates.py",
        [
            "tests/endpoints/test_pipelines_mutants.py",
            "tests/endpoints/test_endpoints.py",
            "tests/endpoints/test_streaming.py",
            "tests/endpoints/test_plugin_containment.py",
        ],
    ),
    "pipelines.unprompted": Module(  # the request fields no prompt shows, each with its reason
        "engine/codeflash_engine/pipelines/unprompted.py",
        ["tests/endpoints/test_prompt_fields.py"],
    ),
    "plugins.prompting": Module(  # the prompt requests the plugins render
        "engine/codeflash_engine/plugins/prompting.py",
        [
            "tests/endpoints/test_prompting_mutants.py",
            "tests/endpoints/test_prompt_fields.py",
            "plugins/python/tests/test_prompts.py",
            "tests/ops/test_large_valid_bodies.py",
        ],
    ),
    "text.profiles": Module(  # line profiles shown to the model
        "engine/codeflash_engine/text/profiles.py",
        ["tests/text/test_profiles.py", "tests/endpoints/test_prompt_budgets.py"],
    ),
    "python.module": Module(  # what a module defines: units, accessor roles, class bodies
        "plugins/python/codeflash_engine_python/candidates/module.py",
        [
            "plugins/python/tests/test_candidates_more_mutants.py",
            *_PY_CANDIDATES[:4],
            "plugins/python/tests/test_merge_shapes.py",
            "plugins/python/tests/test_property_accessors.py",
        ],
    ),
    "python.hoist": Module(  # new class attributes an answer's methods read, moved to the module
        "plugins/python/codeflash_engine_python/candidates/hoist.py",
        [
            "plugins/python/tests/test_candidates_more_mutants.py",
            "plugins/python/tests/test_class_attributes.py",
            "plugins/python/tests/test_candidates.py",
            "plugins/python/tests/test_merge_shapes.py",
        ],
    ),
    "python.newmodule": Module(  # a new module's block folded into the file importing from it
        "plugins/python/codeflash_engine_python/candidates/newmodule.py",
        [
            "plugins/python/tests/test_candidates_more_mutants.py",
            "plugins/python/tests/test_new_module_blocks.py",
            *_PY_CANDIDATES[:3],
            "plugins/python/tests/test_merge_shapes.py",
        ],
    ),
    "python.extract": Module(  # code and explanation read out of an answer
        "plugins/python/codeflash_engine_python/candidates/extract.py",
        ["plugins/python/tests/test_candidates_more_mutants.py", *_PY_CANDIDATES],
    ),
    "admin.auth": Module(  # who opens the dashboard: the admin token, signed expiring sessions
        "engine/codeflash_engine/http/admin/auth.py",
        ["tests/admin/test_admin_auth.py", "tests/admin/test_admin_mutants.py"],
    ),
    "admin.csrf": Module(  # the dashboard's POSTs: same origin and the session's CSRF token
        "engine/codeflash_engine/http/admin/csrf.py",
        ["tests/admin/test_admin_auth.py", "tests/admin/test_admin_mutants.py"],
    ),
    "admin.manage": Module(  # the dashboard's changes: keys issued, revoked, rotated; plans; organizations
        "engine/codeflash_engine/http/admin/manage.py",
        ["tests/admin/test_admin_pages.py", "tests/admin/test_admin_auth.py", "tests/admin/test_admin_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "admin.views": Module(  # the dashboard's pages: overview, usage and its CSV, traces, keys, plugins
        "engine/codeflash_engine/http/admin/views.py",
        ["tests/admin/test_admin_pages.py", "tests/admin/test_admin_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "admin.pages": Module(  # login and logout, the overview, usage and its CSV, traces, plugins
        "engine/codeflash_engine/http/admin/pages.py",
        [
            "tests/admin/test_admin_auth.py",
            "tests/admin/test_admin_pages.py",
            "tests/admin/test_admin_live_metrics.py",
            "tests/admin/test_admin_mutants.py",
            "tests/admin/test_admin_pages_mutants.py",
        ],
        pytest_args=_MEMORY,
    ),
    "admin.live_metrics": Module(  # the overview's last minutes: error rate, latency quantiles
        "engine/codeflash_engine/http/admin/live_metrics.py",
        [
            "tests/admin/test_admin_live_metrics.py",
            "tests/admin/test_admin_mutants.py",
            "tests/admin/test_admin_pages_mutants.py",
        ],
        pytest_args=_MEMORY,
    ),
    "infra.plan_options": Module(  # rate limits, quotas, budgets and model mixes as operators write them
        "engine/codeflash_engine/infra/plan_options.py",
        ["tests/test_options_mutants.py", "tests/db/test_plans_commands.py"],
        pytest_args=_MEMORY,
    ),
    "infra.when": Module(  # moments and durations (usage --since, key expiry, rotation grace)
        "engine/codeflash_engine/infra/when.py",
        ["tests/test_options_mutants.py", "tests/db/test_usage_command.py"],
        pytest_args=_MEMORY,
    ),
    "llm.models": Module(  # the model table: prices, context windows, what a call costs
        "engine/codeflash_engine/infra/llm/models.py",
        ["tests/llm/test_models_mutants.py", "tests/llm/test_llm_models.py", "tests/llm/test_llm_billed_attempts.py"],
    ),
    "llm.config": Module(  # providers configured from the environment
        "engine/codeflash_engine/infra/llm/config.py",
        ["tests/llm/test_config_mutants.py", "tests/llm/test_llm_mix.py", "tests/llm/test_providers_mutants.py"],
    ),
    "llm.errors": Module(  # which provider failures are retried, fallen back from, or final
        "engine/codeflash_engine/infra/llm/errors.py",
        ["tests/llm/test_config_mutants.py", "tests/llm/test_llm_retry.py", "tests/llm/test_llm_mix.py"],
    ),
    "text.cuts": Module(  # how over-long prompt fields are cut
        "engine/codeflash_engine/text/cuts.py",
        ["tests/test_options_mutants.py", "tests/test_prompt_budget_units.py"],
    ),
    "python.base": Module(  # refinement, repair, adaptive answers completed from the base
        "plugins/python/codeflash_engine_python/candidates/base.py",
        [
            "plugins/python/tests/test_candidates_more_mutants.py",
            "plugins/python/tests/test_base_carry_over.py",
            "plugins/python/tests/test_edits.py",
            "tests/test_plugin_candidates.py",
            "plugins/python/tests/test_candidates.py",
            "plugins/python/tests/test_candidate_files.py",
        ],
    ),
    # -- session 12, http: request schemas, context, cfapi schemas and guard
    "http.schemas": Module(  # request bodies read and refused field by field
        "engine/codeflash_engine/http/schemas.py",
        [
            "tests/endpoints/test_schemas_mutants.py",
            "tests/endpoints/test_hostile_fields.py",
            "tests/endpoints/test_endpoints.py",
            "tests/test_http_errors.py",
        ],
        pytest_args=_MEMORY,
    ),
    "http.context": Module(  # the request's context: trace, tenant, timing
        "engine/codeflash_engine/http/context.py",
        [
            "tests/ops/test_context_mutants.py",
            "tests/ops/test_observability.py",
            "tests/endpoints/test_hostile_errors.py",
        ],
        pytest_args=_MEMORY,
    ),
    "http.cfapi_schemas": Module(  # the CLI's cfapi request bodies
        "engine/codeflash_engine/http/cfapi_schemas.py",
        [
            "tests/cfapi/test_cfapi_schemas_mutants.py",
            "tests/cfapi/test_client_routes.py",
            "tests/cfapi/test_cfapi_routes_mutants.py",
        ],
        pytest_args=_MEMORY,
    ),
    "http.cfapi_guard": Module(  # who may call the cfapi
        "engine/codeflash_engine/http/cfapi_guard.py",
        [
            "tests/cfapi/test_cfapi_schemas_mutants.py",
            "tests/cfapi/test_client_routes.py",
            "tests/cfapi/test_cfapi_routes_mutants.py",
        ],
        pytest_args=_MEMORY,
    ),
    # -- session 12, routes: the AI routes' handlers and the metrics
    "routes.candidates": Module(
        "engine/codeflash_engine/http/routes/candidates.py",
        ["tests/endpoints/test_endpoints.py", "tests/endpoints/test_routes_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "routes.testgen": Module(
        "engine/codeflash_engine/http/routes/testgen.py",
        [
            "tests/endpoints/test_endpoints.py",
            "tests/endpoints/test_testgen_prompt_paths.py",
            "tests/endpoints/test_routes_mutants.py",
        ],
        pytest_args=_MEMORY,
    ),
    "routes.judging": Module(
        "engine/codeflash_engine/http/routes/judging.py",
        ["tests/endpoints/test_endpoints.py", "tests/endpoints/test_routes_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "routes.health": Module(
        "engine/codeflash_engine/http/routes/health.py",
        ["tests/ops/test_observability.py", "tests/endpoints/test_routes_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "routes.usage": Module(
        "engine/codeflash_engine/http/routes/usage.py",
        ["tests/db/test_tenancy.py", "tests/endpoints/test_routes_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "http.metrics": Module(  # Prometheus metrics and the live figures the dashboard reads
        "engine/codeflash_engine/http/metrics.py",
        [
            "tests/ops/test_metrics_mutants.py",
            "tests/ops/test_observability.py",
            "tests/admin/test_admin_live_metrics.py",
        ],
        pytest_args=_MEMORY,
    ),
    # -- session 12, testgen: the Python plugin's test assertions and runtime, the JS/TS plugin
    "python.testgen_assertions": Module(
        "plugins/python/codeflash_engine_python/testgen/assertions.py",
        [
            "plugins/python/tests/test_assertions_mutants.py",
            *_PY_TESTGEN,
            "plugins/python/tests/test_cli_shapes_24.py",
        ],
    ),
    "python.testgen_runtime": Module("plugins/python/codeflash_engine_python/testgen/runtime.py", _PY_TESTGEN),
    "plugins.treesitter": Module(
        "engine/codeflash_engine/plugins/treesitter.py",
        ["tests/test_treesitter_mutants.py", "tests/test_treesitter_parse.py"],
    ),
    "js_ts.testgen": Module(
        "plugins/js_ts/codeflash_engine_js_ts/testgen.py",
        [
            "plugins/js_ts/tests/test_jsts_mutants.py",
            "plugins/js_ts/tests/test_jsts_testgen.py",
            "plugins/js_ts/tests/test_jsts_testgen_sizes.py",
        ],
    ),
    "js_ts.structure": Module(
        "plugins/js_ts/codeflash_engine_js_ts/structure.py",
        [
            "plugins/js_ts/tests/test_jsts_mutants.py",
            "plugins/js_ts/tests/test_jsts_candidates.py",
            "plugins/js_ts/tests/test_jsts_testgen.py",
            "plugins/js_ts/tests/test_jsts_cli_shapes.py",
            "plugins/js_ts/tests/test_jsts_client_forms_mutants.py",
            "plugins/js_ts/tests/test_jsts_prompts.py",
        ],
    ),
    "js_ts.imports": Module(
        "plugins/js_ts/codeflash_engine_js_ts/imports.py",
        [
            "plugins/js_ts/tests/test_jsts_mutants.py",
            "plugins/js_ts/tests/test_jsts_candidates.py",
            "plugins/js_ts/tests/test_jsts_testgen.py",
        ],
    ),
    # -- session 12, java and go: tree-sitter plugins' imports, assertions, structure, testgen
    "java.imports": Module(
        "plugins/java/codeflash_engine_java/imports.py",
        [
            "plugins/java/tests/test_java_candidates.py",
            "plugins/java/tests/test_java_testgen.py",
            "plugins/java/tests/test_java_mutants.py",
        ],
    ),
    "java.assertions": Module(
        "plugins/java/codeflash_engine_java/assertions.py",
        [
            "plugins/java/tests/test_java_candidates.py",
            "plugins/java/tests/test_java_testgen.py",
            "plugins/java/tests/test_java_mutants.py",
        ],
    ),
    "java.testgen": Module(
        "plugins/java/codeflash_engine_java/testgen.py",
        [
            "plugins/java/tests/test_java_candidates.py",
            "plugins/java/tests/test_java_testgen.py",
            "plugins/java/tests/test_java_mutants.py",
        ],
    ),
    "java.structure": Module(
        "plugins/java/codeflash_engine_java/structure.py",
        [
            "plugins/java/tests/test_java_candidates.py",
            "plugins/java/tests/test_java_testgen.py",
            "plugins/java/tests/test_java_mutants.py",
        ],
    ),
    "go.candidates": Module(
        "plugins/go/codeflash_engine_go/candidates.py",
        [
            "plugins/go/tests/test_go_candidates.py",
            "plugins/go/tests/test_go_testgen.py",
            "plugins/go/tests/test_go_mutants.py",
        ],
    ),
    "go.testgen": Module(
        "plugins/go/codeflash_engine_go/testgen.py",
        [
            "plugins/go/tests/test_go_candidates.py",
            "plugins/go/tests/test_go_testgen.py",
            "plugins/go/tests/test_go_mutants.py",
        ],
    ),
    "go.source": Module(
        "plugins/go/codeflash_engine_go/source.py",
        [
            "plugins/go/tests/test_go_candidates.py",
            "plugins/go/tests/test_go_testgen.py",
            "plugins/go/tests/test_go_mutants.py",
        ],
    ),
    # -- session 12, infra: redaction, safe text, deadlines, observability, the commands
    "llm.redact": Module(
        "engine/codeflash_engine/infra/llm/redact.py",
        ["tests/llm/test_redact_mutants.py", "tests/llm/test_llm_retry.py", "tests/llm/test_llm_secrets.py"],
    ),
    "db.safe_text": Module(
        "engine/codeflash_engine/infra/db/safe_text.py",
        ["tests/ops/test_infra_mutants.py", "tests/ops/test_hostile_records.py"],
        pytest_args=_MEMORY,
    ),
    "llm.deadline": Module(
        "engine/codeflash_engine/infra/llm/deadline.py",
        ["tests/llm/test_llm_retry.py", "tests/endpoints/test_pipelines_mutants.py"],
    ),
    "infra.observability": Module(
        "engine/codeflash_engine/infra/observability.py",
        ["tests/ops/test_infra_mutants.py", "tests/ops/test_observability.py"],
        pytest_args=_MEMORY,
    ),
    "commands.keys": Module(
        "engine/codeflash_engine/commands/keys.py",
        ["tests/db/test_commands_mutants.py", "tests/db/test_keys_commands.py"],
        needs_postgres=True,
    ),
    "commands.plans": Module(
        "engine/codeflash_engine/commands/plans.py",
        ["tests/db/test_commands_mutants.py", "tests/db/test_plans_commands.py"],
        needs_postgres=True,
    ),
    "commands.apply_patch": Module(
        "engine/codeflash_engine/commands/apply_patch.py",
        [
            "tests/text/test_apply_patch_cli.py",
            "tests/text/test_apply_patch_hostile.py",
            "tests/db/test_commands_mutants.py",
        ],
        pytest_args=("-k", "apply_patch"),  # the file's other tests need PostgreSQL
    ),
    "commands.connect": Module(
        "engine/codeflash_engine/commands/connect.py",
        ["tests/cfapi/test_connect.py", "tests/db/test_commands_mutants.py"],
        pytest_args=("-k", "connect"),  # the file's other tests need PostgreSQL
    ),
    # -- session 13, host: settings, the plugin types and registry, opening and migrating the store
    "settings": Module(
        "engine/codeflash_engine/settings.py",
        ["tests/ops/test_settings_mutants.py", "tests/test_cli.py"],
        pytest_args=_MEMORY,
    ),
    "plugins.types": Module(
        "engine/codeflash_engine/plugins/types.py",
        [
            "tests/test_plugin_types_mutants.py",
            "tests/test_plugin_host.py",
            "tests/test_candidate_skeleton.py",
            "tests/test_prompt_budget_units.py",
        ],
    ),
    "plugins.registry": Module(
        "engine/codeflash_engine/plugins/registry.py",
        ["tests/test_plugin_types_mutants.py", "tests/test_plugin_host.py", "tests/test_plugin_host_reporting.py"],
    ),
    "db.factory": Module(
        "engine/codeflash_engine/infra/db/factory.py",
        ["tests/db/test_open_store.py", "tests/db/test_host_mutants.py"],
        needs_postgres=True,
    ),
    "db.migrate": Module(
        "engine/codeflash_engine/infra/db/migrate.py",
        ["tests/db/test_migrations.py", "tests/db/test_open_store.py", "tests/db/test_host_mutants.py"],
        needs_postgres=True,
    ),
    "commands.usage": Module(
        "engine/codeflash_engine/commands/usage.py",
        ["tests/db/test_usage_command.py", "tests/db/test_host_mutants.py"],
        needs_postgres=True,
    ),
    "commands.db": Module(
        "engine/codeflash_engine/commands/db.py",
        ["tests/db/test_migrations.py", "tests/db/test_host_mutants.py"],
        needs_postgres=True,
    ),
    # -- session 13, serve: the process supervisor, the app's resources, the server, openapi, admin rendering
    "serve": Module(
        "engine/codeflash_engine/serve.py",
        ["tests/ops/test_serve_mutants.py", "tests/cfapi/test_serve_cfapi_port.py", "tests/ops/test_serve.py"],
    ),
    "app": Module(
        "engine/codeflash_engine/app.py",
        ["tests/ops/test_app_mutants.py", "tests/ops/test_observability.py", "tests/ops/test_degradation.py"],
        pytest_args=_MEMORY,
    ),
    "http.server": Module(
        "engine/codeflash_engine/http/server.py",
        ["tests/ops/test_hostile_connections.py", "tests/ops/test_app_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "http.openapi": Module(
        "engine/codeflash_engine/http/openapi.py", ["tests/ops/test_app_mutants.py", "tests/endpoints/test_openapi.py"]
    ),
    "admin.render": Module(
        "engine/codeflash_engine/http/admin/render.py",
        [
            "tests/ops/test_app_mutants.py",
            "tests/admin/test_admin_auth.py",
            "tests/admin/test_admin_mutants.py",
            "tests/admin/test_admin_pages.py",
            "tests/admin/test_admin_pages_mutants.py",
        ],
        pytest_args=_MEMORY,
    ),
    "text.report": Module(
        "engine/codeflash_engine/text/report.py", ["tests/text/test_report_mutants.py", *_TEXT_TESTS]
    ),
    "infra.integrations": Module(
        "engine/codeflash_engine/infra/integrations.py",
        ["tests/ops/test_app_mutants.py", "tests/ops/test_integrations.py", "tests/ops/test_context_mutants.py"],
        pytest_args=_MEMORY,
    ),
    # -- session 13, kit: the plugin kit's conformance checks, the plugin template, the CLI's wiring
    "kit.checks": Module(
        "engine/codeflash_engine/testing/plugin_kit/checks.py",
        [
            "tests/kit/test_kit_mutants.py",
            "tests/kit/test_kit_suite.py",
            "tests/kit/test_kit_reference.py",
            "tests/kit/test_kit_checks_shares.py",
        ],
        sample=2,
    ),
    "kit.requests": Module(
        "engine/codeflash_engine/testing/plugin_kit/requests.py",
        ["tests/kit/test_kit_mutants.py", "tests/kit/test_kit_suite.py", "tests/kit/test_kit_reference.py"],
    ),
    "kit.engine_check": Module(
        "engine/codeflash_engine/testing/plugin_kit/engine_check.py",
        ["tests/kit/test_kit_mutants.py", "tests/kit/test_kit_suite.py"],
    ),
    "commands.plugin_new": Module(
        "engine/codeflash_engine/commands/plugin_new.py",
        ["tests/kit/test_kit_mutants.py", "tests/kit/test_kit_template.py"],
    ),
    "cli": Module("engine/codeflash_engine/cli.py", ["tests/kit/test_kit_mutants.py", "tests/test_cli.py"]),
    "infra.logging": Module(
        "engine/codeflash_engine/infra/logging.py",
        ["tests/kit/test_kit_mutants.py", "tests/ops/test_observability.py", "tests/ops/test_context_mutants.py"],
        pytest_args=_MEMORY,
    ),
    # -- session 13, misc: the SQL built in Python, mail, the telemetry route, the JIT and features pipelines
    "db.queries": Module(
        "engine/codeflash_engine/infra/db/queries.py",
        ["tests/db/test_usage_command.py", "tests/db/test_plans_commands.py"],
        only=["_arrays", "usage_report"],
        needs_postgres=True,
    ),
    "infra.mail": Module(
        "engine/codeflash_engine/infra/mail.py",
        ["tests/cfapi/test_completion_email.py", "tests/ops/test_misc_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "routes.telemetry": Module(
        "engine/codeflash_engine/http/routes/telemetry.py",
        ["tests/endpoints/test_endpoints.py", "tests/ops/test_misc_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "pipelines.jit": Module(
        "engine/codeflash_engine/pipelines/jit.py",
        ["tests/endpoints/test_endpoints.py", "tests/endpoints/test_planned_calls.py"],
        pytest_args=_MEMORY,
    ),
    "pipelines.features": Module(
        "engine/codeflash_engine/pipelines/features.py",
        ["tests/endpoints/test_endpoints.py", "tests/db/test_tenancy.py", "tests/ops/test_misc_mutants.py"],
        pytest_args=_MEMORY,
    ),
    # -- session 13, langs: the plugins' smaller modules (sizes, exports, sources, syntax, placeholders)
    "js_ts.testgen_sizes": Module(
        "plugins/js_ts/codeflash_engine_js_ts/testgen_sizes.py",
        ["plugins/js_ts/tests/test_jsts_testgen_sizes.py", "plugins/js_ts/tests/test_jsts_small_mutants.py"],
    ),
    "java.testgen_sizes": Module(
        "plugins/java/codeflash_engine_java/testgen_sizes.py",
        ["plugins/java/tests/test_java_testgen_sizes.py", "plugins/java/tests/test_java_small_mutants.py"],
    ),
    "go.testgen_sizes": Module(
        "plugins/go/codeflash_engine_go/testgen_sizes.py",
        ["plugins/go/tests/test_go_testgen_sizes.py", "plugins/go/tests/test_go_small_mutants.py"],
    ),
    "js_ts.exports": Module(
        "plugins/js_ts/codeflash_engine_js_ts/exports.py",
        [
            "plugins/js_ts/tests/test_jsts_small_mutants.py",
            "plugins/js_ts/tests/test_jsts_testgen.py",
            "plugins/js_ts/tests/test_jsts_prompts.py",
        ],
    ),
    "js_ts.source": Module(
        "plugins/js_ts/codeflash_engine_js_ts/source.py",
        [
            "plugins/js_ts/tests/test_jsts_small_mutants.py",
            "plugins/js_ts/tests/test_jsts_mutants.py",
            "plugins/js_ts/tests/test_jsts_candidates.py",
        ],
    ),
    "java.source": Module(
        "plugins/java/codeflash_engine_java/source.py",
        [
            "plugins/java/tests/test_java_small_mutants.py",
            "plugins/java/tests/test_java_mutants.py",
            "plugins/java/tests/test_java_candidates.py",
        ],
    ),
    "go.imports": Module(
        "plugins/go/codeflash_engine_go/imports.py",
        [
            "plugins/go/tests/test_go_small_mutants.py",
            "plugins/go/tests/test_go_mutants.py",
            "plugins/go/tests/test_go_candidates.py",
        ],
    ),
    "go.syntax": Module(
        "plugins/go/codeflash_engine_go/syntax.py",
        [
            "plugins/go/tests/test_go_small_mutants.py",
            "plugins/go/tests/test_go_syntax.py",
            "plugins/go/tests/test_go_mutants.py",
        ],
    ),
    "python.placeholder": Module(
        "plugins/python/codeflash_engine_python/candidates/placeholder.py",
        [
            "plugins/python/tests/test_small_mutants.py",
            "plugins/python/tests/test_candidates.py",
            "plugins/python/tests/test_candidates_more_mutants.py",
        ],
    ),
    "python.edits": Module(
        "plugins/python/codeflash_engine_python/edits.py",
        ["plugins/python/tests/test_edits.py", "plugins/python/tests/test_candidates_more_mutants.py"],
    ),
    # -- session 14: the prompts' language context, the plugins' hook wiring, the builtin defaults
    "js_ts.prompts": Module(
        "plugins/js_ts/codeflash_engine_js_ts/prompts.py",
        ["plugins/js_ts/tests/test_jsts_prompts.py", "plugins/js_ts/tests/test_jsts_prompt_mutants.py"],
    ),
    "java.prompts": Module(
        "plugins/java/codeflash_engine_java/prompts.py",
        ["plugins/java/tests/test_java_prompts.py", "plugins/java/tests/test_java_prompt_mutants.py"],
    ),
    "go.prompts": Module(
        "plugins/go/codeflash_engine_go/prompts.py",
        ["plugins/go/tests/test_go_prompts.py", "plugins/go/tests/test_go_prompt_mutants.py"],
    ),
    "python.prompting": Module(
        "plugins/python/codeflash_engine_python/prompting.py",
        ["plugins/python/tests/test_prompts.py", "plugins/python/tests/test_prompt_mutants.py"],
    ),
    "python.plugin": Module(
        "plugins/python/codeflash_engine_python/plugin.py",
        ["plugins/python/tests/test_plugin_wiring_mutants.py", "tests/kit/test_kit_suite.py"],
    ),
    "js_ts.plugin": Module(
        "plugins/js_ts/codeflash_engine_js_ts/plugin.py",
        [
            "plugins/js_ts/tests/test_jsts_engine.py",
            "plugins/js_ts/tests/test_jsts_host.py",
            "plugins/js_ts/tests/test_jsts_prompt_mutants.py",
        ],
    ),
    "java.plugin": Module(
        "plugins/java/codeflash_engine_java/plugin.py",
        [
            "plugins/java/tests/test_java_engine.py",
            "plugins/java/tests/test_java_host.py",
            "plugins/java/tests/test_java_prompt_mutants.py",
        ],
    ),
    "go.plugin": Module(
        "plugins/go/codeflash_engine_go/plugin.py",
        ["plugins/go/tests/test_go_engine.py", "plugins/go/tests/test_go_prompt_mutants.py"],
    ),
    "plugins.defaults": Module(
        "engine/codeflash_engine/plugins/defaults.py",
        ["tests/test_plugin_candidates.py", "tests/test_plugin_host.py", "tests/test_plugin_defaults_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "plugins.builtin": Module(
        "engine/codeflash_engine/plugins/builtin.py",
        ["tests/test_plugin_host.py", "tests/test_plugin_defaults_mutants.py"],
        pytest_args=_MEMORY,
    ),
    # -- session 15: the last small modules of the service never mutated
    "pipelines.explain": Module(  # /ai/explain: the tagged explanation, or the whole answer
        "engine/codeflash_engine/pipelines/explain.py",
        [
            "tests/endpoints/test_pipelines_mutants.py",
            "tests/endpoints/test_endpoints.py",
            "tests/ops/test_large_valid_bodies.py",
        ],
        pytest_args=_MEMORY,
    ),
    "routes.workflow": Module(
        "engine/codeflash_engine/http/routes/workflow.py",
        ["tests/endpoints/test_endpoints.py", "tests/endpoints/test_routes_mutants.py"],
        pytest_args=_MEMORY,
    ),
    "errors": Module(  # the statuses of the engine's exceptions
        "engine/codeflash_engine/errors.py",
        ["tests/test_errors_mutants.py", "tests/test_http_errors.py"],
        pytest_args=_MEMORY,
    ),
    "js_ts.grammars": Module(  # TypeScript, TSX or JavaScript for a file
        "plugins/js_ts/codeflash_engine_js_ts/grammars.py",
        ["plugins/js_ts/tests/test_jsts_candidates.py", "plugins/js_ts/tests/test_jsts_small_mutants.py"],
    ),
}


@dataclass
class Mutant:
    job_id: str
    path: str
    operator: str
    line: int
    column: int
    code: str
    outcome: str  # killed, survived, timeout, incompetent, skipped

    @property
    def key(self) -> str:
        return f"{self.path}|{self.operator}|{self.column}|{self.code}"


def _load_equivalents() -> dict[str, dict[str, str]]:
    if not EQUIVALENTS.exists():
        return {}
    entries = json.loads(EQUIVALENTS.read_text())
    return {f"{e['path']}|{e['operator']}|{e['column']}|{e['code']}": e for e in entries}


def _spans(source: str, names: list[str]) -> list[tuple[int, int]]:
    """Line spans of the named top-level definitions and methods (``Class.method``)."""
    tree = ast.parse(source)
    spans: list[tuple[int, int]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name in names:
                spans.append((node.lineno, node.end_lineno or node.lineno))
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and f"{node.name}.{item.name}" in names:
                        spans.append((item.lineno, item.end_lineno or item.lineno))
    return spans


#: third-party packages the fork server imports once, so that a mutant's pytest starts warm;
#: nothing of the engine or its plugins (a mutant must import the mutated file afresh)
PRELOAD = (
    "pytest",
    "_pytest.python",
    "_pytest.fixtures",
    "hypothesis",
    "hypothesis.strategies",
    "aiohttp",
    "aiohttp.test_utils",
    "aiohttp.web",
    "pytest_aiohttp",
    "pytest_asyncio",
    "syrupy",
    "asyncpg",
    "openai",
    "anthropic",
    "pydantic",
    "attrs",
    "jinja2",
    "libcst",
    "pluggy",
    "yarl",
    "multidict",
    "httpx",
    "schemathesis",
    "tree_sitter",
    "click",
    "rich",
)


def serve(path: str) -> None:
    """Fork server: each request runs ``pytest.main(args)`` in a fresh fork of a warm process.

    cosmic-ray runs one test command per mutant; a plain ``python -m pytest`` spends seconds
    importing pytest's plugins, aiohttp and the LLM SDKs before the first test. The client
    (``--client``) sends the arguments over a Unix socket and exits with the child's status.
    """
    import importlib

    for name in [*PRELOAD, *_third_party_modules()]:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    assert not any(m.startswith("codeflash_engine") for m in sys.modules), "the engine must not be preloaded"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    while True:
        conn, _ = server.accept()
        with conn:
            request = json.loads(conn.makefile("r").readline())
            pid = os.fork()
            if pid == 0:
                server.close()
                os.setsid()
                os.chdir(request["cwd"])
                if not request.get("database", True):
                    os.environ.pop("DATABASE_URL", None)
                out = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(out, 1)
                os.dup2(out, 2)
                import pytest

                code = 70
                try:
                    code = int(pytest.main(request["args"]))
                    # pytest's own verdict, written as it ends: a process that exits from inside a
                    # test (a mutant sending a forked child's os._exit(0) down the parent's path)
                    # ends without it, and counts as failed, not as a pass
                    Path(request["log"] + ".code").write_text(str(code))
                finally:
                    sys.stdout.flush()
                    os._exit(code)
            deadline = time.monotonic() + float(request["timeout"])
            status = None
            while time.monotonic() < deadline:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.02)
            else:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status = None
            code = 124 if status is None else os.waitstatus_to_exitcode(status)
            verdict = Path(request["log"] + ".code")
            if code == 0 and not (verdict.exists() and verdict.read_text() == "0"):
                code = 70  # exited 0 without pytest saying so
            with contextlib.suppress(OSError):
                verdict.unlink()
            with contextlib.suppress(OSError):
                conn.sendall(f"{code}\n".encode())


#: what the tests' fixtures import, to list the third-party modules they pull in
_FIXTURE_MODULES = (
    "codeflash_engine.testing.fixtures",
    "codeflash_engine.testing.llm_fixtures",
    "codeflash_engine.testing.engine",
    "codeflash_engine.app",
    "codeflash_engine_python.plugin",
    "codeflash_engine_java.plugin",
    "codeflash_engine_js_ts.plugin",
    "codeflash_engine_go.plugin",
)


def _third_party_modules() -> list[str]:
    """The modules outside the engine and its plugins that importing the fixtures loads (listed by
    a throwaway interpreter, so the fork server itself never imports the engine)."""
    script = (
        "import importlib, sys\n"
        f"for name in {_FIXTURE_MODULES!r}:\n"
        "    try:\n        importlib.import_module(name)\n    except Exception:\n        pass\n"
        "print('\\n'.join(sys.modules))\n"
    )
    listed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False).stdout
    own = ("codeflash", "tests", "conftest", "__main__", "db_support", "guarded_app")
    return [name for name in listed.split() if not name.startswith(own)]


def client(path: str, timeout: float, args: list[str], *, database: bool = True) -> int:
    """Run pytest with ``args`` in the fork server at ``path`` (without DATABASE_URL unless
    ``database``); its exit status."""
    log = Path(path).with_suffix(".log")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        request = {"args": args, "cwd": os.getcwd(), "timeout": timeout, "log": str(log), "database": database}
        conn.sendall((json.dumps(request) + "\n").encode())
        answer = conn.makefile("r").readline().strip()
    code = int(answer or 125)
    sys.stdout.write(log.read_text(errors="replace")[-4000:] + f"\nmutation fork server: exit {code}\n")
    return code


def _inert(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Spans where a mutant cannot be a bug: annotations (strings under ``from __future__ import
    annotations``) and a ``def`` line outside its default values (cosmic-ray reads the bare ``*``
    of a parameter list as a multiplication)."""

    def span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
        return (node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]

    inert: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            header = ((node.lineno, node.col_offset), (node.body[0].lineno, node.body[0].col_offset))
            defaults = [span(d) for d in [*node.args.defaults, *node.args.kw_defaults] if d is not None]
            # the header minus its defaults
            start = header[0]
            for a, b in sorted(defaults):
                inert.append((start, a))
                start = b
            inert.append((start, header[1]))
        elif isinstance(node, ast.AnnAssign):
            inert.append(span(node.annotation))
    return inert


def _copy_tree(source: Path, dest: Path) -> None:
    ignore = shutil.ignore_patterns(
        "__pycache__", "*.pyc", ".venv*", "node_modules", ".git", "*.egg-info", "build", "dist"
    )
    for part in ("engine", "plugins", "tests"):
        shutil.copytree(source / part, dest / part, ignore=ignore)
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy2(source / name, dest / name)


def _copy_tests(source: Path, dest: Path) -> None:
    """The test files of ``source`` over those of the copy (the code under mutation is left alone)."""
    for tests in [Path("tests"), *Path(source, "plugins").glob("*/tests")]:
        tests = tests.relative_to(source) if tests.is_absolute() else tests
        shutil.copytree(
            source / tests, dest / tests, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    shutil.copy2(source / "conftest.py", dest / "conftest.py")


def _forget_survivors(db: Path) -> None:
    """Mark the surviving mutants of a session as not run yet, so that ``exec`` runs them again."""
    if not db.exists():
        return
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM work_results WHERE worker_outcome = 'NORMAL' AND test_outcome = 'SURVIVED'")


@contextmanager
def _postgres() -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    sys.path.insert(0, str(ROOT / "engine"))
    from codeflash_engine.testing.postgres import throwaway_postgres

    with throwaway_postgres() as server:
        yield server.dsn


def _cr(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).with_name("cosmic-ray"))
    return subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _session(
    name: str,
    module: Module,
    tree: Path,
    work: Path,
    sample: int,
    env: dict[str, str],
    sock: str,
    reuse: bool,
    retest: bool = False,
    offset: int = 0,
) -> list[Mutant]:
    """Run the cosmic-ray session of one module; its mutants with their outcomes.

    ``reuse``: a session of this module already in ``work`` is carried on (its pending mutants
    run) and read, instead of started afresh.
    """
    from cosmic_ray.work_db import WorkDB, use_db  # type: ignore[import-untyped]
    from cosmic_ray.work_item import WorkerOutcome  # type: ignore[import-untyped]

    config = work / f"{name}.toml"
    db = work / f"{name}.sqlite"
    if not (reuse and config.exists() and db.exists()):
        _prepare(name, module, tree, config, db, sample, env, sock, offset)
    elif retest:  # the module's tests as they are now (new test files included), same time-out
        timeout = float(tomllib.loads(config.read_text())["cosmic-ray"]["timeout"]) - 30
        _write_config(config, module, _command(module, tree, sock, timeout))
    done = _cr("exec", str(config), str(db), cwd=tree, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{name}: cosmic-ray exec failed:\n{done.stderr[-3000:]}")
    lines = (tree / module.path).read_text().splitlines()
    mutants: list[Mutant] = []
    with use_db(str(db), WorkDB.Mode.open) as work_db:
        for item, result in work_db.completed_work_items:
            spec = item.mutations[0]
            line, column = spec.start_pos
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                outcome = "skipped"
            elif result.worker_outcome != WorkerOutcome.NORMAL:
                outcome = "incompetent"
            elif result.test_outcome is not None and result.test_outcome.value == "survived":
                outcome = "survived"
            elif result.output == "timeout" or "exit 124" in (result.output or ""):
                outcome = "timeout"
            else:
                outcome = "killed"
            code = lines[line - 1].strip()
            mutants.append(Mutant(item.job_id, module.path, spec.operator_name, line, column, code, outcome))
    return mutants


def _command(module: Module, tree: Path, sock: str, timeout: float, note: str = "") -> str:
    """The test command of one mutant: the module's tests (those in the copy) through the fork server."""
    tests = [t for t in module.tests if (tree / t).exists()]  # a test file may be newer than --source
    if note and tests != module.tests:
        print(f"  {note}: not in this checkout: {', '.join(sorted(set(module.tests) - set(tests)))}", flush=True)
    args = ["-x", "-q", "-p", "no:cacheprovider", *module.pytest_args, *tests]
    me = str(Path(__file__).resolve())
    # the fork server has DATABASE_URL when any module of the run needs PostgreSQL; the others'
    # tests must not see it (their apps would take their keys from that database)
    database = [] if module.needs_postgres else ["--no-database"]
    return shlex.join([sys.executable, me, "--client", sock, "--timeout", f"{timeout:.0f}", *database, "--", *args])


def _write_config(config: Path, module: Module, command: str) -> None:
    timeout = float(shlex.split(command)[shlex.split(command).index("--timeout") + 1])
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module.path}"\n'
        f"timeout = {timeout + 30:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n'
    )


def _prepare(
    name: str,
    module: Module,
    tree: Path,
    config: Path,
    db: Path,
    sample: int,
    env: dict[str, str],
    sock: str,
    offset: int = 0,
) -> None:
    """Check the module's tests pass unmutated, create its session, mark what is not run as skipped
    (of every ``sample`` mutants in scope, the one at ``offset`` runs)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    started = time.monotonic()
    baseline = subprocess.run(
        shlex.split(_command(module, tree, sock, 900.0, note=name)),
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.monotonic() - started
    if baseline.returncode != 0:
        raise SystemExit(f"{name}: the tests fail on the unmutated code:\n{baseline.stdout[-3000:]}")
    timeout = max(30.0, took * 4 + 10)
    db.unlink(missing_ok=True)
    _write_config(config, module, _command(module, tree, sock, timeout))
    done = _cr("init", str(config), str(db), cwd=tree, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{name}: cosmic-ray init failed:\n{done.stderr[-3000:]}")
    source = (tree / module.path).read_text()
    spans = _spans(source, module.only) if module.only is not None else None
    inert = _inert(source)
    kept = 0
    with use_db(str(db), WorkDB.Mode.open) as work_db:
        # cosmic-ray's job ids are random: sample in the order of position, then operator
        specs = sorted(
            ((item, item.mutations[0]) for item in work_db.pending_work_items),
            key=lambda pair: (tuple(pair[1].start_pos), pair[1].operator_name, pair[1].occurrence),
        )
        for item, _ in specs:
            spec = item.mutations[0]
            line = spec.start_pos[0]
            why = ""
            if not wanted(spec.operator_name):
                why = "operator not kept (scripts/mutation.py: wanted)"
            elif spans is not None and not any(a <= line <= b for a, b in spans):
                why = "outside the module's scope (scripts/mutation.py: only)"
            elif any(a <= tuple(spec.start_pos) < b for a, b in inert):
                why = "in an annotation or a def line (scripts/mutation.py: _inert)"
            else:
                kept += 1
                if (kept - 1) % sample != offset % sample:
                    why = "sampled out"
            if why:
                work_db.set_result(item.job_id, WorkResult(output=why, worker_outcome=WorkerOutcome.SKIPPED))
    running = len(range(offset % sample, kept, sample))
    print(f"  {name}: baseline {took:.1f} s, {kept} mutants in scope, running {running}", flush=True)


@dataclass
class Score:
    """One module's outcome."""

    sample: int
    seconds: int
    ran: int
    killed: list[Mutant]
    survived: list[Mutant]
    equivalent: list[Mutant]
    incompetent: int

    @property
    def score(self) -> float:
        counted = len(self.killed) + len(self.survived)
        return 100.0 * len(self.killed) / counted if counted else 100.0

    def as_json(self) -> dict[str, object]:
        return {
            "sample": self.sample,
            "seconds": self.seconds,
            "ran": self.ran,
            "killed": len(self.killed),
            "survived": [m.__dict__ for m in self.survived],
            "equivalent": len(self.equivalent),
            "incompetent": self.incompetent,
            "score": round(self.score, 1),
        }


def _score(mutants: list[Mutant], equivalents: dict[str, dict[str, str]], sample: int, seconds: int) -> Score:
    ran = [m for m in mutants if m.outcome != "skipped"]
    return Score(
        sample=sample,
        seconds=seconds,
        ran=len(ran),
        killed=[m for m in ran if m.outcome in ("killed", "timeout")],
        survived=[m for m in ran if m.outcome == "survived" and m.key not in equivalents],
        equivalent=[m for m in ran if m.outcome == "survived" and m.key in equivalents],
        incompetent=sum(m.outcome == "incompetent" for m in ran),
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--client":
        sep = sys.argv.index("--")
        database = "--no-database" not in sys.argv[:sep]
        sys.exit(client(sys.argv[2], float(sys.argv[4]), sys.argv[sep + 1 :], database=database))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"module names (default: all): {', '.join(MODULES)}")
    parser.add_argument("--sample", type=int, default=0, help="keep every K-th mutant (default: the module's own)")
    parser.add_argument(
        "--offset", type=int, default=0, help="of every K sampled mutants run the J-th (0 to K-1; default 0)"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/cfe-mutation"), help="working folder")
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout to copy and mutate (default: this one)")
    parser.add_argument("--reuse", action="store_true", help="carry on the sessions (and the copy) already in --work")
    parser.add_argument(
        "--retest",
        action="store_true",
        help="with --reuse: copy the tests afresh from --source and run the surviving mutants again",
    )
    parser.add_argument("--list", action="store_true", help="list the modules and their tests, run nothing")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    args = parser.parse_args()
    names = args.modules or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        parser.error(f"unknown modules {unknown}; known: {', '.join(MODULES)}")
    if args.list:
        for name in names:
            module = MODULES[name]
            scope = f" (only {len(module.only)} definitions)" if module.only else ""
            print(f"{name}: {module.path}{scope}, sample 1/{module.sample}\n    " + "\n    ".join(module.tests))
        return
    equivalents = _load_equivalents()
    args.work.mkdir(parents=True, exist_ok=True)
    tree = args.work / "tree"
    if not (args.reuse and tree.exists()):
        shutil.rmtree(tree, ignore_errors=True)
        _copy_tree(args.source, tree)
    elif args.retest:
        _copy_tests(args.source, tree)
        for name in names:
            _forget_survivors(args.work / f"{name}.sqlite")
    env = dict(os.environ)
    # every plugin from the copy too: a mutated plugin must not be imported through its editable install
    plugins = sorted(p.parent for p in (tree / "plugins").glob("*/pyproject.toml"))
    env["PYTHONPATH"] = os.pathsep.join([str(tree / "engine"), *map(str, plugins)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    report: dict[str, Score] = {}
    seen_keys: set[str] = set()
    with ExitStack() as stack:
        if any(MODULES[n].needs_postgres for n in names) and "DATABASE_URL" not in env:
            env["DATABASE_URL"] = stack.enter_context(_postgres())
        sock = str(args.work / "forkserver.sock")
        Path(sock).unlink(missing_ok=True)
        me = str(Path(__file__).resolve())
        server = subprocess.Popen([sys.executable, me, "--serve", sock], cwd=tree, env=env)
        stack.callback(server.wait)
        stack.callback(server.terminate)
        while not Path(sock).exists():
            if server.poll() is not None:
                raise SystemExit("the fork server did not start")
            time.sleep(0.1)
        for name in names:
            module = MODULES[name]
            sample = args.sample or module.sample
            started = time.monotonic()
            mutants = _session(name, module, tree, args.work, sample, env, sock, args.reuse, args.retest, args.offset)
            seen_keys.update(m.key for m in mutants)
            r = report[name] = _score(mutants, equivalents, sample, round(time.monotonic() - started))
            print(
                f"  {name}: {r.score:.1f} % killed ({len(r.killed)} of {len(r.killed) + len(r.survived)}"
                f" non-equivalent; {len(r.equivalent)} equivalent, {r.incompetent} incompetent) in {r.seconds} s",
                flush=True,
            )
    print("\nmodule                 mutants  killed  survived  equivalent  score   sample")
    for name, r in report.items():
        sampled = "all" if r.sample == 1 else f"1/{r.sample}"
        print(
            f"{name:<22} {r.ran:>7} {len(r.killed):>7} {len(r.survived):>9} {len(r.equivalent):>11}"
            f"  {r.score:5.1f} %  {sampled}"
        )
    for name, r in report.items():
        for m in r.survived:
            print(f"SURVIVED {name} {m.path}:{m.line}:{m.column} {m.operator}: {m.code}")
    for name, r in report.items():
        for m in r.equivalent:
            print(f"EQUIVALENT {name} {m.path}:{m.line} {m.operator}: {equivalents[m.key]['reason']}")
    full = {MODULES[n].path for n, r in report.items() if r.sample == 1}
    for key, entry in equivalents.items():
        if entry["path"] in full and key not in seen_keys:
            print(f"STALE equivalent entry (no such mutant now): {entry['path']} {entry['operator']}: {entry['code']}")
    if args.json:
        args.json.write_text(json.dumps({n: r.as_json() for n, r in report.items()}, indent=1))
    if any(r.score < 85.0 for r in report.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
