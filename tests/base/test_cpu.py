"""The CPU's flags read from /proc/cpuinfo, and native bfloat16 told from them."""

import pytest

from estimator_cnn.base import cpu


@pytest.mark.parametrize("flags_text,expected", [
    ("fpu avx512f avx512_bf16 avx512_vnni", True),
    ("fpu amx_bf16 amx_tile", True),
    ("fpu avx512f avx512_vnni", False),
])
def test_cpu_flags_are_read_from_cpuinfo(tmp_path, monkeypatch, flags_text, expected):
  cpuinfo = tmp_path / "cpuinfo"
  cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags_text}\n\n")
  monkeypatch.setattr(cpu, "CPUINFO_PATH", str(cpuinfo))
  assert cpu.cpu_flags() == frozenset(flags_text.split())
  assert cpu.bfloat16_supported() is expected


def test_unreadable_cpuinfo_counts_as_unsupported(tmp_path, monkeypatch):
  monkeypatch.setattr(cpu, "CPUINFO_PATH", str(tmp_path / "missing"))
  assert cpu.cpu_flags() is None
  assert not cpu.bfloat16_supported()
