from django.conf import settings
from django.http import HttpRequest


def brand(request: HttpRequest) -> dict[str, object]:
    return {"BRAND_NAME": settings.BRAND_NAME, "DEBUG_TOOLS": settings.DEBUG}
