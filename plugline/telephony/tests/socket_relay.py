"""A byte relay between sockets, for the browser call test that runs in its own network
namespace: PostgreSQL and Redis listen on the machine's loopback, which a new network
namespace does not see, but a Unix socket's path is reachable from both sides. The test
relays unix:<path> -> tcp:127.0.0.1:<port> outside the namespace, and tcp -> unix inside.

    python -m plugline.telephony.tests.socket_relay LISTEN TARGET [LISTEN TARGET ...]

LISTEN and TARGET are tcp:HOST:PORT or unix:PATH. Runs until killed.
"""

from __future__ import annotations

import asyncio
import sys


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def _open(target: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    kind, _, address = target.partition(":")
    if kind == "unix":
        return await asyncio.open_unix_connection(address)
    host, _, port = address.rpartition(":")
    return await asyncio.open_connection(host, int(port))


async def _serve(listen: str, target: str) -> asyncio.AbstractServer:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            target_reader, target_writer = await _open(target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, target_writer), _pipe(target_reader, writer))

    kind, _, address = listen.partition(":")
    if kind == "unix":
        return await asyncio.start_unix_server(handle, address)
    host, _, port = address.rpartition(":")
    return await asyncio.start_server(handle, host, int(port))


async def _main(pairs: list[tuple[str, str]]) -> None:
    servers = [await _serve(listen, target) for listen, target in pairs]
    print("relaying", flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or len(arguments) % 2:
        raise SystemExit(__doc__)
    asyncio.run(_main(list(zip(arguments[::2], arguments[1::2], strict=True))))
