"""`c360 demo`: the whole nightly pipeline on the embedded default, from nothing.

Starts the warehouse, simulates the silos (only the days not simulated yet),
runs the real Airflow DAGs night by night, and ends with what a data engineer
wants to see first (c360.local.report): what was loaded and refused, golden customers
and match quality against the simulator's truth, segments, the quality gate,
alerts, the run report's path and where to look next. A demo long enough for
the propensity models' label windows trains them after its nights and builds the
last night again, so that propensities and offers are published; a shorter one
says how long it would have to be.
"""

from __future__ import annotations

import psycopg
from rich.console import Console

from c360.config import Settings
from c360.local.demo_plan import DemoPlan
from c360.local.lifecycle import start_everything
from c360.local.report.finish import finish_run
from c360.local.runner import RichReporter, all_succeeded, results_table, run_range
from c360.local.simulator.cli import run_simulate, target_of
from c360.local.simulator.state import SimulationState, StateStore
from c360.orchestration.pipeline import BUILD_DAG_ID, NIGHTLY_DAGS
from c360.prediction import training


def existing_simulation(settings: Settings) -> SimulationState | None:
    store = StateStore(target_of(settings).state_dir)
    return SimulationState.from_json(store.state_file.read_text()) if store.exists() else None


def simulate_missing_days(settings: Settings, console: Console, plan: DemoPlan) -> None:
    state = existing_simulation(settings)
    if state is None:
        run_simulate(settings, console, days=plan.days, people=plan.people,
                     start=plan.start.isoformat(), seed=plan.seed, reset=False)
        return
    if state.start != plan.start:
        raise DemoError(
            f"the landing zone holds a simulation from {state.start}, not {plan.start}: "
            "run `c360 simulate --reset ...` or use another C360_HOME"
        )
    missing = plan.days - state.days_written
    if missing > 0:
        run_simulate(settings, console, days=missing, people=None, start=None, seed=None, reset=False)
    else:
        console.print(f"the simulation already holds {state.days_written} day(s): nothing to write")


class DemoError(RuntimeError):
    """The demo cannot run as asked; the message says why."""


def run_demo(settings: Settings, console: Console, plan: DemoPlan) -> bool:
    """The demo; True when every DAG run succeeded."""
    console.rule("[bold]1/4 warehouse")
    for line in start_everything(settings):
        console.print(line)
    console.rule(f"[bold]2/4 silos: {plan.people:,} simulated persons, {plan.days} day(s)")
    simulate_missing_days(settings, console, plan)
    console.rule(f"[bold]3/4 nightly DAGs through Airflow, {plan.start} … {plan.end}")
    with RichReporter(console, plan.days * len(NIGHTLY_DAGS)) as reporter:
        results = run_range(settings, plan.start, plan.end, reporter=reporter, prepare=lambda s: None)
    console.print(results_table(results))
    if all_succeeded(results):
        results += propensity_models(settings, console, plan)
    console.rule("[bold]4/4 summary")
    finish_run(settings, console, results)
    return all_succeeded(results)


def trains_models(plan: DemoPlan) -> bool:
    """Whether the demo's nights hold history before the earliest date whose features
    training through its last night learns from."""
    return training.plan(plan.end).backtest_training[0] > plan.start


def days_to_train(plan: DemoPlan) -> int:
    """The fewest days a demo from the same start needs for `trains_models`."""
    first = training.plan(plan.end).backtest_training[0]
    return plan.days + (plan.start - first).days + 1


def propensity_models(settings: Settings, console: Console, plan: DemoPlan) -> list:
    """Train the propensity models through the demo's last night and build that night again
    with them, when the demo's nights reach back far enough; else say how far they must."""
    if not trains_models(plan):
        needed = days_to_train(plan)
        console.print(
            f"no propensity model: training learns from 30-day purchase windows that closed "
            f"before the last night, over months of history; a demo of {needed} days or more "
            f"trains one (for example `c360 demo --people 2000 --days {needed}`)")
        return []
    console.rule(f"[bold]propensity models, trained through {plan.end}")
    from c360.prediction.console import backtest_table

    with psycopg.connect(settings.warehouse_dsn) as conn:
        try:
            runs = training.train(conn, plan.end)
        except training.NotEnoughHistory as exc:
            console.print(f"no propensity model: {exc}")
            return []
    console.print(backtest_table(runs))
    console.print(f"building {plan.end} again, scored by the new models")
    return run_range(settings, plan.end, plan.end, dag_ids=(BUILD_DAG_ID,), prepare=lambda s: None)
