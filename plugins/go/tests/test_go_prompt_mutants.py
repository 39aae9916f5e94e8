"""What the Go prompts are told beyond the request (``prompts.language_context``), and the plugin's
hook wiring (``plugin``): the target path and package are the first file's (its package clause,
else the folder of the module path); the receiver is the target's type; the Go version is its
``1.minor`` and the features offered are those of that version, first minor included (generics
from 1.18 ... iterators from 1.23), all of them when the version is unknown; through the plugin
host, ``go`` (alias ``golang``) is the plugin's, and an edit is applied all or nothing: one that
does not apply gives its errors, one that leaves a ``.go`` file unparseable is refused with the
file's first syntax error, other files are not parsed."""

from __future__ import annotations

import pytest

from codeflash_engine import CodeFile, DiffRequest, DiffResult, PromptRequest, Target, Task
from codeflash_engine.plugins.manager import PluginHost
from codeflash_engine.plugins.registry import LanguageRegistry
from codeflash_engine_go import plugin, syntax
from codeflash_engine_go.prompts import language_context

#: the first minor version of Go 1.x of each feature the prompt may offer
FIRST = {
    18: "generics (type parameters)",
    21: "the min, max and clear built-ins, and the slices, maps and cmp packages",
    22: "ranging over an integer, and a fresh loop variable per iteration",
    23: "iterators: range over functions (iter.Seq)",
}


def _request(version: str | None = None, target: str | None = None, module_path: str = "") -> PromptRequest:
    fields = {"module_path": module_path} if module_path else {}
    return PromptRequest(Task.TESTGEN, "go", version, target=Target.parse(target) if target else None, fields=fields)


# ------------------------------------------------------------------------------ the version


@pytest.mark.parametrize("minor", range(16, 26))
def test_each_feature_is_offered_from_its_first_version(minor: int) -> None:
    expected = [feature for first, feature in FIRST.items() if first <= minor]
    for version in (f"1.{minor}", f"go1.{minor}.3"):
        context = language_context(_request(version), ())
        assert (context["go_version"], context["go_features"]) == (f"1.{minor}", expected)


def test_every_feature_is_offered_when_the_version_is_unknown() -> None:
    context = language_context(_request(None), ())
    assert (context["go_version"], context["go_features"]) == (None, list(FIRST.values()))


# ------------------------------------------------------------------------------ the files


def test_the_target_path_and_package_are_the_first_files() -> None:
    files = (CodeFile("a/b.go", "package b\n\nfunc F() {}\n"), CodeFile("c/d.go", "package d\n\nfunc G() {}\n"))
    context = language_context(_request("1.21", module_path="x/y/z.go"), files)
    assert (context["target_path"], context["package_name"], context["receiver"]) == ("a/b.go", "b", None)


def test_the_receiver_is_the_targets_type() -> None:
    assert language_context(_request(target="Queue.Pop"), ())["receiver"] == "Queue"
    assert language_context(_request(target="Pop"), ())["receiver"] is None


@pytest.mark.parametrize(
    ("module_path", "package"),
    [
        ("queue/q.go", "queue"),
        ("/p/queue/q.go", "queue"),
        ("a\\queue\\q.go", "queue"),
        ("a/b/c/queue/q.go", "queue"),
        ("q.go", None),
        ("", None),
        ("my-pkg/q.go", None),
    ],
)
def test_without_a_package_clause_the_package_is_the_module_paths_folder(module_path: str, package: str | None) -> None:
    assert language_context(_request(module_path=module_path), ())["package_name"] == package
    bare = (CodeFile(None, "func F() {}\n"),)
    assert language_context(_request(module_path=module_path), bare)["package_name"] == package


# ------------------------------------------------------------------------------ the hooks


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost()
    host.load()
    return host


GOOD = "package a\n\nfunc F() int {\n\treturn 1\n}\n\nfunc G() int {\n\treturn 2\n}\n"


def _sr(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def _diff(host: PluginHost, files: dict[str, str], edit: str) -> DiffResult:
    result = host.call("apply_diff", "go", request=DiffRequest(language="go", files=files, edit=edit))
    assert isinstance(result, DiffResult)
    return result


def test_go_and_golang_are_the_plugins(host: PluginHost) -> None:
    assert host.language_owner["go"] == "go" and host.languages["go"] == plugin.LANGUAGE
    assert LanguageRegistry(host).resolve("golang").name == "go"


def test_an_edit_that_parses_is_applied(host: PluginHost) -> None:
    result = _diff(host, {"a/a.go": GOOD}, _sr("a/a.go", "\treturn 1", "\treturn 10"))
    assert result == DiffResult(files={"a/a.go": GOOD.replace("return 1", "return 10")}, fuzz=0, errors=(), deleted=())


def test_an_edit_that_does_not_apply_gives_its_errors(host: PluginHost) -> None:
    result = _diff(host, {"a/a.go": GOOD}, _sr("a/a.go", "\treturn 3", "\treturn 30"))
    assert result.files == {} and len(result.errors) == 1 and "a/a.go" in result.errors[0]


def test_an_edit_that_leaves_a_go_file_unparseable_is_refused_with_its_first_problem(host: PluginHost) -> None:
    search, replace = "\treturn 1\n}\n\nfunc G() int {", "\tx := \n}\n\nfunc G( int {"
    found = syntax.problems(GOOD.replace(search, replace))
    assert len(found) == 2  # the first one is quoted
    result = _diff(host, {"a/a.go": GOOD}, _sr("a/a.go", search, replace))
    assert result.files == {} and result.deleted == ()
    assert result.errors == (f"a/a.go: the edit leaves a syntax error at {found[0]}",)


def test_only_go_files_are_parsed_after_an_edit(host: PluginHost) -> None:
    files = {"a/a.go": GOOD, "README.md": "# a\n"}
    result = _diff(host, files, _sr("README.md", "# a", "# a: func ( {"))
    assert result.files == {"README.md": "# a: func ( {\n"} and result.errors == ()
