"""The stages of a run, in order. Each takes the work the one before handed on (immutable
values, the tasks still open) and hands on its own; a new stage (payments, say) is a module of
this package and a line here."""

from __future__ import annotations

from cbxero.domain.model import SyncTask
from cbxero.services.sync.accounting import check_accounting
from cbxero.services.sync.credit_notes import send_credit_notes
from cbxero.services.sync.finish import complete, nothing_to_send
from cbxero.services.sync.guard import guard
from cbxero.services.sync.invoices import send_invoices
from cbxero.services.sync.payments import send_payments
from cbxero.services.sync.plan import plan
from cbxero.services.sync.reconcile import reconcile
from cbxero.services.sync.work import Run


def sync(run: Run, claimed: list[SyncTask]) -> None:
    """Every claimed task through Xero; each ends in the run's ledger, finished or stopped."""
    claimed = guard(run, claimed)
    work = plan(run, claimed)
    work = reconcile(run, work)
    work = nothing_to_send(run, work)
    work = check_accounting(run, work)
    work = send_invoices(run, work)
    work = send_credit_notes(run, work)
    work = send_payments(run, work)
    complete(run, work)
