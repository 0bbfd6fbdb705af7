"""Writes of the help centre: articles rendered and indexed when saved, readers' feedback."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from plugline.helpcentre.models import (
    FEEDBACK_COMMENT_MAX,
    Article,
    ArticleTranslation,
    Feedback,
    FeedbackReason,
)
from plugline.helpcentre.rendering import html_to_text, markdown_render
from plugline.helpcentre.search import search_index_prune, search_index_update


@transaction.atomic
def article_translations_refresh(*, article: Article) -> list[ArticleTranslation]:
    """Renders each translation of `article` once, and brings the search index in step.

    Called after staff save an article (the admin) and by the seeding; pages show
    the HTML kept here and never render Markdown themselves.
    """
    translations = list(article.translations.all())
    for translation in translations:
        translation.body_html = markdown_render(translation.body_markdown)
        translation.search_text = html_to_text(translation.body_html)
    ArticleTranslation.objects.bulk_update(translations, ["body_html", "search_text"])
    search_index_update(translations=translations)
    search_index_prune()
    return translations


@transaction.atomic
def article_translation_save(
    *,
    article: Article,
    language: str,
    title: str,
    body_markdown: str,
    is_published: bool,
) -> ArticleTranslation:
    """Creates or replaces `article`'s translation in `language`, rendered and indexed."""
    body_html = markdown_render(body_markdown)
    translation, _created = ArticleTranslation.objects.update_or_create(
        article=article,
        language=language,
        defaults={
            "title": title,
            "body_markdown": body_markdown,
            "body_html": body_html,
            "search_text": html_to_text(body_html),
            "is_published": is_published,
        },
    )
    search_index_update(translations=[translation])
    return translation


@transaction.atomic
def articles_deleted() -> None:
    """Takes the translations of articles staff deleted out of the search index."""
    search_index_prune()


@transaction.atomic
def feedback_give(
    *, article: Article, language: str, helpful: bool, session_key: str
) -> Feedback | None:
    """Keeps this browser's answer about `article`; None if it already answered."""
    if Feedback.objects.filter(article=article, session_key=session_key).exists():
        return None
    try:
        with transaction.atomic():
            return Feedback.objects.create(
                article=article, language=language, helpful=helpful, session_key=session_key
            )
    except IntegrityError:
        # The same browser answered in another tab meanwhile: one answer is kept.
        return None


@transaction.atomic
def feedback_explain(
    *, article: Article, session_key: str, reason: FeedbackReason, comment: str
) -> Feedback | None:
    """Adds why this browser's "No" about `article` was no; None without such an answer."""
    feedback = (
        Feedback.objects.select_for_update()
        .filter(article=article, session_key=session_key, helpful=False)
        .first()
    )
    if feedback is None:
        return None
    feedback.reason = reason
    feedback.comment = comment.strip()[:FEEDBACK_COMMENT_MAX]
    feedback.save(update_fields=["reason", "comment"])
    return feedback
