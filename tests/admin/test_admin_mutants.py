"""Dashboard cases the mutation run (``scripts/mutation.py admin.*``) found unpinned.

- Behind a chain of proxies ``X-Forwarded-Host`` lists the hosts from the browser's side first:
  the form's Origin is checked against the first one, never the last (an inner hop's name).
"""

from __future__ import annotations

from admin_support import AdminClient, csrf_of
from test_admin_auth import log_in


async def test_the_first_forwarded_host_is_the_one_the_browser_used(admin_client: AdminClient) -> None:
    await log_in(admin_client)
    token = csrf_of(await (await admin_client.get("/admin/keys")).text())
    chain = {"X-Forwarded-Host": "engine.example, lb.internal"}
    browser = await admin_client.post(
        "/admin/keys", data={"user": "u1", "csrf": token}, headers={"Origin": "https://engine.example", **chain}
    )
    assert browser.status == 201
    inner = await admin_client.post(
        "/admin/keys", data={"user": "u2", "csrf": token}, headers={"Origin": "https://lb.internal", **chain}
    )
    assert inner.status == 403
    assert "another site" in await inner.text()
