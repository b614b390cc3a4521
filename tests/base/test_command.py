"""base.command: a user's mistake and Ctrl-C are one line on stderr; a failed event write is too."""

import errno
import logging
import os
import threading

from estimator_cnn.base import command
from estimator_cnn.base.errors import UserError


def _interrupted():
  raise KeyboardInterrupt


def _mistake():
  raise UserError("a mistake: fix it")


def test_ctrl_c_is_one_line_and_exit_code_130(capsys):
  assert command.run(f"{__name__}:_interrupted") == 130
  assert capsys.readouterr().err == ("interrupted by SIGINT: stopped before the end; run the "
                                     "same command again\n")


def test_a_mistake_is_one_line_and_exit_code_1(capsys):
  assert command.run(f"{__name__}:_mistake") == 1
  assert capsys.readouterr().err == "error: a mistake: fix it\n"


def _raise_in_threads():
  """Raises a failed write in an event writer thread and another error in another thread."""
  for name, error in ((command.EVENT_WRITER_THREAD, RuntimeError(
      f"events.out.tfevents.1; {os.strerror(errno.ENOSPC)}")),
                      ("Other", RuntimeError("a bug in a thread"))):

    def fail(error=error):
      raise error

    thread = threading.Thread(target=fail, name=name)
    thread.start()
    thread.join()


def test_the_event_writer_threads_failed_write_is_left_to_the_main_thread(monkeypatch):
  seen = []

  def excepthook(args):
    seen.append(str(args.exc_value))

  monkeypatch.setattr(threading, "excepthook", excepthook)
  assert command.run(f"{__name__}:_raise_in_threads") == 0
  assert seen == ["a bug in a thread"] and threading.excepthook is excepthook


def test_the_event_writers_log_line_of_a_failed_write_is_dropped():
  command.quiet_tensorflow()
  logger = logging.getLogger("tensorflow")

  def record(cause):
    return logger.makeRecord(logger.name, logging.ERROR, __file__, 1,
                             f"{command.EVENT_WRITER_ERROR}: %s", (f"events.1; {cause}",), None)

  assert not logger.filter(record(os.strerror(errno.ENOSPC)))
  assert logger.filter(record("a bug"))
