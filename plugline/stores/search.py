"""The stores nearest a point, by great-circle distance, without a spatial database.

A search asks the database for the stores inside a box around the point
(the (latitude, longitude) index answers it), measures each one's
distance exactly (haversine) in Python, and keeps those inside the circle
the box encloses. If fewer than `limit` are inside, the radius doubles and
it asks again, up to the whole Earth. Each try is one small query on
(id, latitude, longitude); one more query loads the stores found, with
their chains. So a search costs one query per radius tried (5 km, 10 km,
... 2,560 km, then the whole Earth: at most 11) plus one, however many
stores it returns; in a town with stores, one or two radii are enough.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from plugline.stores.models import Store

EARTH_RADIUS_KM = 6371.0088
# Half the Earth's circumference: no two points are farther apart.
FARTHEST_KM = math.pi * EARTH_RADIUS_KM
FIRST_RADIUS_KM = 5.0
# Past this radius the next try is the whole Earth.
WHOLE_EARTH_FROM_KM = 2560.0
SELLS = {"devices": "sells_devices", "reup_cards": "sells_reup_cards"}
LIMIT_MAX = 100


@dataclass(frozen=True)
class StoreHit:
    store: Store
    distance_km: float


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in kilometres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def stores_near(
    latitude: float,
    longitude: float,
    *,
    sells: str | None = None,
    limit: int = 10,
    max_km: float | None = None,
) -> list[StoreHit]:
    """The `limit` active stores nearest the point, nearest first (at most `max_km` away).

    `sells` keeps only the stores that sell "devices" or "reup_cards".
    Coordinates out of range are brought back in (latitude clamped,
    longitude wrapped); `limit` is at most LIMIT_MAX.
    """
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise ValueError("latitude and longitude must be finite numbers")
    if sells is not None and sells not in SELLS:
        raise ValueError(f"sells must be None or one of {', '.join(SELLS)}")
    latitude = min(90.0, max(-90.0, latitude))
    longitude = (longitude + 180.0) % 360.0 - 180.0
    limit = min(limit, LIMIT_MAX)
    reach = FARTHEST_KM if max_km is None else min(max(max_km, 0.0), FARTHEST_KM)
    if limit < 1:
        return []

    stores = Store.objects.filter(active=True)
    if sells is not None:
        stores = stores.filter(**{SELLS[sells]: True})
    radius = min(FIRST_RADIUS_KM, reach)
    while True:
        nearest = _nearest_in_circle(stores, latitude, longitude, radius, limit=limit)
        if len(nearest) >= limit or radius >= reach:
            break
        radius = reach if radius >= WHOLE_EARTH_FROM_KM else min(radius * 2, reach)
    if not nearest:
        return []
    by_id = Store.objects.select_related("chain").in_bulk([store_id for _, store_id in nearest])
    return [StoreHit(by_id[store_id], distance) for distance, store_id in nearest]


def _nearest_in_circle(
    stores: QuerySet[Store], latitude: float, longitude: float, radius: float, *, limit: int
) -> list[tuple[float, int]]:
    """(distance, id) of the `limit` nearest stores within `radius` km, nearest first."""
    candidates = stores.filter(_box(latitude, longitude, radius)).values_list(
        "id", "latitude", "longitude"
    )
    inside = []
    for store_id, lat, lon in candidates:
        distance = distance_km(latitude, longitude, lat, lon)
        if distance <= radius:
            inside.append((distance, store_id))
    inside.sort()
    return inside[:limit]


def _box(latitude: float, longitude: float, radius: float) -> Q:
    """The latitude/longitude box around the circle of `radius` km (whole bands near a pole)."""
    if radius >= FARTHEST_KM:
        return Q()
    angle = radius / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    south, north = latitude - dlat, latitude + dlat
    box = Q(latitude__gte=max(south, -90.0), latitude__lte=min(north, 90.0))
    if south <= -90.0 or north >= 90.0:
        return box  # The circle holds a pole: every longitude.
    ratio = math.sin(angle) / math.cos(math.radians(latitude))
    if ratio >= 1.0:
        return box
    dlon = math.degrees(math.asin(ratio))
    west, east = longitude - dlon, longitude + dlon
    if west < -180.0:
        return box & (Q(longitude__gte=west + 360.0) | Q(longitude__lte=east))
    if east > 180.0:
        return box & (Q(longitude__gte=west) | Q(longitude__lte=east - 360.0))
    return box & Q(longitude__gte=west, longitude__lte=east)
