"""The Java plugin's pieces one by one: which imports a candidate needs and where they go, what an
assertion is and what of it the perf variant keeps, how a generated test is placed and imported,
and how definitions are keyed (written against the survivors of ``scripts/mutation.py`` for
``java.imports``, ``java.assertions``, ``java.testgen`` and ``java.structure``)."""

from __future__ import annotations

import pytest

from codeflash_engine import Answer, GeneratedTests, Target, TestsRequest
from codeflash_engine.plugins.treesitter import Edit
from codeflash_engine_java import plugin
from codeflash_engine_java.assertions import strip_assertions
from codeflash_engine_java.imports import (
    declared_names,
    header_edits,
    import_insertion,
    imports,
    missing_imports,
    unresolved,
    used_names,
)
from codeflash_engine_java.source import Source
from codeflash_engine_java.structure import definitions, is_placeholder_body, parameter_name, parameters

# ------------------------------------------------------------------------------------- imports


def _inserted(code: str, lines: list[str]) -> str:
    source = Source.parse(code)
    return source.edited([import_insertion(source, lines)]).code


def test_imports_tell_wildcards_static_and_bound_names_apart() -> None:
    found = imports(
        Source.parse("package a;\nimport static java.lang.Math.*;\nimport java.util.*;\nimport b.c.Deque;\n")
    )
    assert [(i.text, i.name, i.static, i.wildcard) for i in found] == [
        ("import static java.lang.Math.*;", None, True, True),
        ("import java.util.*;", None, False, True),
        ("import b.c.Deque;", "Deque", False, False),
    ]


def test_names_on_package_and_import_lines_are_not_uses() -> None:
    """Only the code below the header counts, down to a name written right after an import's ``;``."""
    source = Source.parse("package a.b;\nimport c.Foo;\nimport d.Bar;\n\nclass C extends Base {}\n")
    assert used_names(source) == {"C", "Base"}
    tight = Source.parse("import java.util.List;Queue<Integer> sorted(List<Integer> xs) { return null; }")
    assert used_names(tight) == {"Queue", "List", "Integer", "sorted", "xs"}


def test_declared_names_include_what_single_imports_bind_but_not_wildcards() -> None:
    source = Source.parse("import java.util.*;\nimport b.Deque;\n\nclass C<T> { void run() {} }\n")
    assert declared_names(source) == {"Deque", "C", "T", "run"}


def test_unresolved_names_are_unknown_capitalised_types_and_unknown_bare_calls() -> None:
    source = Source.parse(
        "import b.Deque;\n\nclass C {\n    int f(Deque d, String s) {\n"
        "        int x = g(1);\n        return Objects.hash(d, s, x) + Math.abs(x) + max(x, 1);\n    }\n"
        "    int g(int v) { return v; }\n}\n"
    )
    assert unresolved(source) == {"Objects", "max"}
    only_types = Source.parse("class C { Queue<Integer> q; }")
    assert unresolved(only_types) == {"Queue"}
    only_calls = Source.parse("class C { int f(int x) { return max(x, 1); } }")
    assert unresolved(only_calls) == {"max"}
    two_capitals = Source.parse("class C { IO io; Deque d; }")
    assert unresolved(two_capitals) == {"IO", "Deque"}


WILDCARD_ORIGINAL = (
    "package a;\n\nimport java.util.*;\nimport static java.lang.Math.*;\nimport b.Deque;\n\nclass C {}\n"
)


def test_wildcards_come_back_only_when_the_candidate_uses_something_unresolved() -> None:
    original = Source.parse(WILDCARD_ORIGINAL)
    resolved = Source.parse(
        "package a;\n\nclass C {\n    String f(int count) {\n        String s = String.valueOf(count);\n"
        "        return s + Math.abs(count);\n    }\n}\n"
    )
    assert missing_imports(original, resolved) == []
    needs_list = Source.parse("package a;\n\nclass C {\n    List<String> f() { return null; }\n}\n")
    assert missing_imports(original, needs_list) == ["import java.util.*;", "import static java.lang.Math.*;"]
    needs_max = Source.parse("package a;\n\nclass C {\n    int f(int x) { return max(x, 1); }\n}\n")
    assert missing_imports(original, needs_max) == ["import java.util.*;", "import static java.lang.Math.*;"]


def test_a_single_import_comes_back_only_when_used_and_not_declared_otherwise() -> None:
    original = Source.parse("package a;\n\nimport b.Deque;\nimport b.Stack;\n\nclass C {}\n")
    uses = Source.parse("package a;\n\nclass C {\n    Deque f() { return null; }\n}\n")
    assert missing_imports(original, uses) == ["import b.Deque;"]
    own = Source.parse("package a;\n\nimport other.Deque;\n\nclass C {\n    Deque f() { return null; }\n}\n")
    assert missing_imports(original, own) == []


