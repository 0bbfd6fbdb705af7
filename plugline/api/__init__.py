"""Plugline's JSON API (django-ninja), composed from the apps' routers in api.urls.

It serves devices now (the device API), and retailers and a mobile app
later; its OpenAPI schema is at /api/v1/openapi.json, its docs at /api/v1/docs.
"""
