"""Answers adding members to the target's class behave the same once the client has merged them.

The client (0.20.6) keeps only the target method's body and the file's new top-level declarations.
A seeded generator writes answers whose target uses new static and instance fields (numbers,
arithmetic on statics, empty containers, functions), private ones, helper methods (static or
not, calling each other), getters and setters. Statics are read on the class, through an
instance (``this.constructor.X``) or as ``this.X`` in static code; private fields may hold a
``function``, which takes the ``this`` it is called on. Each answer runs in Node as written and
as the client would merge the engine's candidate (the original class, the target's body
replaced, the candidate's new declarations before it). Every answer that runs must give the same
results both ways. Left out on purpose, because the engine leaves them in the class (so the
client loses them): a setter whose assignment's value is used or that is updated in place
(``this.x += 1``), and the other shapes test_jsts_client_forms_mutants.py pins as left alone.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import pytest
from jsts_cases import candidates_request

from codeflash_engine import CodeFile, Task
from codeflash_engine.plugins.treesitter import walk
from codeflash_engine_js_ts.candidates import triage
from codeflash_engine_js_ts.source import Source

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

ORIGINAL = (
    "class Ledger {\n  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
    "  total(cat) {\n    return this.rows.filter((r) => r.c === cat).reduce((a, r) => a + r.v, 0);\n  }\n}\n"
)
FUNCTIONS = ["(x) => x * 2", "(x) => x + this.rows.length", "function (x) { return x + this.rows.length; }"]
METHODS = ["return x + 1;", "return x + this.rows.length;", "return [x].concat(this.rows).length;"]
#: the kinds of member the generator adds; each is used by the target (or by a helper it calls)
KINDS = ["map", "array", "number", "number", "function", "method", "getter", "calls", "setter", "accessor"]


def answer(rng: random.Random) -> str:
    """A class with one to five new members, all used by the target, in a shuffled order.

    Statics are read on the class, through an instance (``this.constructor.X``), or as ``this.X``
    in a static method or a later static's value. Setters are assigned in a statement of their
    own, alone or next to their getter. Private fields may hold a ``function``, called on
    ``this`` or passed with it."""
    members: list[str] = []
    steps: list[str] = []  # statements of the target before its `return`
    uses: list[str] = []
    statics: list[str] = []  # numeric statics declared so far (a later one may read them)
    helpers: list[str] = []  # instance methods declared so far (a later one may call them)
    kinds = sorted((rng.choice(KINDS) for _ in range(rng.randint(1, 5))), key=lambda k: k != "number")
    for i, kind in enumerate(kinds):  # numbers first: the statics a later member may read
        chance = {"number": 0.6, "method": 0.5, "map": 0.35, "function": 0.35}.get(kind, 0)
        static = rng.random() < chance
        private = rng.random() < (0.5 if kind == "function" else 0.3)
        name = f"{'#' if private else ''}m{i}"
        owner, prefix = ("Ledger", "static ") if static else ("this", "")
        if static and rng.random() < 0.4:
            owner = "this.constructor"  # a static reached through the instance
        if kind in ("method", "calls"):
            body = rng.choice(METHODS)
            if static:
                body = f"return x * this.{rng.choice(statics)};" if statics and rng.random() < 0.8 else "return x * 3;"
            elif statics and rng.random() < 0.3:
                body = f"return x + this.constructor.{rng.choice(statics)};"
            if kind == "calls" and not static and helpers:  # a helper calling an earlier one
                body = f"return this.{rng.choice(helpers)}(x) + 1;"
            members.append(f"  {prefix}{name}(x) {{\n    {body}\n  }}")
            if not static:
                helpers.append(name)
            uses.append(f"{owner}.{name}({owner}.{name}(2))" if kind == "calls" else f"{owner}.{name}(2)")
        elif kind == "getter":
            members.append(f"  get {name}() {{\n    return this.rows.length;\n  }}")
            uses.append(f"this.{name}")
        elif kind == "setter":  # the setter keeps what it is given in a property of its own
            members.append(f"  set {name}(v) {{\n    this._m{i} = v + 1;\n  }}")
            steps.append(f"this.{name} = this.rows.length + {i};")
            uses.append(f"this._m{i}")
        elif kind == "accessor":  # a getter and its setter
            members.append(f"  get {name}() {{\n    return this._m{i} ?? -1;\n  }}")
            members.append(f"  set {name}(v) {{\n    this._m{i} = v * 2;\n  }}")
            steps.append(f"this.{name} = {i};")
            uses.append(f"this.{name}")
        else:
            the_class = rng.choice(["Ledger", "this" if static else "this.constructor"])  # in the value
            value = {
                "map": "new Map()",
                "array": "[]",
                "function": rng.choice(FUNCTIONS[:2] if private and static else FUNCTIONS),
                "number": f"{the_class}.{rng.choice(statics)} * 2" if statics and rng.random() < 0.5 else str(i + 1),
            }[kind]
            members.append(f"  {prefix}{name} = {value};")
            if static and kind == "number" and not private:
                statics.append(name)
            if kind == "function" and private and not static and rng.random() < 0.4:
                uses.append(f"[5].map(this.{name}, this)")  # passed on, with its `this`
                continue
            uses.append(
                {
                    "map": f"({owner}.{name}.set(1, ({owner}.{name}.get(1) ?? 0) + 1), {owner}.{name}.get(1))",
                    "array": f"({owner}.{name}.push(1), {owner}.{name}.length)",
                    "function": f"{owner}.{name}(5)",
                    "number": f"{owner}.{name}",
                }[kind]
            )
    if rng.random() < 0.5 and not any(re.search(r"static \S+ = \w+\.", m) for m in members):
        rng.shuffle(members)  # a static reading another stays after it
    body = "".join(f"    {step}\n" for step in steps) + "    return [" + ", ".join(uses) + ", cat];\n"
    return (
        "export class Ledger {\n" + "\n".join(members) + "\n\n  constructor(rows) {\n    this.rows = rows;\n  }\n\n"
        "  total(cat) {\n" + body + "  }\n}\n"
    )


def merged(candidate: str) -> str:
    """What the client makes of ``candidate``: its top-level declarations, then the original class
    with the target's body taken from the candidate."""
    source = Source.parse("javascript", candidate)
    declarations: list[str] = []
    body = None
    for node in source.root.named_children:
        inner = node.child_by_field_name("declaration") if node.type == "export_statement" else node
        if inner is not None and inner.type == "class_declaration":
            for member in walk(inner):
                name = member.child_by_field_name("name") if member.type == "method_definition" else None
                if name is not None and source.text(name) == "total":
                    block = member.child_by_field_name("body")
                    assert block is not None
                    body = source.text(block)
        else:
            declarations.append(source.text(node))
    assert body is not None
    head = ORIGINAL[: ORIGINAL.index("  total(cat) ") + len("  total(cat) ")]
    return "\n".join(declarations) + "\n" + head + body + "\n}\n"


