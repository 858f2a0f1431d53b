"""The development directory: every development user has the address ``<user id>@example.com``.

The development issuer's users exist nowhere but in their tokens, so their addresses are made up the
same way for everyone; a user id that is already an address is its own. Same interface as
:class:`reference_api.directory.CognitoDirectory`.
"""

from __future__ import annotations

DEV_MAIL_DOMAIN = "example.com"


class DevDirectory:
    async def address(self, user_id: str) -> str | None:
        return user_id if "@" in user_id else f"{user_id}@{DEV_MAIL_DOMAIN}"
