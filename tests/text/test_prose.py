from codeflash_engine.text.prose import explanation_of


def test_tag_wins() -> None:
    assert explanation_of("x <explanation> Faster. </explanation>\n```py\nx=1\n```") == "Faster."


def test_prose_outside_fences_and_path_lines() -> None:
    answer = "Use sorted.\n\npkg/a.py:\n```python\ndef f(): pass\n```\n\nDone."
    assert explanation_of(answer) == "Use sorted.\n\nDone."


def test_edits_and_labels() -> None:
    answer = "**Explanation:** hoist the lookup.\n\npkg/a.py\n```\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```"
    assert explanation_of(answer) == "hoist the lookup."
    assert explanation_of("Better.\n*** Begin Patch\n*** Update File: a.py\n") == "Better."


def test_unclosed_fence_and_code_tag() -> None:
    assert explanation_of("Why.\n```python\ndef f():\n    return 1") == "Why."
    assert explanation_of("Why <code>def f(): pass</code> now.") == "Why  now."


def test_extraction_says_when_the_last_block_was_cut_off() -> None:
    from codeflash_engine.text.markdown import scan_code_blocks

    cut = scan_code_blocks("x\n```python\ndef f():\n    return 1", language_tags=["python"], default_language="python")
    assert cut.truncated and cut.blocks[0].code == "def f():\n    return 1"
    whole = scan_code_blocks("```python\nx = 1\n```", language_tags=["python"], default_language="python")
    assert not whole.truncated


FENCED = "```python\nx = set(xs)\n```"
PROSE_CASES = [
    # (answer, explanation)
    ("Use a set:\n" + FENCED, "Use a set:"),  # the line before a fence is prose unless it names a file
    ("Use a set.\npkg/mod.py\n\n" + FENCED, "Use a set."),
    ("\nUse a set.\npkg/mod.py\n" + FENCED, "Use a set."),
    ("Use a set.\n<CODE>\nx = set(xs)\n</CODE>\nIt is O(1).", "Use a set.\n\nIt is O(1)."),  # any case, many lines
    ("Use a set.\npkg/mod.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n", "Use a set."),
    ("Use a set.\npkg/mod.py\n--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -1 +1 @@\n-x\n+y\n", "Use a set."),
    ("Use a set.\nChanged:\npkg/mod.py", "Use a set.\nChanged:\npkg/mod.py"),  # no code after it: prose
    ("Intro.\n  ```python\n  x = 1\n```\nOutro.", "Intro.\nOutro."),  # fences indented differently
    ("Intro.\n```\n~~~\nx\n```\nOutro.", "Intro.\nOutro."),  # another fence character inside
    ("Intro.\n````\n```\nx\n```\n````\nOutro.", "Intro.\nOutro."),  # a shorter fence inside
    ("Intro.\n```\nx\n``` not a close\n```\nOutro.", "Intro.\nOutro."),
    ("Explanation: Explanation: the word stays", "Explanation: the word stays"),
]


def test_prose_table() -> None:
    for answer, expected in PROSE_CASES:
        assert explanation_of(answer) == expected, answer
