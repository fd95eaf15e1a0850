"""Entry points, one module per console command (`experiments-train`, `-compare`, `-eval`,
`-predict`): thin, read top to bottom. They may import every other folder; nothing imports
them."""
