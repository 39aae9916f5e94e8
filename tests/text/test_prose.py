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
