"""The API docs' page: django-ninja's Swagger UI, from the package's own files (no CDN),
in a page of Plugline's own with the reader's language and a heading."""

from ninja.openapi.docs import Swagger


class ApiDocs(Swagger):
    template = "api/docs.html"
