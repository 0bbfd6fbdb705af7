"""Facts about an HTTP request that several apps need."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port


# Addresses recently seen: read on every signed-in request (the browser's activity
# record), by the rate limits and the audit log.
@lru_cache(maxsize=4096)
def parse_ip(value: str) -> str | None:
    """The address in `value` in its canonical form, or None if it holds none.

    Proxies write the client's address alone or with its port ("1.2.3.4:80",
    "[2001:db8::1]:443"): the port is split off the way Django splits a Host
    header. An IPv6 zone ("%eth0") is dropped, so that the address fits an
    `inet` column.
    """
    value = value.strip()
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        host, port = split_domain_port(value)
        if not port or not host:
            return None
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        address = ipaddress.IPv6Address(str(address).partition("%")[0])
    return str(address)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only from our own proxies.

    With TRUSTED_PROXY_COUNT proxies in front, the client's address is the
    entry that many places from the end (each proxy appends the address it
    was connected from). When that entry is missing or is not an address,
    the address of the connection is used instead: never text that is not
    an address, which neither the rate limits nor the audit log could use.
    allauth's rate limits and signed-in sessions use this address too
    (plugline.accounts.adapter).
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            address = parse_ip(forwarded[-proxies])
            if address is not None:
                return address
    return parse_ip(request.META.get("REMOTE_ADDR") or "")


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:300]
