"""Which calls of a method target the instrumented test file wraps (testgen/instrument.py), pinned
for the mutants of its second sampled share: receivers that are builtin values or modules are
left alone, everything else named like the target is wrapped, and calls outside the tests do not
stop the instrumentation."""

from __future__ import annotations

import ast

from codeflash_engine_python.testgen.instrument import Mode, Target, instrument
from codeflash_engine_python.testgen.runtime import BEHAVIOR_WRAPPER


def wrapped_callees(source: str, target: Target) -> list[str]:
    """The callees the behaviour file of ``source`` wraps, in the order they appear."""
    code, count = instrument(ast.parse(source), target, "tests/test_store.py", Mode.BEHAVIOR)
    calls = [
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == BEHAVIOR_WRAPPER
    ]
    assert len(calls) == count
    return [ast.unparse(call.args[0]) for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset))]


STORE_GET = Target("get", "Store.get", is_method=True, class_name="Store")


def test_a_collections_counter_receiver_is_not_the_target() -> None:
    """``seen = collections.Counter(...)`` is a builtin container, built through its module."""
    source = (
        "import collections\n"
        "from pkg.store import Store\n\n\n"
        "def test_counts():\n"
        "    store = Store()\n"
        '    seen = collections.Counter("abca")\n'
        '    assert store.get("a") == seen.get("a")\n'
    )
    assert wrapped_callees(source, STORE_GET) == ["store.get"]


def test_the_package_an_import_of_a_submodule_binds_is_a_module() -> None:
    """``import os.path`` binds ``os``: ``os.remove`` is the module's function, not ``Store.remove``."""
    source = (
        "import os.path\n"
        "from pkg.store import Store\n\n\n"
        "def test_remove(tmp_path):\n"
        '    kept = tmp_path / "kept"\n'
        '    kept.write_text("1")\n'
        "    store = Store()\n"
        '    store.remove("x")\n'
        "    os.remove(kept)\n"
    )
    target = Target("remove", "Store.remove", is_method=True, class_name="Store")
    assert wrapped_callees(source, target) == ["store.remove"]


def test_a_module_level_call_named_like_the_target_is_left_alone() -> None:
    source = (
        "from pkg.store import Store\n\n"
        'DEFAULTS = {"a": 1}\n'
        'DEFAULT_A = DEFAULTS.get("a")\n\n\n'
        "def test_get():\n"
        '    assert Store().get("a") == DEFAULT_A\n'
    )
    assert wrapped_callees(source, STORE_GET) == ["Store().get"]


def test_a_class_defined_in_the_test_is_no_builtin_value() -> None:
    """A classmethod target called on a subclass the test defines: ``Local.build`` is wrapped."""
    source = (
        "from pkg.registry import Registry\n\n\n"
        "def test_build_of_a_subclass():\n"
        "    class Local(Registry):\n"
        "        pass\n\n"
        "    assert Local.build([1]).items == [1]\n"
    )
    target = Target("build", "Registry.build", is_method=True, class_name="Registry")
    assert wrapped_callees(source, target) == ["Local.build"]
