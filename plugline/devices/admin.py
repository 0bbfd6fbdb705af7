from django.contrib import admin

from plugline.devices.models import Device


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["serial", "phone_number", "owner", "nickname", "created_at"]
    search_fields = ["serial", "phone_number", "owner__email"]
    raw_id_fields = ["owner"]
