"""Pages and their ids (gan_playground/ui/sessions.py), without a server."""

from __future__ import annotations

import time

from gan_playground.ui.sessions import PAGE_ID, Sessions


def eventually(condition, timeout: float = 10.0) -> bool:
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


def _toy_job(steps: int = 10**6):
    from gan_playground.config import RunConfig
    from gan_playground.engine import TrainingJob, prepare_run

    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=steps, batch_size=32,
                                device="cpu"), {"toy_width": "16"})
    return TrainingJob(run, log_every=5)


def test_a_closed_pages_model_is_let_go_and_counts_until_its_thread_ends():
    import gc
    import weakref

    import pytest

    from gan_playground.errors import UserError

    sessions = Sessions(max_jobs=1, grace_s=0.0)
    page = sessions.page_of("a")
    sessions.reserve(page, "lab")
    job = sessions.start_in(page, "lab", _toy_job()).job.start()
    model = weakref.ref(job.model)
    job._model_lock.acquire()  # hold the job inside a step, as a slow step would
    del job
    sessions.close_now(page)
    other = sessions.page_of("b")
    with pytest.raises(UserError, match="busy"):  # the let-go job still trains its last step: it counts
        sessions.reserve(other, "lab")
    [finishing] = sessions._finishing
    finishing._model_lock.release()
    del finishing
    deadline = time.monotonic() + 10
    while sessions._finishing and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    gc.collect()
    assert model() is None  # the model, its optimizers and the sampler's data are gone
    sessions.reserve(other, "lab")


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
