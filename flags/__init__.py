"""absl flag definitions for run.py and the scripts, grouped in define_* functions; the package
estimator_cnn.flags (through the link estimator_cnn/flags), never imported as a top-level `flags`."""
