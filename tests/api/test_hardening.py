"""Regressions of the hardening review: each of these crashed, leaked or misbehaved (the
sanitized pass of `make test` is what catches the memory errors)."""
import pytest

from conftest import DEMO_CATALOG, Server, new_database

SEARCH = "/api/3/action/package_search"


@pytest.mark.parametrize("query", [
    "sort=foo", "sort=title_string%20sideways", "fq=tags:AND", "fq=title:(a%20OR",
    "q=water&sort=foo", "q=water&fq=tags:AND", "fq={!func}x",
])
def test_invalid_search_is_a_client_error_and_the_server_lives(server, query):
    """A 400/409 answered from inside the statement builder freed the request while the
    builder still used it (use-after-free; fatal under AddressSanitizer)."""
    r = server.get(f"{SEARCH}?{query}")
    assert r.status_code in (400, 409), r.text
    body = r.json()
    assert body["success"] is False and body["error"]["__type"].startswith("Search")
    assert server.get(SEARCH).status_code == 200
    assert server.get(f"{SEARCH}?{query}").status_code == r.status_code  # cached path again


def test_exit_after_cached_searches_frees_everything(cluster):
    """The per-thread search-cache state was never freed: LeakSanitizer made a sanitized
    server exit non-zero."""
    srv = Server(new_database(cluster, DEMO_CATALOG))
    try:
        for q in ("", "?rows=2", "?sort=foo"):
            srv.get(SEARCH + q)
    finally:
        assert srv.stop() == 0, srv.log_text()[-3000:]
