"""The `c360` command. Each subcommand is thin: the work lives in its own module."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from c360.config import ConfigError, load_settings
from c360.local.demo_plan import DemoPlan
from c360.local.postgres import PostgresError

app = typer.Typer(
    help="c360: a customer-360 data warehouse (Airflow + dbt + Great Expectations on PostgreSQL).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


BUSINESS_DATE_OPTION = typer.Option(..., "--date", help="business date, YYYY-MM-DD")


def business_date_of(text: str) -> date:
    """The --date option as a date, or a clear error."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        fail(f"bad business date: {exc}")


@app.command()
def up() -> None:
    """Start the embedded PostgreSQL (unless C360_WAREHOUSE_DSN is set) and create the warehouse."""
    from c360.local.lifecycle import start_everything

    try:
        report = start_everything(load_settings())
    except (ConfigError, PostgresError) as exc:
        fail(str(exc))
    for line in report:
        console.print(line)


@app.command()
def down() -> None:
    """Stop the embedded PostgreSQL. Data stays in its folder."""
    from c360.local.lifecycle import embedded_server

    settings = load_settings()
    if not settings.embedded:
        console.print("C360_WAREHOUSE_DSN is set: no embedded PostgreSQL to stop.")
        return
    try:
        server = embedded_server(settings)
        was_running = server.is_running()
        server.stop()
    except PostgresError as exc:
        fail(str(exc))
    console.print("embedded PostgreSQL stopped" if was_running else "embedded PostgreSQL was not running")


@app.command()
def status() -> None:
    """Show where c360 keeps its state and whether its PostgreSQL answers."""
    from c360.local.lifecycle import describe

    try:
        rows = describe(load_settings())
    except (ConfigError, PostgresError) as exc:
        fail(str(exc))
    table = Table(title="c360 status", show_header=True)
    table.add_column("what")
    table.add_column("value")
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def dbt(ctx: typer.Context) -> None:
    """Run dbt on the warehouse, e.g. `c360 dbt debug` or `c360 dbt build --vars '{business_date: D}'`."""
    from c360.orchestration.dbt_runner import run_dbt

    try:
        code = run_dbt(load_settings(), list(ctx.args))
    except ConfigError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command()
def run(
    start: str = typer.Option(..., help="first business date, YYYY-MM-DD"),
    end: str = typer.Option(..., help="last business date, YYYY-MM-DD"),
    fail_fast: bool = typer.Option(False, help="stop at the first failed DAG run"),
    dag: Annotated[
        list[str] | None, typer.Option(help="run only this nightly DAG (repeatable)")
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(help="run under a real Airflow scheduler with this executor: local or celery"),
    ] = None,
) -> None:
    """Run the nightly Airflow DAGs for every business date from START to END, in order.

    By default each DAG run goes through DAG.test() in one process; with --executor, c360
    starts Airflow's API server, scheduler, DAG processor and triggerer, creates the runs,
    lets the build follow its Assets, and stops them at the end."""
    from c360.local.airflow_env import AirflowSetupError
    from c360.local.runner import RichReporter, all_succeeded, results_table, run_range, select_dags
    from c360.local.scheduled_runs import EXECUTORS, not_yet_due
    from c360.orchestration.dates import date_range
    from c360.orchestration.run_lock import WarehouseBusy

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        dag_ids = select_dags(dag)
        total = len(date_range(first, last)) * len(dag_ids)
    except ValueError as exc:
        fail(f"bad business date range or DAG: {exc}")
    if executor not in (None, *EXECUTORS):
        fail(f"unknown executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if executor and not_yet_due(last):
        fail(f"the night of {last} is not due yet: a scheduler runs it from its logical date "
             f"{not_yet_due(last):%Y-%m-%d %H:%M %Z} on (without --executor it runs now)")
    try:
        with RichReporter(console, total) as reporter:
            results = run_range(load_settings(), first, last, dag_ids=dag_ids, reporter=reporter,
                                fail_fast=fail_fast, executor=executor)
    except (ConfigError, PostgresError, AirflowSetupError, WarehouseBusy) as exc:
        fail(str(exc))
    console.print(results_table(results))
    from c360.local.report.finish import finish_run

    finish_run(load_settings(), console, results)
    if not all_succeeded(results):
        fail("some DAG runs failed; their logs are named above")


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def airflow(ctx: typer.Context) -> None:
    """Run Airflow's CLI with c360's configuration, e.g. `c360 airflow dags list`."""
    from c360.local.airflow_env import AirflowSetupError, run_airflow

    try:
        code = run_airflow(load_settings(), list(ctx.args))
    except (ConfigError, AirflowSetupError) as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command()
def simulate(
    days: int = typer.Option(..., help="business days to write: the next ones of an existing simulation"),
    people: int | None = typer.Option(None, help="persons in a new simulation"),
    start: str | None = typer.Option(None, help="first business date of a new simulation, YYYY-MM-DD"),
    seed: int | None = typer.Option(None, help="random seed of a new simulation"),
    reset: bool = typer.Option(False, help="delete the existing simulation (files, billing, truth) first"),
    noise: str | None = typer.Option(
        None, help="noise profile of a new simulation: default, or real (register slips, "
        "docs/simulator-noise.md); a continued simulation keeps its own"),
) -> None:
    """Simulate the silos: landing-zone files, the finance billing schema, and the truth file."""
    from c360.local.simulator.cli import SimulationError, run_simulate

    try:
        run_simulate(load_settings(), console, days=days, people=people, start=start, seed=seed,
                     reset=reset, noise=noise)
    except (ConfigError, SimulationError) as exc:
        fail(str(exc))


@app.command()
def evaluate(
    truth: str = typer.Option(..., help="truth CSV: source_system,source_key,person_id"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    sample: int = typer.Option(10, help="false merges and missed links to list"),
) -> None:
    """Pairwise precision, recall and F1 of marts.customer_xref against a truth file."""
    import json
    from pathlib import Path

    import psycopg

    from c360.local.evaluation.pairs import EvaluationError, evaluate_report, run_evaluation

    try:
        result = run_evaluation(load_settings().warehouse_dsn, Path(truth), sample)
    except (ConfigError, EvaluationError, psycopg.Error) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result.as_dict(), default=str, indent=2))
    else:
        evaluate_report(result, console)


