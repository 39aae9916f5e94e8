"""The helper code an instrumented test file carries (our own, written from the contract, section 5).

Each instrumented file starts with one of these preambles. They must run in the user's project
under any Python the CLI supports (3.9 and later: no ``match``, no ``X | Y`` annotations at
runtime, no walrus in hot paths), and import nothing but the standard library and ``dill`` (the
CLI depends on dill, so it is installed wherever the CLI runs).

What they record, per call of the function under test:

* start marker ``!$######<tag>######$!`` (a line of its own), the call with the garbage collector
  off, timed with ``time.perf_counter_ns()``, then the end marker: ``!######<tag>######!`` in the
  behaviour file, ``!######<tag>:<duration_ns>######!`` in the performance file;
* ``<tag>`` is ``<test module>:<Class.>?<test name>:<function>:<loop index>:<invocation id>``,
  where the invocation id is ``<line id>_<n>``, ``n`` counting the calls of one call site in one
  test and one loop;
* the behaviour file also inserts a row into ``test_results`` of
  ``{codeflash_run_tmp_dir_client_side}/test_return_values_<CODEFLASH_TEST_ITERATION>.sqlite``
  holding the dill pickle of ``(args, kwargs, return value)``, or of the exception, which is then
  re-raised.

The test name is passed by the instrumenter when the call sits in a test function; for a call in
a helper the test is found at run time by walking up the stack to a ``test*`` function of this
module; a call outside any test (a fixture, module level) runs unrecorded.

A generator function does its work when the test consumes what the call returned, so the
performance file hands back a generator of its own: it forwards ``send``, ``throw`` and ``close``,
adds the time spent in each resumption to the call's, and prints the end marker once the target's
generator is finished or closed (a partly consumed one when it is dropped, still in its test).

Async functions: during its runs the CLI decorates an async target itself (the decorated source
imports its helper module ``codeflash_async_wrapper``) and that decorator records each call,
reading the call site from the environment variable ``CODEFLASH_CURRENT_LINE_ID``. The async
wrappers below therefore always set that variable and record the call themselves only when the
CLI's decorator is not loaded, so each call is recorded exactly once.
"""

from __future__ import annotations

PLACEHOLDER = "{codeflash_run_tmp_dir_client_side}"

_COMMON = """\
# ---- codeflash instrumentation: begin ----
import gc as _codeflash_gc
import os as _codeflash_os
import sys as _codeflash_sys
import time as _codeflash_time

_codeflash_call_counts = {}


def _codeflash_find_test(codeflash_class, codeflash_test):
    if codeflash_test is not None:
        return codeflash_class, codeflash_test
    frame = _codeflash_sys._getframe(2)
    here = globals()
    while frame is not None:
        if frame.f_globals is here and frame.f_code.co_name.startswith("test"):
            owner = frame.f_locals.get("self")
            return (type(owner).__name__ if owner is not None else None), frame.f_code.co_name
        frame = frame.f_back
    return None, None


def _codeflash_tag(codeflash_module, codeflash_class, codeflash_test, codeflash_function, codeflash_line_id):
    loop_index = int(_codeflash_os.environ.get("CODEFLASH_LOOP_INDEX", "1"))
    key = (codeflash_module, codeflash_class, codeflash_test, codeflash_line_id, loop_index)
    count = _codeflash_call_counts.get(key, 0)
    _codeflash_call_counts[key] = count + 1
    invocation_id = codeflash_line_id + "_" + str(count)
    prefix = codeflash_class + "." if codeflash_class else ""
    tag = "%s:%s%s:%s:%d:%s" % (
        codeflash_module, prefix, codeflash_test, codeflash_function, loop_index, invocation_id
    )
    return loop_index, invocation_id, tag


def _codeflash_async_recorded_by_cli(codeflash_line_id):
    _codeflash_os.environ["CODEFLASH_CURRENT_LINE_ID"] = codeflash_line_id
    return "codeflash_async_wrapper" in _codeflash_sys.modules
"""

