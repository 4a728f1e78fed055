#!/bin/bash
# The warehouse server's roles, made once by the postgres image when its volume is new
# (docker-entrypoint-initdb.d), as the superuser, which nothing of c360 logs in as:
#   c360            owns the warehouse database; no superuser, no CREATEROLE, no CREATEDB
#   bi_reader       BI tools: read-only sessions, statements and idle transactions timed out
#                   after C360_BI_STATEMENT_TIMEOUT (c360 up grants
#                   it schema `published` and nothing else)
#   c360_lookup     the contact-time lookup (c360 api): short statements; c360 up grants it
#                   the lookup's map, the tables it answers from and the audit's inserts
#   billing         owns the stand-in billing database the simulator writes
#   finance_reader  what the nightly finance extract logs in as: read-only
# Passwords come from the environment (.env); psql quotes them (:'name').
set -euo pipefail

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER}" --dbname postgres \
    -v c360_password="${C360_WAREHOUSE_PASSWORD}" \
    -v bi_reader_password="${C360_BI_READER_PASSWORD}" \
    -v bi_statement_timeout="${C360_BI_STATEMENT_TIMEOUT:-5min}" \
    -v lookup_password="${C360_LOOKUP_PASSWORD}" \
    -v billing_password="${C360_BILLING_PASSWORD}" \
    -v finance_reader_password="${C360_FINANCE_READER_PASSWORD}" <<'SQL'
create role c360 login nosuperuser nocreaterole nocreatedb password :'c360_password';
create database warehouse owner c360;
revoke all on database warehouse from public;

create role bi_reader login nosuperuser nocreaterole nocreatedb password :'bi_reader_password';
alter role bi_reader set default_transaction_read_only = on;
alter role bi_reader set statement_timeout = :'bi_statement_timeout';
alter role bi_reader set idle_in_transaction_session_timeout = :'bi_statement_timeout';
grant connect on database warehouse to bi_reader;

create role c360_lookup login nosuperuser nocreaterole nocreatedb password :'lookup_password';
alter role c360_lookup set statement_timeout = '2s';

create role billing login nosuperuser nocreaterole nocreatedb password :'billing_password';
create database finance owner billing;
revoke all on database finance from public;

create role finance_reader login nosuperuser nocreaterole nocreatedb password :'finance_reader_password';
alter role finance_reader set default_transaction_read_only = on;
grant connect on database finance to finance_reader;

\connect warehouse
revoke create on schema public from public;

\connect finance
revoke create on schema public from public;
-- the billing schema is made later (by the simulator, as billing): readable as it comes
alter default privileges for role billing grant usage on schemas to finance_reader;
alter default privileges for role billing grant select on tables to finance_reader;
SQL
