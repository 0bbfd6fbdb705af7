"""How every form of Plugline is rendered.

Settings point FORM_RENDERER here. One change to Django's defaults: a field
with an error is described by the error first, then its hint, so that a
screen reader says what is wrong before repeating the instructions
(core/field.html renders the error with Django's id, "<id>_error").
"""

from __future__ import annotations

from django.forms import BoundField
from django.forms.renderers import DjangoTemplates


class ErrorFirstBoundField(BoundField):
    @property
    def aria_describedby(self) -> str | None:
        # As Django's, in the other order.
        if self.field.widget.attrs.get("aria-describedby"):
            return None
        described = []
        if self.auto_id and not self.is_hidden:
            if self.errors:
                described.append(f"{self.auto_id}_error")
            if self.help_text:
                described.append(f"{self.auto_id}_helptext")
        return " ".join(described)


class FormRenderer(DjangoTemplates):
    bound_field_class = ErrorFirstBoundField