@app.command()
def gate(
    date_: str = BUSINESS_DATE_OPTION,
    show_all: bool = typer.Option(False, "--all", help="list passed expectations too"),
    alert: bool = typer.Option(True, help="alert the owners of failed expectations"),
) -> None:
    """Run the quality gate for a business date; exit non-zero when it fails."""

    import psycopg

    from c360.quality.console import results_table
    from c360.quality.gate import run_gate

    business_date = business_date_of(date_)
    try:
        with console.status(f"validating business date {business_date} with Great Expectations"):
            result = run_gate(load_settings(), business_date, alert=alert)
    except (ConfigError, psycopg.Error) as exc:
        fail(str(exc))
    console.print(results_table(result, show_all))
    console.print(f"data docs: {result.data_docs}")
    if not result.success:
        fail(f"the quality gate failed for {business_date}: nothing may be published")


@app.command()
def train(
    date_: str = BUSINESS_DATE_OPTION,
    snapshots: int = typer.Option(6, help="feature dates to learn from, one every --step-days"),
    step_days: int = typer.Option(14, help="days between feature dates"),
) -> None:
    """Train the propensity model per product line on windows closed by a business date;
    print its backtest beside the recency-frequency baseline, then predicted CLV's backtest
    (the rule beside a regressor and naive guesses), and keep both in predictions.model_runs."""

    import psycopg

    from c360.prediction.clv import backtest as clv_backtest
    from c360.prediction.console import backtest_table, clv_table
    from c360.prediction.training import NotEnoughHistory
    from c360.prediction.training import train as train_models

    business_date = business_date_of(date_)
    try:
        with psycopg.connect(load_settings().warehouse_dsn) as conn, console.status("training") as status:
            runs = train_models(conn, business_date, snapshots, step_days,
                                progress=lambda step: status.update(f"training: {step}"))
            clv = clv_backtest(conn, business_date, snapshots=snapshots, step_days=step_days,
                               progress=lambda step: status.update(f"training: {step}"))
    except (ConfigError, psycopg.Error, NotEnoughHistory) as exc:
        fail(str(exc))
    console.print(backtest_table(runs))
    for run in runs:
        console.print(f"{run.model_version}: trained on {run.training_from} .. {run.training_to}, "
                      f"{run.training_rows} rows, {run.training_positives} buyers")
    if clv is None:
        console.print("predicted CLV: no customer spent in a window closed by the backtest date, no backtest")
    else:
        console.print(clv_table(clv))


@app.command()
def demo(
    people: int = typer.Option(DemoPlan.people, help="persons to simulate"),
    days: int = typer.Option(DemoPlan.days, help="business days to simulate and run"),
    start: str = typer.Option(DemoPlan.start.isoformat(), help="first business date, YYYY-MM-DD"),
    seed: int = typer.Option(DemoPlan.seed, help="random seed of the simulation"),
) -> None:
    """Set up, simulate the silos and run the nightly DAGs on the embedded default; then a summary."""
    from c360.local.airflow_env import AirflowSetupError
    from c360.local.demo import DemoError, run_demo
    from c360.local.simulator.cli import SimulationError
    from c360.orchestration.run_lock import WarehouseBusy

    try:
        plan = DemoPlan(people=people, days=days, start=date.fromisoformat(start), seed=seed)
        ok = run_demo(load_settings(), console, plan)
    except ValueError as exc:
        fail(f"bad --start: {exc}")
    except (ConfigError, PostgresError, AirflowSetupError, DemoError, SimulationError, WarehouseBusy) as exc:
        fail(str(exc))
    if not ok:
        fail("some DAG runs failed; their logs are named above")


