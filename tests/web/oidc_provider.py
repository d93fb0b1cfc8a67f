"""A small OpenID Connect provider for the tests, served by uvicorn on 127.0.0.1 in a thread.

Discovery (``/.well-known/openid-configuration``), JWKS, an authorization endpoint that signs in
whoever the test says (``provider.claims``) without asking, and a token endpoint that checks the
client secret, the redirect URI and the PKCE verifier before handing out an ID token signed with a
generated RSA key (joserfc). Knobs let a test break one thing at a time: ``issuer_in_token``,
``sign_with`` (another key), ``lifetime`` (negative: expired), ``nonce_override``, ``audience``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "pathway-test"
CLIENT_SECRET = "test client secret, long enough"


def listening_socket() -> socket.socket:
    """A socket listening on 127.0.0.1 on a port the kernel chose, for uvicorn to serve on: held from
    the start, so no other test (another pytest-xdist worker) can take the port before the server does."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@functools.cache
def signing_key() -> RSAKey:
    """The provider's RSA key, generated once per process (a 2048-bit key costs a tenth of a second or more)."""
    return RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})


@dataclass
class Provider:
    now: Callable[[], int]
    sock: socket.socket = field(default_factory=listening_socket)
    key: RSAKey = field(default_factory=signing_key)
    claims: dict[str, Any] = field(default_factory=lambda: {"sub": "u-1", "email": "anna@kommun.se"})
    # knobs, each breaking one thing
    issuer_in_token: str | None = None
    sign_with: RSAKey | None = None
    lifetime: int = 300
    nonce_override: str | None = None
    audience: str | None = None
    # what happened
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0
    server: uvicorn.Server | None = None

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- endpoints ---------------------------------------------------------------------------
    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
        })

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code" or "openid" not in q.get("scope", ""):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return JSONResponse({"error": "invalid_request", "error_description": "PKCE required"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"redirect_uri": q["redirect_uri"], "challenge": q["code_challenge"],
                            "nonce": q.get("nonce")}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}",
                                status_code=302)

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        form = await request.form()
        auth = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if challenge != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
        now = self.now()
        claims = {"iss": self.issuer_in_token or self.issuer, "aud": self.audience or CLIENT_ID,
                  "iat": now, "exp": now + self.lifetime, "nonce": self.nonce_override or grant["nonce"],
                  **self.claims}
        key = self.sign_with or self.key
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                             "expires_in": 300, "id_token": id_token})

    # -- running -----------------------------------------------------------------------------
    def start(self) -> Provider:
        app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery), Route("/jwks", self.jwks),
            Route("/authorize", self.authorize), Route("/token", self.token, methods=["POST"]),
        ])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True).start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test OpenID Connect provider did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
