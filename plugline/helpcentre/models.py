"""The help centre: categories of articles, each article written once per language.

An article is one topic (its slug is the same in every language) with a
translation per language, written in Markdown by staff. The rendered, sanitised
HTML and a plain-text copy for search are kept on each translation when it is
saved (plugline.helpcentre.services), never rendered per view. Topics are the
keys that pages where people get stuck ask for ("device-not-detected").
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Category slugs that would hide a page of the help centre's own (/help/search/).
RESERVED_CATEGORY_SLUGS = frozenset({"search"})


def _category_slug_allowed(value: str) -> None:
    if value in RESERVED_CATEGORY_SLUGS:
        raise ValidationError(_("This address is used by the help centre itself."))


class Category(models.Model):
    slug = models.SlugField(
        _("address"), max_length=60, unique=True, validators=[_category_slug_allowed]
    )
    name_en = models.CharField(_("name in English"), max_length=100)
    name_fr = models.CharField(_("name in French"), max_length=100, blank=True)
    name_da = models.CharField(_("name in Danish"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("help category")
        verbose_name_plural = _("help categories")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name_en

    def name_for(self, language: str) -> str:
        """The name in `language`, else in English."""
        return getattr(self, f"name_{language}", "") or self.name_en


class Topic(models.Model):
    """Where people get stuck, as a page names it: its articles are offered there."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    description = models.CharField(_("where it is shown"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("help topic")
        verbose_name_plural = _("help topics")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Article(models.Model):
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    # The same in every language: a link keeps working when the reader changes language.
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="articles", verbose_name=_("topics")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.slug


class ArticleTranslation(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="translations", verbose_name=_("article")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body_markdown = models.TextField(
        _("text"),
        max_length=50_000,
        help_text=_(
            "Markdown: ## headings, *emphasis*, - lists, [links](https://...). "
            "The title above is the page's heading."
        ),
    )
    is_published = models.BooleanField(_("published"), default=False)
    # Kept by plugline.helpcentre.services when the translation is saved.
    body_html = models.TextField(_("rendered text"), blank=True, editable=False)
    search_text = models.TextField(_("text for search"), blank=True, editable=False)
    # PostgreSQL's full-text vector of the title and text (unused on SQLite, which
    # searches the FTS5 table helpcentre_search instead).
    search_vector = SearchVectorField(_("search vector"), null=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="helpcentre_one_translation_per_language"
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="helpcentre_translation_language_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.slug} ({self.language})"


class FeedbackReason(models.TextChoices):
    NOT_MY_PROBLEM = "not_my_problem", _("It is not about my problem")
    UNCLEAR = "unclear", _("It is hard to understand")
    DID_NOT_WORK = "did_not_work", _("I followed it but it did not work")
    OUT_OF_DATE = "out_of_date", _("It is out of date or wrong")
    OTHER = "other", _("Something else")


FEEDBACK_COMMENT_MAX = 500


class Feedback(models.Model):
    """One "Was this helpful?" answer: one per browser session and article."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("article")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    helpful = models.BooleanField(_("helpful"))
    reason = models.CharField(
        _("reason"), max_length=20, choices=FeedbackReason.choices, blank=True
    )
    comment = models.CharField(_("comment"), max_length=FEEDBACK_COMMENT_MAX, blank=True)
    # Only to allow one answer per browser: never shown.
    session_key = models.CharField(_("browser session"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("answered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "session_key"], name="helpcentre_one_feedback_per_session"
            ),
            models.CheckConstraint(
                condition=Q(helpful=False) | Q(reason="", comment=""),
                name="helpcentre_reason_only_when_not_helpful",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.slug}: {'yes' if self.helpful else 'no'}"