def test_header_edits_put_back_a_dropped_or_renamed_package() -> None:
    original = Source.parse("package a.b;\n\nclass C {}\n")
    assert header_edits(original, Source.parse("class C {}\n")) == [Edit(0, 0, b"package a.b;\n\n")]
    renamed = Source.parse("package x;\n\nclass C {}\n")
    assert header_edits(original, renamed) == [Edit(0, 10, b"package a.b;")]
    assert header_edits(original, Source.parse("package a.b;\nclass C {}\n")) == []


def test_imports_go_after_the_last_import_or_the_package() -> None:
    assert _inserted("package a;\nimport b.X;\nimport b.Y;\nclass C {}\n", ["import c.Z;"]) == (
        "package a;\nimport b.X;\nimport b.Y;\nimport c.Z;\nclass C {}\n"
    )
    assert _inserted("package a;\nclass C {}\n", ["import c.Z;"]) == "package a;\n\nimport c.Z;\nclass C {}\n"


def test_without_a_header_imports_go_above_the_comments_of_the_first_type() -> None:
    assert _inserted("/** Doc. */\nclass C {}\n", ["import c.Z;"]) == "import c.Z;\n\n/** Doc. */\nclass C {}\n"
    assert _inserted("// one\n// two\nclass C {}\nclass D {}\n", ["import c.Z;"]) == (
        "import c.Z;\n\n// one\n// two\nclass C {}\nclass D {}\n"
    )
    assert _inserted("\n/** Doc. */\nclass C {}\n", ["import c.Z;"]) == "\nimport c.Z;\n\n/** Doc. */\nclass C {}\n"
    assert _inserted("class C {}\n// trailing\n", ["import c.Z;"]) == "import c.Z;\n\nclass C {}\n// trailing\n"


def test_without_any_code_imports_go_at_the_very_top() -> None:
    assert _inserted("// nothing\n", ["import c.Z;"]) == "import c.Z;\n\n// nothing\n"
    assert _inserted("\n// nothing\n", ["import c.Z;"]) == "import c.Z;\n\n\n// nothing\n"
    assert _inserted("", ["import c.Z;", "import c.W;"]) == "import c.Z;\nimport c.W;\n\n"


# ------------------------------------------------------------------------------------- assertions


def _perf(lines: str, function_name: str = "median") -> str:
    """The body of a test method holding ``lines`` once its assertions are stripped."""
    body = "".join(f"        {line}\n" if line else "\n" for line in lines.splitlines())
    code = f"class T {{\n    void t() {{\n{body}    }}\n}}\n"
    stripped = strip_assertions(Source.parse(code), function_name)
    head, tail = "class T {\n    void t() {\n", "    }\n}\n"
    assert stripped.startswith(head) and stripped.endswith(tail), stripped
    return stripped[len(head) : -len(tail)]


def test_java_assert_and_an_assertion_with_a_comment_before_its_semicolon_are_stripped() -> None:
    perf = _perf('assert Stats.median(x) == 2 : "two";\nassertTrue(Stats.median(y) > 0) /* positive */;')
    assert perf == "        Stats.median(x);\n        Stats.median(y);\n"


def test_block_lambdas_are_guarded_on_one_line_or_reindented() -> None:
    perf = _perf(
        "assertThrows(X.class, () -> {Stats.median(x);});\n"
        "assertAll(() -> {\n    int n = 3;\n    Stats.median(y);\n});\n"
        "assertDoesNotThrow(() -> {\n    Stats.median(z);\n});"
    )
    assert perf == (
        "        try { Stats.median(x); } catch (Throwable codeflashIgnored) { }\n"
        "        try {\n            int n = 3;\n            Stats.median(y);\n"
        "        } catch (Throwable codeflashIgnored) { }\n"
        "        try { Stats.median(z); } catch (Throwable codeflashIgnored) { }\n"
    )


def test_calls_inside_a_lambda_with_parameters_are_dropped() -> None:
    """Their arguments (``v``, ``a``) are not in scope outside the lambda."""
    assert _perf("assertDoesNotThrow(() -> values.forEach(v -> Stats.median(List.of(v))));") == (
        "        try {  } catch (Throwable codeflashIgnored) { }\n"
    )
    perf = _perf(
        "assertTrue(values.stream().allMatch(v -> Stats.median(List.of(v)) > 0));\n"
        "assertTrue(values.stream().allMatch((a) -> Stats.median(List.of(a)) > 0));\n"
        "assertTrue(values.stream().allMatch(v -> v > 0) && Stats.median(values) > 0);"
    )
    assert perf == "        Stats.median(values);\n"


