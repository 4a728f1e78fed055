-- Propensity per product line (c360/prediction): the models trained, with their backtest,
-- and the scores of each business date. The build DAG scores; c360_train_propensity trains.
create schema if not exists predictions;

-- One row per model trained: what it learned from, how it did on a later window than it
-- saw, beside the recency-frequency baseline, and the fitted model itself.
create table if not exists predictions.model_runs (
    model_version    text             primary key,  -- <product_line>-<trained through>-<hash of the recipe>
    product_line     text             not null,
    trained_at       timestamptz      not null default now(),
    trained_through  date             not null,     -- the business date training ran for (c360 train --date)
    training_from    date             not null,     -- first and last feature date of the training rows
    training_to      date             not null,
    backtest_date    date             not null,     -- feature date of the backtest; its labels end before trained_through
    label_days       integer          not null,
    features         text[]           not null,
    algorithm        text             not null,
    training_rows    integer          not null,
    training_positives integer        not null,
    metrics          jsonb            not null,     -- auc, top_decile_lift, brier, calibration bins; baseline's auc and lift
    model            bytea            not null      -- the fitted scikit-learn pipeline, pickled; written by this job only
);
-- What a run predicts: 'propensity' (a product line's purchase; scoring reads these) or
-- 'clv' (a customer's spend over label_days, product_line 'all': the backtest of
-- predicted_clv_12m's rule beside a regressor, c360/prediction/clv.py).
alter table predictions.model_runs
    add column if not exists kind text not null default 'propensity';
create index if not exists model_runs_latest_idx
    on predictions.model_runs (product_line, trained_at desc);

-- Scores of every profiled customer per product line and business date; scoring a date
-- again replaces its rows (c360/prediction/scoring.py).
create table if not exists predictions.customer_propensity (
    business_date  date              not null,
    customer_id    text              not null,
    product_line   text              not null,
    propensity     double precision  not null check (propensity between 0 and 1),
    decile         smallint          not null check (decile between 1 and 10),  -- 1 = the highest tenth of the line
    model_version  text              not null references predictions.model_runs (model_version),
    scored_at      timestamptz       not null default now(),
    primary key (business_date, customer_id, product_line)
);
