"""A cache of an account's rendered pages ("My account"), and the generations that end it.

A cached page is kept under the account, the language, the time zone, the
account's local date and the code's release, with the two "generations" it
was rendered at: the account's (a random token, new after every write that
changes what the account's pages show: its devices, services, cards,
invoices, profile) and the catalogue's (plans and prices, for everyone).
A page whose generations are no longer the current ones is never served.
Writers call `account_pages_changed` / `catalogue_changed` (the models'
signals do, in plugline.portal.receivers; services that write with
`queryset.update()` or bulk statements do it themselves). The generation is
changed at once and again once the transaction commits, so that a page
rendered from the data as it was before the commit is not kept under the
new generation.

Time changes a page too ("expires in 3 days" at midnight in the account's
time zone, a service that ends at 14:30): the page says until when it holds
(`CachedPage.valid_until`), and is kept no longer than that, nor than
MAX_SECONDS. What is different on each request is never cached: the CSRF
token is rendered as a random stand-in replaced on each answer (masked anew
each time, as Django does; see `page_csrf_token` for its cookie), and a
request with messages to show (or a query string, which the language form
repeats) is rendered without the cache.

The signed-in user is kept the same way, with the account's generation
(`account_user`, read by plugline.accounts.middleware.AuthenticationMiddleware):
a save of the user (a new password, deactivation) makes a new generation, so
the session's check against the password hash is made with the user as saved.

A kept page is stored under the account and the page's address, with what else
it was rendered for (the page, language, time zone, local date and release)
inside: so the user's read fetches, in the same round trip, the page kept at
the address asked for, if any, with both generations; the page is then served
with the generations of that one read (a write committed after it shows from
the next request on, as if this one had come a moment earlier).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, partial

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.templatetags.static import static
from django.utils import timezone, translation

# The longest a page is kept, whatever its generations: a change whose new
# generation could not be written (the cache unreachable just after the
# commit) shows within this.
MAX_SECONDS = 10 * 60


@lru_cache(maxsize=1)
def _prefix() -> str:
    """Keys of this database's accounts: another database sharing the Redis (a staging
    copy with the same ids) never reads them."""
    database = settings.DATABASES["default"]
    where = f"{database.get('HOST', '')}:{database.get('PORT', '')}/{database['NAME']}"
    return f"account-pages:{hashlib.sha256(where.encode()).hexdigest()[:12]}"


def _catalogue_key() -> str:
    return f"{_prefix()}:generation:catalogue"


# settings.CACHES' alias of the pages' cache (with Redis, the sessions' too:
# plugline.accounts.session_store).
CACHE_ALIAS = "pages"


def _cache() -> BaseCache:
    """settings.CACHES["pages"]: Redis in production, files under VAR_DIR otherwise."""
    return caches[CACHE_ALIAS]


def _account_key(user_id: int) -> str:
    return f"{_prefix()}:generation:{user_id}"


def _new_generations(keys: list[str]) -> None:
    _cache().set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)


def _change(keys: list[str]) -> None:
    if not keys:
        return
    _new_generations(keys)
    if connection.in_atomic_block:
        # Again after the commit: a page rendered meanwhile, from the data as it was
        # before the commit, was kept under the generation set just now.
        transaction.on_commit(partial(_new_generations, keys), robust=True)


def account_pages_changed(*, user_ids: Iterable[int | None]) -> None:
    """What these accounts' pages show has changed: their cached pages are not served again."""
    _change(sorted({_account_key(user_id) for user_id in user_ids if user_id is not None}))


def catalogue_changed() -> None:
    """Plans or prices changed: no account's cached page is served again."""
    _change([_catalogue_key()])


def _page_key(user_id: int, path: str) -> str:
    """Where the page kept for this account at this address is (hashed: any address
    makes a valid cache key)."""
    return f"{_prefix()}:page:{user_id}:{hashlib.sha256(path.encode()).hexdigest()[:24]}"


# The request's attribute holding what account_user read with the user.
_READ_ATTRIBUTE = "_account_pages_read"


@dataclass(frozen=True)
class _AccountRead:
    """What one round trip to the cache found for the signed-in account's request."""

    user_id: int
    generations: tuple[str | None, str | None]  # the account's, the catalogue's
    page_key: str | None
    page: object


def _keeps_page(request: HttpRequest) -> bool:
    """Whether `request` may be answered with a kept page (see account_page_cached)."""
    return request.method in ("GET", "HEAD") and not request.META.get("QUERY_STRING")


@dataclass(frozen=True)
class RenderedPage:
    """A page rendered for the cache, and the moments after which time alone changes it."""

    html: str
    changes_at: Iterable[dt.datetime]


def _generation(key: str, found: dict[str, object]) -> str | None:
    """The current generation under `key`, made if there is none (never cached otherwise)."""
    value = found.get(key)
    if isinstance(value, str):
        return value
    made = uuid.uuid4().hex
    if _cache().add(key, made, timeout=None):
        return made
    value = _cache().get(key)
    return value if isinstance(value, str) else None


def page_csrf_token(request: HttpRequest) -> str:
    """Django's `get_token(request)`, freshly masked, without sending again a CSRF cookie
    the browser sent with this request.

    `get_token` flags the cookie to be set again on every response that uses it,
    to renew its expiry (CSRF_COOKIE_AGE, a year). An account page answers with
    the cookie only when the browser has none yet, or Django's CSRF middleware
    found it unusable or the request changed it (a new one at sign-in, a rotated
    secret): the same secret the browser holds is used and checked as always,
    and any other page renews its expiry as Django does.
    """
    held = "CSRF_COOKIE" in request.META
    renew = request.META.get("CSRF_COOKIE_NEEDS_UPDATE", False)
    token = get_token(request)
    if held and not renew:
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
    return token


