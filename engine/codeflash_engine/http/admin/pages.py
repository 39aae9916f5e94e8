"""The dashboard's read-only pages: login, overview, usage (and its CSV), traces, plugins, static files."""

from __future__ import annotations

import csv
import io
import time
from urllib.parse import quote

from aiohttp import web

from codeflash_engine.http.admin import live_metrics, views
from codeflash_engine.http.admin.auth import ADMIN_AUTH, LOGIN_NOTES
from codeflash_engine.http.admin.render import HERE, SECURITY_HEADERS, chart_json, message, page, render
from codeflash_engine.http.guards import STORE
from codeflash_engine.http.metrics import METRICS
from codeflash_engine.http.routes.health import FAILURE_WINDOW
from codeflash_engine.http.state import LANGUAGES, PLUGINS, SETTINGS
from codeflash_engine.infra.db.types import UsageRow, usage_total

routes = web.RouteTableDef()

#: the files under static/ the engine serves (nothing else is reachable)
STATIC = {
    "chart.umd.min.js": "text/javascript",
    "chart.js.LICENSE.md": "text/plain",
    "admin.js": "text/javascript",
    "admin.css": "text/css",
}
#: traces a search lists at most
TRACES_LISTED = 100


def _safe_next(target: str | None) -> str:
    """Where to go after login: a dashboard path only (never another site)."""
    if target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin"


@routes.get("/admin/login")
async def login_form(request: web.Request) -> web.Response:
    note = LOGIN_NOTES.get(request.query.get("why", ""))
    return render(request, "login.html.j2", error=note, next=_safe_next(request.query.get("next")))


@routes.post("/admin/login")
async def login(request: web.Request) -> web.StreamResponse:
    auth = request.app[ADMIN_AUTH]
    form = await request.post()
    token, target = form.get("token"), _safe_next(str(form.get("next") or ""))
    if not isinstance(token, str) or not auth.token_matches(token.strip()):
        wrong = "wrong admin token"
        if isinstance(token, str) and token.strip().startswith("cf-"):
            wrong = "an API key does not open the dashboard: use CODEFLASH_ENGINE_ADMIN_TOKEN"
        return render(request, "login.html.j2", status=401, error=wrong, next=target)
    redirect = web.HTTPSeeOther(target, headers=SECURITY_HEADERS)
    auth.set_cookie(request, redirect)
    raise redirect


@routes.post("/admin/logout")
@page
async def logout(request: web.Request) -> web.StreamResponse:
    redirect = web.HTTPSeeOther("/admin/login", headers=SECURITY_HEADERS)
    request.app[ADMIN_AUTH].clear_cookie(redirect)
    raise redirect


@routes.get("/admin/static/{name}")
async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in STATIC:
        return web.Response(status=404, text="no such file", headers=SECURITY_HEADERS)
    response = web.Response(body=(HERE / "static" / name).read_bytes(), content_type=STATIC[name])
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@routes.get("/admin")
@routes.get("/admin/")
@page
async def overview(request: web.Request) -> web.Response:
    try:
        when = views.period(request.query.get("since"), request.query.get("until"))
    except views.BadPeriod as exc:
        return message(request, "Overview", str(exc), 400)
    figures = await views.overview(request.app[STORE], when)
    now = live_metrics.snapshot(request.app[METRICS])
    history = request.app.get(live_metrics.HISTORY)
    recent = history.recent(now) if history is not None else None
    spans = [live_metrics.LiveMetrics.of(now, None)]
    if recent is not None:
        spans.insert(0, recent)
    return render(
        request,
        "overview.html.j2",
        title="Overview",
        o=figures,
        spans=spans,
        quantiles=live_metrics.QUANTILES,
        charts=chart_json(figures.chart_data()),
        persistent=request.app[STORE].persistent,
    )


