"""The fair protocol's report: the runs of a protocol folder (`runs`), the board of tuned
scores and verdicts (`board`), its plots (`plots`, `budget`) and the report that writes
them (`report`)."""