privacy_app = typer.Typer(
    help="Data-subject requests (contracts/privacy.yml): access exports and the nightly privacy steps.",
    no_args_is_help=True,
)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("export")
def privacy_export(
    request_id: str | None = typer.Option(None, "--request-id", help="an access request of the privacy desk"),
    email: str | None = typer.Option(None, "--email", help="the person's own e-mail address"),
    out: str | None = typer.Option(None, help="file to write; default $C360_PRIVACY_EXPORT_DIR/<id>.json"),
) -> None:
    """Write everything the warehouse holds about one person to one JSON file."""
    from pathlib import Path

    import psycopg

    from c360.privacy.access import export_for_email, export_for_request
    from c360.privacy.export import ExportError

    if (request_id is None) == (email is None):
        fail("give exactly one of --request-id and --email")
    target = Path(out) if out else None
    try:
        if request_id is not None:
            path = export_for_request(load_settings(), request_id, target)
        else:
            path = export_for_email(load_settings(), email, target)
    except (ConfigError, ExportError, psycopg.Error) as exc:
        fail(str(exc))
    console.print(f"access export written to {path}")


@privacy_app.command("suppress")
def privacy_suppress(date_: str = BUSINESS_DATE_OPTION) -> None:
    """Erase again what tonight's loads brought back of persons erased earlier (after ingest, before dbt)."""
    import psycopg

    from c360.privacy import enforce_suppressions

    business_date = business_date_of(date_)
    try:
        counts = enforce_suppressions(load_settings(), business_date)
    except (ConfigError, psycopg.Error) as exc:
        fail(str(exc))
    for (relation, action), n in sorted(counts.items()):
        console.print(f"{relation}: {n} rows {action}")
    console.print(f"suppression pass done ({sum(counts.values())} rows changed)")


@privacy_app.command("apply")
def privacy_apply(date_: str = BUSINESS_DATE_OPTION) -> None:
    """Carry out the requests dbt matched (exports, restrictions, erasures); alert the rest (after dbt)."""

    import psycopg

    from c360.privacy import apply_privacy_requests
    from c360.privacy.matches import MatchesMissing
    from c360.privacy.person import StaleMatch

    business_date = business_date_of(date_)
    try:
        report = apply_privacy_requests(load_settings(), business_date)
    except (ConfigError, MatchesMissing, StaleMatch, psycopg.Error) as exc:
        fail(str(exc))
    handled = ", ".join(f"{n} {outcome}" for outcome, n in sorted(report.handled.items())) or "nothing"
    console.print(f"requests carried out: {handled}")
    for status, request_ids in report.alerted.items():
        console.print(f"{status}, reported to the privacy owner: {', '.join(request_ids)}")
    if report.scrubbed_files:
        console.print(f"erased records removed from {len(report.scrubbed_files)} landing file(s): "
                      f"{sum(report.scrubbed_files.values())} lines")
    if report.expired_deliveries:
        console.print(f"landing files past their retention removed: {len(report.expired_deliveries)}")


@app.command()
def lookup(
    phone: str | None = typer.Option(None, help="a phone number as the caller gives it"),
    email: str | None = typer.Option(None, help="an e-mail address"),
    card: str | None = typer.Option(None, help="a loyalty card number (13 digits)"),
    account: str | None = typer.Option(None, help="a billing account, e.g. FA0012345 or 12345"),
    as_json: bool = typer.Option(False, "--json", help="print the answer as the API gives it"),
) -> None:
    """Look a customer up by a key as a caller gives it, as the lookup API does; audited as you."""
    import json

    import psycopg

    from c360.privacy.keys import privacy_key
    from c360.serving.audit import cli_caller
    from c360.serving.console import print_answer
    from c360.serving.lookup import lookup_dsn, run_lookup

    given = [(kind, value) for kind, value in
             (("phone", phone), ("email", email), ("card", card), ("account", account)) if value is not None]
    if len(given) != 1:
        fail("give exactly one of --phone, --email, --card and --account")
    kind, value = given[0]
    try:
        settings = load_settings()
        with psycopg.connect(lookup_dsn(settings), autocommit=True) as conn:
            answer = run_lookup(conn, kind, value, privacy_key(settings), cli_caller())
    except (ConfigError, psycopg.Error) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(json.loads(answer.body), indent=2))
    else:
        print_answer(console, kind, json.loads(answer.body))
    if answer.result == "invalid":
        raise typer.Exit(2)