async def _usage_rows(request: web.Request) -> tuple[views.Period, str, str | None, list[UsageRow], UsageRow]:
    """The report `codeflash-engine usage --by GROUP --since --until --user` prints: rows and TOTAL."""
    when = views.period(request.query.get("since"), request.query.get("until"))
    group = views.usage_group(request.query.get("by"))
    user = request.query.get("user", "").strip() or None
    store = request.app[STORE]
    rows = await store.usage(since=when.since, until=when.until, group=group, user_id=user)
    total = usage_total(await store.usage(since=when.since, until=when.until, group="total", user_id=user))
    return when, group, user, rows, total


@routes.get("/admin/usage")
@page
async def usage(request: web.Request) -> web.Response:
    try:
        when, group, user, rows, total = await _usage_rows(request)
    except views.BadPeriod as exc:
        return message(request, "Usage", str(exc), 400)
    return render(
        request,
        "usage.html.j2",
        title="Usage",
        when=when,
        group=group,
        groups=views.GROUPS,
        user=user or "",
        rows=rows,
        total=total,
        query=request.query_string,
    )


@routes.get("/admin/usage.csv")
@page
async def usage_csv(request: web.Request) -> web.Response:
    try:
        when, group, _, rows, total = await _usage_rows(request)
    except views.BadPeriod as exc:
        return message(request, "Usage", str(exc), 400)
    out = io.StringIO()
    writer = csv.writer(out)
    columns = list(total.as_json())
    writer.writerow(columns)
    for row in [*rows, total]:
        writer.writerow([row.as_json()[c] for c in columns])
    name = f"usage-by-{group}-{when.since:%Y%m%d}-{when.until:%Y%m%d}.csv"
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@routes.get("/admin/traces")
@page
async def traces(request: web.Request) -> web.StreamResponse:
    """The search box: a whole trace id opens its page; the beginning of one, or a user, lists traces."""
    query = request.query.get("q", "").strip()
    user = request.query.get("user", "").strip() or None
    store = request.app[STORE]
    if query and not user:
        found_whole = await store.records_for_trace(query)  # the trace_id index: no scan of the period
        if found_whole.calls or found_whole.errors or await store.get_features(query) is not None:
            raise web.HTTPSeeOther(f"/admin/traces/{quote(query, safe='')}", headers=SECURITY_HEADERS)
    try:
        when = views.period(request.query.get("since") or "7d", None)
    except views.BadPeriod as exc:
        return message(request, "Traces", str(exc), 400)
    found = await store.trace_summaries(since=when.since, prefix=query or None, user_id=user, limit=TRACES_LISTED)
    return render(
        request, "traces.html.j2", title="Traces", found=found, q=query, user=user or "", since=when.since_text
    )


@routes.get("/admin/traces/{trace_id}")
@page
async def trace(request: web.Request) -> web.Response:
    trace_id = request.match_info["trace_id"]
    store = request.app[STORE]
    records = await store.records_for_trace(trace_id)
    features = await store.get_features(trace_id)
    calls = views.timeline(records)
    status = 200 if calls or records.errors or features is not None else 404
    return render(
        request,
        "trace.html.j2",
        status=status,
        title=f"Trace {trace_id}",
        trace_id=trace_id,
        calls=calls,
        errors=records.errors,
        features=features,
        users=sorted({c.user_id for c in records.calls if c.user_id}),
        total_cost=sum(c.cost_usd for c in calls),
        span=max((c.end_s for c in calls), default=0.0),
        chart=chart_json(views.timeline_chart(calls)),
    )


@routes.get("/admin/plugins")
@page
async def plugins(request: web.Request) -> web.Response:
    host = request.app[PLUGINS]
    recent = host.failures(within=FAILURE_WINDOW)
    errors = host.errors()
    return render(
        request,
        "plugins.html.j2",
        title="Plugins",
        plugins=host.plugins(include_builtin=True),
        errors=errors,
        failures=host.failures(),
        counts=host.failure_counts(),
        restarts=host.restarts(),
        health="degraded" if recent or errors else "ok",
        languages=request.app[LANGUAGES].names(),
        window_min=FAILURE_WINDOW // 60,
        now=time.time(),
        settings=request.app[SETTINGS],
    )