_BEHAVIOR = """\
import sqlite3 as _codeflash_sqlite3

import dill as _codeflash_dill

_CODEFLASH_RUN_DIR = "{codeflash_run_tmp_dir_client_side}"
_codeflash_connections = {}


def _codeflash_db():
    iteration = _codeflash_os.environ.get("CODEFLASH_TEST_ITERATION", "0")
    connection = _codeflash_connections.get(iteration)
    if connection is None:
        path = _CODEFLASH_RUN_DIR + "/test_return_values_" + iteration + ".sqlite"
        connection = _codeflash_sqlite3.connect(path, timeout=30)
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS test_results (test_module_path TEXT, test_class_name TEXT, "
            "test_function_name TEXT, function_getting_tested TEXT, loop_index INTEGER, iteration_id TEXT, "
            "runtime INTEGER, return_value BLOB, verification_type TEXT)"
        )
        connection.commit()
        _codeflash_connections[iteration] = connection
    return connection


def _codeflash_pickle(codeflash_exception, args, kwargs, return_value):
    if codeflash_exception is not None:
        try:
            return _codeflash_dill.dumps(codeflash_exception)
        except Exception:
            return _codeflash_dill.dumps(
                RuntimeError(type(codeflash_exception).__qualname__ + ": " + str(codeflash_exception))
            )
    try:
        return _codeflash_dill.dumps((args, kwargs, return_value))
    except Exception:
        pass
    try:
        return _codeflash_dill.dumps(((), {}, return_value))
    except Exception:
        return _codeflash_dill.dumps(((), {}, "<unpicklable " + type(return_value).__qualname__ + ">"))


def _codeflash_record(codeflash_module, codeflash_class, codeflash_test, codeflash_function, loop_index,
                      invocation_id, duration, pickled):
    connection = _codeflash_db()
    connection.execute(
        "INSERT INTO test_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (codeflash_module, codeflash_class, codeflash_test, codeflash_function, loop_index, invocation_id,
         duration, pickled, "function_call"),
    )
    connection.commit()


def codeflash_behavior_call(codeflash_wrapped, codeflash_module, codeflash_class, codeflash_test,
                            codeflash_function, codeflash_line_id, *args, **kwargs):
    codeflash_class, codeflash_test = _codeflash_find_test(codeflash_class, codeflash_test)
    if codeflash_test is None:
        return codeflash_wrapped(*args, **kwargs)
    loop_index, invocation_id, tag = _codeflash_tag(
        codeflash_module, codeflash_class, codeflash_test, codeflash_function, codeflash_line_id
    )
    print("!$######" + tag + "######$!")
    codeflash_exception = None
    return_value = None
    gc_enabled = _codeflash_gc.isenabled()
    _codeflash_gc.disable()
    try:
        start = _codeflash_time.perf_counter_ns()
        try:
            return_value = codeflash_wrapped(*args, **kwargs)
        except Exception as exc:
            codeflash_exception = exc
        duration = _codeflash_time.perf_counter_ns() - start
    finally:
        if gc_enabled:
            _codeflash_gc.enable()
    print("!######" + tag + "######!")
    pickled = _codeflash_pickle(codeflash_exception, args, kwargs, return_value)
    _codeflash_record(codeflash_module, codeflash_class, codeflash_test, codeflash_function, loop_index,
                      invocation_id, duration, pickled)
    if codeflash_exception is not None:
        raise codeflash_exception
    return return_value


async def codeflash_behavior_call_async(codeflash_wrapped, codeflash_module, codeflash_class, codeflash_test,
                                        codeflash_function, codeflash_line_id, *args, **kwargs):
    if _codeflash_async_recorded_by_cli(codeflash_line_id):
        return await codeflash_wrapped(*args, **kwargs)
    codeflash_class, codeflash_test = _codeflash_find_test(codeflash_class, codeflash_test)
    if codeflash_test is None:
        return await codeflash_wrapped(*args, **kwargs)
    loop_index, invocation_id, tag = _codeflash_tag(
        codeflash_module, codeflash_class, codeflash_test, codeflash_function, codeflash_line_id
    )
    print("!$######" + tag + "######$!")
    codeflash_exception = None
    return_value = None
    gc_enabled = _codeflash_gc.isenabled()
    _codeflash_gc.disable()
    try:
        start = _codeflash_time.perf_counter_ns()
        try:
            return_value = await codeflash_wrapped(*args, **kwargs)
        except Exception as exc:
            codeflash_exception = exc
        duration = _codeflash_time.perf_counter_ns() - start
    finally:
        if gc_enabled:
            _codeflash_gc.enable()
    print("!######" + tag + "######!")
    pickled = _codeflash_pickle(codeflash_exception, args, kwargs, return_value)
    _codeflash_record(codeflash_module, codeflash_class, codeflash_test, codeflash_function, loop_index,
                      invocation_id, duration, pickled)
    if codeflash_exception is not None:
        raise codeflash_exception
    return return_value
# ---- codeflash instrumentation: end ----
"""

