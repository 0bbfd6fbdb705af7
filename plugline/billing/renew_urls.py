"""URLs of renewing online, invoices and the renew link (mounted at the site's root)."""

from django.urls import path

from plugline.billing.views import invoices, renew, renew_link

app_name = "checkout"
urlpatterns = [
    path("renew/", renew.renew, name="renew"),
    path("renew/devices/<str:serial>/", renew.renew_device, name="renew_device"),
    path("renew/cart/", renew.cart, name="cart"),
    path("renew/cart/<int:item_id>/remove/", renew.cart_item_remove, name="cart_remove"),
    path("renew/checkout/", renew.checkout, name="checkout"),
    path("renew/checkout/new-card/", renew.card_new, name="card_new"),
    path("renew/checkout/card-added/", renew.card_added, name="card_added"),
    path("renew/payments/<uuid:payment_id>/", renew.payment_return, name="payment_return"),
    path("renew/payments/<uuid:payment_id>/done/", renew.done, name="done"),
    path("renew/link/", renew_link.renew_link_request, name="renew_link"),
    path("renew/link/sent/", renew_link.renew_link_sent, name="renew_link_sent"),
    path("renew/link/<str:token>/", renew_link.renew_link_open, name="renew_link_open"),
    path("invoices/", invoices.invoices, name="invoices"),
    path("invoices/<int:number>/", invoices.invoice, name="invoice"),
    path("invoices/<int:number>/pdf/", invoices.invoice_download, name="invoice_pdf"),
]
