"""The operator's view of Re-Up cards: batches, cards and the retail chains' API keys.

- A batch is created here (or with `manage.py create_reup_batch`): its cards
  are made by `batch_create`. Its printer file is downloaded once, from its own
  page (a POST, so that no prefetching browser or crawler can spend it); the
  page then says who downloaded it and when, and that the PINs are gone.
- Cards are read-only; a card can be voided (returned, lost, stolen). No PIN
  is ever shown: Plugline does not have them.
- A new API key is shown once, on the page that answers its creation (not in
  a message, which the session would keep); revoked keys stop working at once.

Nothing is deleted here: cards, batches and keys are history (and protected).
"""

from __future__ import annotations

import csv
import hashlib
import secrets
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from plugline.core.admin_numbers import StaffIntegerField, StaffNumbersAdmin
from plugline.reup.models import RetailerApiKey, ReupBatch, ReupCard, ReupCardStatus
from plugline.reup.services import (
    BATCH_MAX_CARDS,
    BatchAlreadyExported,
    PrinterFile,
    api_key_create,
    api_key_revoke,
    batch_create,
    batch_export,
    batch_void,
    card_void_by_staff,
)


def _actor(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


class _Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def _printer_file_stream(printer_file: PrinterFile) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in printer_file.csv_rows():
        yield writer.writerow(row)


# -- batches -------------------------------------------------------------------------------


class ReupBatchAddForm(forms.ModelForm):
    count = StaffIntegerField(
        label=gettext_lazy("number of cards"),
        validators=[MinValueValidator(1), MaxValueValidator(BATCH_MAX_CARDS)],
        help_text=gettext_lazy("From 1 to 100,000 cards."),
    )

    class Meta:
        model = ReupBatch
        fields = ["chain", "plan", "minutes_amount", "count", "note"]
        help_texts = {
            "plan": gettext_lazy("For cards that renew a device."),
            "minutes_amount": gettext_lazy(
                "Or, for cards of international minutes: the amount each card adds to the "
                "balance, in minor units of the billing currency (1000 is 10.00)."
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (cleaned.get("plan") is None) == (cleaned.get("minutes_amount") is None):
            raise forms.ValidationError(
                gettext_lazy("Choose what the cards give: a plan, or an amount of minutes.")
            )
        return cleaned


@admin.register(ReupBatch)
class ReupBatchAdmin(StaffNumbersAdmin):
    list_display = [
        "__str__",
        "created_at",
        "chain",
        "gives",
        "count",
        "printed",
        "activated",
        "redeemed",
        "voided",
        "printer_file",
    ]
    list_filter = ["chain", "kind", "plan", ("exported_at", admin.EmptyFieldListFilter)]
    list_select_related = ["chain", "plan"]
    search_fields = ["=id", "note"]
    date_hierarchy = "created_at"
    actions = ["void_unsold"]
    readonly_fields = [
        "chain",
        "gives",
        "count",
        "note",
        "created_at",
        "created_by",
        "printer_file",
        "cards_by_status",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReupBatch]:
        counts = {
            f"n_{status}": Count("cards", filter=Q(cards__status=status))
            for status in ReupCardStatus.values
        }
        return super().get_queryset(request).select_related("exported_by").annotate(**counts)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ReupBatchAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["chain", "plan", "minutes_amount", "count", "note"]
        return self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A batch is never edited; the model-wide permission allows the printer file and voiding.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ReupBatch, form: Any, change: bool) -> None:
        batch = batch_create(
            chain=obj.chain,
            plan=obj.plan,
            minutes_amount=obj.minutes_amount,
            count=obj.count,
            note=obj.note,
            actor=_actor(request),
            request=request,
        )
        obj.pk = batch.pk
        obj.created_at = batch.created_at
        obj.created_by = batch.created_by
        obj._state.adding = False
        obj._state.db = batch._state.db

    def response_add(
        self, request: HttpRequest, obj: ReupBatch, post_url_continue: Any = None
    ) -> HttpResponse:
        messages.success(
            request,
            _(
                "Batch %(batch)s created with %(count)d printed cards. Download its printer "
                "file once: the PINs are made then and cannot be shown again."
            )
            % {"batch": obj, "count": obj.count},
        )
        return HttpResponseRedirect(reverse("admin:reup_reupbatch_printer_file", args=[obj.pk]))

    def _status_count(self, batch: ReupBatch, status: str) -> int:
        return getattr(batch, f"n_{status}", 0)

    @admin.display(description=ReupCardStatus.PRINTED.label)
    def printed(self, batch: ReupBatch) -> int:
        return self._status_count(batch, ReupCardStatus.PRINTED)

    @admin.display(description=ReupCardStatus.ACTIVATED.label)
    def activated(self, batch: ReupBatch) -> int:
        return self._status_count(batch, ReupCardStatus.ACTIVATED)

    @admin.display(description=ReupCardStatus.REDEEMED.label)
    def redeemed(self, batch: ReupBatch) -> int:
        return self._status_count(batch, ReupCardStatus.REDEEMED)

    @admin.display(description=ReupCardStatus.VOIDED.label)
    def voided(self, batch: ReupBatch) -> int:
        return self._status_count(batch, ReupCardStatus.VOIDED)

    @admin.display(description=gettext_lazy("gives"))
    def gives(self, batch: ReupBatch) -> str:
        return batch.gives_display

    @admin.display(description=gettext_lazy("cards"))
    def cards_by_status(self, batch: ReupBatch) -> str:
        return ", ".join(
            f"{label}: {self._status_count(batch, value)}"
            for value, label in ReupCardStatus.choices
        )

    @admin.display(description=gettext_lazy("printer file"), ordering="exported_at")
    def printer_file(self, batch: ReupBatch) -> str:
        url = reverse("admin:reup_reupbatch_printer_file", args=[batch.pk])
        if batch.exported_at is None:
            return format_html('<a href="{}">{}</a>', url, _("Download printer file"))
        return format_html('<a href="{}">{}</a>', url, _("Downloaded"))

    @admin.action(description=gettext_lazy("Void unsold cards"), permissions=["change"])
    def void_unsold(self, request: HttpRequest, queryset: QuerySet[ReupBatch]) -> None:
        total = 0
        for batch in queryset.select_related("chain"):
            total += batch_void(batch=batch, actor=_actor(request), request=request)
        self.message_user(
            request,
            ngettext("%(count)d unsold card voided.", "%(count)d unsold cards voided.", total)
            % {"count": total},
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:batch_id>/printer-file/",
                self.admin_site.admin_view(self.printer_file_view),
                name="reup_reupbatch_printer_file",
            ),
            *super().get_urls(),
        ]

    def printer_file_view(self, request: HttpRequest, batch_id: int) -> HttpResponseBase:
        """GET: what downloading means, or who downloaded it. POST: the one download."""
        if not super().has_change_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(
            ReupBatch.objects.select_related("chain", "plan", "exported_by"), pk=batch_id
        )
        if request.method == "POST" and batch.exported_at is None:
            try:
                printer_file = batch_export(batch=batch, actor=_actor(request), request=request)
            except BatchAlreadyExported:
                # Downloaded meanwhile (another tab, another staff member).
                batch.refresh_from_db()
            else:
                stream = StreamingHttpResponse(
                    _printer_file_stream(printer_file), content_type="text/csv; charset=utf-8"
                )
                stream["Content-Disposition"] = f'attachment; filename="{printer_file.filename()}"'
                stream["Cache-Control"] = "no-store"
                return stream
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "batch": batch,
            "title": _("Printer file of batch %(batch)s") % {"batch": batch},
            "refused": request.method == "POST",
            "change_url": reverse("admin:reup_reupbatch_change", args=[batch.pk]),
        }
        response = TemplateResponse(request, "admin/reup/reupbatch/printer_file.html", context)
        if request.method == "POST":
            response.status_code = 409
        return response


