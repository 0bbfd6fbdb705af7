"""The API's one NinjaAPI, with each app's router mounted under its own prefix."""

from django.conf import settings
from django.urls import path
from ninja import NinjaAPI

from plugline.api.docs import ApiDocs
from plugline.devices.api import router as device_router
from plugline.reup.api import router as retail_router

api = NinjaAPI(
    title=f"{settings.BRAND_NAME} API",
    version="1",
    urls_namespace="api",
    docs=ApiDocs(settings={"deepLinking": False}),
)
api.add_router("/device", device_router)
api.add_router("/retail", retail_router)

urlpatterns = [path("", api.urls)]
