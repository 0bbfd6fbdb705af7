"""The ticket desk (/staff/tickets/): the list with its filters, a ticket's thread, and the
agent's actions on it (answer, assign, status), for staff who may answer tickets."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from plugline.accounts.models import User
from plugline.accounts.staff_access import staff_required
from plugline.support.forms import AgentReplyForm, AssignForm, StatusForm
from plugline.support.models import Ticket, TicketStatus
from plugline.support.selectors import (
    desk_ticket_get,
    desk_tickets,
    ticket_agents,
    ticket_messages,
)
from plugline.support.services import (
    TicketRefused,
    ticket_assign,
    ticket_reply_by_agent,
    ticket_status_set,
)

PERMISSION = "support.answer_ticket"
PAGE_SIZE = 50


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_required let the request in
    return request.user


def _agents() -> list[tuple[int, str]]:
    return [(agent.pk, agent.get_full_name() or agent.email) for agent in ticket_agents()]


@require_GET
@staff_required(PERMISSION)
def desk(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in TicketStatus.values:
        status = ""
    mine = request.GET.get("mine") == "1"
    unassigned = request.GET.get("unassigned") == "1"
    tickets = desk_tickets(staff=_staff(request), status=status, mine=mine, unassigned=unassigned)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "support/desk.html",
        {
            "staff_section": "tickets",
            "page": page,
            "status": status,
            "mine": mine,
            "unassigned": unassigned,
            "statuses": TicketStatus.choices,
            "query": query.urlencode(),
        },
    )


def _ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply: AgentReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "support/desk_ticket.html",
        {
            "staff_section": "tickets",
            "ticket": ticket,
            "thread": ticket_messages(ticket=ticket),
            "reply": reply or AgentReplyForm(),
            "assign": AssignForm(initial={"assignee": ticket.assignee_id}, agents=_agents()),
            "status_form": StatusForm(initial={"status": ticket.status}),
        },
        status=status,
    )


def _back(ticket: Ticket) -> HttpResponse:
    return redirect(reverse("support:desk_ticket", kwargs={"reference": ticket.reference}))


@require_GET
@staff_required(PERMISSION)
def desk_ticket(request: HttpRequest, reference: str) -> HttpResponse:
    return _ticket_page(request, desk_ticket_get(reference=reference))


@require_POST
@staff_required(PERMISSION)
def desk_reply(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = desk_ticket_get(reference=reference)
    form = AgentReplyForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket, reply=form, status=400)
    ticket_reply_by_agent(
        ticket=ticket, agent=_staff(request), body=form.cleaned_data["body"], request=request
    )
    messages.success(request, gettext("Your answer is sent to the customer by email."))
    return _back(ticket)


@require_POST
@staff_required(PERMISSION)
def desk_assign(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = desk_ticket_get(reference=reference)
    staff = _staff(request)
    if request.POST.get("to_me"):
        assignee: User | None = staff
    else:
        form = AssignForm(request.POST, agents=_agents())
        if not form.is_valid():
            messages.error(request, gettext("Choose someone who may answer tickets."))
            return _back(ticket)
        chosen = form.cleaned_data["assignee"]
        assignee = ticket_agents().filter(pk=chosen).first() if chosen is not None else None
    try:
        ticket_assign(ticket=ticket, assignee=assignee, actor=staff, request=request)
    except TicketRefused:
        messages.error(request, gettext("Choose someone who may answer tickets."))
        return _back(ticket)
    messages.success(request, gettext("The ticket's assignment is saved."))
    return _back(ticket)


@require_POST
@staff_required(PERMISSION)
def desk_status(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = desk_ticket_get(reference=reference)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose one of the statuses shown."))
        return _back(ticket)
    ticket_status_set(
        ticket=ticket, status=form.cleaned_data["status"], actor=_staff(request), request=request
    )
    messages.success(request, gettext("The ticket's status is saved."))
    return _back(ticket)
