"""The request fields that never reach a model, each with the reason (issue 22).

Every other field of every /ai request schema reaches the prompt of its task (as text, or, for a
flag or a number, by changing what the prompt says). ``tests/endpoints/test_prompt_fields.py``
sets every field to a marker, calls each endpoint through the engine and checks the prompts the
model receives: a field neither shown nor listed here fails it.

Keys are dotted field paths as in the schemas (``test_diffs.scope``: the ``scope`` of each item).
"""

from __future__ import annotations

from types import MappingProxyType

_IDS = "an id the engine answers with or records; it tells the model nothing about the code"
_WHO = "who asks (identity, repository): not material for the model, and kept out of prompts on purpose"

NOT_IN_PROMPTS: MappingProxyType[str, str] = MappingProxyType(
    {
        "trace_id": _IDS,
        "rerun_trace_id": "replay of a stored trace (the engine does not replay); " + _IDS,
        "codeflash_version": "the client's version: the contract is the same for every 0.20.x client",
        "call_sequence": "the client's call counter: order of calls, not content",
        "experiment_metadata.id": "chooses the prompt arm (diverse or identical strategies) and is recorded "
        "with the trace's features, not shown to the model",
        "experiment_metadata.group": "chooses the prompt arm (diverse or identical strategies), recorded with "
        "the trace's features",
        "current_username": _WHO,
        "repo_owner": _WHO,
        "repo_name": _WHO,
        "n_candidates": "how many calls are made (each gets its own strategy line), not prompt text",
        "language": "chooses the language plugin and its templates, which name the language themselves",
        "module_system": "ESM or CommonJS: only JavaScript/TypeScript prompts use it (Python and Java have none)",
        "optimization_id": "the candidate's id, returned as the answer's parent_id; " + _IDS,
        "optimization_ids": "the ranked candidates' ids; the model ranks by position, the engine maps back",
        "candidates.optimization_id": "the attempt's id; attempts are numbered in the prompt instead",
        "function_to_optimize.file_path": "an absolute path on the client's machine; the tests import the "
        "code by module_path and the code's own path is in its fence",
        "function_to_optimize.parents.type": "ClassDef or FunctionDef: the qualified name and class_name "
        "already say what encloses the function",
        "function_to_optimize.starting_line": "lines of the client's file; the code shown is an extract "
        "(context), so its line numbers would not match",
        "function_to_optimize.ending_line": "lines of the client's file; the code shown is an extract",
        "function_to_optimize.starting_col": "a column of the client's file: no use to the model",
        "function_to_optimize.ending_col": "a column of the client's file: no use to the model",
        "function_to_optimize.is_method": "class_name and the qualified name say it",
        "function_to_optimize.language": "the request's language decides; this copy is the same",
        "function_to_optimize.doc_start_line": "a line of the client's file: no use to the model",
        "test_module_path": "the generated test file's module: the engine's instrumentation uses it, the "
        "tests themselves never import it",
    }
)
