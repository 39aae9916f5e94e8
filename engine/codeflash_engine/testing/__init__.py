"""Test support for the engine and for plugin authors: a throwaway PostgreSQL, a fake LLM server, fixtures."""
