"""What a run did, for people: the terminal summary and the HTML run report.

`facts` reads the figures from the warehouse (and the DAG run results of the
run itself); `terminal` prints them as rich tables; `page` writes them as a
self-contained HTML page with charts under `$C360_HOME/reports/`.
"""
