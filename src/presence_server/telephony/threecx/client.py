"""HTTP access to one 3CX v20: the OAuth2 token and the calls we make.

3CX hands out one live token per API client: a new one replaces the old.
``ThreeCxClient`` therefore keeps one token per PBX, shared by every request
and the websocket, renews it ``token_refresh_seconds`` before it expires (on
the injected clock) and fetches a new one once when an answer is ``401``
(the PBX restarted, or someone else used the same client).

Every failure is an ``AdapterError``: ``AdapterUnavailable`` when the PBX
cannot be reached, a plain ``AdapterError`` when it answered with an error.
The client secret is only ever put in the token request's form: it is not
logged, not put in an error, and ``repr`` does not show it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from presence_server.engine.clock import Clock
from presence_server.telephony.adapter import AdapterError, AdapterUnavailable
from presence_server.telephony.threecx.config import ThreeCxConfig

logger = logging.getLogger(__name__)

XAPI = "/xapi/v1"
TOKEN_PATH = "/connect/token"


class CredentialsRefused(AdapterError):
    """The token endpoint refused the client id or secret."""


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires: datetime


def odata_literal(value: str) -> str:
    """A string literal for an OData filter or key: quoted, quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


class ThreeCxClient:
    """Requests to one PBX with one shared, self-renewing token."""

    def __init__(self, config: ThreeCxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._http = httpx.AsyncClient(
            base_url=config.url,
            timeout=httpx.Timeout(
                config.request_timeout_seconds, connect=config.connect_timeout_seconds
            ),
        )
        self._token: Token | None = None
        self._token_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"ThreeCxClient({self.config.client_id}@{self.config.url})"

    async def close(self) -> None:
        await self._http.aclose()

    async def token(self) -> str:
        """A token valid for at least the refresh margin; fetched when not."""
        async with self._token_lock:
            token = self._token
            margin = timedelta(seconds=self.config.token_refresh_seconds)
            if token is None or self.clock.now() >= token.expires - margin:
                token = self._token = await self._fetch_token()
            return token.value

    def forget_token(self, value: str) -> None:
        """The PBX refused ``value``: the next ``token()`` fetches a new one."""
        if self._token is not None and self._token.value == value:
            self._token = None

    async def _fetch_token(self) -> Token:
        config = self.config
        form = {
            "client_id": config.client_id,
            "client_secret": config.client_secret.get_secret_value(),
            "grant_type": "client_credentials",
        }
        response = await self._send("POST", TOKEN_PATH, data=form)
        if response.status_code in (400, 401, 403):
            raise CredentialsRefused(
                f"3CX at {config.url} refused the credentials of API client "
                f"{config.client_id!r} (HTTP {response.status_code})"
            )
        if response.status_code >= 400:
            raise AdapterError(
                f"3CX answered {TOKEN_PATH} with HTTP {response.status_code}"
            )
        body = _json(response, TOKEN_PATH)
        try:
            value = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
        except (KeyError, TypeError, ValueError) as error:
            raise AdapterError(f"3CX token answer without a token: {error}") from None
        logger.debug("3CX token for %s valid for %.0f s", config.client_id, lifetime)
        return Token(value, self.clock.now() + timedelta(seconds=lifetime))

    async def request(
        self, method: str, path: str, *, json: Any = None, params: Any = None
    ) -> httpx.Response:
        """An authorized request; one new token and one retry on ``401``.

        Raises ``AdapterError`` for any answer of 400 or more but 404, which
        the caller handles.
        """
        for attempt in (1, 2):
            token = await self.token()
            response = await self._send(
                method,
                path,
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code == 401 and attempt == 1:
                logger.info("3CX refused the token for %s %s; renewing", method, path)
                self.forget_token(token)
                continue
            if response.status_code >= 400 and response.status_code != 404:
                raise AdapterError(
                    f"3CX answered {method} {path} with HTTP {response.status_code}"
                    f"{_detail(response)}"
                )
            return response
        raise AssertionError("unreachable")

    async def get_json(self, path: str, params: Any = None) -> Any:
        """The JSON of a GET; None when the entity does not exist (404)."""
        response = await self.request("GET", path, params=params)
        if response.status_code == 404:
            return None
        return _json(response, path)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        data: Any = None,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return await self._http.request(
                method, path, data=data, json=json, params=params, headers=headers
            )
        except httpx.TransportError as error:
            reason = str(error) or type(error).__name__
            raise AdapterUnavailable(
                f"3CX at {self.config.url} unreachable: {reason}"
            ) from error


def _json(response: httpx.Response, path: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise AdapterError(f"3CX answered {path} with something not JSON") from None


def _detail(response: httpx.Response) -> str:
    text = response.text.strip()
    return f": {text[:200]}" if text else ""
