"""The one place verification touches the network. Verifiers take a ``Transport``, so tests and other
programs can give them their own; the default one is urllib with certificate checking on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict)


class TransportError(Exception):
    """The request did not get an HTTP answer (DNS, refused, reset, TLS, timeout). The message never
    holds request data."""


class Transport(Protocol):
    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> Response: ...


class UrllibTransport:
    """HTTPS with the system's certificate store and hostname checking (urllib's defaults)."""

    def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float) -> Response:
        import ssl
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        context = ssl.create_default_context()
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as reply:
                return Response(reply.status, reply.read(), {k.lower(): v for k, v in reply.headers.items()})
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), {k.lower(): v for k, v in error.headers.items()})
        except TimeoutError:
            raise TransportError(f"timed out after {timeout:g} s") from None
        except urllib.error.URLError as error:
            raise TransportError(f"network error: {type(error.reason).__name__}: {error.reason}") from None
        except (OSError, ValueError) as error:  # resets, TLS failures, malformed responses
            raise TransportError(f"network error: {type(error).__name__}") from None