api_app = typer.Typer(
    help="The lookup's HTTP API: `c360 api` serves it; `c360 api token ...` manages its callers.",
    invoke_without_command=True,
)
app.add_typer(api_app, name="api")


@api_app.callback()
def api(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8360, help="port to listen on"),
    workers: int = typer.Option(1, help="server processes"),
) -> None:
    """Serve POST /lookup with uvicorn; every caller needs a token (`c360 api token create`)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from c360.serving.lookup import lookup_dsn

    try:
        lookup_dsn(load_settings())
    except ConfigError as exc:
        fail(str(exc))
    console.print(f"lookup API on http://{host}:{port}/lookup (Ctrl-C stops it)")
    # no access log: the API's audit is ops.lookup_audit
    uvicorn.run("c360.serving.app:create_app", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_level="warning")


token_app = typer.Typer(help="Bearer tokens of the systems that call the lookup API.", no_args_is_help=True)
api_app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(system: str = typer.Option(..., help="the calling system, e.g. cc-desk")) -> None:
    """Make the system's token (replacing the one it had) and print it once: it is kept only hashed."""
    import psycopg

    from c360.serving.tokens import create_token

    try:
        token = create_token(load_settings().warehouse_dsn, system)
    except (ConfigError, ValueError, psycopg.Error) as exc:
        fail(str(exc))
    console.print(f"token for {system} (shown once; send it as `Authorization: Bearer …`):")
    print(token)


@token_app.command("revoke")
def token_revoke(system: str = typer.Option(..., help="the calling system")) -> None:
    """Take the system's token away (the API stops accepting it within half a minute)."""
    import psycopg

    from c360.serving.tokens import revoke_token

    try:
        revoked = revoke_token(load_settings().warehouse_dsn, system)
    except (ConfigError, psycopg.Error) as exc:
        fail(str(exc))
    if not revoked:
        fail(f"{system} has no token")
    console.print(f"token of {system} revoked")


@app.command("metabase-provision")
def metabase_provision() -> None:
    """Set up Metabase: its admin on first start, the warehouse as bi_reader, the starter dashboard
    of config/metabase.yml. Idempotent: a second run changes nothing."""
    from c360.bi.cards import load_dashboard
    from c360.bi.metabase import MetabaseError, target_from_env
    from c360.bi.provision import provision

    try:
        target, spec = target_from_env(), load_dashboard()
        with console.status(f"provisioning Metabase at {target.url}"):
            changes = provision(target, spec)
    except (ConfigError, MetabaseError) as exc:
        fail(str(exc))
    for change in changes:
        console.print(change)
    console.print(f"Metabase at {target.url}: dashboard {spec.name!r} with {len(spec.cards)} cards"
                  + ("" if changes else " (nothing to change)"))


@app.command()
def ui(
    port: int = typer.Option(8080, help="port of the Airflow UI"),
    host: str = typer.Option("127.0.0.1", help="address to listen on; 0.0.0.0 for every interface"),
) -> None:
    """Start the Airflow UI on the metadata `c360 run` and `c360 demo` write: their runs are there."""
    from c360.local.airflow_env import AirflowSetupError, run_airflow

    settings = load_settings()
    console.print(
        f"Airflow UI on http://{host}:{port} (Ctrl-C stops it); log in as admin with the password in "
        f"{settings.airflow_home / 'simple_auth_manager_passwords.json.generated'}"
    )
    try:
        code = run_airflow(settings, ["api-server", "--host", host, "--port", str(port)])
    except (ConfigError, AirflowSetupError) as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command()
def docs() -> None:
    """Generate dbt's docs and the quality gate's data docs under C360_HOME; print their paths."""
    from c360.local.report.docs import DocsError, build_docs

    try:
        with console.status("generating dbt docs (with the warehouse's catalog) and data docs"):
            paths = build_docs(load_settings())
    except (ConfigError, DocsError) as exc:
        fail(str(exc))
    console.print(f"dbt docs:  {paths.dbt}")
    console.print(f"data docs: {paths.data_docs}")


def main() -> None:
    """The `c360` command as installed: what it writes under C360_HOME is its owner's only, and
    its alerts go out through the `c360_smtp` connection it derives from C360_SMTP_*."""
    import os

    from c360.local.home_access import keep_home_private
    from c360.quality.alerts import smtp_connection

    try:
        os.environ.update(smtp_connection(os.environ))
        keep_home_private(load_settings())
    except (ConfigError, PostgresError, OSError) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise SystemExit(1) from exc
    app()
