"""Stage, accounting (before anything is sent): every line about to go to Xero has an account,
tax type and tracking the organisation still offers for revenue. A choice that was valid when
saved but is not now (archived, deleted, a system account, another class, gone), or a line no
choice gives an account, leaves its task waiting for the reseller with the line and the reason;
nothing of that order is sent.

A line's account is the product mapping's, else the item's, else the settings' (chosen in
`DocumentPlan`); with none chosen anywhere it is the organisation's account 200 while that is an
active revenue account (Xero's standard "Sales"), else the task asks for a sales account. The
customer's tracking fills the categories the product's leaves open. The lists are read once a
run, only those the lines need (accounts always; tax rates and tracking when a line names one)."""

from __future__ import annotations

from dataclasses import replace

from cbxero.domain.chart import (
    STANDARD_SALES_ACCOUNT,
    Chart,
    Purpose,
    account_problem,
    merged_tracking,
    on_line,
    tax_problem,
    tracking_problem,
)
from cbxero.domain.documents import DocumentPlan, LineSource
from cbxero.domain.model import TaskStatus
from cbxero.domain.xero import LineItem, LineItemTracking
from cbxero.services.chart import read_chart
from cbxero.services.sync.work import Run, Work, link_of

CHOOSE_ACCOUNT = (
    "choose a sales account: {line} has no account (none on its product mapping, its Xero "
    "item or the settings, and {org} has no active revenue account 200); pick one from "
    "GET /xero/accounts?purpose=revenue for the settings' sales_account_code or the "
    "product's mapping"
)


def check_accounting(run: Run, work: list[Work]) -> list[Work]:
    """The work whose lines Xero will take as chosen (accounts filled in); the rest waits."""
    sending = [w for w in work if _to_send(w)]
    if not sending:
        return work
    tracked = {w.task.customer_id: _customer_tracking(run, w) for w in sending}
    sending = [_with_tracking(w, tracked[w.task.customer_id]) for w in sending]
    lines = [line for w in sending for line in (*w.plan.charges, *w.plan.refunds)]
    chart = read_chart(
        run.lists,
        taxes=any(line.tax_type for line in lines),
        tracking=any(line.tracking for line in lines),
    )
    default = None
    if not account_problem(chart, STANDARD_SALES_ACCOUNT, Purpose.REVENUE):
        default = STANDARD_SALES_ACCOUNT
    checked = {}
    for w in sending:
        plan = _with_account(w.plan, default)
        problem = _problem(chart, plan)
        if problem is not None:
            run.ledger.end(w.task, TaskStatus.ACTION_REQUIRED, problem)
            continue
        checked[w.task.order_id] = replace(w, plan=plan)
    return [checked.get(w.task.order_id, w) for w in work if run.is_open(w)]


def _to_send(w: Work) -> bool:
    # Documents Xero already holds (adopted by reconcile) are not sent again, so not checked.
    return bool(
        (w.plan.charges and w.invoice is None) or (w.plan.refunds and w.credit_note is None)
    )


def _customer_tracking(run: Run, w: Work) -> tuple[LineItemTracking, ...]:
    return on_line(link_of(run.ports, run.reseller_id, w.task.customer_id).tracking)


def _with_tracking(w: Work, customer: tuple[LineItemTracking, ...]) -> Work:
    if not customer:
        return w

    def tracked(line: LineItem) -> LineItem:
        merged = merged_tracking(line.tracking or (), customer)
        return line.model_copy(update={"tracking": merged or None})

    plan = replace(
        w.plan,
        charges=tuple(tracked(line) for line in w.plan.charges),
        refunds=tuple(tracked(line) for line in w.plan.refunds),
    )
    return replace(w, plan=plan)


def _with_account(plan: DocumentPlan, default: str | None) -> DocumentPlan:
    def filled(line: LineItem) -> LineItem:
        if line.account_code or default is None:
            return line
        return line.model_copy(update={"account_code": default})

    return replace(
        plan,
        charges=tuple(filled(line) for line in plan.charges),
        refunds=tuple(filled(line) for line in plan.refunds),
    )


def _problem(chart: Chart, plan: DocumentPlan) -> str | None:
    """The first line Xero would not take as chosen, said with its number and product."""
    named = [
        *_named("invoice", plan.charges, plan.charge_sources),
        *_named("credit note", plan.refunds, plan.refund_sources),
    ]
    for where, line in named:
        if not line.account_code:
            return CHOOSE_ACCOUNT.format(line=where, org=chart.name)
        problem = account_problem(chart, line.account_code, Purpose.REVENUE)
        if problem is None and line.tax_type:
            problem = tax_problem(chart, line.tax_type)
        if problem is None and line.tracking:
            problem = tracking_problem(chart, line.tracking)
        if problem is not None:
            return f"{where}: {problem}; choose another from Xero's lists (mapping or settings)"
    return None


def _named(
    document: str, lines: tuple[LineItem, ...], sources: tuple[LineSource, ...]
) -> list[tuple[str, LineItem]]:
    names = [source.name for source in sources]
    return [
        (
            f"{document} line {n} ({names[n - 1] if n <= len(names) else line.description})",
            line,
        )
        for n, line in enumerate(lines, 1)
    ]
