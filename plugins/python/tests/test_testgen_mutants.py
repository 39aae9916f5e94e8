"""What the test target learns from the context files, and what the cleanup, extraction and
instrumentation make of an answer, seen in the generated tests a user gets (written against the
survivors of ``scripts/mutation.py python.testgen_context``, ``python.testgen_cleanup`` and
``python.testgen_pipeline``)."""

from __future__ import annotations

import attrs

from codeflash_engine.plugins.types import CodeFile
from codeflash_engine_python.testgen import cleanup, context
from codeflash_engine_python.testgen.pipeline import postprocess_tests

from .testgen_samples import VEC_FILES, request

SHAPES = (
    CodeFile("src/pkg/area.py", "from pkg.shapes import Square, side\n\n\ndef area(s):\n    return side(s) ** 2\n"),
    CodeFile(
        "src/pkg/shapes.py",
        "class Square:\n    def __init__(self, n):\n        self.n = n\n\n\ndef side(s):\n    return s.n\n",
    ),
    CodeFile("/home/me/elsewhere/other.py", "class Circle:\n    pass\n"),
)


def _area(answer: str, files: tuple[CodeFile, ...] = SHAPES) -> str:
    return postprocess_tests(
        request(
            answer,
            function="area",
            qualified="area",
            module="pkg.area",
            test_module="tests.test_area__unit_test_0",
            files=files,
        )
    ).generated


def test_context_classes_and_functions_are_imported_from_their_own_module() -> None:
    """A guessed module for a class and a function of another context file is pointed at it; a
    stub of the class is removed; a class of a file whose module is unknown is removed but not
    imported from a made-up module."""
    answer = (
        "```python\nfrom area import area, Square, side\n\n\nclass Square:\n    def __init__(self, n):\n"
        "        self.n = n\n\n\nclass Circle:\n    pass\n\n\ndef test_area():\n    assert area(Square(3)) == 9\n"
        "    assert side(Square(2)) == 2\n    assert Circle\n```"
    )
    generated = _area(answer)
    assert "from pkg.area import area\n" in generated
    assert "from pkg.shapes import Square, side\n" in generated
    assert "class Square" not in generated and "class Circle" not in generated
    assert "import Circle" not in generated and "elsewhere" not in generated


def test_names_used_without_import_are_imported_from_the_context() -> None:
    answer = "```python\ndef test_area():\n    assert area(Square(3)) == 9\n    assert side(Square(2)) == 2\n```"
    generated = _area(answer)
    assert "from pkg.area import area\n" in generated
    assert "from pkg.shapes import Square, side\n" in generated


def test_the_target_file_is_found_by_its_stem_when_its_path_has_a_source_root() -> None:
    target = context.build_target(
        request("", function="area", qualified="area", module="pkg.area", test_module="t", files=SHAPES)
    )
    assert target.module_of("Square") == "pkg.shapes" and target.module_of("side") == "pkg.shapes"
    assert target.module_of("area") == "pkg.area"
    assert target.module_of("Circle") is None and "Circle" in target.shadowed
    assert target.import_line("Circle") is None
    assert target.import_line("side") == "from pkg.shapes import side"


def test_a_method_target_imports_its_class_and_a_function_target_itself() -> None:
    method = context.build_target(
        request("", function="scale", qualified="Vec.scale", module="pkg.geo", test_module="t", files=())
    )
    assert method.import_name == "Vec" and method.is_method
    function = context.build_target(
        request("", function="scale", qualified="scale", module="pkg.geo", test_module="t", files=())
    )
    assert function.import_name == "scale" and not function.is_method and not function.is_async


def test_a_context_file_that_does_not_parse_adds_no_names() -> None:
    files = (*SHAPES[:2], CodeFile("src/pkg/broken.py", "def oops(:\n"))
    target = context.build_target(
        request("", function="area", qualified="area", module="pkg.area", test_module="t", files=files)
    )
    assert "oops" not in target.sources and target.module_of("side") == "pkg.shapes"


def test_helper_names_skip_bare_names_and_take_the_longest_known_module() -> None:
    assert context._helper_names(("norm", "pkg.util.norm"), {"pkg", "pkg.util"}) == {"norm": "pkg.util"}
    assert context._helper_names(("pkg.util",), {"pkg", "pkg.util"}) == {"util": "pkg"}
    assert context._helper_names(("a.b", "a.c"), set()) == {"b": "a", "c": "a"}


