"""The one place verification touches the network. Verifiers take a ``Transport``, so tests and other
programs can give them their own; the default one is urllib with certificate checking on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from akscan.verify.outcome import Outcome


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


# An STS answer is a few hundred bytes; anything far larger is not one, and is not read into memory.
MAX_RESPONSE_BYTES = 1024 * 1024


class UrllibTransport:
    """HTTPS with the system's certificate store and hostname checking (urllib's defaults). Redirects are
    never followed: a redirect would carry the signed request (and an STS token) to a host nobody chose.
    Answers are read up to ``MAX_RESPONSE_BYTES``. ``timeout`` is a deadline for the whole exchange, not
    per read: a server that drips a byte every half second cannot hold the run (the connection is shut at
    the deadline)."""

    def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float) -> Response:
        import threading

        connections: list[Any] = []
        outcome: list[Response | BaseException] = []

        def exchange() -> None:
            try:
                outcome.append(self._exchange(method, url, headers, body, timeout, connections))
            except BaseException as error:  # handed to the caller below
                outcome.append(error)

        worker = threading.Thread(target=exchange, name="akscan-verify", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            for connection in connections:  # the blocked read fails at once, and the thread ends
                _shut(connection)
            worker.join(1.0)
            raise TransportError(f"timed out: no complete answer within {timeout:g} s")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeout: float,
        connections: list[Any],
    ) -> Response:
        import http.client
        import ssl
        import urllib.error
        import urllib.request

        class NoRedirects(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None  # urllib then hands the 3xx answer back as an HTTPError

        context = ssl.create_default_context()

        class Https(urllib.request.HTTPSHandler):
            def https_open(self, req: Any) -> Any:
                def connect(host: str, **options: Any) -> http.client.HTTPSConnection:
                    connection = http.client.HTTPSConnection(host, **options)
                    connections.append(connection)
                    return connection

                return self.do_open(connect, req, context=context)

        class Http(urllib.request.HTTPHandler):
            def http_open(self, req: Any) -> Any:
                def connect(host: str, **options: Any) -> http.client.HTTPConnection:
                    connection = http.client.HTTPConnection(host, **options)
                    connections.append(connection)
                    return connection

                return self.do_open(connect, req)

        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        opener = urllib.request.build_opener(NoRedirects(), Https(), Http())
        try:
            with opener.open(request, timeout=timeout) as reply:
                return Response(reply.status, _bounded(reply), {k.lower(): v for k, v in reply.headers.items()})
        except urllib.error.HTTPError as error:
            return Response(error.code, _bounded(error), {k.lower(): v for k, v in error.headers.items()})
        except TimeoutError:
            raise TransportError(f"timed out after {timeout:g} s") from None
        except urllib.error.URLError as error:
            raise TransportError(f"network error: {type(error.reason).__name__}: {error.reason}") from None
        except (OSError, ValueError, http.client.HTTPException) as error:  # resets, TLS, malformed answers
            raise TransportError(f"network error: {type(error).__name__}") from None


def _shut(connection: Any) -> None:
    import contextlib
    import socket

    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()


def _bounded(reply: Any) -> bytes:
    data: bytes = reply.read(MAX_RESPONSE_BYTES + 1)
    if len(data) > MAX_RESPONSE_BYTES:
        raise TransportError(f"answer larger than {MAX_RESPONSE_BYTES} bytes: not an STS response")
    return data


# HTTP statuses worth a retry with backoff (throttling and server trouble), for every provider.
RETRY_STATUSES = (429, 500, 502, 503, 504)


def ask(
    transport: Transport,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    timeout: float,
    classify: Callable[[int, bytes], Outcome],
) -> Outcome:
    """Send one signed request; a network failure is ``unknown`` (never a dead key), an answer is
    classified by the provider's rules."""
    try:
        response = transport.request(method, url, headers, body, timeout)
    except TransportError as error:
        return Outcome("unknown", reason=str(error))
    return classify(response.status, response.body)
