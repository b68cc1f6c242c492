"""Pages and their ids (gan_playground/ui/sessions.py), without a server."""

from __future__ import annotations

import time

from gan_playground.ui.sessions import PAGE_ID, Sessions


def eventually(condition, timeout: float = 15.0) -> bool:
    """Whether `condition()` holds within `timeout` s: a grace timer fires on its own thread, which a
    busy test machine can start late (a fixed sleep of 0.3 s once failed in CI's full run)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_page_id_is_made_here_and_a_reload_finds_it_again():
    sessions = Sessions(max_jobs=1, grace_s=0.2)
    page = sessions.attach("hash-1", None)
    assert PAGE_ID.fullmatch(page)
    sessions.slot(page, "lab").saved.append("marker")
    sessions.close_later("hash-1")  # the tab is reloaded: its old connection closes ...
    assert sessions.attach("hash-2", page) == page  # ... and the new one brings the kept id back
    time.sleep(0.4)  # past the grace: the page stayed open, because it talked again
    assert sessions.is_open(page) and sessions.slot(page, "lab").saved == ["marker"]
    assert sessions.page_of("hash-2") == page


def test_ids_the_server_did_not_make_get_a_new_page():
    sessions = Sessions(max_jobs=1, grace_s=0.2)
    known = sessions.attach("victim", None)
    for i, kept in enumerate(["../../etc", "/tmp/x", "a\x00b", "f" * 32, "F" * 32, known.upper(), 42, None,
                              {"id": known}, "x" * 10_000]):
        page = sessions.attach(f"attacker-{i}", kept)
        assert PAGE_ID.fullmatch(page) and page != known


def test_a_closed_page_is_forgotten_after_the_grace():
    sessions = Sessions(max_jobs=1, grace_s=0.1)
    page = sessions.page_of("hash")  # a client that never loaded the page (gradio_client) gets one too
    sessions.close_later("hash")
    assert eventually(lambda: not sessions.is_open(page))
    assert sessions.attach("hash-again", page) != page  # its id is not accepted any more


def test_a_request_after_its_connection_closed_revives_nothing():
    """A poll in flight when the tab closed reaches the handlers after the unload: it must neither
    keep the closing page open (its job would never stop) nor leave a new page behind."""
    sessions = Sessions(max_jobs=1, grace_s=0.1)
    page = sessions.attach("hash", None)
    sessions.slot(page, "lab").saved.append("marker")
    sessions.close_later("hash")
    sessions.slot(page, "lab")  # the late poll, with the id it looked up before the unload ...
    late = sessions.page_of("hash")  # ... and one that looks it up only now
    assert late != page and not sessions.is_open(late)
    assert eventually(lambda: not sessions.is_open(page))


def _toy_job(steps: int = 10_000, **kwargs):
    from gan_playground.config import RunConfig
    from gan_playground.engine import TrainingJob
    from gan_playground.run import prepare_run

    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=steps, batch_size=32,
                                device="cpu"), {"toy_width": "16"})
    return TrainingJob(run, log_every=5, **kwargs)


def test_a_closed_pages_model_is_let_go_and_counts_until_its_thread_ends():
    import gc
    import weakref

    sessions = Sessions(max_jobs=1, max_lab_jobs=1, grace_s=0.0)
    page = sessions.page_of("a")
    sessions.reserve(page, "lab")
    job = sessions.start_in(page, "lab", _toy_job()).job.start()
    model = weakref.ref(job.model)
    job._model_lock.acquire()  # hold the job inside a step, as a slow step would
    del job
    sessions.close_now(page)
    other = sessions.page_of("b")
    sessions.reserve(other, "lab")
    waiting = sessions.start_in(other, "lab", _toy_job()).job.start()
    time.sleep(1.0)  # the let-go job still trains its last step: it counts, and the new one waits
    assert waiting.state == "queued" and waiting.step == 0
    [finishing] = sessions._finishing
    finishing._model_lock.release()
    del finishing
    deadline = time.monotonic() + 10
    while sessions._finishing and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    gc.collect()
    assert model() is None  # the model, its optimizers and the sampler's data are gone
    assert eventually(lambda: waiting.state == "running")  # and its place went to the first in line
    waiting.stop()


def test_starting_again_in_a_tab_lets_the_old_model_go():
    import gc
    import weakref

    sessions = Sessions(max_jobs=1, grace_s=0.0)
    page = sessions.page_of("a")
    sessions.reserve(page, "lab")
    first = sessions.start_in(page, "lab", _toy_job(steps=20)).job.start()
    assert first.join(30)
    model = weakref.ref(first.model)
    del first
    sessions.reserve(page, "lab")
    sessions.start_in(page, "lab", _toy_job(steps=20)).job.start()
    deadline = time.monotonic() + 10
    while model() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert model() is None



def _start(sessions: Sessions, hash_: str, tab: str = "lab", **kwargs):
    page = sessions.page_of(hash_)
    sessions.reserve(page, tab)
    return page, sessions.start_in(page, tab, _toy_job(**kwargs)).job.start()


def test_a_full_pool_queues_first_come_and_a_stop_admits_the_next():
    sessions = Sessions(max_jobs=1, max_lab_jobs=1, grace_s=60, turn_s=0)
    _, a = _start(sessions, "a")
    _, b = _start(sessions, "b")
    _, c = _start(sessions, "c")
    try:
        assert a.state == "running" and b.state == "queued" and c.state == "queued"
        assert eventually(lambda: a.step >= 10)
        time.sleep(0.5)
        assert b.step == 0 and c.step == 0  # waiting costs no training
        pb, pc = sessions.place_of(b), sessions.place_of(c)
        assert (pb.position, pc.position, pb.waiting) == (1, 2, 2)
        assert sessions.place_of(a).position is None  # it has the place
        a.stop()
        assert eventually(lambda: b.state == "running")  # by itself: nobody presses Start again
        assert c.state == "queued" and sessions.place_of(c).position == 1
        c.stop()  # Stop leaves the queue at once
        assert c.join(5) and c.state == "stopped" and c.step == 0
        assert sessions.place_of(c) is None
        b.stop()
        assert eventually(lambda: not sessions.active_jobs())
    finally:
        sessions.shutdown()


def test_the_wait_is_estimated_from_the_speed_and_turns_of_the_runs_ahead():
    from gan_playground.ui.queue import estimated_wait

    assert estimated_wait([10.0], [30.0, 20.0]) == 60.0  # one place: after the runner, both ahead in turn
    assert estimated_wait([10.0, 5.0], [30.0]) == 10.0  # two places: the one ahead takes the first to free
    assert estimated_wait([0.0], []) == 0.0
    assert estimated_wait([float("inf")], []) is None  # not known yet: no number is made up
    sessions = Sessions(max_jobs=1, max_lab_jobs=1, grace_s=60, turn_s=600)
    _, a = _start(sessions, "a", steps=5_000)
    _, b = _start(sessions, "b")
    try:
        assert eventually(lambda: a.eta_s is not None and a.step > 50)
        wait, eta = sessions.place_of(b).wait_s, a.eta_s
        assert wait is not None and abs(wait - eta) < max(5.0, 0.5 * eta)  # the runner's steps left at its speed
        holder = sessions.place_of(a)  # its own line: the sooner of its turn's end and its run's
        assert holder.turn_left_s <= 600
        assert holder.turn_left_s <= a.eta_s + 5.0 and (holder.finishes_first or a.eta_s > 590)
    finally:
        sessions.shutdown()


def test_a_turn_ends_while_others_wait_and_nothing_is_lost():
    saved = []
    sessions = Sessions(max_jobs=1, max_lab_jobs=1, grace_s=60, turn_s=1.0)
    page = sessions.page_of("a")
    sessions.reserve(page, "lab")
    a = sessions.start_in(page, "lab", _toy_job(autosave=lambda job: saved.append(job.step))).job.start()
    try:
        time.sleep(2.0)  # alone, it trains on past its turn
        assert a.state == "running"
        _, b = _start(sessions, "b")
        assert b.state == "queued"
        assert eventually(lambda: a.state == "queued" and b.state == "running", 10)
        place = sessions.place_of(a)
        assert place.position == 1 and place.turn_ended is not None and place.turn_ended <= a.step
        assert eventually(lambda: saved)  # autosaved at its turn's end
        step, history = a.step, a.snapshot().history_steps
        assert eventually(lambda: a.state == "running" and b.state == "queued", 10)  # b's turn ends: a's again
        assert eventually(lambda: a.step > step)
        assert a.snapshot().history_steps[:len(history)] == history  # the same run goes on
    finally:
        sessions.shutdown()


def test_a_closed_pages_run_ends_soon_when_others_wait_and_its_save_stays():
    saved = []
    sessions = Sessions(max_jobs=1, max_lab_jobs=1, grace_s=60, turn_s=0, abandoned_s=0.5)
    page = sessions.page_of("a")
    sessions.reserve(page, "lab")
    a = sessions.start_in(page, "lab", _toy_job(autosave=lambda job: saved.append(job.step))).job.start()
    try:
        sessions.close_later("a")
        time.sleep(1.5)
        assert a.state == "running"  # nobody waits: the long grace holds
        _, b = _start(sessions, "b")
        assert eventually(lambda: a.state == "stopped" and b.state == "running", 10)
        assert eventually(lambda: saved) and saved[-1] == a.step  # resumable from where it ended
        assert sessions.is_open(page) and sessions.slot(page, "lab").job is a  # a reload within the grace finds it
    finally:
        sessions.shutdown()


def test_the_lab_has_places_of_its_own_and_a_step_cap():
    import pytest

    from gan_playground.errors import UserError

    sessions = Sessions(max_jobs=1, max_lab_jobs=2, grace_s=60, turn_s=0, lab_max_steps=5_000)
    try:
        _, a = _start(sessions, "a", steps=5_000)
        _, b = _start(sessions, "b", steps=5_000)
        assert a.state == b.state == "running"  # two Lab places
        page = sessions.page_of("c")
        sessions.reserve(page, "lab")
        with pytest.raises(UserError, match="at most 5,000 steps.*GAN_PLAYGROUND_LAB_MAX_STEPS"):
            sessions.start_in(page, "lab", _toy_job(steps=5_001))
        sessions.reserve(page, "lab")  # the refusal gave the tab back
    finally:
        sessions.shutdown()


def test_a_side_by_side_comparison_queues_for_a_lab_place_like_a_run():
    from gan_playground.side_by_side import Lane, SideBySide

    sessions = Sessions(max_jobs=1, max_lab_jobs=1, grace_s=60, turn_s=0)
    try:
        _, a = _start(sessions, "a")
        page = sessions.page_of("b")
        sessions.reserve(page, "lab-compare")
        comparison = SideBySide([Lane("x", _toy_job(steps=50)), Lane("y", _toy_job(steps=50))], steps=50)
        sessions.start_in(page, "lab-compare", comparison).job.start()
        time.sleep(0.5)
        assert comparison.state == "queued" and comparison.step == 0
        assert sessions.place_of(comparison).position == 1
        a.stop()
        assert eventually(lambda: comparison.state == "finished", 60) and comparison.step == 50
    finally:
        sessions.shutdown()


def test_a_closed_page_deletes_its_uploads(tmp_path):
    from types import SimpleNamespace

    sessions = Sessions(max_jobs=1, grace_s=0.1)
    page = sessions.attach("hash", None)
    copy = tmp_path / "abc-upload"
    copy.mkdir()
    (copy / "model.safetensors").write_bytes(b"x")
    sessions.slot(page, "lab").uploads["wgan-gp-toy-8gaussians-step3"] = SimpleNamespace(path=copy)
    sessions.close_later("hash")
    assert eventually(lambda: not sessions.is_open(page) and not copy.exists())
