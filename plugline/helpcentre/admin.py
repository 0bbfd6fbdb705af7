"""The help centre in the admin: staff write articles in Markdown, one translation per language.

Saving an article renders and indexes its translations (services); each
translation shows a preview of its rendered text, and the list shows how
readers rated each article.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from plugline.core.admin_numbers import StaffNumbersAdmin
from plugline.helpcentre.models import Article, ArticleTranslation, Category, Feedback, Topic
from plugline.helpcentre.services import article_translations_refresh, articles_deleted


@admin.register(Category)
class CategoryAdmin(StaffNumbersAdmin):
    list_display = ["name_en", "name_fr", "name_da", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["key", "description"]


class TranslationInline(admin.StackedInline):
    model = ArticleTranslation
    extra = 0
    min_num = 1
    max_num = 3
    fields = ["language", "title", "body_markdown", "is_published", "preview"]
    readonly_fields = ["preview"]

    @admin.display(description=_("preview (as saved)"))
    def preview(self, translation: ArticleTranslation) -> SafeString:
        if not translation.pk:
            return format_html("<em>{}</em>", _("Shown once the article is saved."))
        # Sanitised when saved (plugline.helpcentre.rendering): safe to show as it is.
        return mark_safe(  # noqa: S308
            f'<div class="help-preview">{translation.body_html}</div>'
        )


@admin.register(Article)
class ArticleAdmin(StaffNumbersAdmin):
    list_display = ["slug", "category", "languages", "helpful_yes", "helpful_no", "helpful_ratio"]
    list_filter = ["category", "translations__is_published", "topics"]
    search_fields = ["slug", "translations__title"]
    filter_horizontal = ["topics"]
    inlines = [TranslationInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return (
            super()
            .get_queryset(request)
            .select_related("category")
            .annotate(
                yes=Count("feedback", filter=Q(feedback__helpful=True), distinct=True),
                no=Count("feedback", filter=Q(feedback__helpful=False), distinct=True),
            )
            .prefetch_related("translations")
        )

    @admin.display(description=_("languages"))
    def languages(self, article: Article) -> str:
        return ", ".join(
            f"{t.language}{'' if t.is_published else ' (' + str(_('draft')) + ')'}"
            for t in article.translations.all()
        )

    @admin.display(description=_("helpful"), ordering="yes")
    def helpful_yes(self, article: Any) -> int:
        return int(article.yes)

    @admin.display(description=_("not helpful"), ordering="no")
    def helpful_no(self, article: Any) -> int:
        return int(article.no)

    @admin.display(description=_("helpful ratio"))
    def helpful_ratio(self, article: Any) -> str:
        answers = article.yes + article.no
        return f"{round(100 * article.yes / answers)}%" if answers else "-"

    def save_related(
        self, request: HttpRequest, form: Any, formsets: list[BaseInlineFormSet], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        article_translations_refresh(article=form.instance)

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        super().delete_model(request, obj)
        articles_deleted()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        super().delete_queryset(request, queryset)
        articles_deleted()


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["article", "language", "helpful", "reason", "comment", "created_at"]
    list_filter = ["helpful", "reason", "language"]
    search_fields = ["article__slug", "comment"]
    date_hierarchy = "created_at"
    list_select_related = ["article"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
