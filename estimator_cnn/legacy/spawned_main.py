"""What a spawn or forkserver child of a runner's program re-imports as its `__mp_main__`, in
place of the program's main: the program's main with the face (estimator_cnn.legacy.children)."""

from estimator_cnn.legacy import children

children.become_the_programs_main(globals())
