"""Ablation studies: a ladder of changes to the blog's CNN, trained rung by rung and seed by seed.

  python -m estimator_cnn.experiments.ablation                     # the blog's 5 rungs x seeds 1-3
  python -m estimator_cnn.experiments.ablation --study=optimizers  # Adam vs gradient descent's lr
  python -m estimator_cnn.experiments.ablation --rungs=1,adam --seeds=1
  python -m estimator_cnn.experiments.ablation --ladder=my_ladder.json

ladder: the built-in ladders (studies.json) and users' ladder files; study: the
runs, trained and cached; report: results.md, .json, .csv and the figures, in
OUTPUT_DIR (default results/<study> or results/<ladder file name>). The reports
cover every rung that has finished runs, also rungs not picked by --rungs.
"""
