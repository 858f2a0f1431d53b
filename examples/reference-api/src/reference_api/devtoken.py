"""``python -m reference_api.devtoken --sub alice --role agent``: print a development access token.

Refused outside development: the development issuer does not exist in production.
"""

from __future__ import annotations

import argparse
import sys

from .auth import DevIssuer
from .roles import ROLES
from .settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reference_api.devtoken", description=__doc__)
    parser.add_argument("--sub", required=True, help="user id (the token's sub)")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--email", default=None, help="e-mail claim (default SUB@example.com)")
    parser.add_argument("--ttl", type=int, default=12 * 3600, help="lifetime in seconds")
    args = parser.parse_args(argv)
    settings = get_settings()
    if not settings.is_development:
        print(
            f"devtoken: refused outside development (API_ENVIRONMENT={settings.environment})",
            file=sys.stderr,
        )
        return 2
    issuer = DevIssuer(settings)
    print(issuer.token(args.sub, args.role, email=args.email or f"{args.sub}@example.com", ttl_s=args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
