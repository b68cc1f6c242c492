"""Pages and their ids (gan_playground/ui/sessions.py), without a server."""

from __future__ import annotations

import time

from gan_playground.ui.sessions import PAGE_ID, Sessions


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
    time.sleep(0.3)
    assert not sessions.is_open(page)
    assert sessions.attach("hash-again", page) != page  # its id is not accepted any more
