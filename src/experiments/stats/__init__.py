"""The statistics of a comparison: intervals and paired tests over seeds (`over_seeds`),
scores recomputed on held-out rows (`held_out_rows`, `metric_scale`), the leaderboard's
significance column (`significance`), the protocol's verdicts, frequentist and Bayesian
(`verdict`), and the Bayesian signed-rank test over datasets (`signed_rank`). Numbers in,
numbers out: reads saved test predictions, never trains, draws or writes. May import `io`."""
