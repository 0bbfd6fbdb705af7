"""The references of bench/pages.py: a minimal Django site and a bare WSGI callable.

Not part of Plugline. Served by bench/pages.py the way Plugline is (granian,
same workers), with this module as both settings and URL configuration:

- `/`: a Django view rendering a 12-row template (templates/pages_reference.html)
  through the middleware of `django-admin startproject`;
- `bare`: a WSGI callable answering a fixed page, without Django.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

HERE = Path(__file__).resolve().parent

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
# What `django-admin startproject` writes.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]
# Never queried: the page reads no session and no user.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True

ROWS = [
    {"name": f"Row {index}", "number": f"+1212555{index:04d}", "ends": f"2027-01-{index:02d}"}
    for index in range(1, 13)
]


def page(request: HttpRequest) -> HttpResponse:
    return render(request, "pages_reference.html", {"rows": ROWS})


urlpatterns = [path("", page)]

BARE_BODY = b"<!doctype html><title>bare</title><p>A bare WSGI callable.</p>\n"


def bare(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    start_response(
        "200 OK",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BARE_BODY)))],
    )
    return [BARE_BODY]
