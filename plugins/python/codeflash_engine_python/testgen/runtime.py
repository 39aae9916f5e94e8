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

A generator function does its work when the test consumes what the call returned, so both files
hand back a generator of their own (``_codeflash_forward``): it forwards ``send``, ``throw`` and
``close``, gives back the target's items, return value and exceptions unchanged, and adds the time
spent in each resumption to the call's. The performance file prints the end marker once the
target's generator is finished or closed (a partly consumed one when it is dropped, still in its
test). The behaviour file prints its end marker at the call, as for any call, and writes the row
at the call too; its return value is ``{"generator yielded": [...]}``, completed (return value and
runtime updated in place) when the generator finishes, raises or is closed, with ``"returned"``
(the ``StopIteration`` value) or ``"raised"`` (the exception) when it ended by itself. The items
are the ones the test consumed, each copied by a pickle round trip when it was yielded, so an
item the target later changes in place is recorded as the test received it; a generator the test
drops partly consumed records what it consumed. A generator object does not pickle: without this
the original and every candidate recorded the same placeholder and the client's comparison could
not see a candidate yielding other items. The completion opens its own connection, so a generator
consumed in another thread completes its row too. An async generator is not recorded this way:
the async wrappers await the call, which an async generator function does not support (nor does
the CLI's own async decorator).

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
import types as _codeflash_types

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


def _codeflash_forward(codeflash_generator, on_item, on_end):
    sent = None
    thrown = None
    duration = 0
    ending = ()
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
                ending = ("returned", stop.value)
                return stop.value
            except Exception as exc:
                ending = ("raised", exc)
                raise
            finally:
                duration += _codeflash_time.perf_counter_ns() - start
                if gc_enabled:
                    _codeflash_gc.enable()
            on_item(item)
            sent, thrown = None, None
            try:
                sent = yield item
            except GeneratorExit:
                codeflash_generator.close()
                raise
            except BaseException as exc:
                thrown = exc
    finally:
        on_end(duration, ending)
"""

_BEHAVIOR = """\
import pickle as _codeflash_stdlib_pickle
import sqlite3 as _codeflash_sqlite3

import dill as _codeflash_dill

_CODEFLASH_RUN_DIR = "{codeflash_run_tmp_dir_client_side}"
_codeflash_connections = {}


def _codeflash_db_path(iteration):
    return _CODEFLASH_RUN_DIR + "/test_return_values_" + iteration + ".sqlite"


def _codeflash_db():
    iteration = _codeflash_os.environ.get("CODEFLASH_TEST_ITERATION", "0")
    connection = _codeflash_connections.get(iteration)
    if connection is None:
        path = _codeflash_db_path(iteration)
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
    cursor = connection.execute(
        "INSERT INTO test_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (codeflash_module, codeflash_class, codeflash_test, codeflash_function, loop_index, invocation_id,
         duration, pickled, "function_call"),
    )
    connection.commit()
    return cursor.lastrowid


def _codeflash_snapshot(value):
    try:
        return _codeflash_stdlib_pickle.loads(_codeflash_stdlib_pickle.dumps(value, -1))
    except Exception:
        pass
    try:
        return _codeflash_dill.loads(_codeflash_dill.dumps(value))
    except Exception:
        return "<unpicklable " + type(value).__qualname__ + ">"


def _codeflash_picklable_exception(codeflash_exception):
    try:
        _codeflash_dill.dumps(codeflash_exception)
        return codeflash_exception
    except Exception:
        return RuntimeError(type(codeflash_exception).__qualname__ + ": " + str(codeflash_exception))


def _codeflash_pickle_generator(args, kwargs, record):
    try:
        return _codeflash_dill.dumps((args, kwargs, record))
    except Exception:
        return _codeflash_dill.dumps(((), {}, record))


def _codeflash_complete(path, rowid, duration, pickled):
    connection = _codeflash_sqlite3.connect(path, timeout=30)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute(
            "UPDATE test_results SET runtime = ?, return_value = ? WHERE rowid = ?", (duration, pickled, rowid)
        )
        connection.commit()
    finally:
        connection.close()


def _codeflash_recorded_generator(codeflash_generator, args, kwargs, row, duration):
    items = []
    record = {"generator yielded": items}
    path = _codeflash_db_path(_codeflash_os.environ.get("CODEFLASH_TEST_ITERATION", "0"))
    rowid = _codeflash_record(*row, duration, _codeflash_pickle_generator(args, kwargs, record))

    def keep_item(item):
        items.append(_codeflash_snapshot(item))

    def complete(resumed, ending):
        if ending and ending[0] == "returned":
            record["returned"] = _codeflash_snapshot(ending[1])
        elif ending:
            record["raised"] = _codeflash_picklable_exception(ending[1])
        _codeflash_complete(path, rowid, duration + resumed, _codeflash_pickle_generator(args, kwargs, record))

    return _codeflash_forward(codeflash_generator, keep_item, complete)


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
    if isinstance(return_value, _codeflash_types.GeneratorType):
        row = (codeflash_module, codeflash_class, codeflash_test, codeflash_function, loop_index, invocation_id)
        return _codeflash_recorded_generator(return_value, args, kwargs, row, duration)
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
def _codeflash_timed_generator(codeflash_generator, tag, duration):
    def print_end(resumed, ending):
        print("!######" + tag + ":" + str(duration + resumed) + "######!")

    return _codeflash_forward(codeflash_generator, _codeflash_ignore_item, print_end)


def _codeflash_ignore_item(item):
    pass


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
