"""Generated-test cleanup and instrumentation, on raw answers, with the exact files as snapshots."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from codeflash_engine.plugins.types import CodeFile, GeneratedTests
from codeflash_engine_python.syntax import validate_python
from codeflash_engine_python.testgen import cleanup, context
from codeflash_engine_python.testgen.pipeline import postprocess_tests
from codeflash_engine_python.testgen.runtime import BEHAVIOR_PREAMBLE, PERFORMANCE_PREAMBLE, PLACEHOLDER

from .testgen_samples import REQUESTS, SORT_FILES, VEC_FILES, request

END = "# ---- codeflash instrumentation: end ----\n"


def body(instrumented: str) -> str:
    """The instrumented file after the preamble (the preamble has its own snapshot)."""
    assert instrumented.count(END) == 1
    return instrumented.split(END)[1].strip() + "\n"


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_cleaned_and_instrumented_files(name: str, snapshot: SnapshotAssertion) -> None:
    tests: GeneratedTests = postprocess_tests(REQUESTS[name])
    for text in (tests.generated, tests.instrumented_behavior, tests.instrumented_perf):
        assert validate_python(text, "3.9.18") == []
    assert PLACEHOLDER in tests.instrumented_behavior
    assert PLACEHOLDER not in tests.instrumented_perf
    rendered = (
        f"=== generated\n{tests.generated}\n=== behaviour\n{body(tests.instrumented_behavior)}\n"
        f"=== performance\n{body(tests.instrumented_perf)}"
    )
    assert rendered == snapshot


def test_preambles(snapshot: SnapshotAssertion) -> None:
    for preamble in (BEHAVIOR_PREAMBLE, PERFORMANCE_PREAMBLE):
        assert validate_python(preamble, "3.9.18") == []
    assert f"=== behaviour\n{BEHAVIOR_PREAMBLE}\n=== performance\n{PERFORMANCE_PREAMBLE}" == snapshot


def test_the_pasted_target_and_unused_helpers_are_removed() -> None:
    generated = postprocess_tests(REQUESTS["sort_pytest"]).generated
    assert "def sort_list" not in generated
    assert "_never_used" not in generated
    assert "def make_data" in generated and "def check" in generated
    assert "from pkg.sorter import sort_list" in generated
    assert "from sorter import" not in generated


def test_stub_class_is_removed_and_the_real_one_imported() -> None:
    generated = postprocess_tests(REQUESTS["vec_pytest"]).generated
    assert "class Vec" not in generated
    assert "from pkg.geo import Vec" in generated


def test_statement_count_of_test_bodies_is_preserved_for_line_ids() -> None:
    tests = postprocess_tests(REQUESTS["sort_pytest"])
    assert "'test_large', 'sort_list', '1', data)" in tests.instrumented_behavior
    assert "'test_many', 'sort_list', '0_0'" in tests.instrumented_behavior


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("for i in range(10**6):\n    f(i)\n", "for i in range(1000):\n    f(i)\n"),
        ("N = 100000\nxs = list(range(N))\nassert len(xs) == 100000\n", "N = 1000\nxs = list(range(N))\n"),
        ("xs = [0] * 10**7\n", "xs = [0] * 10000\n"),
        ("s = 'a' * 10**8\n", "s = 'a' * 100000\n"),
        ("xs = list(range(10**6, 0, -1))\n", "xs = list(range(1000, 0, -1))\n"),
        ("for i in range(0, 500):\n    f(i)\n", "for i in range(0, 500):\n    f(i)\n"),
        ("xs = list(range(1, 2000, 2))\n", "xs = list(range(1, 2000, 2))\n"),
    ],
)
def test_cap_sizes(code: str, expected: str) -> None:
    assert cleanup.cap_sizes(code, None).startswith(expected)


def test_cap_sizes_keeps_related_assertions_consistent() -> None:
    code = "def test_big():\n    data = list(range(10**6))\n    assert len(f(data)) == 10**6\n"
    assert cleanup.cap_sizes(code, None) == (
        "def test_big():\n    data = list(range(1000))\n    assert len(f(data)) == 1000\n"
    )


def test_cap_sizes_keeps_an_affordable_size_a_checked_number_is_computed_from() -> None:
    """``len(windows(range(3000), 30)) == 2971`` cannot follow a cut size: the test keeps its size
    (the other test its cut, and a test over the loop budget its cut too)."""
    code = (
        "def test_windows():\n    data = list(range(3000))\n    assert len(f(data, 30)) == 2971\n\n\n"
        "def test_same_size():\n    data = list(range(3000))\n    assert len(f(data, 1)) == 3000\n\n\n"
        "class TestMore:\n    def test_method(self):\n        assert len(f(list(range(5000)), 50)) == 4951\n\n"
        "    def test_huge(self):\n        for i in range(10**6):\n            assert f([i], 1) != [123456]\n"
        "        assert len(f(list(range(10**6)), 2)) == 999999\n"
    )
    assert cleanup.cap_sizes(code, None) == (
        "def test_windows():\n    data = list(range(3000))\n    assert len(f(data, 30)) == 2971\n\n\n"
        "def test_same_size():\n    data = list(range(1000))\n    assert len(f(data, 1)) == 1000\n\n\n"
        "class TestMore:\n    def test_method(self):\n        assert len(f(list(range(5000)), 50)) == 4951\n\n"
        "    def test_huge(self):\n        for i in range(1000):\n            assert f([i], 1) != [123456]\n"
        "        assert len(f(list(range(1000)), 2)) == 999999\n"
    )


def test_truncated_answer_keeps_the_complete_tests() -> None:
    answer = (
        "```python\nfrom pkg.sorter import sort_list\n\n\ndef test_one():\n    assert sort_list([2, 1]) == [1, 2]\n\n\n"
        "def test_two():\n    assert sort_list([3, 2, 1]) == [1, 2,"
    )
    tests = postprocess_tests(request_for(answer))
    assert "def test_one" in tests.generated
    assert "def test_two" not in tests.generated


def test_tests_indented_with_no_break_spaces_are_mended() -> None:
    nbsp = "\u00a0" * 4
    test = f"def test_one():\n{nbsp}assert sort_list([2, 1]) == [1, 2]\n"
    answer = f"```python\nfrom pkg.sorter import sort_list\n\n{test}```"
    tests = postprocess_tests(request_for(answer))
    assert "def test_one():\n    assert sort_list([2, 1]) == [1, 2]" in tests.generated


def test_missing_imports_are_added() -> None:
    answer = (
        "```python\ndef test_random():\n    random.seed(0)\n    xs = [random.randint(0, 9) for _ in range(20)]\n"
        "    assert sort_list(xs) == sorted(xs)\n\n\ndef test_raises():\n    with pytest.raises(TypeError):\n"
        "        sort_list(None)\n```"
    )
    generated = postprocess_tests(request_for(answer)).generated
    assert generated.startswith("import pytest\nimport random\nfrom pkg.sorter import sort_list\n")


def test_unittest_assertions_removed_in_the_performance_file_only() -> None:
    tests = postprocess_tests(REQUESTS["sort_unittest"])
    assert "self.assertEqual(codeflash_behavior_call(" in tests.instrumented_behavior
    assert "self.assertEqual" not in tests.instrumented_perf
    assert "self.assertRaises(TypeError, sort_list, None)" in tests.instrumented_perf


@pytest.mark.parametrize(
    "answer",
    [
        "I cannot write tests for this.",
        "```python\nfrom pkg.sorter import sort_list\n\n\ndef helper():\n    return sort_list([1])\n```",
        "```python\ndef test_nothing():\n    assert 1 + 1 == 2\n```",
        "```python\ndef test_broken(:\n```",
        "```javascript\ntest('x', () => {});\n```",
    ],
)
def test_unusable_answers_raise_value_error(answer: str) -> None:
    with pytest.raises(ValueError):
        postprocess_tests(request_for(answer))


def request_for(answer: str):  # type: ignore[no-untyped-def]
    return request(
        answer,
        function="sort_list",
        qualified="sort_list",
        module="pkg.sorter",
        test_module="tests.test_sort_list__unit_test_0",
        files=SORT_FILES,
    )


def instrumented_body(answer: str, *, function: str, qualified: str, class_name: str | None = None) -> str:
    tests = postprocess_tests(
        request(
            answer,
            function=function,
            qualified=qualified,
            class_name=class_name,
            module="pkg.geo" if class_name else "pkg.sorter",
            test_module="tests.test_x__unit_test_0",
            files=VEC_FILES if class_name else SORT_FILES,
        )
    )
    return body(tests.instrumented_behavior)


def test_constructor_target_wraps_class_calls() -> None:
    answer = (
        "```python\nfrom pkg.geo import Vec\n\n\ndef test_init():\n    v = Vec([1, 2])\n    assert v.xs == [1, 2]\n```"
    )
    text = instrumented_body(answer, function="__init__", qualified="Vec.__init__", class_name="Vec")
    assert (
        "v = codeflash_behavior_call(Vec, 'tests.test_x__unit_test_0', None, 'test_init', 'Vec.__init__', '0', [1, 2])"
        in text
    )


def test_module_attribute_alias_lambda_and_comprehension_calls_are_wrapped() -> None:
    answer = (
        "```python\nimport pytest\nfrom pkg import sorter\nfrom pkg.sorter import sort_list as sl\n\n\n"
        "def test_forms():\n    assert sorter.sort_list([2, 1]) == [1, 2]\n    assert sl([3, 1]) == [1, 3]\n"
        "    assert [sl([i, 0]) for i in range(2)] == [[0, 0], [0, 1]]\n"
        "    pytest.raises(TypeError, lambda: sl(None))\n```"
    )
    text = instrumented_body(answer, function="sort_list", qualified="sort_list")
    assert "codeflash_behavior_call(sorter.sort_list, 'tests.test_x__unit_test_0', None, 'test_forms'" in text
    assert text.count("codeflash_behavior_call(sl,") == 3
    assert "'test_forms', 'sort_list', '3', None)" in text


def test_method_target_does_not_wrap_a_same_named_function() -> None:
    answer = (
        "```python\nfrom pkg.geo import Vec\n\n\ndef length(xs):\n    return len(xs)\n\n\n"
        "def test_len():\n    v = Vec([3, 4])\n    assert v.length() == length([1]) * 15.0\n```"
    )
    text = instrumented_body(answer, function="length", qualified="Vec.length", class_name="Vec")
    assert "codeflash_behavior_call(v.length," in text
    assert "length([1])" in text and "codeflash_behavior_call(length," not in text


#: what codeflash 0.20.6 sends when the code under test imports a project class: the class's
#: file (added to the tests context by the client) named by its absolute path
ORDERS_FILES = (
    CodeFile(
        "pkg/orders.py",
        "from __future__ import annotations\nfrom pkg.models import Order\n\n\n"
        "def paid_total(orders: list[Order]) -> int:\n    return sum(o.cents for o in orders)\n",
    ),
    CodeFile(
        "/home/me/project/pkg/models.py",
        "@dataclass(frozen=True)\nclass Order:\n    customer: str\n    cents: int\n",
    ),
)
ORDERS_TESTS = """```python
from pkg.models import Order
from pkg.orders import paid_total


def test_total():
    assert paid_total([Order("ann", 5), Order("bob", 7)]) == 12
```
"""


def test_a_context_class_named_by_its_absolute_path_keeps_its_import() -> None:
    tests = postprocess_tests(
        request(
            ORDERS_TESTS,
            function="paid_total",
            qualified="paid_total",
            module="pkg.orders",
            test_module="tests.test_paid_total__unit_test_0",
            files=ORDERS_FILES,
        )
    )
    assert "from pkg.models import Order\n" in tests.generated
    assert "/home" not in tests.generated and "/home" not in tests.instrumented_behavior


@pytest.mark.parametrize(
    ("path", "target_path", "target_module", "module"),
    [
        ("pkg/util.py", "pkg/geo.py", "pkg.geo", "pkg.util"),
        ("src/pkg/util.py", "src/pkg/geo.py", "pkg.geo", "pkg.util"),
        ("pkg/sub/__init__.py", "pkg/geo.py", "pkg.geo", "pkg.sub"),
        ("/home/me/project/pkg/models.py", "pkg/orders.py", "pkg.orders", "pkg.models"),
        ("/srv/pkg/pkg/models.py", "pkg/orders.py", "pkg.orders", "pkg.models"),  # a checkout named as its package
        ("/home/me/project/src/pkg/a/models.py", "src/pkg/orders.py", "pkg.orders", "pkg.a.models"),
        ("/home/me/project/src/lib/models.py", "src/pkg/orders.py", "pkg.orders", "lib.models"),
        ("/home/me/project/pkg/models.py", None, "pkg.orders", "pkg.models"),
        ("/home/me/project/lib/models.py", "pkg/orders.py", "pkg.orders", ""),  # unknown: not guessed
        ("pkg/my-module.py", "pkg/geo.py", "pkg.geo", ""),
    ],
)
def test_module_of_path(path: str, target_path: str | None, target_module: str, module: str) -> None:
    assert context.module_of_path(path, target_path, target_module) == module


@pytest.mark.parametrize(
    ("helpers", "modules", "expected"),
    [
        (("pkg.util.norm",), {"pkg.util"}, {"norm": "pkg.util"}),
        (("pkg.geo.Vec.scale",), {"pkg.geo"}, {"Vec": "pkg.geo"}),  # a method: its class is the name
        (("pkg.geo.Vec.scale",), {"pkg.other"}, {"scale": "pkg.geo.Vec"}),  # nothing known: the last cut
        (("pkg.a.b.f",), {"pkg.a", "pkg.a.b"}, {"f": "pkg.a.b"}),  # the longest known module
        (("norm",), {"pkg"}, {}),
    ],
)
def test_helper_names(helpers: tuple[str, ...], modules: set[str], expected: dict[str, str]) -> None:
    assert context._helper_names(helpers, modules) == expected


def test_a_helper_method_shadows_its_class_not_its_method_name() -> None:
    """A test's own ``scale`` function stays when the helper is the method ``Vec.scale``."""
    tests = """```python
from pkg.geo import Vec, length


def scale(v, k):
    return Vec(v.x * k, v.y * k)


def test_length_of_a_scaled_vector():
    assert length(scale(Vec(3, 4), 2)) == 10
```
"""
    files = (
        CodeFile(
            "pkg/geo.py",
            "class Vec:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n\n"
            "    def scale(self, k):\n        return Vec(self.x * k, self.y * k)\n\n\n"
            "def length(v):\n    return (v.x ** 2 + v.y ** 2) ** 0.5\n",
        ),
    )
    done = postprocess_tests(
        request(
            tests,
            function="length",
            qualified="length",
            module="pkg.geo",
            test_module="tests.test_length__unit_test_0",
            files=files,
            helpers=("pkg.geo.Vec.scale",),
        )
    )
    assert "def scale(v, k):" in done.generated
    assert "from pkg.geo.Vec" not in done.generated


