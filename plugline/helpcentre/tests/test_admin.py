"""Staff write articles in the admin: a preview of the rendered text, and readers' ratings."""

from __future__ import annotations

import pytest
from django.test import Client

from plugline.accounts.models import User
from plugline.helpcentre.models import Article, ArticleTranslation, Feedback
from plugline.helpcentre.tests.factories import make_article, make_category

pytestmark = pytest.mark.django_db


def _inline(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "3",
    }
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{key}": value for key, value in row.items()})
    return data


def test_staff_write_an_article_that_is_rendered_and_found(staff_client: Client):
    category = make_category()
    response = staff_client.post(
        "/admin/helpcentre/article/add/",
        {
            "category": str(category.pk),
            "slug": "hub-power",
            "position": "0",
            **_inline(
                "translations",
                [
                    {
                        "language": "en",
                        "title": "A USB hub",
                        "body_markdown": "Use a **powered** hub.<script>x()</script>",
                        "is_published": "on",
                    },
                    {
                        "language": "fr",
                        "title": "Un concentrateur USB",
                        "body_markdown": "Utilisez un concentrateur alimenté.",
                        "is_published": "on",
                    },
                ],
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    translation = ArticleTranslation.objects.get(language="en")
    assert translation.body_html == "<p>Use a <strong>powered</strong> hub.</p>"
    article = Article.objects.get()
    change = staff_client.get(f"/admin/helpcentre/article/{article.pk}/change/").content.decode()
    assert '<div class="help-preview"><p>Use a <strong>powered</strong> hub.</p></div>' in change
    found = Client().get(
        "/help/search/", {"q": "concentrateur alimente"}, headers={"accept-language": "fr"}
    )
    assert [hit.translation.title for hit in found.context["hits"]] == ["Un concentrateur USB"]


def test_staff_see_how_helpful_each_article_was(staff_client: Client):
    article = make_article()
    for n, helpful in enumerate([True, True, True, False]):
        Feedback.objects.create(
            article=article, language="en", helpful=helpful, session_key=f"s{n}"
        )
    html = staff_client.get("/admin/helpcentre/article/").content.decode()
    assert '<td class="field-helpful_yes">3</td>' in html
    assert '<td class="field-helpful_no">1</td>' in html
    assert '<td class="field-helpful_ratio">75%</td>' in html


def test_staff_see_the_admin_in_french(staff_client: Client, staff: User):
    make_article()
    staff.language = "fr"
    staff.save()
    html = staff_client.get("/admin/helpcentre/article/").content.decode()
    assert "Part de «\u00a0utile\u00a0»" in html
    assert "Articles d’aide" in html  # noqa: RUF001


def test_staff_deleting_an_article_takes_it_out_of_search(staff_client: Client):
    article = make_article()
    staff_client.post(f"/admin/helpcentre/article/{article.pk}/delete/", {"post": "yes"})
    assert not Article.objects.exists()
    found = staff_client.get("/help/search/", {"q": "usb"})
    assert found.context["hits"] == []
