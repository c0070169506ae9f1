"""A small OpenID Connect provider on loopback, strict where real ones are strict.

It serves discovery, an authorization endpoint (signs in whoever ``login_as`` named and
redirects back with a one-time code), a token endpoint that checks the client secret, the
code, the redirect URI and the PKCE verifier, a JWKS with its own RSA key, userinfo, and
an end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0) that checks the
id_token_hint is one it issued to this client and sends the browser to the
post_logout_redirect_uri.
``forge_with_other_key`` makes it sign ID tokens with a key its JWKS does not publish, as an
attacker who copied its key id would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "followthrough-test"
CLIENT_SECRET = "s3cret-for-tests-only"
KEY_ID = "test-key-1"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    claims: dict[str, Any]


@dataclass
class Provider:
    issuer: str = ""
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    claims: dict[str, Any] = field(default_factory=dict)
    forge_with_other_key: bool = False
    audience: str | None = None  # another client's id, to mint a token meant for it
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0
    issued_id_tokens: list[str] = field(default_factory=list)
    logouts: list[dict[str, str]] = field(default_factory=list)  # end_session requests
    with_end_session: bool = True

    def login_as(
        self, email: str, *, sub: str | None = None, verified: bool = True, **extra: Any
    ) -> None:
        """Whoever signs in at the provider next (their ``sub`` follows from the address
        unless given: give it to model a recycled address or an address change)."""
        self.claims = {
            "sub": sub or "sub-" + hashlib.sha256(email.lower().encode()).hexdigest()[:16],
            "email": email,
            "email_verified": verified,
            **extra,
        }

    def env(self, **overrides: str) -> dict[str, str]:
        """The FOLLOWTHROUGH_OIDC_* environment that points followthrough here."""
        return {
            "FOLLOWTHROUGH_OIDC_ISSUER": self.issuer,
            "FOLLOWTHROUGH_OIDC_CLIENT_ID": CLIENT_ID,
            "FOLLOWTHROUGH_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "FOLLOWTHROUGH_OIDC_NAME": "Example SSO",
            **overrides,
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KEY_ID, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience or grant.client_id,
            "iat": now,
            "exp": now + 300,
            **grant.claims,
        }
        if grant.nonce is not None:
            payload["nonce"] = grant.nonce
        key = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if self.forge_with_other_key
            else self.key
        )
        token = jwt.encode(payload, key, algorithm="RS256", headers={"kid": KEY_ID})
        self.issued_id_tokens.append(token)
        return token


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                document = {
                    "issuer": provider.issuer,
                    "authorization_endpoint": provider.issuer + "/authorize",
                    "token_endpoint": provider.issuer + "/token",
                    "userinfo_endpoint": provider.issuer + "/userinfo",
                    "jwks_uri": provider.issuer + "/jwks",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
                if provider.with_end_session:
                    document["end_session_endpoint"] = provider.issuer + "/logout"
                self._json(200, document)
            elif url.path == "/logout":
                self._end_session(query)
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/authorize":
                self._authorize(query)
            elif url.path == "/userinfo":
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                claims = provider.access_tokens.get(bearer)
                if claims is None:
                    self._json(401, {"error": "invalid_token"})
                else:
                    self._json(200, claims)
            else:
                self._json(404, {"error": "not_found"})

        def _end_session(self, query: dict[str, str]) -> None:
            provider.logouts.append(query)
            if query.get("id_token_hint") not in provider.issued_id_tokens:
                self._json(400, {"error": "invalid_request"})
                return
            if query.get("client_id") not in (None, CLIENT_ID):
                self._json(400, {"error": "invalid_client"})
                return
            self.send_response(302)
            self.send_header("Location", query.get("post_logout_redirect_uri", "/"))
            self.end_headers()

        def _authorize(self, query: dict[str, str]) -> None:
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                self._json(400, {"error": "unauthorized_client"})
                return
            if "openid" not in query.get("scope", "").split():
                self._json(400, {"error": "invalid_scope"})
                return
            code = secrets.token_urlsafe(16)
            provider.codes[code] = Grant(
                client_id=query["client_id"],
                redirect_uri=query["redirect_uri"],
                nonce=query.get("nonce"),
                code_challenge=query.get("code_challenge"),
                claims=dict(provider.claims),
            )
            back = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
            self.send_response(302)
            self.send_header("Location", back)
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802
            if urlsplit(self.path).path != "/token":
                self._json(404, {"error": "not_found"})
                return
            provider.token_requests += 1
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                self._json(401, {"error": "invalid_client"})
                return
            grant = provider.codes.pop(form.get("code", ""), None)  # a code works once
            if (
                form.get("grant_type") != "authorization_code"
                or grant is None
                or grant.redirect_uri != form.get("redirect_uri")
            ):
                self._json(400, {"error": "invalid_grant"})
                return
            if grant.code_challenge is not None:
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if challenge != grant.code_challenge:
                    self._json(400, {"error": "invalid_grant"})
                    return
            access = secrets.token_urlsafe(16)
            provider.access_tokens[access] = grant.claims
            self._json(
                200,
                {
                    "access_token": access,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": provider.id_token(grant),
                },
            )

    return Handler


class RunningProvider:
    """The provider served on 127.0.0.1 by a thread, until ``stop``."""

    def __init__(self) -> None:
        self.provider = Provider()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.provider))
        host, port = self.server.server_address[:2]
        self.provider.issuer = f"http://{host}:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
