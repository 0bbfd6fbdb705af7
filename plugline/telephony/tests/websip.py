"""A REGISTER over SIP over WebSocket (RFC 7118), as the browser softphone sends it, with
digest authentication (RFC 2617, qop auth): what the tests of Kamailio's WebSocket listener
need, no more. The browser itself (SIP.js) is tested end to end in e2e/."""

from __future__ import annotations

import hashlib
import re
import secrets

import websocket


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _register(*, user: str, domain: str, cseq: int, call_id: str, tag: str, auth: str) -> str:
    branch = "z9hG4bK" + secrets.token_hex(8)
    return (
        f"REGISTER sip:{domain} SIP/2.0\r\n"
        f"Via: SIP/2.0/WS plugline-test.invalid;branch={branch}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:{user}@{domain}>;tag={tag}\r\n"
        f"To: <sip:{user}@{domain}>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} REGISTER\r\n"
        f"Contact: <sip:{secrets.token_hex(4)}@plugline-test.invalid;transport=ws>\r\n"
        f"{auth}"
        "Expires: 300\r\n"
        "Content-Length: 0\r\n\r\n"
    )


def _status(message: str) -> int:
    return int(message.split(" ", 2)[1])


def ws_register(
    ws_url: str,
    *,
    user: str,
    domain: str,
    auth_user: str,
    password: str,
    origin: str = "http://127.0.0.1",
) -> int:
    """REGISTER `user` over the WebSocket at `ws_url`, answering the challenge with
    `auth_user` and `password`: Kamailio's final answer (its status code)."""
    connection = websocket.create_connection(
        ws_url, subprotocols=["sip"], timeout=20, origin=origin
    )
    try:
        call_id = secrets.token_hex(8)
        tag = secrets.token_hex(4)
        connection.send(
            _register(user=user, domain=domain, cseq=1, call_id=call_id, tag=tag, auth="")
        )
        answer = str(connection.recv())
        if _status(answer) != 401:
            return _status(answer)
        challenge = dict(re.findall(r'(\w+)="([^"]*)"', answer.split("WWW-Authenticate:", 1)[1]))
        realm, nonce = challenge["realm"], challenge["nonce"]
        uri = f"sip:{domain}"
        cnonce = secrets.token_hex(8)
        ha1 = _md5(f"{auth_user}:{realm}:{password}")
        ha2 = _md5(f"REGISTER:{uri}")
        response = _md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        auth = (
            f'Authorization: Digest username="{auth_user}", realm="{realm}", '
            f'nonce="{nonce}", uri="{uri}", response="{response}", algorithm=MD5, '
            f'qop=auth, nc=00000001, cnonce="{cnonce}"\r\n'
        )
        connection.send(
            _register(user=user, domain=domain, cseq=2, call_id=call_id, tag=tag, auth=auth)
        )
        return _status(str(connection.recv()))
    finally:
        connection.close()
