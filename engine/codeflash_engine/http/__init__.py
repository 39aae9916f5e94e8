"""The HTTP layer: routes, request/response schemas, guards and the JSON error envelope."""
