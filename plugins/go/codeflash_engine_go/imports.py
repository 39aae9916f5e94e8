"""Imports of Go code: the original's imports the new code uses, and standard packages it uses unimported."""

from __future__ import annotations

from collections.abc import Sequence

from codeflash_engine_go.source import ImportSpec, Source

#: standard packages added when the code uses them without importing them (name -> path)
STANDARD_PACKAGES = {
    "bytes": "bytes",
    "errors": "errors",
    "fmt": "fmt",
    "maps": "maps",
    "math": "math",
    "reflect": "reflect",
    "bits": "math/bits",
    "slices": "slices",
    "sort": "sort",
    "strconv": "strconv",
    "strings": "strings",
    "sync": "sync",
    "testing": "testing",
    "atomic": "sync/atomic",
    "time": "time",
    "unicode": "unicode",
    "utf8": "unicode/utf8",
}


def add_imports(source: Source, original_imports: Sequence[ImportSpec]) -> Source:
    """Add the original's imports the code uses, and standard packages it uses unimported."""
    present = {spec.path for spec in source.imports()}
    names = {spec.name for spec in source.imports()}
    used = source.selector_operands() - source.local_names() - source.declared_names()
    wanted: list[str] = []
    for spec in original_imports:
        if spec.path in present:
            continue
        if spec.name in used or spec.alias in ("_", "."):
            wanted.append(spec.text)
            names.add(spec.name)
    for name in sorted(used - names):
        path = STANDARD_PACKAGES.get(name)
        if path is not None and path not in present:
            wanted.append(f'"{path}"')
    if not wanted:
        return source
    return Source.parse(insert_imports(source, wanted))


def insert_imports(source: Source, specs: Sequence[str]) -> str:
    """The code with ``specs`` (import spec texts) added to its import declarations."""
    declarations = source.import_declarations()
    lines = "".join(f"\t{spec}\n" for spec in specs)
    if declarations:
        last = declarations[-1]
        group = next((c for c in last.named_children if c.type == "import_spec_list"), None)
        if group is not None:
            close = group.end_byte - 1  # the ")"
            before = source.data[:close].rstrip(b" \t")
            joiner = b"" if before.endswith(b"\n") else b"\n"
            return (before + joiner + lines.encode() + source.data[close:]).decode("utf-8")
        single = source.data[last.start_byte : last.end_byte].decode("utf-8").removeprefix("import").strip()
        block = f"import (\n\t{single}\n{lines})"
        return (source.data[: last.start_byte] + block.encode() + source.data[last.end_byte :]).decode("utf-8")
    clause = source.package()
    block = f"import (\n{lines})\n"
    if clause is None:
        return f"{block}\n{source.code.lstrip()}"
    head, tail = source.data[: clause.end_byte].decode("utf-8"), source.data[clause.end_byte :].decode("utf-8")
    return f"{head}\n\n{block}\n{tail.lstrip()}"
