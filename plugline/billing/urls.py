"""URLs of the Account area's "Cards" page (mounted at /account/cards/)."""

from django.urls import path

from plugline.billing.views import cards

app_name = "cards"
urlpatterns = [
    path("", cards.cards, name="list"),
    path("add/", cards.card_add, name="add"),
    path("added/", cards.card_added, name="added"),
    path("<int:card_id>/default/", cards.card_default, name="default"),
    path("<int:card_id>/remove/", cards.card_remove_confirm, name="remove"),
]