@lru_cache(maxsize=16)
def _release(template_names: tuple[str, ...]) -> str:
    """What a page's HTML depends on in the code: its templates and the static files' names."""
    digest = hashlib.sha256()
    for name in template_names:
        digest.update(get_template(name).template.source.encode())  # type: ignore[attr-defined]
    digest.update(static("core/plugline.css").encode())
    digest.update(static("core/menu.js").encode())
    return digest.hexdigest()[:16]


def account_page_cached(
    request: HttpRequest,
    *,
    user_id: int,
    page: str,
    template_names: tuple[str, ...],
    render: Callable[[str], RenderedPage],
) -> HttpResponse:
    """The page `render` makes for this account, from the cache when it still holds.

    `render(csrf_token)` renders the page with `csrf_token` for the CSRF token.
    """
    if not _keeps_page(request) or len(get_messages(request)):
        return HttpResponse(render(page_csrf_token(request)).html)
    now = timezone.now()
    # What the page was rendered for, besides the account and the address.
    variant = "|".join(
        [
            page,
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
            timezone.localdate(now).isoformat(),
            _release(template_names),
        ]
    )
    key = _page_key(user_id, request.path)
    read = getattr(request, _READ_ATTRIBUTE, None)
    if isinstance(read, _AccountRead) and read.user_id == user_id and read.page_key == key:
        # Read with the user, in the same round trip.
        generations, kept = read.generations, read.page
    else:
        account_key = _account_key(user_id)
        found = _cache().get_many([key, account_key, _catalogue_key()])
        generations = (_generation(account_key, found), _generation(_catalogue_key(), found))
        kept = found.get(key)
    if (
        isinstance(kept, tuple)
        and len(kept) == 6
        and kept[0] == variant
        and kept[1:3] == generations
        and now.timestamp() < kept[3]
    ):
        _variant, _account, _catalogue, _valid_until, stand_in, html = kept
        return HttpResponse(html.replace(stand_in, page_csrf_token(request)))
    stand_in = f"csrf{secrets.token_hex(16)}"
    rendered = render(stand_in)
    if None not in generations:
        valid_until = min(
            [
                now + dt.timedelta(seconds=MAX_SECONDS),
                _next_midnight(now),
                *(moment for moment in rendered.changes_at if moment > now),
            ]
        )
        _cache().set(
            key,
            (variant, *generations, valid_until.timestamp(), stand_in, rendered.html),
            timeout=math.ceil((valid_until - now).total_seconds()),
        )
    return HttpResponse(rendered.html.replace(stand_in, page_csrf_token(request)))


def _next_midnight(now: dt.datetime) -> dt.datetime:
    """The start of tomorrow in the current time zone."""
    zone = timezone.get_current_timezone()
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(), tzinfo=zone)


def _account_keys(user_id: int, request: HttpRequest | None) -> list[str]:
    """What account_user reads: the user, both generations, and with `request` the page
    kept at its address (if it may be answered with one)."""
    keys = [f"{_prefix()}:user:{user_id}", _account_key(user_id), _catalogue_key()]
    if request is not None and _keeps_page(request):
        keys.append(_page_key(user_id, request.path))
    return keys


def account_read_ahead(user_id: int, *, request: HttpRequest, also: str) -> dict[str, object]:
    """What account_user(user_id, request=request) reads, and the key `also` (the
    session's), in one round trip: for account_user's `found`."""
    return _cache().get_many([*_account_keys(user_id, request), also])


def account_user(
    user_id: int,
    load: Callable[[], AbstractBaseUser | None],
    *,
    request: HttpRequest | None = None,
    found: dict[str, object] | None = None,
) -> AbstractBaseUser | None:
    """The account's user as `load` reads it from the database, kept with the account's
    generation: any save of the user (a new password, deactivation, a new name) makes
    a new generation, and the user is read again on the next request.

    With `request`, the page kept for this account at the request's address (if any)
    and the catalogue's generation are read in the same round trip, for
    account_page_cached to serve the page without reading the cache again.
    `found` is that round trip made already (account_read_ahead, for this
    `user_id` and `request`).
    """
    keys = _account_keys(user_id, request)
    user_key, account_key = keys[0], keys[1]
    page_key = keys[3] if len(keys) > 3 else None
    if found is None:
        found = _cache().get_many(keys)
    generation = _generation(account_key, found)
    if request is not None:
        read = _AccountRead(
            user_id=user_id,
            generations=(generation, _generation(_catalogue_key(), found)),
            page_key=page_key,
            page=found.get(page_key) if page_key else None,
        )
        setattr(request, _READ_ATTRIBUTE, read)
    kept = found.get(user_key)
    if (
        generation is not None
        and isinstance(kept, tuple)
        and len(kept) == 2
        and kept[0] == generation
        and getattr(kept[1], "pk", None) == user_id
    ):
        user: AbstractBaseUser = kept[1]
        return user
    loaded = load()
    if loaded is not None and generation is not None:
        _cache().set(user_key, (generation, loaded), timeout=MAX_SECONDS)
    return loaded
