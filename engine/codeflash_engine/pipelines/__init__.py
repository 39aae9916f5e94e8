"""Pipelines: one module per task. They turn a domain request into LLM calls and clean results.

A pipeline reaches language code only through the plugin hooks, and LLMs only through the
LLM layer; it never sees aiohttp or pydantic.
"""