# the cleanup steps (survivors of ``scripts/mutation.py python.testgen_cleanup``)

SORT_FILES = (CodeFile("pkg/sorter.py", "def sort_list(xs):\n    return sorted(xs)\n"),)


def _sorted(answer: str) -> str:
    return postprocess_tests(
        request(
            answer,
            function="sort_list",
            qualified="sort_list",
            module="pkg.sorter",
            test_module="tests.test_sort_list__unit_test_0",
            files=SORT_FILES,
        )
    ).generated


def test_an_assigned_stand_in_for_the_target_is_removed_and_other_assignments_kept() -> None:
    answer = (
        "```python\nsort_list = lambda xs: sorted(xs)\nA, B = 1, 2\nC = D = 3\n\n\n"
        "def test_sort():\n    assert sort_list([B, A]) == [A, B]\n    assert C == D\n```"
    )
    generated = _sorted(answer)
    assert "lambda" not in generated
    assert "A, B = 1, 2\n" in generated and "C = D = 3\n" in generated
    assert "from pkg.sorter import sort_list\n" in generated


def test_a_relative_or_aliased_guess_of_the_module_is_pointed_at_the_real_one() -> None:
    answer = (
        "```python\nfrom .sorter import sort_list as sl\n\n\ndef test_sort():\n    assert sl([2, 1]) == [1, 2]\n```"
    )
    generated = _sorted(answer)
    assert "from pkg.sorter import sort_list as sl\n" in generated
    assert "from .sorter" not in generated


def test_helpers_reached_by_attribute_or_by_name_in_a_string_are_kept() -> None:
    answer = (
        "```python\nimport sys\nfrom pkg.sorter import sort_list\n\n\ndef by_name():\n    return [3, 1]\n\n\n"
        "class Data:\n    rows = [2, 1]\n\n\ndef test_sort():\n"
        "    assert sort_list(getattr(sys.modules[__name__], 'by_name')()) == [1, 3]\n"
        "    assert sort_list(sys.modules[__name__].Data.rows) == [1, 2]\n```"
    )
    generated = _sorted(answer)
    assert "def by_name():" in generated and "class Data:" in generated


def test_a_file_of_unknown_module_first_does_not_hide_the_next_files() -> None:
    files = (SHAPES[2], *SHAPES[:2])
    target = context.build_target(
        request("", function="area", qualified="area", module="pkg.area", test_module="t", files=files)
    )
    assert target.module_of("Square") == "pkg.shapes" and target.module_of("side") == "pkg.shapes"


def test_the_target_file_is_the_one_at_the_module_path_before_one_with_the_same_stem() -> None:
    files = (
        CodeFile("other/area.py", "class Other:\n    pass\n"),
        CodeFile("pkg/area.py", "def area(s):\n    return 1\n"),
    )
    target = context.build_target(
        request("", function="area", qualified="area", module="pkg.area", test_module="t", files=files)
    )
    assert target.module_of("Other") == "other.area"


def test_a_helper_of_a_module_the_context_does_not_show_is_imported_from_it() -> None:
    target = context.build_target(
        request(
            "", function="area", qualified="area", module="pkg.area", test_module="t", files=(), helpers=("pkg.m.f",)
        )
    )
    assert target.import_line("f") == "from pkg.m import f" and "f" in target.shadowed


def _tests_of(answer: str, module: str, function: str, files: tuple[CodeFile, ...], *, is_async: bool = False) -> str:
    return postprocess_tests(
        request(
            f"```python\n{answer}```",
            function=function,
            qualified=function,
            module=module,
            test_module=f"tests.test_{function}__unit_test_0",
            files=files,
            is_async=is_async,
        )
    ).generated


def test_a_guess_that_drops_the_package_of_a_standard_library_named_module_is_pointed_at_it() -> None:
    """``html.parser`` and ``random`` are standard modules, but here they are the last part of the
    module under test: the model dropped the package, the import is fixed."""
    html = (CodeFile("app/html/parser.py", "def strip_tags(s):\n    return s\n"),)
    answer = "from html.parser import strip_tags\n\n\ndef test_strip():\n    assert strip_tags('<b>x</b>') == 'x'\n"
    generated = _tests_of(answer, "app.html.parser", "strip_tags", html)
    assert generated.startswith("from app.html.parser import strip_tags\n")
    cards = (CodeFile("app/random.py", "def shuffle_deck(deck):\n    return deck\n"),)
    answer = "from random import shuffle_deck\n\n\ndef test_shuffle():\n    assert shuffle_deck([1]) == [1]\n"
    generated = _tests_of(answer, "app.random", "shuffle_deck", cards)
    assert generated.startswith("from app.random import shuffle_deck\n")


