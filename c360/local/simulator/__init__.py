"""The silo simulator: writes data exactly as docs/contracts.md specifies, plus the truth.

`c360 simulate --people N --days K --start YYYY-MM-DD --seed S` writes the landing
zone, loads the finance `billing` schema, and appends to `truth/identities.csv`;
a new simulation also writes `truth/interests.csv` (person_id, product_line,
interest: purchases of the line per 30 days averaged over the year, and
preferred_channel: store, web, email or phone; docs/simulator-behaviour.md);
`c360 simulate --days 1` on an existing simulation writes the next business day,
byte for byte what a longer first run would have written.

Modules, one job each:

- config: every rate (`SimulationConfig`), the stores and product lines
- pools, ids: Faker value pools per locale; identifiers drawn in bulk
- population: persons, households, namesakes, movers, silo presence, accounts, cards, cookies
- behaviour: the hidden interest and preferred channel per person and product line
- journeys: the research, advice contacts and purchases they drive, day by day, with seasons
- mess, typed: hand-typed variants; a person as one silo captured them
- register_slips: the "real" noise profile (`--noise real`): slips of real registers
- clock: a day's random streams, seasonality, local and UTC timestamps
- finance + finance_db, contact_center, web, store, privacy: one day of each silo
- files, truth, state: day folders and `_SUCCESS`, the truth file, what carries over
- runner, cli: the day loop; the command's progress bar and summary
"""
