"""Reads of the help centre, in the reader's language (English where a translation is missing).

An article is shown when it has a published translation in the reader's
language or in English; each read costs the same few queries whatever the
number of articles.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from plugline.core.help_links import HelpLink
from plugline.helpcentre.models import Article, ArticleTranslation, Category

FALLBACK_LANGUAGE = "en"
POPULAR_MAX = 5


def help_language(language: str | None) -> str:
    """One of the site's languages for `language` ("fr-ca" -> "fr"), else English."""
    code = (language or "").split("-")[0].lower()
    known = {code for code, _name in settings.LANGUAGES}
    return code if code in known else FALLBACK_LANGUAGE


@dataclass(frozen=True)
class ArticleInLanguage:
    """An article as the reader sees it: its translation, and whether it is the English one."""

    article: Article
    translation: ArticleTranslation
    language: str

    @property
    def is_fallback(self) -> bool:
        return self.translation.language != self.language

    @property
    def category_name(self) -> str:
        return self.article.category.name_for(self.language)

    @property
    def url(self) -> str:
        return article_url(self.article)


def article_url(article: Article) -> str:
    return reverse(
        "helpcentre:article", kwargs={"category": article.category.slug, "slug": article.slug}
    )


def _languages(language: str) -> list[str]:
    return list(dict.fromkeys([language, FALLBACK_LANGUAGE]))


def _shown_articles(language: str) -> QuerySet[Article]:
    """Articles with a published translation to show, those translations prefetched."""
    languages = _languages(language)
    return (
        Article.objects.filter(
            translations__is_published=True, translations__language__in=languages
        )
        .distinct()
        .select_related("category")
        .prefetch_related(
            Prefetch(
                "translations",
                queryset=ArticleTranslation.objects.filter(
                    is_published=True, language__in=languages
                ).defer("body_markdown", "body_html", "search_text", "search_vector"),
                to_attr="shown_translations",
            )
        )
    )


def _in_language(article: Article, language: str) -> ArticleInLanguage:
    by_language = {t.language: t for t in article.shown_translations}  # type: ignore[attr-defined]
    translation = by_language.get(language) or by_language[FALLBACK_LANGUAGE]
    return ArticleInLanguage(article=article, translation=translation, language=language)


@dataclass(frozen=True)
class CategoryInLanguage:
    category: Category
    name: str
    articles: list[ArticleInLanguage]

    @property
    def url(self) -> str:
        return reverse("helpcentre:category", kwargs={"category": self.category.slug})


def categories_with_articles(*, language: str) -> list[CategoryInLanguage]:
    """Every category that has an article to show, with its articles, in order."""
    articles = list(
        _shown_articles(language).order_by(
            "category__position", "category__slug", "position", "slug"
        )
    )
    grouped: dict[int, CategoryInLanguage] = {}
    for article in articles:
        category = article.category
        if category.pk not in grouped:
            grouped[category.pk] = CategoryInLanguage(
                category=category, name=category.name_for(language), articles=[]
            )
        grouped[category.pk].articles.append(_in_language(article, language))
    return list(grouped.values())


def category_get(*, slug: str, language: str) -> CategoryInLanguage:
    """A category with its articles to show; 404 when it has none."""
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise Http404
    articles = [
        _in_language(article, language)
        for article in _shown_articles(language)
        .filter(category=category)
        .order_by("position", "slug")
    ]
    if not articles:
        raise Http404
    return CategoryInLanguage(
        category=category, name=category.name_for(language), articles=articles
    )


def popular_articles(*, language: str, limit: int = POPULAR_MAX) -> list[ArticleInLanguage]:
    """The articles readers most often found helpful."""
    articles = (
        _shown_articles(language)
        .annotate(helpful_count=Count("feedback", filter=Q(feedback__helpful=True), distinct=True))
        .order_by("-helpful_count", "position", "slug")[:limit]
    )
    return [_in_language(article, language) for article in articles]


def article_get(*, category_slug: str, slug: str, language: str) -> ArticleInLanguage:
    """The article to read, in `language` or else in English; 404 when it is not published."""
    languages = _languages(language)
    article = (
        Article.objects.filter(slug=slug, category__slug=category_slug)
        .select_related("category")
        .prefetch_related(
            Prefetch(
                "translations",
                queryset=ArticleTranslation.objects.filter(
                    is_published=True, language__in=languages
                ),
                to_attr="shown_translations",
            )
        )
        .first()
    )
    if article is None or not article.shown_translations:
        raise Http404
    return _in_language(article, language)


def related_articles(*, topic: str, language: str, limit: int = 3) -> list[ArticleInLanguage]:
    articles = (
        _shown_articles(language).filter(topics__key=topic).order_by("position", "slug")[:limit]
    )
    return [_in_language(article, language) for article in articles]


def related_help_links(*, topic: str, language: str, limit: int = 3) -> list[HelpLink]:
    """The help centre's answer to `{% help_related topic %}` (plugline.core.help_links)."""
    language = help_language(language)
    return [
        HelpLink(title=item.translation.title, url=item.url)
        for item in related_articles(topic=topic, language=language, limit=limit)
    ]
