"""SCIM 2.0 provisioning of accounts by the identity provider (RFC 7643, RFC 7644).

``/scim/v2/Users`` lets the provider create accounts ahead of their first sign-in, keep
their name, address and username up to date, and deprovision them the moment they leave
(``active: false`` or DELETE: the account is disabled, its tokens revoked and its sessions
ended, ``accounts.deprovision``). Authentication is a bearer token with the ``scim`` scope
belonging to an active admin (``followthrough scim-token``); nothing else gets in, and a
SCIM token works nowhere else. The endpoint exists only while single sign-on is on.

- ``protocol``: the wire format: schemas, errors, filters, list responses, PATCH operations.
- ``users``: accounts as SCIM User resources, and changes to them.
- ``views`` and ``urls``: the HTTP endpoints.

The provider sees and manages only the accounts of the configured issuer's identities
(those it provisioned, or that signed in through it); local accounts made by hand, such as
the first admin, are invisible to it. docs/sign-in.md, "Provisioning with SCIM", lists what
is supported.
"""
