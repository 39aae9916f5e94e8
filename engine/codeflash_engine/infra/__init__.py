"""Infrastructure: LLM providers, the database, logging and background recording."""
