"""What the test target learns from the context files, seen in the generated tests a user gets
(written against the survivors of ``scripts/mutation.py python.testgen_context``)."""

from __future__ import annotations

from codeflash_engine.plugins.types import CodeFile
from codeflash_engine_python.testgen import context
from codeflash_engine_python.testgen.pipeline import postprocess_tests

from .testgen_samples import request

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