# -- cards ---------------------------------------------------------------------------------


@admin.register(ReupCard)
class ReupCardAdmin(admin.ModelAdmin):
    list_display = [
        "serial",
        "status",
        "chain",
        "plan",
        "batch",
        "activated_at",
        "redeemed_at",
        "voided_at",
    ]
    list_filter = ["status", "batch__chain", "batch__plan", "batch"]
    list_select_related = ["batch__chain", "batch__plan"]
    search_fields = ["serial"]
    actions = ["void"]
    # Never pin_hash: nothing about a PIN is shown, not even its hash.
    readonly_fields = [
        "serial",
        "status",
        "batch",
        "chain",
        "plan",
        "has_pin",
        "activated_at",
        "activated_by",
        "redeemed_at",
        "redeemed_by",
        "period",
        "voided_at",
        "updated_at",
    ]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ReupCard], search_term: str
    ) -> tuple[QuerySet[ReupCard], bool]:
        # A serial as typed from a card: spaces, dashes and lower case are fine.
        normalized = "".join(ch for ch in search_term.upper() if ch.isalnum())
        return super().get_search_results(request, queryset, normalized)

    @admin.display(description=gettext_lazy("chain"), ordering="batch__chain__name")
    def chain(self, card: ReupCard) -> str:
        return str(card.batch.chain)

    @admin.display(description=gettext_lazy("gives"), ordering="batch__plan__months")
    def plan(self, card: ReupCard) -> str:
        return card.batch.gives_display

    @admin.display(description=gettext_lazy("has a PIN"), boolean=True)
    def has_pin(self, card: ReupCard) -> bool:
        return card.pin_hash is not None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Cards change only by their actions (void here; the till; redemption).
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Void the selected cards"), permissions=["change"])
    def void(self, request: HttpRequest, queryset: QuerySet[ReupCard]) -> None:
        voided = skipped = 0
        for card in queryset.select_related("batch__chain"):
            if card_void_by_staff(card=card, actor=_actor(request), request=request):
                voided += 1
            elif card.status != ReupCardStatus.VOIDED:
                skipped += 1
        self.message_user(
            request,
            ngettext("%(count)d card voided.", "%(count)d cards voided.", voided)
            % {"count": voided},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d card was already redeemed and cannot be voided.",
                    "%(count)d cards were already redeemed and cannot be voided.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


# -- retailer API keys ---------------------------------------------------------------------


class RetailerApiKeyAddForm(forms.ModelForm):
    """The new key's chain and name, with a one-time token: sent twice, it makes one key.

    Reloading the page that shows a new key would send this form again; the
    token (new each time the form is opened) refuses the second sending.
    """

    once = forms.CharField(widget=forms.HiddenInput, max_length=64)

    class Meta:
        model = RetailerApiKey
        fields = ["chain", "name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["once"].initial = secrets.token_urlsafe(24)

    def clean_once(self) -> str:
        once = self.cleaned_data["once"]
        digest = hashlib.sha256(once.encode()).hexdigest()
        if not cache.add(f"reup:new-key-form:{digest}", True, timeout=NEW_KEY_FORM_MEMORY):
            raise forms.ValidationError(
                _(
                    "This form was already sent: its key was created and shown once. "
                    "To make another key, open “Add retailer API key” again."
                ),
                code="sent",
            )
        return once


# How long a sent "new key" form is remembered (a reload days later is refused too).
NEW_KEY_FORM_MEMORY = 7 * 24 * 3600


@admin.register(RetailerApiKey)
class RetailerApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "chain", "key", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["chain", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["chain", "created_by"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    readonly_fields = [
        "chain",
        "name",
        "key",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = RetailerApiKeyAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["chain", "name", "once"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("key"))
    def key(self, key: RetailerApiKey) -> str:
        return f"plr_{key.prefix}_…"

    def save_model(
        self, request: HttpRequest, obj: RetailerApiKey, form: Any, change: bool
    ) -> None:
        key, plaintext = api_key_create(
            chain=obj.chain, name=obj.name, actor=_actor(request), request=request
        )
        obj.pk = key.pk
        obj.prefix = key.prefix
        obj.created_at = key.created_at
        obj._state.adding = False
        obj._state.db = key._state.db
        # Shown by response_add on the page that answers this request, then forgotten.
        request._plugline_new_key = plaintext  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: RetailerApiKey, post_url_continue: Any = None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "key": obj,
            "plaintext": request._plugline_new_key,  # type: ignore[attr-defined]
            "title": _("New API key for %(chain)s") % {"chain": obj.chain},
            "list_url": reverse("admin:reup_retailerapikey_changelist"),
        }
        response = TemplateResponse(request, "admin/reup/retailerapikey/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=gettext_lazy("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[RetailerApiKey]) -> None:
        revoked = sum(
            api_key_revoke(key=key, actor=_actor(request), request=request)
            for key in queryset.select_related("chain")
        )
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
