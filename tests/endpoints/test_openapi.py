"""GET /openapi.json: an OpenAPI 3.1 document listing every route of the application."""

from __future__ import annotations

from codeflash_engine.testing.engine import EngineClient

CONTRACT_ROUTES = {
    "/ai/optimize",
    "/ai/optimize-line-profiler",
    "/ai/refinement",
    "/ai/code_repair",
    "/ai/adaptive_optimize",
    "/ai/testgen",
    "/ai/testgen_review",
    "/ai/testgen_repair",
    "/ai/rank",
    "/ai/explain",
    "/ai/optimization_review",
    "/ai/log_features",
    "/ai/workflow-gen",
    "/ai/rewrite_jit",
}


async def test_every_route_is_documented(engine_client: EngineClient) -> None:
    resp = await engine_client.get("/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    app_routes = {
        (route.resource.canonical, route.method)
        for route in engine_client.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    assert app_routes == documented
    assert {path for path, _ in documented} >= CONTRACT_ROUTES
    for path in CONTRACT_ROUTES:
        op = doc["paths"][path]["post"]
        assert "requestBody" in op and "200" in op["responses"] and op["security"] == [{"bearer": []}]
    assert doc["paths"]["/healthcheck"]["get"].get("security") is None
