"""A Content-Security-Policy builder that checks every source expression (CSP Level 3 grammar).

A CSP is easy to get wrong in both directions: AWS Solutions Constructs ships
``default-src 'none'; img-src 'self'; script-src 'self'; style-src 'self'``, which blocks an
SPA's own ``fetch('/api')``, its web fonts and its identity provider; a hand-written string with
a typo (``'self`` or ``https://*.example.com:port``) is silently ignored by browsers, which then
fall back to ``default-src``. The builder starts from a policy that works for a single-page app
and validates each source when it is added, so a typo fails at synth, not in a user's browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from cdk_casemgmt.errors import ValidationError

__all__ = ["CSP_MAX_LENGTH", "ContentSecurityPolicy", "source_problem"]

# CloudFront's response headers policy limits the Content-Security-Policy value to 1783 characters.
CSP_MAX_LENGTH = 1783

_KEYWORDS = frozenset(
    {
        "'self'",
        "'unsafe-inline'",
        "'unsafe-eval'",
        "'strict-dynamic'",
        "'unsafe-hashes'",
        "'report-sample'",
        "'unsafe-allow-redirects'",
        "'wasm-unsafe-eval'",
        "'inline-speculation-rules'",
    }
)
_BASE64 = r"[A-Za-z0-9+/\-_]+={0,2}"
_NONCE = re.compile(rf"'nonce-{_BASE64}'")
_HASH = re.compile(rf"'sha(256|384|512)-{_BASE64}'")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:")
_HOST = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+\-.]*://)?"  # scheme-part "://"
    r"(?:\*|(?:\*\.)?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.?)"  # host-part
    r"(?::(?:[0-9]+|\*))?"  # port-part
    r"(?:/[^\s;,]*)?"  # path-part
)

# Directives whose value is a source list.
_SOURCE_LIST_DIRECTIVES = frozenset(
    {
        "default-src",
        "script-src",
        "script-src-elem",
        "script-src-attr",
        "style-src",
        "style-src-elem",
        "style-src-attr",
        "img-src",
        "font-src",
        "connect-src",
        "media-src",
        "object-src",
        "frame-src",
        "child-src",
        "worker-src",
        "manifest-src",
        "base-uri",
        "form-action",
        "frame-ancestors",
    }
)
# Directives that take no value.
_FLAG_DIRECTIVES = frozenset({"upgrade-insecure-requests"})


def source_problem(source: str) -> str | None:
    """Why ``source`` is not a valid CSP source expression, or ``None`` when it is valid.

    Accepts keywords (``'self'``), nonces, hashes, scheme sources (``https:``) and host sources
    (``https://*.example.com:443/path``). ``'none'`` is valid only alone, which
    ``ContentSecurityPolicy.allow()`` checks.
    """
    if source != source.strip() or not source:
        return "is empty or has surrounding whitespace"
    if any(ch in source for ch in ' ;,\t\n\r"') or not source.isascii():
        return "contains a space, ';', ',', a quote or a non-ASCII character"
    if source.startswith("'"):
        if source == "'none'" or source in _KEYWORDS or _NONCE.fullmatch(source) or _HASH.fullmatch(source):
            return None
        return "is not a CSP keyword ('self', 'unsafe-inline', ...), nonce or hash (check the quotes)"
    if _SCHEME.fullmatch(source) or _HOST.fullmatch(source):
        return None
    return "is not a scheme source (https:) or host source (https://auth.example.com)"


def _check_directive(name: str) -> None:
    if name not in _SOURCE_LIST_DIRECTIVES and name not in _FLAG_DIRECTIVES:
        known = ", ".join(sorted(_SOURCE_LIST_DIRECTIVES | _FLAG_DIRECTIVES))
        raise ValidationError(
            "ContentSecurityPolicy",
            [f"directive={name!r}: not a directive this builder knows. Fix: use one of {known}"],
        )


class ContentSecurityPolicy:
    """An immutable Content-Security-Policy; each method returns a new policy.

    Example::

        csp = ContentSecurityPolicy.for_single_page_app(
            connect_origins=["https://api.example.com"],
            identity_provider_origins=["https://auth.example.com"],
        ).allow("img-src", "https://images.example.com")
        csp.render()

    :param directives: directive name -> source expressions; a flag directive such as
        ``upgrade-insecure-requests`` maps to an empty list. :default: - an empty policy
    :raises ValidationError: an unknown directive or an invalid source expression.
    """

    def __init__(self, directives: Mapping[str, Iterable[str]] | None = None) -> None:
        self._directives: dict[str, tuple[str, ...]] = {}
        for name, sources in (directives or {}).items():
            self._directives = self._with(name, tuple(sources))._directives

    @classmethod
    def for_single_page_app(
        cls,
        *,
        connect_origins: Sequence[str] = (),
        identity_provider_origins: Sequence[str] = (),
    ) -> ContentSecurityPolicy:
        """A policy that works for a built SPA served from its own origin.

        Scripts, styles, fonts and images come from the SPA's own origin (``img-src`` also allows
        ``data:`` URLs); ``fetch`` may reach the own origin (``/api`` through the same
        distribution), ``connect_origins`` and the identity provider; sign-in forms and silent
        token renewal may target the identity provider; nothing may frame the app; plugins are off.

        :param connect_origins: other origins the app calls, e.g. an API on another domain.
        :param identity_provider_origins: origins of the OpenID Connect / Cognito hosted UI.
        """
        idp = tuple(identity_provider_origins)
        return cls(
            {
                "default-src": ["'self'"],
                "script-src": ["'self'"],
                "style-src": ["'self'"],
                "img-src": ["'self'", "data:"],
                "font-src": ["'self'"],
                "connect-src": ["'self'", *connect_origins, *idp],
                "frame-src": list(idp) or ["'none'"],
                "form-action": ["'self'", *idp],
                "object-src": ["'none'"],
                "base-uri": ["'self'"],
                "frame-ancestors": ["'none'"],
                "upgrade-insecure-requests": [],
            }
        )

    @property
    def directives(self) -> Mapping[str, tuple[str, ...]]:
        """The directives, in the order they render."""
        return dict(self._directives)

    def allow(self, directive: str, *sources: str) -> ContentSecurityPolicy:
        """A copy with ``sources`` added to ``directive`` (``'none'`` there is replaced)."""
        current = tuple(s for s in self._directives.get(directive, ()) if s != "'none'")
        return self._with(directive, current + tuple(s for s in sources if s not in current))

    def replace(self, directive: str, *sources: str) -> ContentSecurityPolicy:
        """A copy with ``directive`` set to exactly ``sources``."""
        return self._with(directive, tuple(sources))

    def without(self, directive: str) -> ContentSecurityPolicy:
        """A copy without ``directive``."""
        copy = ContentSecurityPolicy()
        copy._directives = {k: v for k, v in self._directives.items() if k != directive}
        return copy

    def render(self) -> str:
        """The header value, e.g. ``default-src 'self'; frame-ancestors 'none'``."""
        return "; ".join(" ".join((name, *sources)) for name, sources in self._directives.items())

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"ContentSecurityPolicy({self.render()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContentSecurityPolicy) and other._directives == self._directives

    def __hash__(self) -> int:
        return hash(tuple(self._directives.items()))

    def _with(self, directive: str, sources: tuple[str, ...]) -> ContentSecurityPolicy:
        _check_directive(directive)
        problems: list[str] = []
        if directive in _FLAG_DIRECTIVES and sources:
            problems.append(
                f"{directive}={list(sources)!r}: this directive takes no sources. Fix: pass an empty list"
            )
        if directive in _SOURCE_LIST_DIRECTIVES and not sources:
            problems.append(
                f"{directive}=[]: an empty source list. Fix: pass \"'none'\" to block everything, "
                "or remove the directive"
            )
        if "'none'" in sources and len(sources) > 1:
            problems.append(
                f"{directive}={list(sources)!r}: \"'none'\" must stand alone. "
                "Fix: remove it or the other sources"
            )
        for source in sources:
            why = source_problem(source)
            if why:
                problems.append(
                    f"{directive} source {source!r}: {why}. Fix: use a valid CSP source expression, "
                    "e.g. \"'self'\", 'https:' or 'https://auth.example.com'"
                )
        copy = ContentSecurityPolicy()
        copy._directives = {**self._directives, directive: sources}
        if not problems and len(copy.render()) > CSP_MAX_LENGTH:
            problems.append(
                f"Content-Security-Policy is {len(copy.render())} characters: CloudFront allows "
                f"{CSP_MAX_LENGTH}. Fix: use wildcard hosts or fewer sources"
            )
        if problems:
            raise ValidationError("ContentSecurityPolicy", problems)
        return copy
