"""Celery worker that reconciles payment-provider events into the ledger."""
import logging
import os

import psycopg
from celery import Celery

BROKER_URL = os.environ.get("BROKER_URL", "redis://redis:6379/0")
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://worker@postgres/ledger")

log = logging.getLogger(__name__)

app = Celery("worker", broker=BROKER_URL)
app.conf.update(task_acks_late=True, worker_prefetch_multiplier=1)


@app.task(bind=True, max_retries=5, default_retry_delay=30)
def reconcile(self, event_id: str) -> int:
    """Mark the payment behind a provider event as reconciled."""
    try:
        with psycopg.connect(DATABASE_URL) as conn:
            cur = conn.execute(
                "UPDATE payments SET reconciled_at = now() "
                "WHERE provider_event_id = %s AND reconciled_at IS NULL",
                (event_id,),
            )
            log.info("reconciled %s (%d rows)", event_id, cur.rowcount)
            return cur.rowcount
    except psycopg.OperationalError as exc:
        raise self.retry(exc=exc)
