from django.urls import path

from plugline.support import desk, views

app_name = "support"
# A reference is "T-" and digits: `slug` keeps anything else (a NUL byte, which PostgreSQL
# refuses in a query) from reaching the lookups.
urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("account/requests/", views.requests_list, name="requests"),
    path("account/requests/<slug:reference>/", views.request_detail, name="request"),
    path("requests/<str:token>/", views.request_link, name="request_link"),
    path("staff/tickets/", desk.desk, name="desk"),
    path("staff/tickets/<slug:reference>/", desk.desk_ticket, name="desk_ticket"),
    path("staff/tickets/<slug:reference>/reply/", desk.desk_reply, name="desk_reply"),
    path("staff/tickets/<slug:reference>/assign/", desk.desk_assign, name="desk_assign"),
    path("staff/tickets/<slug:reference>/status/", desk.desk_status, name="desk_status"),
]
