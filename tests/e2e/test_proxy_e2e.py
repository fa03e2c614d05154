"""One address (#20 item 8) on the real stack: a browser allowed only the dashboard's origin (every request elsewhere
aborted, as when one port is forwarded over SSH) still gets every image and number, and the dashboard's /api/v1 answers
exactly what the API's own port answers (status, ETag and 304, problems, the write header's 403)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from e2e_stack import GROUPED_RUN, RUN, Stack

pytestmark = pytest.mark.browser

LOADED = """(selector) => { const all = [...document.querySelectorAll(selector)];
                            return all.length > 0 && all.every(i => i.complete && i.naturalWidth > 0); }"""


def only_the_dashboard(page: Any, stack: Stack) -> list[str]:
    """Abort every request of ``page`` to another origin than the dashboard's; the list of those aborted."""
    dashboard, blocked = urlsplit(stack.ui_url).netloc, []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == dashboard:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", guard)
    return blocked


def test_every_page_works_with_only_the_dashboards_origin(stack: Stack, page: Any) -> None:
    blocked = only_the_dashboard(page, stack)
    page.goto(f"{stack.ui_url}/explore?run={RUN}&dims=0,1&steps=5")
    page.wait_for_function(LOADED, arg="#explore-traversal")
    page.wait_for_function(LOADED, arg="#explore-gallery img")
    page.wait_for_function(LOADED, arg="#explore-decoded")
    sources = page.evaluate("""() => [...document.querySelectorAll('img')].map(i => i.src)""")
    assert sources and all(src.startswith(f"{stack.ui_url}/api/v1/") for src in sources), sources
    assert page.locator("#explore-image-url").input_value().startswith(f"{stack.ui_url}/api/v1/runs/{RUN}/")
    page.goto(f"{stack.ui_url}/factors?run={RUN}")
    page.wait_for_function("""() => { const trace = document.querySelector('#factors-bars .barlayer .trace');
                                      return trace && trace.querySelectorAll('.point path').length === 4; }""")
    page.goto(f"{stack.ui_url}/groups?run={GROUPED_RUN}")
    page.wait_for_function("""() => { const gd = document.querySelector('#groups-heatmap .js-plotly-plot');
                                      return gd && gd.data && gd.data.length > 0 && gd.data[0].type === 'heatmap'; }""")
    assert blocked == []


def test_the_proxy_answers_as_the_api_does(stack: Stack) -> None:
    path = f"/api/v1/runs/{RUN}/traversal.png?dims=0,1&steps=3"
    direct, proxied = httpx.get(stack.api_url + path), httpx.get(stack.ui_url + path)
    assert proxied.status_code == direct.status_code == 200 and proxied.content == direct.content
    for header in ("content-type", "etag", "cache-control", "content-length"):
        assert proxied.headers.get(header) == direct.headers.get(header), header
    again = httpx.get(stack.ui_url + path, headers={"If-None-Match": proxied.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    missing = [httpx.get(f"{base}/api/v1/runs/nope") for base in (stack.api_url, stack.ui_url)]
    assert missing[1].status_code == missing[0].status_code == 404 and missing[1].json() == missing[0].json()
    assert missing[1].headers["content-type"] == "application/problem+json"
    # a write without the header a cross-site form cannot send is refused by the API, through the proxy too
    refused = httpx.delete(f"{stack.ui_url}/api/v1/jobs/no-such-job")
    assert refused.status_code == 403 and "X-Requested-With" in refused.json()["detail"]
