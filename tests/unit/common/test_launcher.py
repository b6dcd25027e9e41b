"""What `hotline up` decides on its own: when to start a dead service again, and when to refuse
to start at all (another `up` holds the data directory, or another process a port)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from services import launcher
from services.launcher import HEALTHY_RUN, Backoff, Refused, restart_delay


def test_restart_delay_doubles_from_a_quarter_second_up_to_thirty() -> None:
    assert [restart_delay(n) for n in range(1, 11)] == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_restart_delay_stays_at_thirty_seconds_however_many_failures() -> None:
    assert restart_delay(10_000) == 30


def test_a_service_that_keeps_dying_waits_longer_each_time() -> None:
    backoff = Backoff()
    assert [backoff.after_exit(ran_for=2.0) for _ in range(9)] == [
        0.25,
        0.5,
        1,
        2,
        4,
        8,
        16,
        30,
        30,
    ]


def test_a_minute_of_healthy_running_starts_the_back_off_afresh() -> None:
    backoff = Backoff()
    for _ in range(5):
        backoff.after_exit(ran_for=1.0)
    assert backoff.after_exit(ran_for=HEALTHY_RUN) == 0.25
    assert backoff.after_exit(ran_for=1.0) == 0.5


def test_a_run_just_short_of_a_minute_keeps_the_back_off_growing() -> None:
    backoff = Backoff()
    backoff.after_exit(ran_for=1.0)
    assert backoff.after_exit(ran_for=HEALTHY_RUN - 1) == 0.5


def test_the_data_directory_lock_names_its_holder_and_refuses_a_second_taker(
    tmp_path: Path,
) -> None:
    with launcher.data_dir_lock(tmp_path):
        assert (tmp_path / launcher.LOCK_FILE).read_text().strip() == str(os.getpid())
        # flock conflicts between two opens of the file even within one process.
        with (
            pytest.raises(Refused, match=rf"PID {os.getpid()} holds"),
            launcher.data_dir_lock(tmp_path),
        ):
            pass
    with launcher.data_dir_lock(tmp_path):  # released with its holder
        pass


def test_a_port_in_use_is_refused_naming_the_process_that_listens() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(Refused, match=rf"Port {port} \(search\) .* PID {os.getpid()} "):
            launcher.check_ports("127.0.0.1", {"search": port})
    launcher.check_ports("127.0.0.1", {"search": port})  # free again
