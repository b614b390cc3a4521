"""base.command: a user's mistake, Ctrl-C and SIGTERM are one line on stderr; a failed event write
is too."""

import errno
import logging
import os
import signal
import threading
import time

from estimator_cnn.base import atomic_writes
from estimator_cnn.base import command
from estimator_cnn.base.errors import UserError


def _interrupted():
  raise KeyboardInterrupt


def _terminated_while_writing(folder):
  with atomic_writes.folder_written_atomically(folder) as staging:
    with open(os.path.join(staging, "report.md"), "w") as f:
      f.write("half a report")
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(60)  # The handler raises at once.


def _mistake():
  raise UserError("a mistake: fix it")


def test_ctrl_c_is_one_line_and_exit_code_130(capsys):
  assert command.run(f"{__name__}:_interrupted") == 130
  assert capsys.readouterr().err == ("interrupted by SIGINT: stopped before the end; run the "
                                     "same command again\n")


def test_sigterm_cleans_up_as_ctrl_c_does_and_is_exit_code_143(tmp_path, capsys):
  before = signal.getsignal(signal.SIGTERM)
  assert command.run(f"{__name__}:_terminated_while_writing", str(tmp_path / "report")) == 143
  assert capsys.readouterr().err == ("interrupted by SIGTERM: stopped before the end; run the "
                                     "same command again\n")
  assert os.listdir(tmp_path) == []  # Neither the report nor its hidden temporary folder.
  assert signal.getsignal(signal.SIGTERM) is before


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