def test_assertions_written_back_to_back_are_each_stripped() -> None:
    assert _perf("assertTrue(ready);assertFalse(Stats.median(x) < 0);") == "        Stats.median(x);\n"


def test_assertions_nested_in_an_assertion_leave_the_ones_around_them_alone() -> None:
    perf = _perf(
        "assertTrue(ready);\n"
        "assertAll(() -> assertTrue(flag), () -> assertEquals(1, Stats.median(x)));\n"
        "assertNotNull(Stats.median(z));"
    )
    assert perf == "        try { Stats.median(x); } catch (Throwable codeflashIgnored) { }\n        Stats.median(z);\n"


def test_every_outermost_call_is_kept_once_and_a_chain_whole() -> None:
    perf = _perf("assertEquals(Stats.median(Stats.median(a)), Stats.median(b), Stats.median(Stats.median(c)));")
    assert (
        perf
        == "        Stats.median(Stats.median(a));\n        Stats.median(b);\n        Stats.median(Stats.median(c));\n"
    )
    assert _perf('assertEquals(sb.append(a).append(b).toString(), "ab");', "append") == (
        "        sb.append(a).append(b);\n"
    )


def test_an_assertion_as_a_lambda_body_becomes_an_empty_block_and_later_ones_still_go() -> None:
    perf = _perf(
        "values.forEach(v -> assertTrue(Stats.median(values) > v));\n"
        "values.forEach(v -> assertTrue(v > 0));\n"
        "assertEquals(2, Stats.median(values));"
    )
    assert perf == (
        "        values.forEach(v -> { Stats.median(values); });\n"
        "        values.forEach(v -> {  });\n"
        "        Stats.median(values);\n"
    )


def test_a_call_and_a_guarded_lambda_of_one_assertion_are_both_kept_in_order() -> None:
    perf = _perf(
        'assertEquals(Stats.sumBy(list, v -> "all"), assertDoesNotThrow(() -> Stats.sumBy(list, v -> "all")));',
        "sumBy",
    )
    assert perf == (
        '        Stats.sumBy(list, v -> "all");\n'
        '        try { Stats.sumBy(list, v -> "all"); } catch (Throwable codeflashIgnored) { }\n'
    )


# ------------------------------------------------------------------------------------- testgen


def _tests_request(
    code: str, module_path: str = "com.acme.util.Stats", target: str = "Stats.median", framework: str = "junit5"
) -> TestsRequest:
    return TestsRequest(
        language="java",
        language_version="17",
        answer=Answer(f"Tests.\n\n```java\n{code}```\n"),
        source_code=(),
        target=Target.parse(target),
        module_path=module_path,
        test_module_path="",
        test_framework=framework,
        test_timeout=15,
    )


def _cleaned(code: str, **kwargs: str) -> GeneratedTests:
    tests = plugin.postprocess_tests(_tests_request(code, **kwargs))
    assert tests is not None
    return tests


COPIES = """\
package com.acme.util;

import static com.other.Stats.median;
import static org.junit.jupiter.api.Assertions.assertEquals;

final class Stats {
    static int median(int[] xs) { return 1; }
}

class StatsTest {
    static class Helper {
        static class Stats {
            int x;
        }
    }

    int field;

    /** A copy. */
    static class Stats {
        static int median(int[] xs) { return 0; }
    }

    @Test
    void t() {
        assertEquals(2, median(new int[] {1, 2, 3}));
    }
}
"""


def test_copies_of_the_class_under_test_go_and_its_static_imports_point_at_it() -> None:
    """A copy at the top level or nested in the test class would shadow the real class: both go;
    a class of that name nested deeper is the test's own business and stays."""
    tests = _cleaned(COPIES)
    assert tests.generated == (
        "package com.acme.util;\n\n"
        "import static com.acme.util.Stats.median;\n"
        "import static org.junit.jupiter.api.Assertions.assertEquals;\n"
        "import org.junit.jupiter.api.Test;\n\n"
        "class StatsTest {\n"
        "    static class Helper {\n        static class Stats {\n            int x;\n        }\n    }\n\n"
        "    int field;\n\n"
        "    @Test\n    void t() {\n        assertEquals(2, median(new int[] {1, 2, 3}));\n    }\n}\n"
    )
    assert "        median(new int[] {1, 2, 3});\n" in tests.instrumented_perf


def test_a_comment_in_a_static_import_is_not_mistaken_for_its_path() -> None:
    code = "import static /* was com.other.Stats */ com.other.Stats.median;\n\nclass T {\n    void t() {}\n}\n"
    assert _cleaned(code).generated == (
        "package com.acme.util;\n\nimport static /* was com.other.Stats */ com.acme.util.Stats.median;\n\n"
        "class T {\n    void t() {}\n}\n"
    )


