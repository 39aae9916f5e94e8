"""Go validate: tree-sitter errors with positions, top-level statements, the Go version."""

from __future__ import annotations

from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine_go import plugin
from codeflash_engine_go.syntax import go_version, problems


def test_errors_have_lines_and_columns() -> None:
    [problem] = problems("package a\n\nfunc f() int {\n\treturn 1 +\n}\n")
    assert (problem.line, problem.column, problem.message) == (4, 11, "unexpected '+'")
    assert problems("package a\n\nfunc f() int {\n\treturn 1\n}\n") == []


def test_a_helper_file_needs_no_package_clause_but_no_statement_stands_at_the_top() -> None:
    assert problems("func f() int {\n\treturn 1\n}\n") == []
    [problem] = problems("package a\n\nx := 1\n")
    assert (problem.line, problem.column) == (3, 1) and "outside a function" in problem.message


def test_the_go_version_is_honoured() -> None:
    generic = "package a\n\nfunc Id[T any](v T) T {\n\treturn v\n}\n"
    assert [p.message for p in problems(generic, "1.17")] == ["type parameters need Go 1.18 (this is Go 1.17)"]
    assert problems(generic, "go1.18") == problems(generic, None) == []
    loop = "package a\n\nfunc f() {\n\tfor i := range 10 {\n\t\t_ = i\n\t}\n}\n"
    assert "Go 1.22" in problems(loop, "1.21.3")[0].message and problems(loop, "1.22.0") == []
    assert go_version("go1.22.1") == (1, 22) and go_version("devel") is None


def test_golang_is_an_alias_and_other_languages_are_not_ours() -> None:
    host = PluginHost(allow=[])
    host.load([])
    host.register(plugin, "go")
    assert LanguageRegistry(host).resolve("golang").name == "go"
    assert host.owner("go") == "go" and host.owner("python") is None
    assert host.call("validate", "go", language="go", code="package a\n\nx := 1\n", language_version=None)
