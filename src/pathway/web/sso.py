"""Single sign-on with OpenID Connect (authlib): the authorization-code flow with PKCE, state and nonce.

Configured in ``pathway.toml`` (``oidc_issuer``, ``oidc_client_id``, ``oidc_client_secret`` — better
as ``PATHWAY_OIDC_CLIENT_SECRET`` —, ``oidc_claim``, ``oidc_scopes``, ``oidc_label``,
``oidc_redirect_url``). The flow:

1. ``GET /login/sso`` makes a random state, nonce and PKCE code verifier (authlib), keeps them in a
   short-lived ``HttpOnly`` cookie signed with a key derived from the client secret (so any worker can
   check it and nobody else can forge it; nothing personal in it), and sends the browser to the
   provider's authorization endpoint, read from its ``/.well-known/openid-configuration``.
2. ``GET /login/sso/callback?code=…&state=…``: the state must equal the cookie's; the code is exchanged
   at the token endpoint (client secret, code verifier); the ID token's signature is verified against
   the provider's JWKS (RS256/ES256/PS256 only), and its issuer (the configured one), audience (the
   client id), expiry and issue time (against the injected clock, one minute's leeway) and nonce
   (the cookie's) are checked (joserfc, authlib's JOSE implementation).
3. The configured claim's value names the pathway user (:func:`pathway.services.accounts.sso_login`):
   a user whose sso subject is that value, or else whose login is. Nobody is created: an unknown or
   disabled user is refused with a page saying so. A new session id is issued (no session fixation).

The provider's metadata and keys are cached per process for ten minutes; an ID token signed with a key
not in the cached set makes one fresh read of the JWKS (key rotation). Calls to the provider have
time-outs and run in the thread pool, never on the event loop.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pathway.config import Settings
from pathway.errors import PathwayError, SettingsInvalid
from pathway.web.sealed import seal, unseal

#: The cookie carrying state, nonce and code verifier between the two legs of the flow.
FLOW_COOKIE = "pathway_sso"
#: Seconds a started sign-in may take at the provider.
FLOW_SECONDS = 600
#: Seconds the provider's metadata and keys are reused.
METADATA_SECONDS = 600
#: Seconds of clock difference accepted on exp/iat.
LEEWAY = 60
#: Signature algorithms accepted on an ID token (never 'none', never a symmetric one).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
CALLBACK_PATH = "/login/sso/callback"


class SsoFailed(PathwayError):
    """Single sign-on did not prove who the person is (provider error, bad token, mismatched state)."""

    exit_code = 3


@dataclass(frozen=True)
class SsoSettings:
    issuer: str
    client_id: str
    client_secret: str
    claim: str
    scopes: str
    label: str
    redirect_url: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> SsoSettings | None:
        """The sign-on settings, None when ``oidc_issuer`` is not set; refuses an incomplete set."""
        given = {name: getattr(settings, name) for name in ("oidc_client_id", "oidc_client_secret",
                                                             "oidc_redirect_url")}
        if not settings.oidc_issuer:
            stray = [name for name, value in given.items() if value]
            if stray:
                raise SettingsInvalid(f"{', '.join(stray)} set but oidc_issuer is not: set oidc_issuer to the "
                                      "identity provider's issuer URL to turn single sign-on on, or remove them")
            return None
        issuer = settings.oidc_issuer.rstrip("/")
        _check_url("oidc_issuer", issuer)
        if settings.oidc_redirect_url:
            _check_url("oidc_redirect_url", settings.oidc_redirect_url)
        secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
        if not settings.oidc_client_id or not secret:
            missing = [n for n, v in (("oidc_client_id", settings.oidc_client_id), ("oidc_client_secret", secret))
                       if not v]
            raise SettingsInvalid(f"oidc_issuer is set but {' and '.join(missing)} is not: give the client id "
                                  "and secret pathway is registered with at the provider (the secret preferably "
                                  "as PATHWAY_OIDC_CLIENT_SECRET)")
        scopes = settings.oidc_scopes.split()
        if "openid" not in scopes:
            raise SettingsInvalid(f"invalid oidc_scopes '{settings.oidc_scopes}': OpenID Connect needs the scope "
                                  "'openid', e.g. \"openid email profile\"")
        if not settings.oidc_claim.strip():
            raise SettingsInvalid("oidc_claim is empty: name the ID token claim that identifies the user, e.g. email")
        return cls(issuer, settings.oidc_client_id, secret, settings.oidc_claim.strip(), " ".join(scopes),
                   settings.oidc_label.strip() or "organisationens inloggning", settings.oidc_redirect_url)


def _check_url(name: str, url: str) -> None:
    """https, or http only to this machine (a provider for tests on localhost)."""
    parts = urlsplit(url)
    local = parts.hostname == "localhost" or _loopback(parts.hostname or "")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise SettingsInvalid(f"invalid {name} '{url}': use an https:// address (http:// only for localhost)")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- the flow cookie -----------------------------------------------------------------------------

def _key(sso: SsoSettings) -> bytes:
    return hashlib.sha256(b"pathway sso flow\0" + sso.client_secret.encode()).digest()


def pack_flow(sso: SsoSettings, flow: dict[str, Any]) -> str:
    return seal(_key(sso), flow)


def unpack_flow(sso: SsoSettings, value: str | None, now: float) -> dict[str, Any]:
    if not value:
        raise SsoFailed("the sign-in was not started from this browser (or took too long): start again")
    flow = unseal(_key(sso), value)
    if flow is None:
        raise SsoFailed("the sign-in's cookie is not one this server made: start again")
    if flow.get("expires", 0) < now:
        raise SsoFailed("the sign-in took longer than 10 minutes: start again")
    return flow


# -- the provider ----------------------------------------------------------------------------------

@dataclass
class Provider:
    """The identity provider's metadata and keys, read over HTTP and cached for a while."""

    sso: SsoSettings
    timeout: float = 10.0
    _metadata: tuple[float, dict[str, Any]] | None = None
    _keys: tuple[float, Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _get(self, url: str) -> dict[str, Any]:
        import httpx

        try:
            response = httpx.get(url, timeout=self.timeout, follow_redirects=False)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise SsoFailed(f"the identity provider did not answer at {url}: {type(err).__name__}") from None
        if not isinstance(data, dict):
            raise SsoFailed(f"the identity provider's answer at {url} is not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata[0] > METADATA_SECONDS:
                data = self._get(f"{self.sso.issuer}/.well-known/openid-configuration")
                if str(data.get("issuer", "")).rstrip("/") != self.sso.issuer:
                    raise SsoFailed(f"the provider at {self.sso.issuer} calls itself '{data.get('issuer')}'; "
                                    "oidc_issuer must be exactly its issuer")
                for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(data.get(name), str):
                        raise SsoFailed(f"the provider's metadata has no {name}")
                self._metadata = (time.monotonic(), data)
            return self._metadata[1]

    def keys(self, fresh: bool = False) -> Any:
        from joserfc.jwk import KeySet

        with self._lock:
            cached = self._keys
        if fresh or cached is None or time.monotonic() - cached[0] > METADATA_SECONDS:
            try:
                found = KeySet.import_key_set(self._get(self.metadata()["jwks_uri"]))  # type: ignore[arg-type]
            except (ValueError, TypeError, KeyError) as err:
                raise SsoFailed(f"the provider's signing keys cannot be read: {err}") from None
            with self._lock:
                self._keys = cached = (time.monotonic(), found)
        return cached[1]

    def exchange(self, code: str, verifier: str, redirect_url: str) -> dict[str, Any]:
        """The token endpoint's answer for an authorization code (client_secret_basic)."""
        import httpx

        try:
            response = httpx.post(self.metadata()["token_endpoint"], timeout=self.timeout, data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_url,
                "code_verifier": verifier, "client_id": self.sso.client_id,
            }, auth=(self.sso.client_id, self.sso.client_secret), headers={"Accept": "application/json"})
            body = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise SsoFailed(f"the identity provider's token endpoint did not answer: {type(err).__name__}") from None
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise SsoFailed(f"the identity provider refused the sign-in code ({error or response.status_code})")
        return body


def start(provider: Provider, redirect_url: str, target: str, now: float) -> tuple[str, str]:
    """(the provider's authorization URL, the flow cookie's value) for a new sign-in."""
    from authlib.common.security import generate_token
    from authlib.common.urls import add_params_to_uri
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    sso = provider.sso
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url = add_params_to_uri(provider.metadata()["authorization_endpoint"], [
        ("response_type", "code"), ("client_id", sso.client_id), ("redirect_uri", redirect_url),
        ("scope", sso.scopes), ("state", state), ("nonce", nonce),
        ("code_challenge", create_s256_code_challenge(verifier)), ("code_challenge_method", "S256"),
    ])
    cookie = pack_flow(sso, {"state": state, "nonce": nonce, "verifier": verifier, "next": target,
                             "redirect": redirect_url, "expires": int(now + FLOW_SECONDS)})
    return url, cookie


def finish(provider: Provider, flow: dict[str, Any], params: dict[str, str], now: int) -> tuple[str, str]:
    """Check the provider's answer and the ID token; returns (the configured claim's value, next page)."""
    from joserfc import jwt
    from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError

    sso = provider.sso
    if params.get("error"):
        raise SsoFailed(f"the identity provider did not sign you in ({params['error'][:100]})")
    if not hmac.compare_digest(str(params.get("state", "")), str(flow["state"])):
        raise SsoFailed("the answer's state does not match the sign-in started in this browser: start again")
    code = params.get("code")
    if not code:
        raise SsoFailed("the identity provider's answer has no code")
    tokens = provider.exchange(code, flow["verifier"], flow["redirect"])
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise SsoFailed("the identity provider's answer has no ID token")

    def decode(keys: Any) -> Any:
        return jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))

    try:
        try:
            token = decode(provider.keys())
        except (JoseError, ValueError):
            token = decode(provider.keys(fresh=True))  # the provider may have rotated its keys
    except BadSignatureError:
        raise SsoFailed("the ID token's signature does not verify with the provider's keys") from None
    except (JoseError, ValueError) as err:
        raise SsoFailed(f"the ID token cannot be read ({type(err).__name__})") from None
    registry = jwt.JWTClaimsRegistry(
        now=now, leeway=LEEWAY,
        iss={"essential": True, "value": sso.issuer}, aud={"essential": True, "value": sso.client_id},
        exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
        nonce={"essential": True, "value": flow["nonce"]},
    )
    claims = token.claims
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise SsoFailed("the ID token has expired: sign in again") from None
    except (InvalidClaimError, MissingClaimError) as err:
        name = getattr(err, "claim", "") or str(err)
        raise SsoFailed(f"the ID token's claim {name} is not what this server expects "
                        f"(issuer, audience, nonce or times)") from None
    except JoseError as err:
        raise SsoFailed(f"the ID token is not valid ({type(err).__name__})") from None
    if isinstance(claims.get("aud"), list) and len(claims["aud"]) > 1 and claims.get("azp") != sso.client_id:
        raise SsoFailed("the ID token names several audiences but was not issued to this client (azp)")
    if claims.get("iat", 0) > now + LEEWAY:
        raise SsoFailed("the ID token was issued in the future: check the clocks")
    value = claims.get(sso.claim)
    if not isinstance(value, str) or not value.strip():
        raise SsoFailed(f"the ID token has no claim '{sso.claim}' (oidc_claim); ask for a scope that "
                        "includes it (oidc_scopes) or choose another claim")
    return value.strip(), str(flow.get("next") or "/today")
