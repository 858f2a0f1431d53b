"""Everything that exists only outside production, added to the app by one call:
:func:`reference_api.dev.install.install`.

- :mod:`~reference_api.dev.install`: that call;
- :mod:`~reference_api.dev.issuer`: the development token issuer (Cognito-shaped tokens, a local key);
- :mod:`~reference_api.dev.signin`: the sign-in that mirrors Cognito's hosted UI endpoints;
- :mod:`~reference_api.dev.web`: the web front end served by the API itself;
- :mod:`~reference_api.dev.storage`: the endpoints behind the local document backend's links;
- :mod:`~reference_api.dev.demo` and :mod:`~reference_api.dev.commands`: demo data, and the ``demo``
  and ``devtoken`` commands.

The production application imports none of this: :func:`reference_api.app.create_app` imports the
package only when ``Settings.allows_dev_tools`` (environments ``development`` and ``test``), and a test
builds the production app in a fresh process and finds no module of it loaded.
"""