MEAN_FILES = (CodeFile("pkg/stats.py", "def mean(values):\n    return sum(values) / len(values)\n"),)
MEAN_TESTS = """```python
import statistics
from collections import Counter
from statistics import mean as reference_mean

from stats import mean


def test_matches_the_standard_library():
    data = [1, 2, 3, 4]
    assert mean(data) == reference_mean(data) == statistics.fmean(data)
    assert Counter(data)[1] == 1
```
"""


def test_a_standard_library_reference_of_the_same_name_is_not_the_target() -> None:
    """Only imports that may name the code under test are pointed at it: the model's guess
    ``from stats import mean`` is, ``from statistics import mean as reference_mean`` (the oracle
    the tests compare with) is not."""
    generated = postprocess_tests(
        request(
            MEAN_TESTS,
            function="mean",
            qualified="mean",
            module="pkg.stats",
            test_module="tests.test_mean__unit_test_0",
            files=MEAN_FILES,
        )
    ).generated
    assert "from statistics import mean as reference_mean\n" in generated
    assert "from pkg.stats import mean\n" in generated and "from stats import" not in generated
    assert "from collections import Counter\n" in generated


def test_a_standard_reference_named_like_the_module_under_test_is_left_alone() -> None:
    """The module under test is ``pkg.statistics``; the tests import its ``mean`` from there and
    the standard ``statistics.mean`` as their oracle: the oracle's import is not rewritten to
    ``pkg.statistics`` (the tests would compare the function with itself)."""
    files = (CodeFile("pkg/statistics.py", "def mean(xs):\n    return sum(xs) / len(xs)\n"),)
    answer = (
        "```python\nfrom statistics import mean as reference\nfrom pkg.statistics import mean\n\n\n"
        "def test_mean():\n    assert mean([1, 2, 3]) == reference([1, 2, 3])\n```"
    )

    def tests_of(answer: str) -> str:
        return postprocess_tests(
            request(answer, files=files, module="pkg.statistics", function="mean", qualified="mean", test_module="t")
        ).generated

    assert tests_of(answer).startswith("from statistics import mean as reference\nfrom pkg.statistics import mean\n")
    # without the real import beside it, the same line names the code under test with its package dropped
    alone = answer.replace("from pkg.statistics import mean\n", "")
    assert "from pkg.statistics import mean as reference\n" in tests_of(alone)