_PERFORMANCE = """\
import types as _codeflash_types


def _codeflash_timed_generator(codeflash_generator, tag, duration):
    sent = None
    thrown = None
    try:
        while True:
            gc_enabled = _codeflash_gc.isenabled()
            _codeflash_gc.disable()
            start = _codeflash_time.perf_counter_ns()
            try:
                if thrown is None:
                    item = codeflash_generator.send(sent)
                else:
                    item = codeflash_generator.throw(thrown)
            except StopIteration as stop:
                return stop.value
            finally:
                duration += _codeflash_time.perf_counter_ns() - start
                if gc_enabled:
                    _codeflash_gc.enable()
            sent, thrown = None, None
            try:
                sent = yield item
            except GeneratorExit:
                codeflash_generator.close()
                raise
            except BaseException as exc:
                thrown = exc
    finally:
        print("!######" + tag + ":" + str(duration) + "######!")


def codeflash_perf_call(codeflash_wrapped, codeflash_module, codeflash_class, codeflash_test,
                        codeflash_function, codeflash_line_id, *args, **kwargs):
    codeflash_class, codeflash_test = _codeflash_find_test(codeflash_class, codeflash_test)
    if codeflash_test is None:
        return codeflash_wrapped(*args, **kwargs)
    _, _, tag = _codeflash_tag(codeflash_module, codeflash_class, codeflash_test, codeflash_function,
                               codeflash_line_id)
    print("!$######" + tag + "######$!")
    codeflash_exception = None
    return_value = None
    gc_enabled = _codeflash_gc.isenabled()
    _codeflash_gc.disable()
    try:
        start = _codeflash_time.perf_counter_ns()
        try:
            return_value = codeflash_wrapped(*args, **kwargs)
        except Exception as exc:
            codeflash_exception = exc
        duration = _codeflash_time.perf_counter_ns() - start
    finally:
        if gc_enabled:
            _codeflash_gc.enable()
    if isinstance(return_value, _codeflash_types.GeneratorType):
        return _codeflash_timed_generator(return_value, tag, duration)
    print("!######" + tag + ":" + str(duration) + "######!")
    if codeflash_exception is not None:
        raise codeflash_exception
    return return_value


async def codeflash_perf_call_async(codeflash_wrapped, codeflash_module, codeflash_class, codeflash_test,
                                    codeflash_function, codeflash_line_id, *args, **kwargs):
    if _codeflash_async_recorded_by_cli(codeflash_line_id):
        return await codeflash_wrapped(*args, **kwargs)
    codeflash_class, codeflash_test = _codeflash_find_test(codeflash_class, codeflash_test)
    if codeflash_test is None:
        return await codeflash_wrapped(*args, **kwargs)
    _, _, tag = _codeflash_tag(codeflash_module, codeflash_class, codeflash_test, codeflash_function,
                               codeflash_line_id)
    print("!$######" + tag + "######$!")
    codeflash_exception = None
    return_value = None
    gc_enabled = _codeflash_gc.isenabled()
    _codeflash_gc.disable()
    try:
        start = _codeflash_time.perf_counter_ns()
        try:
            return_value = await codeflash_wrapped(*args, **kwargs)
        except Exception as exc:
            codeflash_exception = exc
        duration = _codeflash_time.perf_counter_ns() - start
    finally:
        if gc_enabled:
            _codeflash_gc.enable()
    print("!######" + tag + ":" + str(duration) + "######!")
    if codeflash_exception is not None:
        raise codeflash_exception
    return return_value
# ---- codeflash instrumentation: end ----
"""

#: preamble of the behaviour file (defines ``codeflash_behavior_call`` and its async twin)
BEHAVIOR_PREAMBLE = _COMMON + "\n\n" + _BEHAVIOR
#: preamble of the performance file (defines ``codeflash_perf_call`` and its async twin)
PERFORMANCE_PREAMBLE = _COMMON + "\n\n" + _PERFORMANCE

BEHAVIOR_WRAPPER = "codeflash_behavior_call"
PERFORMANCE_WRAPPER = "codeflash_perf_call"