def test_a_standard_reference_of_the_same_name_is_not_turned_into_the_code_under_test() -> None:
    """``email.utils.parseaddr`` is the reference the tests of ``app.email.parseaddr`` compare with:
    the standard package shares the target module's last name, not its first or its module."""
    files = (CodeFile("app/email.py", "def parseaddr(s):\n    return s\n"),)
    answer = (
        "from email.utils import parseaddr as reference\nfrom app.email import parseaddr\n\n\n"
        "def test_parse():\n    assert parseaddr('a <b@c>') == reference('a <b@c>')\n"
    )
    generated = _tests_of(answer, "app.email", "parseaddr", files)
    assert generated.startswith("from email.utils import parseaddr as reference\nfrom app.email import parseaddr\n")


def test_a_relative_guess_named_like_a_standard_module_is_pointed_at_the_real_one() -> None:
    files = (CodeFile("app/geometry.py", "class Point:\n    pass\n\n\ndef dist(p, q):\n    return 0\n"),)
    answer = (
        "from .types import Point\nfrom app.geometry import dist\n\n\n"
        "def test_dist():\n    assert dist(Point(), Point()) == 0\n"
    )
    generated = _tests_of(answer, "app.geometry", "dist", files)
    assert "from .types" not in generated
    assert generated.startswith("from app.geometry import Point\nfrom app.geometry import dist\n")


def test_imports_of_a_target_in_a_top_level_module_are_kept_as_written() -> None:
    """A project without a package (``sorter.py`` at its root): the right import, a standard one
    and a third-party one are all left alone."""
    files = (CodeFile("sorter.py", "def sort_list(xs):\n    return sorted(xs)\n"),)
    imports = "from collections import deque\nfrom helpers import make\nfrom sorter import sort_list\n"
    answer = f"{imports}\n\ndef test_sort():\n    assert sort_list(deque([2, 1])) == [1, 2]\n"
    assert _tests_of(answer, "sorter", "sort_list", files).startswith(imports)


def test_an_import_of_the_real_module_that_also_names_its_constants_is_left_as_written() -> None:
    files = (CodeFile("pkg/sorter.py", "DEFAULT = [3, 1]\n\n\ndef sort_list(xs=DEFAULT):\n    return sorted(xs)\n"),)
    answer = (
        "from pkg.sorter import sort_list, DEFAULT\n\n\ndef test_default():\n    assert sort_list(DEFAULT) == [1, 3]\n"
    )
    assert _tests_of(answer, "pkg.sorter", "sort_list", files).startswith("from pkg.sorter import sort_list, DEFAULT\n")


def test_a_guessed_module_is_fixed_after_a_third_party_import_that_needs_no_fix() -> None:
    answer = (
        "from pytest import approx\nfrom sorter import sort_list\n\n\n"
        "def test_floats():\n    assert sort_list([2.0, 1.0]) == approx([1.0, 2.0])\n"
    )
    generated = _tests_of(answer, "pkg.sorter", "sort_list", SORT_FILES)
    assert generated.startswith("from pytest import approx\nfrom pkg.sorter import sort_list\n")


def test_an_answer_cut_inside_a_string_that_holds_code_keeps_the_tests_before_the_cut_one() -> None:
    """The last top-level-looking line is inside the unterminated string: cutting there does not
    parse, the cut before the whole test does."""
    answer = (
        "from pkg.sorter import sort_list\n\n\ndef test_sorted():\n    assert sort_list([2, 1]) == [1, 2]\n\n\n"
        'def test_source():\n    source = """\ndef helper():\n    return [3'
    )
    generated = _tests_of(answer, "pkg.sorter", "sort_list", SORT_FILES)
    assert "def test_sorted():" in generated
    assert "test_source" not in generated and "helper" not in generated


