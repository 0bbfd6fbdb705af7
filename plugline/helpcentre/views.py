"""The help centre's public pages: categories, articles, search, "Was this helpful?".

Everything is in the reader's language, with the English article (and a note
saying so) where a translation is missing. The feedback forms work without
JavaScript; each browser session answers once per article, and every answer
counts against the same kind of rate limit as the site's other public forms.
"""

from __future__ import annotations

from typing import Any

from allauth.core.ratelimit import consume_or_429
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from plugline.helpcentre.forms import FeedbackForm, FeedbackReasonForm, HelpSearchForm
from plugline.helpcentre.models import FeedbackReason
from plugline.helpcentre.search import search_articles, search_terms
from plugline.helpcentre.selectors import (
    ArticleInLanguage,
    article_get,
    categories_with_articles,
    category_get,
    help_language,
    popular_articles,
)
from plugline.helpcentre.services import feedback_explain, feedback_give

# In the session: what this browser answered about each article ("yes", "no", "explained").
FEEDBACK_SESSION_KEY = "helpcentre_feedback"
# Where "Still stuck?" sends the reader: the live chat or a contact page, when there is one.
CONTACT_URL_NAMES = ("chat:start", "support:contact")


def _language() -> str:
    return help_language(translation.get_language())


def contact_url() -> str:
    """The live chat's (or contact page's) address, or "" when the site has neither."""
    if settings.HELP_CONTACT_URL:
        return settings.HELP_CONTACT_URL
    for name in CONTACT_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    language = _language()
    return render(
        request,
        "helpcentre/index.html",
        {
            "form": HelpSearchForm(),
            "categories": categories_with_articles(language=language),
            "popular": popular_articles(language=language),
        },
    )


@require_safe
def category(request: HttpRequest, category: str) -> HttpResponse:
    found = category_get(slug=category, language=_language())
    return render(
        request, "helpcentre/category.html", {"category": found, "form": HelpSearchForm()}
    )


def _feedback_answers(request: HttpRequest) -> dict[str, str]:
    answers = request.session.get(FEEDBACK_SESSION_KEY, {})
    return answers if isinstance(answers, dict) else {}


def _article_page(
    request: HttpRequest,
    item: ArticleInLanguage,
    *,
    reason_form: FeedbackReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    answer = _feedback_answers(request).get(str(item.article.pk), "")
    context: dict[str, Any] = {
        "item": item,
        "answer": answer,
        "form": HelpSearchForm(),
        "reason_form": reason_form or (FeedbackReasonForm() if answer == "no" else None),
    }
    return render(request, "helpcentre/article.html", context, status=status)


@require_safe
def article(request: HttpRequest, category: str, slug: str) -> HttpResponse:
    item = article_get(category_slug=category, slug=slug, language=_language())
    return _article_page(request, item)


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def _remember(request: HttpRequest, item: ArticleInLanguage, answer: str) -> None:
    answers = _feedback_answers(request)
    answers[str(item.article.pk)] = answer
    request.session[FEEDBACK_SESSION_KEY] = answers


@require_POST
def feedback(request: HttpRequest, category: str, slug: str) -> HttpResponse:
    """ "Was this helpful?": Yes or No, once per browser session."""
    item = article_get(category_slug=category, slug=slug, language=_language())
    limited = consume_or_429(request, action="help_feedback")
    if limited is not None:
        return limited
    form = FeedbackForm(request.POST)
    back = item.url + "#feedback"
    if not form.is_valid():
        messages.error(request, gettext("Choose Yes or No."))
        return redirect(back)
    saved = feedback_give(
        article=item.article,
        language=item.language,
        helpful=form.is_helpful(),
        session_key=_session_key(request),
    )
    if saved is None:
        messages.info(request, gettext("You already told us about this article. Thank you."))
        if str(item.article.pk) not in _feedback_answers(request):
            _remember(request, item, "explained")
        return redirect(back)
    if saved.helpful:
        _remember(request, item, "yes")
        messages.success(request, gettext("Thank you for telling us."))
    else:
        _remember(request, item, "no")
    return redirect(back)


@require_POST
def feedback_reason(request: HttpRequest, category: str, slug: str) -> HttpResponse:
    """Why the article did not help, after a "No"."""
    item = article_get(category_slug=category, slug=slug, language=_language())
    limited = consume_or_429(request, action="help_feedback")
    if limited is not None:
        return limited
    if _feedback_answers(request).get(str(item.article.pk)) != "no":
        messages.info(request, gettext("Answer “Was this helpful?” first."))
        return redirect(item.url + "#feedback")
    form = FeedbackReasonForm(request.POST)
    if not form.is_valid():
        return _article_page(request, item, reason_form=form, status=400)
    explained = feedback_explain(
        article=item.article,
        session_key=_session_key(request),
        reason=FeedbackReason(form.cleaned_data["reason"]),
        comment=form.cleaned_data["comment"],
    )
    _remember(request, item, "explained")
    if explained is not None:
        messages.success(request, gettext("Thank you: we will use this to improve the article."))
    return redirect(item.url + "#feedback")


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    language = _language()
    form = HelpSearchForm(request.GET)
    context: dict[str, Any] = {"form": form, "hits": [], "problem": "", "searched": False}
    if not form.is_valid():
        context["problem"] = " ".join(str(error) for error in form.errors.get("q", []))
        return render(request, "helpcentre/search.html", context, status=400)
    query = form.cleaned_data["q"]
    terms = search_terms(query)
    if not query.strip():
        context["problem"] = gettext("Type a few words about your problem, e.g. “USB”.")
    elif not terms:
        context["problem"] = gettext(
            "Your search has no word to look for. Type words with letters or digits."
        )
    else:
        context["hits"] = search_articles(language=language, terms=terms)
        context["searched"] = True
        context["contact_url"] = contact_url()
    return render(request, "helpcentre/search.html", context)
