"""schemathesis against the web app's OpenAPI schema: whatever a request holds, never a 5xx,
and every error is JSON `{"error": "<one line>"}` (a corpus with hostile text, hashed vectors)."""

from __future__ import annotations

import pytest
from fakes import HashEmbedder  # tests/fakes.py
from hypothesis import HealthCheck, given, settings
from webapp import hostile_jsonl  # tests/webapp.py

from explorer import Explorer

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from explorer.web.app import create_app


@pytest.fixture(scope="module")
def web_schema(tmp_path_factory, seed_corpus):
    folder = tmp_path_factory.mktemp("fuzz")
    src = hostile_jsonl(seed_corpus, folder / "hostile.jsonl")
    ex = Explorer.build(src, name="fuzz", root=folder / "cache", embedder=HashEmbedder())
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(ex, hosts=None))


def test_no_server_errors(web_schema):
    operations = [r.ok() for r in web_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/search", "/api/related", "/api/export"}
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call()
            assert response.status_code < 500, (case.path, response.text)
            if response.status_code >= 400:
                err = response.json()["error"]
                assert isinstance(err, str) and "\n" not in err and "Traceback" not in err

        run()