def test_only_the_async_tests_without_an_async_marker_get_one() -> None:
    """A sync test and an already marked async test come first; the unmarked async test after them
    is still marked, and none is marked twice."""
    files = (CodeFile("pkg/fetch.py", "async def fetch_double(x):\n    return 2 * x\n"),)
    answer = (
        "import asyncio\n\nimport pytest\nfrom pkg.fetch import fetch_double\n\n\n"
        "def test_is_a_coroutine_function():\n    assert asyncio.iscoroutinefunction(fetch_double)\n\n\n"
        "@pytest.mark.asyncio\nasync def test_marked():\n    assert await fetch_double(1) == 2\n\n\n"
        "async def test_unmarked():\n    assert await fetch_double(2) == 4\n"
    )
    generated = _tests_of(answer, "pkg.fetch", "fetch_double", files, is_async=True)
    assert generated.count("@pytest.mark.asyncio\n") == 2
    assert "@pytest.mark.asyncio\nasync def test_unmarked():" in generated
    assert "@pytest.mark.asyncio\ndef test_is_a_coroutine_function" not in generated


def test_a_helper_used_only_by_a_module_level_constant_is_kept() -> None:
    answer = (
        "import pytest\nfrom pkg.sorter import sort_list\n\n\ndef make_cases():\n    return [[2, 1], [3, 1, 2]]\n\n\n"
        "CASES = make_cases()\n\n\n@pytest.mark.parametrize('xs', CASES)\ndef test_cases(xs):\n"
        "    assert sort_list(xs) == sorted(xs)\n"
    )
    generated = _tests_of(answer, "pkg.sorter", "sort_list", SORT_FILES)
    assert "def make_cases():" in generated and "CASES = make_cases()" in generated


def test_a_capped_range_with_a_start_keeps_its_start_and_the_capped_number_of_iterations() -> None:
    assert cleanup.cap_sizes("for i in range(1, 10**6 + 1):\n    f(i)\n", None) == (
        "for i in range(1, 1001):\n    f(i)\n"
    )
    nested = "for i in range(1, 1000):\n    for j in range(1, 1000):\n        f(i, j)\n"
    assert cleanup.cap_sizes(nested, None) == "for i in range(1, 101):\n    for j in range(1, 101):\n        f(i, j)\n"


def test_a_loop_bound_of_exactly_max_range_is_capped_only_where_it_is_a_bound() -> None:
    """Nested loops of 1000 each are shrunk together; 1000 is no huge size, so the same number
    elsewhere (a duration in milliseconds) keeps its value."""
    code = "for i in range(1000):\n    for j in range(1000):\n        f(i, j)\nassert to_seconds(1000) == 1\n"
    capped = cleanup.cap_sizes(code, None)
    assert "range(1000)" not in capped
    assert capped.endswith("assert to_seconds(1000) == 1\n")


def test_missing_imports_go_right_below_the_models_imports_without_a_blank_line() -> None:
    answer = "import pytest\ndef test_empty():\n    assert sort_list([]) == []\n"
    generated = _tests_of(answer, "pkg.sorter", "sort_list", SORT_FILES)
    test = answer.removeprefix("import pytest\n")
    assert generated == "import pytest\nfrom pkg.sorter import sort_list\n\n\n" + test  # PEP 8's two blank lines


def test_missing_imports_open_a_file_that_starts_with_a_test_and_lacks_its_final_newline() -> None:
    target = context.build_target(
        request("", function="sort_list", qualified="sort_list", module="pkg.sorter", test_module="t", files=SORT_FILES)
    )
    code = "def test_empty():\n    assert sort_list([]) == []"
    assert cleanup.add_missing_imports(code, target, None) == "from pkg.sorter import sort_list\n\n\n" + code


# extraction and instrumentation (survivors of ``scripts/mutation.py python.testgen_pipeline``)


def test_an_answer_of_bare_code_without_fences_is_used_whole() -> None:
    answer = "from pkg.sorter import sort_list\n\n\ndef test_sorted():\n    assert sort_list([2, 1]) == [1, 2]\n"
    tests = postprocess_tests(
        request(
            answer,
            function="sort_list",
            qualified="sort_list",
            module="pkg.sorter",
            test_module="tests.test_sort_list__unit_test_0",
            files=SORT_FILES,
        )
    )
    assert tests.generated == answer


def test_a_request_without_fence_tags_reads_the_usual_python_tags() -> None:
    answer = "```py\ndef test_sorted():\n    assert sort_list([2, 1]) == [1, 2]\n```"
    plain = request(
        answer,
        function="sort_list",
        qualified="sort_list",
        module="pkg.sorter",
        test_module="tests.test_sort_list__unit_test_0",
        files=SORT_FILES,
    )
    generated = postprocess_tests(attrs.evolve(plain, fence_tags=())).generated
    assert (
        generated
        == "from pkg.sorter import sort_list\n\n\ndef test_sorted():\n    assert sort_list([2, 1]) == [1, 2]\n"
    )


