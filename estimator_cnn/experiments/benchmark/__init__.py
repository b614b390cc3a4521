"""The benchmark: training speed of the blog's network on each system, in fresh processes."""