RUNNER = r"""
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const shown = (k, v) => (typeof v === 'function' ? 'fn' : v instanceof Map ? [...v] : v);
const run = (code) => {
  try {
    const f = new Function(code + "\nconst l = new Ledger([{ c: 'a', v: 1 }, { c: 'b', v: 2 }]);"
      + "\nreturn JSON.stringify([l.total('a'), l.total('a'), l.total('b')], " + shown.toString() + ");");
    return f();
  } catch (e) {
    return 'ERR ' + e.constructor.name + ': ' + e.message;
  }
};
console.log(JSON.stringify(cases.map((c) => [run(c[0]), run(c[1])])));
"""


def test_merged_candidates_behave_as_the_answers() -> None:
    rng = random.Random(20261207)
    original = CodeFile("src/ledger.js", "export " + ORIGINAL)
    cases: list[tuple[str, str]] = []
    for _ in range(400):
        text = answer(rng)
        request = candidates_request(
            task=Task.OPTIMIZE,
            language="javascript",
            language_version=None,
            original=(original,),
            answers=(f"```javascript\n{text}```",),
            target="Ledger.total",
        )
        [outcome] = triage(request)
        assert outcome.candidate is not None, (outcome.reason, text)
        cases.append((text.replace("export class", "class"), merged(outcome.candidate.files[0].code)))
    run = subprocess.run(["node", "-e", RUNNER], input=json.dumps(cases), capture_output=True, text=True, check=True)
    results = json.loads(run.stdout)
    ran = [(case, a, m) for case, (a, m) in zip(cases, results, strict=True) if not a.startswith("ERR")]
    assert len(ran) > 330  # the generator writes answers that run
    for shape in (
        r"this\.constructor\.",
        r"static m\d+(\(x\) \{\n    return x \*| =) this\.",  # `this` is the class
        r"  set ",
        r"#m\d+ = function",
    ):
        assert sum(bool(re.search(shape, case[0])) for case, _, _ in ran) >= 10, shape  # the new shapes are there
    differ = [f"{case[0]}\n=> {case[1]}\nanswer: {a}\nmerged: {m}" for case, a, m in ran if a != m]
    assert not differ, f"{len(differ)} differ; the first:\n{differ[0]}"