def test_a_constructor_target_is_measured_through_the_name_its_class_is_imported_under() -> None:
    answer = (
        "```python\nfrom pkg.geo import Vec as V\n\n\n"
        "def test_init():\n    v = V([3, 4])\n    assert v.xs == [3, 4]\n```"
    )
    tests = postprocess_tests(
        request(
            answer,
            function="__init__",
            qualified="Vec.__init__",
            class_name="Vec",
            module="pkg.geo",
            test_module="tests.test_init__unit_test_0",
            files=VEC_FILES,
        )
    )
    assert "v = codeflash_behavior_call(V, 'tests.test_init__unit_test_0', None, 'test_init'," in (
        tests.instrumented_behavior
    )
    assert "v = codeflash_perf_call(V, " in tests.instrumented_perf


def test_only_the_target_is_measured_under_its_alias_not_other_functions_imported_under_one() -> None:
    """``middle`` is the standard median the test checks the sorted list with: not measured as
    the target, and its check is kept in the behaviour file."""
    answer = (
        "```python\nfrom statistics import median as middle\nfrom pkg.sorter import sort_list as order\n\n\n"
        "def test_middle():\n    xs = order([3, 1, 2])\n    assert middle(xs) == 2\n```"
    )
    tests = postprocess_tests(
        request(
            answer,
            function="sort_list",
            qualified="sort_list",
            module="pkg.sorter",
            test_module="tests.test_sort_list__unit_test_0",
            files=SORT_FILES,
        )
    )
    assert "xs = codeflash_behavior_call(order, " in tests.instrumented_behavior
    assert "    assert middle(xs) == 2\n" in tests.instrumented_behavior
    assert "codeflash_behavior_call(middle" not in tests.instrumented_behavior
    assert "codeflash_perf_call(middle" not in tests.instrumented_perf


def test_sizes_a_test_compares_a_derived_number_with_are_kept_up_to_the_loop_budget() -> None:
    """A test checking a number computed from its sizes keeps them when they multiply to at most
    MAX_LOOP_ITERATIONS (10,000 included), else its sizes are capped as usual."""
    at_budget = (
        "def test_sum():\n    total = 0\n    for i in range(10000):\n        total += i\n    assert total == 49995000\n"
    )
    assert cleanup.cap_sizes(at_budget, None) == at_budget
    over = (
        "def test_grid():\n    n = 0\n    for i in range(2000):\n        for j in range(2000):\n            n += 1\n"
        "    assert n == 4000000\n"
    )
    assert "for i in range(100):\n        for j in range(100):" in cleanup.cap_sizes(over, None)


def test_a_kept_size_is_not_replaced_in_the_other_tests() -> None:
    """The sizes of a test that keeps them are not capped elsewhere either: the same number in
    another test, where it is no size, stays as written."""
    code = (
        "def test_sum():\n    total = 0\n    for i in range(2000):\n        total += i\n"
        "    assert total == 1999000\n\n\n"
        'def test_other():\n    assert str(2000) == "2000"\n'
    )
    assert cleanup.cap_sizes(code, None) == code


def test_a_comparison_with_max_range_itself_does_not_keep_sizes() -> None:
    """Only a number over MAX_RANGE (1,000) counts as computed from a size: comparing with 1000
    leaves the size capped."""
    code = "def test_len():\n    out = list(range(2000))\n    assert len(out) // 2 == 1000\n"
    assert cleanup.cap_sizes(code, None) == code.replace("range(2000)", "range(1000)")


def test_a_guess_naming_only_the_package_of_a_standard_library_named_project_is_pointed_at_it() -> None:
    """A project whose top-level package is named like a standard module (``calendar.events``):
    ``from calendar import add_event`` is the model's guess at it, pointed at the real module."""
    answer = "```python\nfrom calendar import add_event\n\n\ndef test_add():\n    assert add_event(1) == 2\n```"
    generated = postprocess_tests(
        request(
            answer,
            function="add_event",
            qualified="add_event",
            module="calendar.events",
            test_module="tests.test_events",
            files=(),
        )
    ).generated
    assert "from calendar.events import add_event\n" in generated
    assert "from calendar import" not in generated
