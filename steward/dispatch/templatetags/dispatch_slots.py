"""`{% visit_slots ticket %}`: the ticket's open work orders with an "Offer slots" button (agents)
or a "Book a visit" link (customers), for the desk's ticket page and the portal's request page.
One include line in each page; the panel itself is dispatch's (HTMX)."""

from __future__ import annotations

from django import template

from steward.core import access

register = template.Library()


@register.inclusion_tag("dispatch/_visit_slots.html", takes_context=True)
def visit_slots(context, ticket) -> dict:
    from steward.field.selectors import work_orders_of_ticket

    user = context["request"].user
    orders = []
    if ticket is not None and getattr(user, "is_authenticated", False):
        orders = [
            wo
            for wo in work_orders_of_ticket(user, ticket)
            if wo.status in ("unscheduled", "scheduled", "dispatched")
        ]
    return {"orders": orders, "customer": access.is_customer(user), "request": context["request"]}
