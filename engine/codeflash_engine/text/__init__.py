"""The text layer: pure functions over LLM answers (markdown code blocks, XML tags, edit formats)."""
