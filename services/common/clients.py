"""Who is really asking: the client address behind the reverse proxies we trust.

`X-Forwarded-For` is read from the right: each proxy appends the address it saw, so the
entries a trusted proxy wrote are believed and the first address no trusted proxy vouches
for is the client. Anything further left is the client's own word, which anyone can vary
to dodge a rate limit. With no proxy trusted (the default) the header is ignored.
"""

from __future__ import annotations

from functools import cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from starlette.requests import HTTPConnection

Networks = tuple[IPv4Network | IPv6Network, ...]
UNKNOWN = "unknown"


@cache
def trusted_networks(text: str) -> Networks:
    """Comma-separated addresses or CIDR networks; raises ValueError naming a bad entry."""
    networks = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {entry!r}") from None
    return tuple(networks)


def client_address(request: HTTPConnection, trusted: Networks) -> str:
    """The address of the client, for rate limits and sign-in throttling."""
    peer = request.client.host if request.client else UNKNOWN
    if not _trusted(_parse(peer), trusted):
        return peer
    headers = request.headers.getlist("x-forwarded-for")
    hops = [h.strip() for value in headers for h in value.split(",") if h.strip()]
    believed = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # Not what a proxy writes: stop at the last address a trusted proxy vouched for.
            return believed
        believed = str(address)
        if not _trusted(address, trusted):
            return believed
    return believed


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, trusted: Networks) -> bool:
    return address is not None and any(address in network for network in trusted)