def test_a_static_import_already_from_the_class_under_test_is_left_alone() -> None:
    code = "import static com.acme.util.Stats.median;\n\nclass StatsTest {\n    void t() { median(null); }\n}\n"
    assert _cleaned(code).generated == f"package com.acme.util;\n\n{code}"


def test_the_class_name_comes_from_the_target_when_the_module_path_has_none() -> None:
    code = "class StatsTest {\n    static class Stats {}\n\n    void t() { Stats.median(null); }\n}\n"
    expected = "class StatsTest {\n    void t() { Stats.median(null); }\n}\n"
    assert _cleaned(code, module_path="", target="Stats.median").generated == expected
    assert _cleaned(code, module_path="Stats", target="median").generated == expected
    assert _cleaned(code, module_path="com.acme.Stats", target="median").generated == f"package com.acme;\n\n{expected}"


def test_a_wildcard_import_of_the_framework_package_provides_test() -> None:
    code = "import org.junit.jupiter.api.*;\n\nclass StatsTest {\n    @Test\n    void t() { Stats.median(null); }\n}\n"
    assert _cleaned(code).generated == f"package com.acme.util;\n\n{code}"
    testng = (
        "import org.testng.annotations.*;\n\nclass StatsTest {\n    @Test\n    void t() { Stats.median(null); }\n}\n"
    )
    assert _cleaned(testng, framework="testng").generated == f"package com.acme.util;\n\n{testng}"


def test_parse_errors_name_the_first_problem() -> None:
    broken = "class T {\n    void f() { int x = ; }\n    void g() { int y = ; }\n}\n"
    with pytest.raises(ValueError, match=r"^the generated test does not parse: line 2, column 22: "):
        _cleaned(broken)
    code = "package x;\n\nimport other.Stats;\n\nclass T {\n    void f() { Stats.median(null); }\n}\n"
    with pytest.raises(ValueError, match=r"^the cleaned test does not parse: line 1, column"):
        _cleaned(code, module_path="com.acme-x.util.Stats")


# ------------------------------------------------------------------------------------- structure

MEMBERS = """\
class Outer {
    private int a, b = 2;
    static final String NAME = "x";
    Outer(String... parts) {}
    int sum(int[] xs, int ys[], final java.util.List<String> names, Object... rest) { return 0; }
    void none() {
        // ... unchanged
    }
    void empty() {}
    void real() {
        int x = 1; // ... unchanged
    }
    void note() {
        // fast path
    }
    abstract void abs();
}
"""


def test_definitions_are_keyed_by_class_and_parameter_types() -> None:
    keys = [(d.key, d.name, d.class_name) for d in definitions(Source.parse(MEMBERS))]
    assert keys == [
        ("type Outer", None, "Outer"),
        ("Outer.field a,b", None, "Outer"),
        ("Outer.field NAME", None, "Outer"),
        ("Outer.<init>(String...)", "<init>", "Outer"),
        ("Outer.sum(int[],int[],java.util.List<String>,Object...)", "sum", "Outer"),
        ("Outer.none()", "none", "Outer"),
        ("Outer.empty()", "empty", "Outer"),
        ("Outer.real()", "real", "Outer"),
        ("Outer.note()", "note", "Outer"),
        ("Outer.abs()", "abs", "Outer"),
    ]


def test_bare_members_are_keyed_without_a_class() -> None:
    source = Source.parse("long sum(int[] xs) { return 0; }\n\nvoid run() {}\n")
    assert [(d.key, d.class_name) for d in definitions(source)] == [("sum(int[])", None), ("run()", None)]


def test_parameter_names_of_formal_and_spread_parameters() -> None:
    source = Source.parse(MEMBERS)
    names = {
        d.key: [source.text(n) for p in parameters(d.function) if (n := parameter_name(p)) is not None]
        for d in definitions(source)
        if d.function is not None
    }
    assert names["Outer.<init>(String...)"] == ["parts"]
    assert names["Outer.sum(int[],int[],java.util.List<String>,Object...)"] == ["xs", "ys", "names", "rest"]


def test_only_a_body_of_comments_saying_code_was_left_out_is_a_placeholder() -> None:
    source = Source.parse(MEMBERS)
    bodies = {
        d.name: is_placeholder_body(source, d.function.child_by_field_name("body"))
        for d in definitions(source)
        if d.function is not None
    }
    assert bodies == {
        "<init>": False,
        "sum": False,
        "none": True,
        "empty": False,
        "real": False,
        "note": False,
        "abs": False,
    }
    class_body = definitions(source)[0].node.child_by_field_name("body")
    assert not is_placeholder_body(source, class_body)
