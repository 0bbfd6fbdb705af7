"""The help centre's first articles, from the service's user guides (seed_demo puts them back).

Their text is in seed/<slug>.<language>.md.

Each seeding brings the categories, topics and articles below back to this
text in English, French and Danish, published; articles staff added
themselves are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from plugline.helpcentre.models import Article, Category, Topic
from plugline.helpcentre.services import article_translation_save

LANGUAGES = ("en", "fr", "da")
# One Markdown file per article and language: "# Title", a blank line, the text.
SEED_DIR = Path(__file__).parent / "seed"


@dataclass(frozen=True)
class SeedArticle:
    slug: str
    category: str
    topics: tuple[str, ...]


CATEGORIES = [
    ("getting-started", "Getting started", "Premiers pas", "Kom i gang"),
    ("account", "Your account", "Votre compte", "Din konto"),
    ("renewal", "Renewing your service", "Renouveler votre service", "Forny dit abonnement"),
    ("troubleshooting", "Troubleshooting", "Dépannage", "Fejlfinding"),
]

TOPICS = [
    ("device-not-detected", "Activation, step 1: the device is not detected"),
    ("card-declined", "Checkout: the card is declined"),
    ("pin-refused", "Redeeming a Re-Up card: the PIN is refused"),
]

ARTICLES = [
    SeedArticle(
        slug="device-does-not-start", category="troubleshooting", topics=("device-not-detected",)
    ),
    SeedArticle(
        slug="activate-your-device", category="getting-started", topics=("device-not-detected",)
    ),
    SeedArticle(
        slug="renew-your-service", category="renewal", topics=("card-declined", "pin-refused")
    ),
    SeedArticle(slug="forgotten-password", category="account", topics=()),
    SeedArticle(slug="used-device", category="account", topics=()),
]


def seed_text(slug: str, language: str) -> tuple[str, str]:
    """The title (its first line, "# Title") and Markdown text of seed/<slug>.<language>.md."""
    text = (SEED_DIR / f"{slug}.{language}.md").read_text(encoding="utf-8")
    first, _newline, body = text.partition("\n")
    return first.removeprefix("# ").strip(), body.strip() + "\n"


@dataclass
class HelpSeedReport:
    created: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)


@transaction.atomic
def help_articles_seed() -> HelpSeedReport:
    """Puts the seed articles back as written here; says what it created and put back."""
    report = HelpSeedReport()
    categories = {}
    for position, (slug, name_en, name_fr, name_da) in enumerate(CATEGORIES):
        category, created = Category.objects.update_or_create(
            slug=slug,
            defaults={
                "name_en": name_en,
                "name_fr": name_fr,
                "name_da": name_da,
                "position": position,
            },
        )
        categories[slug] = category
        if created:
            report.created.append(f"help category {slug}")
    topics = {}
    for key, description in TOPICS:
        topics[key], _created = Topic.objects.update_or_create(
            key=key, defaults={"description": description}
        )
    for position, seed in enumerate(ARTICLES):
        article, created = Article.objects.update_or_create(
            slug=seed.slug,
            defaults={"category": categories[seed.category], "position": position},
        )
        article.topics.set([topics[key] for key in seed.topics])
        current = {
            t.language: (t.title, t.body_markdown, t.is_published)
            for t in article.translations.all()
        }
        for language in LANGUAGES:
            title, body = seed_text(seed.slug, language)
            if current.get(language) != (title, body, True):
                article_translation_save(
                    article=article,
                    language=language,
                    title=title,
                    body_markdown=body,
                    is_published=True,
                )
                if not created:
                    report.reset.append(f"help article {seed.slug} ({language}) back to its text")
        if created:
            report.created.append(f"help article {seed.slug}")
    return report
