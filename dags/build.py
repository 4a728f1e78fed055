"""
# Build: dbt model by model, the quality gate, then publish

First **privacy_suppression** erases again whatever tonight's loads brought back
of persons erased earlier (a late delivery, a re-loaded file). Then it runs the
dbt project (`dbt_project/`) on the warehouse once the night's silos have
landed: staging per silo, identity resolution (candidate pairs, evidence, links,
clusters, stable ids), the golden record and its history, the 360 metrics and
the candidate segments. Every dbt model, seed and snapshot is its own task
(astronomer-cosmos, watcher mode): one producer task runs `dbt build`, each
node's task reports its node's result, and a retried node task runs its node
alone; one `dbt test` task runs the data tests after all nodes, so nothing
untested reaches the gate (dbt's unit tests run in CI, not nightly). Every dbt
command gets the run's business date (`--vars business_date`), the one the
privacy step, the gate and publishing use, so a re-run of an older date builds
its metrics as of that date.
**privacy_requests** then carries out the
requests dbt matched to a customer (erasure in every schema, `published`
included; restriction; access export), whatever dbt did: a failed model or
test must not keep an erased person in `published` until a build passes. It
alerts the privacy owner of the requests it could not match, and of those
still open `C360_PRIVACY_DEADLINE_DAYS` (25) days after they were received.

**score_propensity** then scores every profiled customer per product line with
the latest model of `predictions.model_runs` (trained by `c360_train_propensity`)
into `predictions.customer_propensity`, replacing the date's rows; without a model it
scores nothing and says so. **scored_models** builds the dbt models tagged `scored`
(`customer_propensity` and what reads it), with their tests.

Then **quality_gate** runs the Great Expectations checkpoint `quality_gate`
(`expectations/gx`) for the business date: every result goes to
`ops.quality_results`, the data docs are rebuilt, and the owner of every failed
expectation is alerted with the evidence (`ops.alerts`, and by e-mail when
`C360_SMTP_HOST` is set). A blocking failure fails the task without a retry and
**publish** does not run: BI keeps the last publication. Otherwise **publish**
swaps `marts.customer_360`, `marts.customer_segments` and
`marts.customer_propensity` into schema
`published` in one transaction and records the segment sizes for the next
night's drift check.

- **Schedule**: when the raw Asset of every silo with a contract
  (`c360://raw/<silo>`) has been updated, or at 07:00 Europe/Amsterdam at the
  latest, so a silo that missed its deadline does not hold the night back (the
  gate's freshness check then decides).
- **Connection**: `c360_warehouse`.
"""

from airflow.sdk import dag

from c360.orchestration.build import (
    build_dag_args,
    dbt_task_group,
    score_propensity_task,
    scored_models_task,
)
from c360.orchestration.publishing import publish_published, quality_gate
from c360.privacy.tasks import apply_privacy_requests_task, enforce_suppressions_task


@dag(**build_dag_args(), doc_md=__doc__)
def c360_build():
    dbt = enforce_suppressions_task() >> dbt_task_group()
    gate = quality_gate()
    privacy = dbt >> apply_privacy_requests_task()
    privacy >> gate >> publish_published()
    # scores only for customers who are still profiled once tonight's requests are carried out
    scored = [dbt, privacy] >> score_propensity_task() >> scored_models_task()
    # the gate and publishing need a build that passed; the privacy step does not
    dbt >> gate
    scored >> gate


c360_build()
