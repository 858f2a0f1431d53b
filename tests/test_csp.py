"""ContentSecurityPolicy: the builder's output and its validation of source expressions."""

from __future__ import annotations

import pytest

from cdk_casemgmt.csp import CSP_MAX_LENGTH, ContentSecurityPolicy, source_problem
from cdk_casemgmt.errors import ValidationError


def test_spa_policy_lets_the_app_reach_its_api_and_identity_provider() -> None:
    csp = ContentSecurityPolicy.for_single_page_app(
        connect_origins=["https://api.example.com"],
        identity_provider_origins=["https://auth.example.com"],
    )
    d = csp.directives
    assert d["connect-src"] == ("'self'", "https://api.example.com", "https://auth.example.com")
    assert d["form-action"] == ("'self'", "https://auth.example.com")
    assert d["frame-src"] == ("https://auth.example.com",)
    assert d["font-src"] == ("'self'",)  # web fonts from the own origin work (SC's policy blocks them)
    assert d["frame-ancestors"] == ("'none'",)
    assert d["object-src"] == ("'none'",)
    assert "upgrade-insecure-requests" in csp.render()


def test_spa_policy_without_identity_provider_allows_no_frames() -> None:
    csp = ContentSecurityPolicy.for_single_page_app()
    assert csp.directives["frame-src"] == ("'none'",)
    assert csp.render().startswith("default-src 'self'; script-src 'self'; style-src 'self'")


def test_allow_adds_sources_and_replaces_none() -> None:
    csp = ContentSecurityPolicy.for_single_page_app().allow("frame-src", "https://*.example.com")
    assert csp.directives["frame-src"] == ("https://*.example.com",)
    again = csp.allow("frame-src", "https://*.example.com")
    assert again.directives["frame-src"] == ("https://*.example.com",)  # no duplicates


def test_builder_is_immutable() -> None:
    base = ContentSecurityPolicy.for_single_page_app()
    base.allow("img-src", "https://images.example.com")
    assert "https://images.example.com" not in base.render()
    assert "img-src" not in base.without("img-src").render()


@pytest.mark.parametrize(
    "source",
    [
        "'self'",
        "'none'",
        "'strict-dynamic'",
        "'nonce-abc123=='",
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "https:",
        "data:",
        "blob:",
        "https://auth.example.com",
        "https://*.example.com",
        "wss://api.example.com:443",
        "https://example.com/path/",
        "example.com",
        "*",
        "http://localhost:*",
    ],
)
def test_valid_sources(source: str) -> None:
    assert source_problem(source) is None


@pytest.mark.parametrize(
    "source",
    [
        "'self",
        "'unsafe-everything'",
        "https://auth.example.com; script-src *",
        "https://exa mple.com",
        "",
        " https://example.com",
        "https://*example.com",
        "https://example.com:port",
        "'nonce-'",
        "ht!tp://example.com",
        "https://bücher.example",
    ],
)
def test_invalid_sources_are_rejected(source: str) -> None:
    assert source_problem(source) is not None
    with pytest.raises(ValidationError) as err:
        ContentSecurityPolicy.for_single_page_app().allow("connect-src", source)
    assert "connect-src source" in str(err.value)
    assert "Fix:" in str(err.value)


def test_none_must_stand_alone() -> None:
    with pytest.raises(ValidationError, match="must stand alone"):
        ContentSecurityPolicy({"img-src": ["'none'", "'self'"]})


def test_unknown_directive_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not a directive this builder knows"):
        ContentSecurityPolicy({"script-source": ["'self'"]})


def test_flag_directive_takes_no_sources() -> None:
    with pytest.raises(ValidationError, match="takes no sources"):
        ContentSecurityPolicy({"upgrade-insecure-requests": ["'self'"]})


def test_too_long_for_cloudfront() -> None:
    hosts = [f"https://host{i}.example.com" for i in range(80)]
    with pytest.raises(ValidationError, match=f"CloudFront allows {CSP_MAX_LENGTH}"):
        ContentSecurityPolicy.for_single_page_app(connect_origins=hosts)
