"""Help articles for tests, saved through the services (rendered and indexed like staff's)."""

from __future__ import annotations

from plugline.helpcentre.models import Article, Category, Topic
from plugline.helpcentre.services import article_translation_save


def make_category(slug: str = "troubleshooting", name: str = "Troubleshooting") -> Category:
    category, _created = Category.objects.get_or_create(
        slug=slug, defaults={"name_en": name, "name_fr": f"{name} (fr)", "name_da": f"{name} (da)"}
    )
    return category


def make_article(
    slug: str = "usb-power",
    *,
    texts: dict[str, tuple[str, str]] | None = None,
    category: Category | None = None,
    topics: tuple[str, ...] = (),
    published: bool = True,
) -> Article:
    """An article with a translation per entry of `texts` (language -> (title, Markdown))."""
    article = Article.objects.create(slug=slug, category=category or make_category())
    article.topics.set([Topic.objects.get_or_create(key=key)[0] for key in topics])
    texts = texts or {"en": ("Try another USB port", "The port may lack **power**.")}
    for language, (title, body) in texts.items():
        article_translation_save(
            article=article,
            language=language,
            title=title,
            body_markdown=body,
            is_published=published,
        )
    return article
